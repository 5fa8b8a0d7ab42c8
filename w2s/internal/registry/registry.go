// Package registry is a named set of things (tasks, corpora) that packages
// fill at init and users may extend: lookups name what is known when a
// name is not.
package registry

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Registry maps names to values; safe for concurrent use.
type Registry[T any] struct {
	kind  string // "task", "corpus": for error messages
	mu    sync.Mutex
	items map[string]T
}

// New returns an empty registry of things called kind.
func New[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, items: map[string]T{}}
}

// Add registers v under name; a taken name is an error.
func (r *Registry[T]) Add(name string, v T) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.items[name]; dup {
		return fmt.Errorf("a %s named %q is already registered", r.kind, name)
	}
	r.items[name] = v
	return nil
}

// Lookup returns the value of name and whether it is registered.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.items[name]
	return v, ok
}

// Get returns the value of name, or an error listing the known names.
func (r *Registry[T]) Get(name string) (T, error) {
	v, ok := r.Lookup(name)
	if !ok {
		return v, fmt.Errorf("unknown %s %q (known: %s)", r.kind, name, strings.Join(r.Names(), ", "))
	}
	return v, nil
}

// Names lists the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.items))
	for n := range r.items {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
