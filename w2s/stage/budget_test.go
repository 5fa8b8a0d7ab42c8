package stage

import (
	"strings"
	"testing"
)

func TestBudgetString(t *testing.T) {
	b, err := BudgetFor("cpu")
	if err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"scale cpu", "seeds [0 1 2 3 4]", "2000 test rows", "4000 training rows (halves A and B of 2000)",
		"cut to 64 tokens (its end kept)", "full finetuning", "the mean over tokens", "evaluated 10 times"} {
		if !strings.Contains(s, want) {
			t.Errorf("Budget.String() = %q, lacks %q", s, want)
		}
	}
}
