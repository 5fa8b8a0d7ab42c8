package stage

import (
	"sort"
	"strings"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/store"
)

// NotRecorded stands for the backend of an artifact stored before
// artifacts recorded theirs.
const NotRecorded = "not recorded"

// backendLabel is the label of the runner's backend (backend.Info.Label),
// recorded in every artifact it computes.
func (r *Runner) backendLabel() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.madeBy == "" && r.Backend != nil {
		r.madeBy = backend.Describe(r.Backend).Label()
	}
	return r.madeBy
}

// BackendSeparator separates the labels of the backends a result names.
const BackendSeparator = " | "

// madeBy names the backends that computed the artifacts (their labels,
// sorted, separated by BackendSeparator): one label when a single backend
// made them all, several when a store mixed results of different backends.
func madeBy(arts ...*store.Artifact) string {
	seen := map[string]bool{}
	var labels []string
	for _, a := range arts {
		if a == nil {
			continue
		}
		l := a.Backend
		if l == "" {
			l = NotRecorded
		}
		if !seen[l] {
			seen[l] = true
			labels = append(labels, l)
		}
	}
	sort.Strings(labels)
	return strings.Join(labels, BackendSeparator)
}

func trainedArtifact(t *Trained) *store.Artifact {
	if t == nil {
		return nil
	}
	return t.Artifact
}
