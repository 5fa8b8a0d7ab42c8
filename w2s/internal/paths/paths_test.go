package paths

import (
	"strings"
	"testing"
)

func TestRelativeDataHint(t *testing.T) {
	t.Setenv("W2S_DATA", "../shared/data")
	if h := RelativeDataHint(); !strings.Contains(h, "relative") || !strings.Contains(h, "$PWD/../shared/data") {
		t.Errorf("relative W2S_DATA: hint %q", h)
	}
	t.Setenv("W2S_DATA", "/abs/data")
	if h := RelativeDataHint(); h != "" {
		t.Errorf("absolute W2S_DATA: hint %q", h)
	}
}
