package backend

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gomlx/gomlx/backends"
)

// Compilation is the compile work a process has done: XLA compiles one
// executable per graph and input shapes, which costs seconds, so progress
// output and benchmarks report it apart from the steps that follow.
type Compilation struct {
	Graphs int           // executables compiled (or loaded from the persistent cache)
	Cached int           // of those, loaded from the persistent cache (compilecache.go)
	Time   time.Duration // spent compiling (or loading) them
}

// Sub is the compile work done between two readings.
func (c Compilation) Sub(before Compilation) Compilation {
	return Compilation{Graphs: c.Graphs - before.Graphs, Cached: c.Cached - before.Cached, Time: c.Time - before.Time}
}

var compiledGraphs, cachedGraphs, compileNanos atomic.Int64

// Compiled returns the compile work of every backend made by New so far.
// Concurrent trainings share the counters.
func Compiled() Compilation {
	return Compilation{Graphs: int(compiledGraphs.Load()), Cached: int(cachedGraphs.Load()), Time: time.Duration(compileNanos.Load())}
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
	before, cached := CacheStats()
	exe, err := b.Builder.Compile(outputs, shardings)
	compileNanos.Add(int64(time.Since(start)))
	compiledGraphs.Add(1)
	if after, _ := CacheStats(); cached && after.Hits > before.Hits {
		cachedGraphs.Add(1)
	}
	return exe, err
}

// String says what was compiled: "compiled 3 graphs in 4.2s", "loaded 5
// compiled graphs from the cache in 0.1s", or both, "compiled 1 graph and
// loaded 4 from the cache in 1.3s".
func (c Compilation) String() string {
	t := c.Time.Round(100 * time.Millisecond)
	graphs := func(n int) string {
		if n == 1 {
			return "1 graph"
		}
		return fmt.Sprintf("%d graphs", n)
	}
	fresh := c.Graphs - c.Cached
	switch {
	case c.Graphs == 0:
		return "compiled nothing"
	case c.Cached == 0:
		return fmt.Sprintf("compiled %s in %s", graphs(fresh), t)
	case fresh == 0:
		return fmt.Sprintf("compiled nothing (loaded %s from the compile cache in %s)", graphs(c.Cached), t)
	}
	return fmt.Sprintf("compiled %s and loaded %d from the compile cache in %s", graphs(fresh), c.Cached, t)
}
