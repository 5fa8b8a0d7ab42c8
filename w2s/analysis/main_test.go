package analysis

import (
	"os"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/tinymodels"
)

// TestMain removes the shared tiny test models after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	tinymodels.Cleanup()
	os.Exit(code)
}
