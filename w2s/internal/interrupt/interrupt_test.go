package interrupt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess is the process the signal tests start: it installs the
// handler, says so, and, when its context is cancelled, says that too and
// then blocks for good, as a process stuck in a system call would.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("W2S_INTERRUPT_HELPER") == "" {
		t.Skip("started by the signal tests")
	}
	ctx, stop := Context(context.Background(), os.Stderr)
	defer stop()
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("cancelled")
	select {}
}

// TestSignals sends real signals to a process that ignores its cancelled
// context: one signal ends it after Grace, two at once.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the grace period")
	}
	cases := []struct {
		name     string
		signals  []syscall.Signal
		min, max time.Duration
	}{
		{"one SIGTERM: exits after the grace period", []syscall.Signal{syscall.SIGTERM}, Grace - 500*time.Millisecond, Grace + 3*time.Second},
		{"two SIGINTs: exits at once", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, 0, 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), "W2S_INTERRUPT_HELPER=1")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "ready" {
				cmd.Process.Kill()
				t.Fatalf("helper did not start: %q %s", lines.Text(), stderr.String())
			}
			start := time.Now()
			for i, sig := range c.signals {
				if i > 0 {
					time.Sleep(200 * time.Millisecond)
				}
				cmd.Process.Signal(sig)
			}
			if !lines.Scan() || lines.Text() != "cancelled" {
				t.Errorf("the first signal did not cancel the context: %q", lines.Text())
			}
			for lines.Scan() {
			}
			timer := time.AfterFunc(c.max+5*time.Second, func() { cmd.Process.Kill() })
			defer timer.Stop()
			err = cmd.Wait()
			took := time.Since(start)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != ExitCode {
				t.Errorf("exit: %v, want status %d", err, ExitCode)
			}
			if took < c.min || took > c.max {
				t.Errorf("exited %s after the first signal, want between %s and %s", took.Round(time.Millisecond), c.min, c.max)
			}
			if !strings.Contains(stderr.String(), "a second signal exits at once") {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}

// TestReadFileNamedPipe: reading a named pipe returns its data when a
// writer comes, and ctx's error when ctx is cancelled while the open waits
// for a writer or the read waits for data.
func TestReadFileNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "data.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			w.WriteString("hello\n")
			w.Close()
		}
	}()
	got, err := ReadFile(context.Background(), fifo)
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("with a writer: %q, %v", got, err)
	}
	for _, withWriter := range []bool{false, true} {
		if withWriter { // a writer that holds the pipe open and writes nothing
			go func() {
				if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					time.Sleep(3 * time.Second)
					w.Close()
				}
			}()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		_, err := ReadFile(ctx, fifo)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Errorf("writer %v: %v after %s", withWriter, err, time.Since(start))
		}
	}
	if _, err := ReadFile(context.Background(), filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
