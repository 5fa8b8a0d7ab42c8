package testgate

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestGates runs each gate in a child test process and reads its verdict.
func TestGates(t *testing.T) {
	if gate := os.Getenv("W2S_TESTGATE_CHILD"); gate != "" {
		switch gate {
		case "integration":
			Integration(t, "slow")
		case "require":
			Require(t, Data, false, "no data")
		case "have":
			Require(t, Data, true, "no data")
		}
		return
	}
	for _, c := range []struct {
		gate string
		env  []string
		want string
	}{
		{"integration", []string{"W2S_INTEGRATION="}, "--- SKIP"},
		{"integration", []string{"W2S_INTEGRATION=0"}, "--- SKIP"},
		{"integration", []string{"W2S_INTEGRATION=1"}, "--- PASS"},
		{"require", []string{"W2S_REQUIRE_DATA="}, "--- SKIP"},
		{"require", []string{"W2S_REQUIRE_DATA=1"}, "--- FAIL"},
		{"have", []string{"W2S_REQUIRE_DATA=1"}, "--- PASS"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGates$", "-test.v")
		cmd.Env = append(append(os.Environ(), "W2S_TESTGATE_CHILD="+c.gate), c.env...)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want+": TestGates") {
			t.Errorf("%s with %v: want %s:\n%s", c.gate, c.env, c.want, out)
		}
	}
}
