package tasks

import (
	"strconv"
	"strings"
)

// PhraseMinWords is the shortest phrase that ties rows together in
// PhraseGroups: shorter phrases ("the film", "is n't") recur in many
// unrelated sentences.
const PhraseMinWords = 4

// PhraseGroups groups the rows of a treebank-style pool, where training
// rows are phrases of the same sentences (SST-2: 67 k phrases of 6.9 k
// sentences), so that no phrase of a sentence lands in one split and the
// sentence, or another of its phrases, in another split. Texts are
// compared as whitespace-separated words.
//
// A row of at least PhraseMinWords words joins the group of every row it
// is a contiguous part of and of every row that is part of it (union
// over containment). A shorter row joins the group of the longer rows
// containing it when they all lie in one group, and is a group of its own
// otherwise (a phrase common to several sentences). Every row's Group is set to
// "phrase:<index of the group's first row>".
//
// Pool rows whose group shares a phrase of at least PhraseMinWords words
// with a test row (either way) would leak the test set into training: their
// indices are returned, to be dropped.
func PhraseGroups(pool, test []Example) (leaks []int) {
	n := len(pool)
	words := make([][]string, n+len(test))
	index := map[string][]int{} // text → rows (pool rows 0…n−1, test rows n…)
	for i := range words {
		text := ""
		if i < n {
			text = pool[i].Text
		} else {
			text = test[i-n].Text
		}
		words[i] = strings.Fields(text)
		k := strings.Join(words[i], " ")
		index[k] = append(index[k], i)
	}
	u := newUnionFind(len(words))
	containers := map[int][]int{} // short pool row → the long rows containing it
	for i, w := range words {
		for a := range w {
			for b := a + 1; b <= len(w); b++ {
				if b-a == len(w) {
					continue // the row itself
				}
				for _, j := range index[strings.Join(w[a:b], " ")] {
					switch {
					case b-a >= PhraseMinWords:
						u.union(i, j)
					case j < n && len(w) >= PhraseMinWords:
						containers[j] = append(containers[j], i)
					}
				}
			}
		}
	}
	// Identical texts are one group.
	for _, rows := range index {
		for _, j := range rows[1:] {
			u.union(rows[0], j)
		}
	}
	// Short rows inside the long rows of exactly one group join it. The
	// groups of long rows are final here, so the order does not matter.
	join := map[int]int{}
	for j, cs := range containers {
		root := u.find(cs[0])
		one := true
		for _, c := range cs[1:] {
			if u.find(c) != root {
				one = false
				break
			}
		}
		if one {
			join[j] = root
		}
	}
	for j, root := range join {
		u.union(j, root)
	}
	first := map[int]int{} // root → first pool row of its group
	testRoot := map[int]bool{}
	for i := n; i < len(words); i++ {
		testRoot[u.find(i)] = true
	}
	for i := range n {
		r := u.find(i)
		if testRoot[r] {
			leaks = append(leaks, i)
			continue
		}
		if _, ok := first[r]; !ok {
			first[r] = i
		}
		pool[i].Group = "phrase:" + strconv.Itoa(first[r])
	}
	return leaks
}

// unionFind is a disjoint-set forest with path halving.
type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(x int) int {
	for u[x] != x {
		u[x] = u[u[x]]
		x = u[x]
	}
	return x
}

func (u unionFind) union(a, b int) {
	if a, b = u.find(a), u.find(b); a != b {
		u[a] = b
	}
}
