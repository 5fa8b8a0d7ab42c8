package w2s

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/internal/interrupt"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// TestCellProcess is the cell process the interrupt tests start (GoNB runs
// each cell as a process and interrupts it with SIGINT): "blocked" waits on
// Context and then blocks for good, as a cell stuck in a system call;
// "sweep" runs a ci sweep.
func TestCellProcess(t *testing.T) {
	switch os.Getenv("W2S_TEST_CELL") {
	case "blocked":
		ctx := Context()
		fmt.Println("ready")
		<-ctx.Done()
		fmt.Println("cancelled")
		select {}
	case "sweep":
		fmt.Println("ready")
		Sweep("sst2", Models("xs", "xl"), "xent")
		fmt.Println("finished")
	default:
		t.Skip("started by TestInterruptEndsACell")
	}
}

// TestInterruptEndsACell interrupts cell processes as Jupyter's stop
// button does: a cell blocked where no context reaches ends Grace after
// SIGINT, or at once on a second SIGINT; a cell training a sweep stops
// within a few seconds (what it stored is resumed from as any stage's).
func TestInterruptEndsACell(t *testing.T) {
	testgate.Integration(t, "starts cell processes that train")
	cache := t.TempDir()
	cell := func(t *testing.T, kind string) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCellProcess$")
		cmd.Env = append(os.Environ(), "W2S_TEST_CELL="+kind, "W2S_CACHE="+cache, "W2S_SCALE=ci")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			t.Fatalf("cell did not start: %s", stderr.String())
		}
		return cmd, lines, &stderr
	}
	exitWithin := func(t *testing.T, cmd *exec.Cmd, lines *bufio.Scanner, limit time.Duration) (int, time.Duration) {
		start := time.Now()
		timer := time.AfterFunc(limit+10*time.Second, func() { cmd.Process.Kill() })
		defer timer.Stop()
		for lines.Scan() {
		}
		err := cmd.Wait()
		took := time.Since(start)
		if took > limit {
			t.Errorf("the cell ended %s after the interrupt, want at most %s", took.Round(time.Millisecond), limit)
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), took
		}
		return 0, took
	}
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("blocked, %d SIGINT", n), func(t *testing.T) {
			cmd, lines, stderr := cell(t, "blocked")
			limit := interrupt.Grace + 2*time.Second
			for i := range n {
				if i > 0 {
					time.Sleep(200 * time.Millisecond)
					limit = 2 * time.Second
				}
				cmd.Process.Signal(syscall.SIGINT)
			}
			if code, _ := exitWithin(t, cmd, lines, limit); code != interrupt.ExitCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, interrupt.ExitCode, stderr.String())
			}
		})
	}
	t.Run("sweep", func(t *testing.T) {
		datatest.Require(t)
		cmd, lines, stderr := cell(t, "sweep")
		deadline := time.Now().Add(3 * time.Minute)
		for { // a training under way: its work folder exists
			if w, _ := filepath.Glob(filepath.Join(cache, "artifacts", "trained", ".work-*")); len(w) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no training started in 3 minutes:\n%s", stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGINT)
		code, took := exitWithin(t, cmd, lines, interrupt.Grace+2*time.Second)
		// Stopped at a step (the call panics with the cancellation) or, in
		// a graph's compilation, by the grace period.
		if code == 0 || !(strings.Contains(stderr.String(), "context canceled") || code == interrupt.ExitCode) {
			t.Errorf("exit status %d; stderr:\n%s", code, stderr.String())
		}
		t.Logf("the sweep cell ended %s after SIGINT", took.Round(time.Millisecond))
	})
}
