package tasks

import (
	"reflect"
	"testing"
)

func TestPhraseGroups(t *testing.T) {
	texts := []string{
		"a gripping , funny and wise film .",       // 0: a sentence
		"funny and wise film",                      // 1: its phrase (4 words)
		"wise film",                                // 2: short, inside 0 and 1 only
		"the film",                                 // 3: short, in two sentences' groups
		"the film is a mess , sadly .",             // 4: another sentence
		"the film is a mess",                       // 5: its phrase
		"an utterly new sentence about the film .", // 6
		"leaks into the test set here",             // 7: a phrase of a test row
	}
	test := []Example{{Text: "this one leaks into the test set here , sadly"}}
	mk := func() []Example {
		var out []Example
		for _, s := range texts {
			out = append(out, Example{Text: s})
		}
		return out
	}
	pool := mk()
	leaks := PhraseGroups(pool, test)
	if !reflect.DeepEqual(leaks, []int{7}) {
		t.Errorf("leaks %v, want [7]", leaks)
	}
	same := func(a, b int) bool { return pool[a].Group == pool[b].Group }
	if !same(0, 1) || !same(1, 2) || !same(4, 5) {
		t.Errorf("a sentence and its phrases are apart: %v", groupsOf(pool))
	}
	if same(0, 4) || same(3, 0) || same(3, 4) || same(6, 4) {
		t.Errorf("unrelated rows grouped: %v", groupsOf(pool))
	}
	// Deterministic: the same groups on every call.
	for range 5 {
		again := mk()
		PhraseGroups(again, test)
		if !reflect.DeepEqual(groupsOf(again), groupsOf(pool)) {
			t.Fatalf("groups differ between calls: %v, %v", groupsOf(again), groupsOf(pool))
		}
	}
}

func groupsOf(xs []Example) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Group)
	}
	return out
}
