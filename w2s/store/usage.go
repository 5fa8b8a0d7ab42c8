package store

// State is how a listing shows the entry: "ok", "leftover", or "corrupt: "
// followed by what is wrong with it.
func (e Entry) State() string {
	switch {
	case e.Leftover:
		return "leftover"
	case e.Err != nil:
		return "corrupt: " + e.Err.Error()
	}
	return "ok"
}

// KindUsage is the disk use of the entries of one kind.
type KindUsage struct {
	Kind  string
	Count int
	Bytes int64
}

// Usage is the disk use of a set of entries, in all and per kind.
type Usage struct {
	Kinds []KindUsage // in the order each kind first appears
	Count int
	Bytes int64
}

// Summarize adds up the disk use of entries.
func Summarize(entries []Entry) Usage {
	var u Usage
	index := map[string]int{}
	for _, e := range entries {
		i, ok := index[e.Kind]
		if !ok {
			i = len(u.Kinds)
			index[e.Kind] = i
			u.Kinds = append(u.Kinds, KindUsage{Kind: e.Kind})
		}
		u.Kinds[i].Count++
		u.Kinds[i].Bytes += e.Bytes
		u.Count++
		u.Bytes += e.Bytes
	}
	return u
}

// DiskUsage is the disk use of every artifact in the store, leftovers of
// interrupted computations included.
func (s *Store) DiskUsage() (Usage, error) {
	entries, err := s.List("")
	if err != nil {
		return Usage{}, err
	}
	return Summarize(entries), nil
}
