package repository

import (
	"fmt"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
)

// tally is a minimal Snapshotter for repository tests that need no business
// rules: it sums Added events and remembers the order they came in, so a
// skipped, doubled or reordered event changes its state.
type tally struct {
	id      string
	version uint64
	sum     int
	trail   []int
}

type added struct{ N int }

func (added) EventType() string { return "TallyAdded" }

type tallySnap struct {
	ID    string
	Sum   int
	Trail []int
}

const typeTally = "Tally"

func newTally(id string) *tally { return &tally{id: id} }

func (t *tally) AggregateType() string { return typeTally }
func (t *tally) Version() uint64       { return t.version }

func (t *tally) Apply(v uint64, e domain.Event) error {
	if v != t.version+1 {
		return fmt.Errorf("tally %s: version %d after %d", t.id, v, t.version)
	}
	a, ok := e.(*added)
	if !ok {
		return fmt.Errorf("tally %s: unexpected event %T", t.id, e)
	}
	t.version = v
	t.sum += a.N
	t.trail = append(t.trail, a.N)
	return nil
}

func (t *tally) SnapshotState() any {
	return &tallySnap{ID: t.id, Sum: t.sum, Trail: append([]int(nil), t.trail...)}
}

func (t *tally) RestoreSnapshot(v uint64, snap any) error {
	s, ok := snap.(*tallySnap)
	if !ok {
		return fmt.Errorf("tally %s: snapshot is %T", t.id, snap)
	}
	if s.ID != t.id {
		return fmt.Errorf("tally %s: snapshot of %s", t.id, s.ID)
	}
	*t = tally{id: s.ID, version: v, sum: s.Sum, trail: append([]int(nil), s.Trail...)}
	return nil
}

// tallyRegistry knows the tally types under both standard codecs.
func tallyRegistry() *codec.Registry {
	reg := codec.NewRegistry(codec.JSON{}, codec.Gob{})
	reg.Register("TallyAdded", 1, func() any { return &added{} }, nil)
	reg.Register("TallySnapshot", 1, func() any { return &tallySnap{} }, nil)
	return reg
}
