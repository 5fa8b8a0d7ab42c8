package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Float is a measured number that may be undefined — the PGR of a pair
// with no gap, the AUROC of a one-class set — as NaN. Its JSON is the
// number, or null for NaN and ±Inf (JSON has no NaN), and null reads back
// as NaN, so results survive a round trip through files unchanged.
type Float float64

// NaN is an undefined Float.
func NaN() Float { return Float(math.NaN()) }

// Defined tells whether f is a finite number.
func (f Float) Defined() bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Defined() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(f), 'g', -1, 64), nil
}

func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = NaN()
		return nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*f = Float(x)
	return nil
}

// Text formats f with a fmt verb such as "%.3f", or "–" when undefined.
func (f Float) Text(verb string) string {
	if !f.Defined() {
		return "–"
	}
	return fmt.Sprintf(verb, float64(f))
}
