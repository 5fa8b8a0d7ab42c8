package stage

import (
	"context"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

// Training batches are drawn so that little of each batch is padding:
// every epoch is a fresh seeded shuffle, cut into windows of sortWindow
// batches; each window is sorted by length and cut into batches, and the
// epoch's batches are shuffled again, so the order stays random while the
// rows of one batch have similar lengths. A batch is padded to the
// smallest of a few widths that holds its longest row, chosen once per task
// and tokenizer from the task's length distribution (every set of every
// seed uses the same widths): XLA compiles one graph per width.

// sortWindow is how many batches of the shuffled rows are sorted by length
// together.
const sortWindow = 32

// maxWidths is the most padding widths a set's batches use.
const maxWidths = 8

// widthStep is the granularity of the padding widths, in tokens.
const widthStep = 4

// epochOrder is the order training examples are visited in: steps batches
// of batch examples, drawn epoch after epoch from a fresh shuffle (seeded)
// and grouped by length within windows as described above. lengths[i] is
// the token length of example i (nil: no grouping, plain shuffles).
func epochOrder(lengths []int, n, steps, batch int, seed uint64) [][]int {
	var out [][]int
	for epoch := 0; len(out) < steps; epoch++ {
		r := rand.New(rand.NewPCG(seed, uint64(epoch)+0xe90c))
		perm := r.Perm(n)
		var batches [][]int
		if lengths == nil {
			for s := 0; s+batch <= n; s += batch {
				batches = append(batches, perm[s:s+batch])
			}
		} else {
			w := sortWindow * batch
			for s := 0; s < n; s += w {
				win := slices.Clone(perm[s:min(n, s+w)])
				sort.SliceStable(win, func(a, b int) bool { return lengths[win[a]] < lengths[win[b]] })
				for b := 0; b+batch <= len(win); b += batch {
					batches = append(batches, win[b:b+batch])
				}
			}
			r.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
		}
		if len(batches) == 0 { // fewer rows than a batch: the whole set, repeated
			batches = [][]int{perm}
		}
		out = append(out, batches...)
	}
	return out[:steps]
}

// chooseWidths picks at most maxWidths padding widths, multiples of
// widthStep, the largest covering the longest length, that minimise the
// padding of padding each length to the smallest width that holds it
// (an exact dynamic programme over the widths that can matter).
func chooseWidths(lengths []int) []int {
	if len(lengths) == 0 {
		return nil
	}
	up := func(l int) int { return (l + widthStep - 1) / widthStep * widthStep }
	count := map[int]int{} // rounded-up length → rows
	for _, l := range lengths {
		count[up(max(1, l))]++
	}
	var cands []int
	for w := range count {
		cands = append(cands, w)
	}
	sort.Ints(cands)
	k := min(maxWidths, len(cands))
	// cost(i, j): rows with rounded length in (cands[i-1], cands[j]] padded
	// to cands[j], counted in tokens (exactness of the rounding aside).
	n := len(cands)
	prefixRows, prefixLen := make([]int, n+1), make([]int, n+1)
	for i, w := range cands {
		prefixRows[i+1] = prefixRows[i] + count[w]
		prefixLen[i+1] = prefixLen[i] + count[w]*w
	}
	cost := func(i, j int) int { // cands[i..j] padded to cands[j]
		rows := prefixRows[j+1] - prefixRows[i]
		return rows*cands[j] - (prefixLen[j+1] - prefixLen[i])
	}
	const inf = int(^uint(0) >> 1)
	// best[m][j]: least padding covering cands[0..j] with m widths, the
	// last being cands[j].
	best := make([][]int, k+1)
	from := make([][]int, k+1)
	for m := range best {
		best[m] = make([]int, n)
		from[m] = make([]int, n)
		for j := range best[m] {
			best[m][j] = inf
		}
	}
	for j := range n {
		best[1][j] = cost(0, j)
	}
	for m := 2; m <= k; m++ {
		for j := m - 1; j < n; j++ {
			for i := m - 2; i < j; i++ {
				if best[m-1][i] == inf {
					continue
				}
				if c := best[m-1][i] + cost(i+1, j); c < best[m][j] {
					best[m][j], from[m][j] = c, i
				}
			}
		}
	}
	m := 1
	for mm := 2; mm <= k; mm++ {
		if best[mm][n-1] < best[m][n-1] {
			m = mm
		}
	}
	widths := make([]int, m)
	for j := n - 1; m > 0; m-- {
		widths[m-1] = cands[j]
		j = from[m][j]
	}
	return widths
}

// widthFor is the smallest of widths holding length l (the largest when
// none does).
func widthFor(widths []int, l int) int {
	i := sort.SearchInts(widths, l)
	if i == len(widths) {
		return widths[len(widths)-1]
	}
	return widths[i]
}

// widthSample is how many pool rows (and as many test rows) the task's
// padding widths are chosen from.
const widthSample = 4000

// widths are the padding widths of the task's inputs under tok: chosen
// from the lengths of an evenly spaced sample of the pool and of the test
// set (the same for every seed), computed once per runner and tokenizer.
func (r *Runner) widths(ctx context.Context, tok tokenizer.Tokenizer) ([]int, error) {
	key := tok.Name()
	r.mu.Lock()
	w, ok := r.widthsOf[key]
	r.mu.Unlock()
	if ok {
		return w, nil
	}
	if _, err := r.Splits(ctx); err != nil {
		return nil, err
	}
	var exs []tasks.Example
	for _, set := range [][]tasks.Example{r.data.Pool, r.data.Test} {
		step := max(1, len(set)/widthSample)
		for i := 0; i < len(set); i += step {
			exs = append(exs, set[i])
		}
	}
	w = chooseWidths(encode(tok, exs, r.Budget.MaxLen, r.Budget.truncateSide()).lengths())
	r.mu.Lock()
	if r.widthsOf == nil {
		r.widthsOf = map[string][]int{}
	}
	r.widthsOf[key] = w
	r.mu.Unlock()
	return w, nil
}
