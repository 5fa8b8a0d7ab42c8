package stage

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// padding is the padded positions of lengths under widths.
func padding(widths, lengths []int) int {
	p := 0
	for _, l := range lengths {
		p += widthFor(widths, l) - l
	}
	return p
}

// TestChooseWidthsIsOptimal compares the dynamic programme with every
// choice of at most maxWidths widths on small random length sets.
func TestChooseWidthsIsOptimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		var lengths []int
		for range 1 + r.IntN(40) {
			lengths = append(lengths, 1+r.IntN(64))
		}
		got := chooseWidths(lengths)
		if len(got) == 0 || len(got) > maxWidths || got[len(got)-1] < maxOf(lengths) {
			t.Fatalf("trial %d: widths %v for lengths up to %d", trial, got, maxOf(lengths))
		}
		for _, w := range got {
			if w%widthStep != 0 {
				t.Fatalf("width %d is not a multiple of %d", w, widthStep)
			}
		}
		// Brute force over subsets of the multiples of widthStep up to 64.
		var cands []int
		for w := widthStep; w <= 64; w += widthStep {
			cands = append(cands, w)
		}
		best := -1
		for mask := 1; mask < 1<<len(cands); mask++ {
			var ws []int
			for i, w := range cands {
				if mask&(1<<i) != 0 {
					ws = append(ws, w)
				}
			}
			if len(ws) > maxWidths || ws[len(ws)-1] < maxOf(lengths) {
				continue
			}
			if p := padding(ws, lengths); best < 0 || p < best {
				best = p
			}
		}
		if p := padding(got, lengths); p != best {
			t.Fatalf("trial %d: padding %d with %v, the best is %d", trial, p, got, best)
		}
	}
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// TestEpochOrder: seeded, every example once per epoch (but the last
// partial batch), and batches of similar lengths: phrase-like lengths
// padded to the chosen widths waste little.
func TestEpochOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n, batch := 2000, 16
	lengths := make([]int, n)
	for i := range lengths {
		lengths[i] = 1 + int(r.ExpFloat64()*12) // median about 9, long tail
		lengths[i] = min(lengths[i], 64)
	}
	steps := 3 * n / batch
	a := epochOrder(lengths, n, steps, batch, 7)
	if !reflect.DeepEqual(a, epochOrder(lengths, n, steps, batch, 7)) {
		t.Fatal("same seed, different order")
	}
	if reflect.DeepEqual(a, epochOrder(lengths, n, steps, batch, 8)) {
		t.Fatal("different seeds, same order")
	}
	if len(a) != steps {
		t.Fatalf("%d batches, want %d", len(a), steps)
	}
	seen := make([]int, n)
	for _, idx := range a[:n/batch] {
		if len(idx) != batch {
			t.Fatalf("batch of %d", len(idx))
		}
		for _, i := range idx {
			seen[i]++
		}
	}
	for i, c := range seen {
		if c > 1 {
			t.Fatalf("example %d twice in the first epoch", i)
		}
	}
	e := &encoded{k: 1}
	for _, l := range lengths {
		e.rows = append(e.rows, make([]int32, l))
		e.labels = append(e.labels, 0)
	}
	e.widths = chooseWidths(lengths)
	real, padded := tokenCounts(e, a)
	if ratio := float64(padded) / float64(real); ratio > 1.3 {
		t.Errorf("padded positions are %.2f× the real tokens, want at most 1.3×", ratio)
	}
	plain, plainPad := tokenCounts(e, epochOrder(nil, n, steps, batch, 7))
	t.Logf("padding: %.2f× with length buckets (widths %v), %.2f× without", float64(padded)/float64(real), e.widths, float64(plainPad)/float64(plain))
}

// TestShuffledSpecKey: Budget.Shuffled trains on plain shuffles, a
// different key from the default; the default key is the one before the
// field existed.
func TestShuffledSpecKey(t *testing.T) {
	raw, err := json.Marshal(TrainSpec{Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "Shuffled") {
		t.Errorf("the default spec mentions Shuffled, so every stored training would be keyed anew: %s", raw)
	}
	raw, _ = json.Marshal(TrainSpec{Batch: 16, Shuffled: true})
	if !strings.Contains(string(raw), `"Shuffled":true`) {
		t.Errorf("a shuffled spec does not say so: %s", raw)
	}
}
