package nanjson

import (
	"math"
	"strings"
	"testing"
)

type inner struct {
	A float64 `json:"a"`
	B []float64
	c int
}

func TestNaNBecomesNull(t *testing.T) {
	v := struct {
		X     float64
		In    inner `json:"in"`
		M     map[string]float64
		Skip  int `json:"-"`
		Ptr   *inner
		Bytes []byte
	}{X: math.NaN(), In: inner{A: 1.5, B: []float64{math.Inf(1), 2}}, M: map[string]float64{"k": math.NaN()}, Bytes: []byte("hi")}
	js, err := MarshalIndent(v, "", "")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(strings.ReplaceAll(string(js), "\n", ""), ": ", ":")
	for _, want := range []string{`"X":null`, `"a":1.5`, `"B":[null,2]`, `"M":{"k":null}`, `"Ptr":null`, `"Bytes":"aGk="`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
	if strings.Contains(s, "Skip") || strings.Contains(s, `"c"`) {
		t.Errorf("hidden fields written: %s", s)
	}
}
