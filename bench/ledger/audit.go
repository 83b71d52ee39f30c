package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"

	"github.com/esbench/esbench/refimpl/store"
)

// MaxExamples is how many examples of each kind of problem a Report keeps.
const MaxExamples = 10

// Report is what an audit found. Counts are of events unless named
// otherwise.
type Report struct {
	// Ledgers is how many ledger files were audited, Streams how many
	// streams they name.
	Ledgers int `json:"ledgers"`
	Streams int `json:"streams"`
	// Acknowledged counts distinct acknowledged (stream, version, event id)
	// entries; Found those stored as acknowledged.
	Acknowledged int64 `json:"acknowledged"`
	Found        int64 `json:"found"`
	// Lost counts acknowledged events stored nowhere in their stream;
	// Misplaced those stored only at another version than acknowledged.
	Lost      int64 `json:"lost"`
	Misplaced int64 `json:"misplaced"`
	// Duplicated counts acknowledged event ids stored at more than one
	// version of their stream.
	Duplicated int64 `json:"duplicated"`
	// Divergent counts versions of audited streams that hold two or more
	// different events; AckedTwice counts versions at which the ledger
	// holds two different acknowledged events (both writers were told yes).
	Divergent  int64 `json:"divergent_versions"`
	AckedTwice int64 `json:"acknowledged_twice"`
	// Unknown counts appends (calls) whose outcome was unknown, resolved as
	// present (every event stored), absent (none) or partial (some: an
	// atomic append half applied).
	Unknown        int64 `json:"unknown"`
	UnknownPresent int64 `json:"unknown_present"`
	UnknownAbsent  int64 `json:"unknown_absent"`
	UnknownPartial int64 `json:"unknown_partial"`
	// Gaps counts versions missing below the highest stored version of an
	// audited stream.
	Gaps int64 `json:"gaps"`
	// TornTails counts ledgers whose last line was cut short (esbench was
	// killed while writing it).
	TornTails int `json:"torn_tails"`
	// Examples describes the first problems of each kind.
	Examples []string `json:"examples,omitempty"`
}

// OK reports whether nothing acknowledged was lost, misplaced or
// duplicated, no version holds two different events and no unknown append
// was half applied.
func (r *Report) OK() bool {
	return r.Lost == 0 && r.Misplaced == 0 && r.Duplicated == 0 && r.Divergent == 0 && r.AckedTwice == 0 && r.UnknownPartial == 0
}

func (r *Report) example(format string, a ...any) {
	if len(r.Examples) < MaxExamples {
		r.Examples = append(r.Examples, fmt.Sprintf(format, a...))
	}
}

// WriteText prints the report as a short table.
func (r *Report) WriteText(w io.Writer) error {
	verdict := "OK: nothing acknowledged was lost, and every version holds one event"
	if !r.OK() {
		verdict = "FAILED"
	}
	_, err := fmt.Fprintf(w, `audit of %d ledger(s), %d streams
  acknowledged        %d
  found               %d
  lost                %d
  misplaced           %d
  duplicated          %d
  divergent versions  %d
  acknowledged twice  %d
  unknown outcomes    %d (present %d, absent %d, partial %d)
  gaps                %d
%s
`, r.Ledgers, r.Streams, r.Acknowledged, r.Found, r.Lost, r.Misplaced, r.Duplicated, r.Divergent, r.AckedTwice,
		r.Unknown, r.UnknownPresent, r.UnknownAbsent, r.UnknownPartial, r.Gaps, verdict)
	if err != nil {
		return err
	}
	if r.TornTails > 0 {
		if _, err := fmt.Fprintf(w, "note: %d ledger(s) end in a torn line (esbench was killed); the appends it held are not checked\n", r.TornTails); err != nil {
			return err
		}
	}
	for _, e := range r.Examples {
		if _, err := fmt.Fprintf(w, "  - %s\n", e); err != nil {
			return err
		}
	}
	return nil
}

// rows reads every stored event of a stream: the raw rows where the
// backend hides some from its loads, else LoadAudit (both tiers).
func rows(ctx context.Context, st store.Store, s store.StreamID) iter.Seq2[store.Record, error] {
	if rr, ok := st.(store.RawReader); ok {
		return rr.ReadRaw(ctx, s)
	}
	return st.LoadAudit(ctx, s)
}

type entry struct {
	version uint64
	id      string
}

