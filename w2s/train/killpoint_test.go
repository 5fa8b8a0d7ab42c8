package train

import (
	gocontext "context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"syscall"
	"testing"

	"github.com/w2s-lab/w2s/w2s/backend"
)

// TestKilledBetweenTensorsAndJSON trains in a child process that is
// killed (SIGKILL, no chance to clean up) right after writing the tensors
// of its second save and before the JSON naming them; a fresh trainer then
// resumes from the first save and ends exactly where an uninterrupted run
// ends. (Before, this kill left "does not match the checksum … an
// interrupted save?" until the folder was deleted by hand.)
func TestKilledBetweenTensorsAndJSON(t *testing.T) {
	cfg := Config{Steps: 12, LR: 5e-3, Warmup: 2, SaveEvery: 4, Seed: 5, WeightDecay: 0.1}
	if dir := os.Getenv("W2S_KILL_DIR"); dir != "" {
		killAt, _ := strconv.Atoi(os.Getenv("W2S_KILL_AT"))
		saveHook = func(steps int) {
			if steps == killAt {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
		cfg.Dir = dir
		m, loss, batches := tinyLM(t, 2)
		(&Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss, Config: cfg}).Run(gocontext.Background(), batches)
		t.Fatal("the child was not killed")
	}
	m, loss, batches := tinyLM(t, 2)
	ref, err := (&Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss, Config: cfg}).Run(gocontext.Background(), batches)
	if err != nil {
		t.Fatal(err)
	}
	want := params(t, m)

	dir := filepath.Join(t.TempDir(), "state")
	child := exec.Command(os.Args[0], "-test.run=^TestKilledBetweenTensorsAndJSON$")
	child.Env = append(os.Environ(), "W2S_KILL_DIR="+dir, "W2S_KILL_AT=8")
	err = child.Run()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want death by SIGKILL", err)
	}
	if _, err := os.Stat(filepath.Join(dir, tensorsFile(8))); err != nil {
		t.Fatalf("the child died before writing step 8's tensors: %v", err)
	}
	cfg.Dir = dir
	m2, loss2, batches2 := tinyLM(t, 99)
	res, err := (&Trainer{Backend: backend.MustDefault(), Ctx: m2.Ctx, Loss: loss2, Config: cfg}).Run(gocontext.Background(), batches2)
	if err != nil {
		t.Fatalf("resume after the kill: %v", err)
	}
	if res.ResumedFrom != 4 {
		t.Errorf("resumed from step %d, want 4 (the last complete save)", res.ResumedFrom)
	}
	if !reflect.DeepEqual(losses(res.Curve), losses(ref.Curve)) || !reflect.DeepEqual(params(t, m2), want) {
		t.Error("the resumed run differs from the uninterrupted one")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "trainer_state*.safetensors"))
	if len(left) != 2 || filepath.Base(left[0]) != tensorsFile(8) || filepath.Base(left[1]) != tensorsFile(12) {
		t.Errorf("tensor files left: %v, want only the last two saves'", left)
	}
}
