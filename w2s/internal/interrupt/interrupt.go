// Package interrupt turns SIGINT and SIGTERM into the cancellation of a
// context, the same way for the command line, a notebook cell (GoNB
// interrupts a cell by sending SIGINT to its process) and a Slurm array
// task (scancel sends SIGTERM):
//
//   - the first signal cancels the context: long work stops at its next
//     check, a training saves its state, and the program returns;
//   - if the process is still running Grace later (blocked in a system
//     call, compiling a graph), it exits with ExitCode on its own, leaving
//     the state of the last save, which every stage resumes from;
//   - a second signal exits with ExitCode at once.
//
// It also reads files without ignoring the cancellation (ReadFile): opening
// a named pipe that has no writer blocks in the kernel, where no context
// reaches.
package interrupt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Grace is how long the process may take to stop after the first signal
// before it exits on its own.
const Grace = 5 * time.Second

// ExitCode is the exit status of an interrupted process (128 + SIGINT,
// as shells report Ctrl-C).
const ExitCode = 130

// exit ends the process (a variable for this package's tests).
var exit = os.Exit

// Context returns a context that the first SIGINT or SIGTERM cancels, and
// a function that uninstalls the handler. Messages go to log: what the
// signal does, and why the process exits when it does.
func Context(parent context.Context, log io.Writer) (context.Context, func()) {
	return watch(parent, log, Grace)
}

func watch(parent context.Context, log io.Writer, grace time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var sig os.Signal
		select {
		case sig = <-sigs:
		case <-done:
			return
		}
		fmt.Fprintf(log, "w2s: %s: stopping (what is stored stays, a training saves its state); a second signal exits at once\n", name(sig))
		cancel()
		select {
		case sig = <-sigs:
			fmt.Fprintf(log, "w2s: second %s: exiting now; run the same command again to resume\n", name(sig))
		case <-time.After(grace):
			fmt.Fprintf(log, "w2s: still running %s after %s: exiting now; run the same command again to resume from the last saved state\n", grace, name(sig))
		case <-done:
			return
		}
		exit(ExitCode)
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
}

func name(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// ReadFile is os.ReadFile that returns ctx's error once ctx is done, even
// while opening a named pipe that has no writer yet or reading one that
// has no data.
func ReadFile(ctx context.Context, path string) ([]byte, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	var f *os.File
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, o.err
		}
		f = o.f
	case <-ctx.Done():
		// An open of a named pipe waits for a writer: be one for an instant,
		// so the waiting goroutine returns, then close what it opened.
		if st, err := os.Stat(path); err == nil && st.Mode()&os.ModeNamedPipe != 0 {
			if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
	defer f.Close()
	// Reads of pipes go through the runtime's poller: a deadline ends one
	// that waits for data. Regular files are read in chunks, each after a
	// check of ctx.
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, Reader(ctx, f)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

// Reader returns r, whose reads fail with ctx's error once ctx is done.
func Reader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
