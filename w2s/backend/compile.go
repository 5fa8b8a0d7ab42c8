package backend

import (
	"sync/atomic"
	"time"

	"github.com/gomlx/gomlx/backends"
)

// Compilation is the compile work a process has done: XLA compiles one
// executable per graph and input shapes, which costs seconds, so progress
// output and benchmarks report it apart from the steps that follow.
type Compilation struct {
	Graphs int           // executables compiled
	Time   time.Duration // spent compiling them
}

// Sub is the compile work done between two readings.
func (c Compilation) Sub(before Compilation) Compilation {
	return Compilation{Graphs: c.Graphs - before.Graphs, Time: c.Time - before.Time}
}

var compiledGraphs, compileNanos atomic.Int64

// Compiled returns the compile work of every backend made by New so far.
// Concurrent trainings share the counters.
func Compiled() Compilation {
	return Compilation{Graphs: int(compiledGraphs.Load()), Time: time.Duration(compileNanos.Load())}
}

// timed wraps a backend so that every compilation is counted and timed.
type timed struct {
	backends.Backend
}

func (t *timed) Builder(name string) backends.Builder {
	return &timedBuilder{t.Backend.Builder(name)}
}

type timedBuilder struct {
	backends.Builder
}

func (b *timedBuilder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	start := time.Now()
	exe, err := b.Builder.Compile(outputs, shardings)
	compileNanos.Add(int64(time.Since(start)))
	compiledGraphs.Add(1)
	return exe, err
}