// Audit reads every stream the ledgers name from st and checks the
// ledgers' entries against what is stored. All ledgers must have been
// written against st.
func Audit(ctx context.Context, st store.Store, ledgers []*Ledger) (*Report, error) {
	rep := &Report{Ledgers: len(ledgers)}
	acked := map[store.StreamID]map[entry]struct{}{}
	var order []store.StreamID
	stream := func(s store.StreamID) map[entry]struct{} {
		m, ok := acked[s]
		if !ok {
			m = map[entry]struct{}{}
			acked[s] = m
			order = append(order, s)
		}
		return m
	}
	var unknown [][]Append
	inUnknown := map[store.StreamID]bool{}
	for _, l := range ledgers {
		if l.TornTail {
			rep.TornTails++
		}
		for _, a := range l.Acked {
			m := stream(a.Stream)
			for i, id := range a.EventIDs {
				m[entry{a.First + uint64(i), id}] = struct{}{}
			}
		}
		for _, call := range l.Unknown {
			for _, a := range call {
				stream(a.Stream)
				inUnknown[a.Stream] = true
			}
			unknown = append(unknown, call)
		}
	}
	rep.Streams = len(order)
	// stored[stream][version] = distinct event ids at that version, kept for
	// the streams that unknown outcomes must be resolved against.
	stored := map[store.StreamID]map[uint64][]string{}
	for _, s := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		byVersion := map[uint64][]string{}
		byID := map[string][]uint64{}
		var maxV uint64
		for r, err := range rows(ctx, st, s) {
			if err != nil {
				var de *store.DivergenceError
				if errors.As(err, &de) {
					// A backend without raw reads reports what it hides.
					byVersion[de.Version] = appendNew(byVersion[de.Version], de.Other)
					byID[de.Other] = append(byID[de.Other], de.Version)
					continue
				}
				return nil, fmt.Errorf("audit: reading %s: %w", s, err)
			}
			byVersion[r.Version] = appendNew(byVersion[r.Version], r.EventID)
			if !slices.Contains(byID[r.EventID], r.Version) {
				byID[r.EventID] = append(byID[r.EventID], r.Version)
			}
			maxV = max(maxV, r.Version)
		}
		if inUnknown[s] {
			stored[s] = byVersion
		}
		for v := uint64(1); v <= maxV; v++ {
			ids, ok := byVersion[v]
			if !ok {
				rep.Gaps++
				continue
			}
			if len(ids) > 1 {
				rep.Divergent++
				rep.example("divergent: %s version %d holds %d different events %v", s, v, len(ids), ids)
			}
		}
		ackedAt := map[uint64][]string{}
		for _, e := range sortedEntries(acked[s]) {
			rep.Acknowledged++
			ackedAt[e.version] = append(ackedAt[e.version], e.id)
			vs := byID[e.id]
			switch {
			case slices.Contains(vs, e.version):
				rep.Found++
			case len(vs) > 0:
				rep.Misplaced++
				rep.example("misplaced: %s event %s acknowledged at version %d, stored at %v", s, e.id, e.version, vs)
			default:
				rep.Lost++
				rep.example("lost: %s event %s acknowledged at version %d", s, e.id, e.version)
			}
			if len(vs) > 1 {
				rep.Duplicated++
				rep.example("duplicated: %s event %s stored at versions %v", s, e.id, vs)
			}
		}
		for _, v := range sortedKeys(ackedAt) {
			if ids := ackedAt[v]; len(ids) > 1 {
				rep.AckedTwice++
				rep.example("acknowledged twice: %s version %d acknowledged for %v", s, v, ids)
			}
		}
	}
	for _, call := range unknown {
		rep.Unknown++
		var n, found int
		for _, a := range call {
			for i, id := range a.EventIDs {
				n++
				if slices.Contains(stored[a.Stream][a.First+uint64(i)], id) {
					found++
				}
			}
		}
		switch found {
		case n:
			rep.UnknownPresent++
		case 0:
			rep.UnknownAbsent++
		default:
			rep.UnknownPartial++
			rep.example("partial: an append of unknown outcome to %s has %d of its %d events stored", call[0].Stream, found, n)
		}
	}
	return rep, nil
}

func appendNew(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

func sortedEntries(m map[entry]struct{}) []entry {
	out := slices.Collect(maps.Keys(m))
	slices.SortFunc(out, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.version, b.version), cmp.Compare(a.id, b.id))
	})
	return out
}

func sortedKeys(m map[uint64][]string) []uint64 {
	return slices.Sorted(maps.Keys(m))
}
