// Package codecs is the codec matrix experiment: one seeded event corpus for
// every codec, the cost of each codec on it (encode and decode time,
// allocations, bytes per event, snapshot size and time, compressed sizes,
// replay cost per event) and the schema evolution matrix, written as a
// results directory and a table. The Go benchmarks in this package measure
// the same things in benchstat-compatible form.
package codecs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/esbench/esbench/bench"
	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/msgp"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// CorpusOptions say which corpus to build. The same options always build the
// same corpus.
type CorpusOptions struct {
	// Seed seeds the workload generator.
	Seed uint64 `json:"seed"`
	// Customers is how many customers of the default workload's population
	// have their preloaded histories turned into the event corpus.
	Customers int `json:"customers"`
	// Histories are the account history lengths (in events) whose snapshots
	// the corpus holds.
	Histories []int `json:"histories"`
}

// DefaultCorpusOptions is the corpus of esbench codecs and of the Go
// benchmarks: 200 customers of the default workload (about 6,000 events)
// and account snapshots after 10, 100 and 1,000 events.
func DefaultCorpusOptions() CorpusOptions {
	return CorpusOptions{Seed: 1, Customers: 200, Histories: []int{10, 100, 1000}}
}

// Event is one corpus event: its registered type name and a pointer to the
// domain event.
type Event struct {
	Type  string
	Value any
}

// Snapshot is one aggregate snapshot of the corpus.
type Snapshot struct {
	// Type is the snapshot's registered type (domain.TypeAccount or
	// domain.TypeLicense).
	Type string
	// History is the number of events folded into it.
	History int
	Value   any
}

// Name is the snapshot's label in results ("DownloadAccount@1000").
func (s Snapshot) Name() string { return fmt.Sprintf("%s@%d", s.Type, s.History) }

// Corpus is the event and snapshot corpus every codec is measured on.
type Corpus struct {
	Options CorpusOptions
	// Events are in stream order, stream after stream.
	Events []Event
	// Streams holds, per stream, the indexes of its events in Events.
	Streams [][]int
	// Snapshots are the account snapshots of Options.Histories, then the
	// snapshot of the longest license stream.
	Snapshots []Snapshot
	// Replay is the account stream behind the longest account snapshot
	// (the events a replay of that account decodes and applies), and
	// ReplayID its customer.
	Replay   []Event
	ReplayID string
	// replayStart is the workload's start, the simulated "now" of loads.
	replayStart time.Time
}

// Types lists the event types present, most frequent first.
func (c *Corpus) Types() []string {
	counts := c.Counts()
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b string) int {
		if n := cmp.Compare(counts[b], counts[a]); n != 0 {
			return n
		}
		return cmp.Compare(a, b)
	})
	return types
}

// Counts returns the number of events of each type.
func (c *Corpus) Counts() map[string]int {
	m := map[string]int{}
	for _, e := range c.Events {
		m[e.Type]++
	}
	return m
}

// OfType returns the events of type typ.
func (c *Corpus) OfType(typ string) []Event {
	var out []Event
	for _, e := range c.Events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// BuildCorpus generates the corpus: the preload histories of the first
// Customers customers of the "default" workload preset (with Seed) are
// executed by the reference service (the real decide functions, on an
// in-memory store), and every event it appended is read back, so the event
// types come in the proportions the workload produces. The snapshots are
// folded by the domain aggregates from preloaded accounts with exactly the
// requested history lengths.
func BuildCorpus(ctx context.Context, opts CorpusOptions) (*Corpus, error) {
	if opts.Customers < 1 {
		return nil, fmt.Errorf("codecs: corpus customers %d: want at least 1", opts.Customers)
	}
	for _, h := range opts.Histories {
		if h < 3 || h > 100_000 {
			return nil, fmt.Errorf("codecs: corpus history %d: want 3 to 100000 events", h)
		}
	}
	spec, err := workload.Preset("default")
	if err != nil {
		return nil, fmt.Errorf("codecs: %w", err)
	}
	spec.Seed = opts.Seed
	// The default preset's population may be smaller than the corpus.
	spec.Population.Customers = max(spec.Population.Customers, uint64(opts.Customers))
	w, err := workload.New(spec, inproc.WorkloadOptions(""))
	if err != nil {
		return nil, fmt.Errorf("codecs: default workload: %w", err)
	}
	var ids []uint64
	w.ShardCustomers(func(id uint64) bool {
		ids = append(ids, id)
		return len(ids) < opts.Customers
	})
	// msgp and a snapshot every 20 events keep the preload fast: the
	// repository replays each stream for every command.
	reg := domain.NewRegistry(msgp.Codec{})
	streams, err := preload(ctx, w, reg, ids)
	if err != nil {
		return nil, err
	}
	c := &Corpus{Options: opts, replayStart: spec.Start}
	for _, s := range streams {
		idx := make([]int, len(s.events))
		for i, e := range s.events {
			idx[i] = len(c.Events)
			c.Events = append(c.Events, e)
		}
		c.Streams = append(c.Streams, idx)
	}
	if len(opts.Histories) > 0 {
		snaps, replay, err := snapshots(ctx, spec, reg, opts.Histories)
		if err != nil {
			return nil, err
		}
		c.Snapshots = append(c.Snapshots, snaps...)
		c.Replay, c.ReplayID = replay.events, replay.id.AggregateID
	}
	// The license snapshot: the longest license stream of the event corpus.
	var longest *streamEvents
	for i := range streams {
		s := &streams[i]
		if s.id.AggregateType == domain.TypeLicense && (longest == nil || len(s.events) > len(longest.events)) {
			longest = s
		}
	}
	if longest != nil {
		snap, err := fold(longest)
		if err != nil {
			return nil, err
		}
		c.Snapshots = append(c.Snapshots, Snapshot{Type: domain.TypeLicense, History: len(longest.events), Value: snap})
	}
	return c, nil
}

type streamEvents struct {
	id     store.StreamID
	events []Event
}

// preload runs the preload operations of customers ids through the
// reference service on a memory store and returns every stream's events,
// account stream first, then its license streams.
func preload(ctx context.Context, w *workload.Workload, reg *codec.Registry, ids []uint64) ([]streamEvents, error) {
	mem := memory.New()
	sys, err := inproc.New(mem, inproc.Options{Registry: reg, Codec: msgp.ID, Snapshot: "every:20", Start: w.Spec().Start})
	if err != nil {
		return nil, fmt.Errorf("codecs: %w", err)
	}
	defer sys.Close()
	pre, err := w.PreloadCustomers(ids)
	if err != nil {
		return nil, fmt.Errorf("codecs: %w", err)
	}
	target := sys.Target(0)
	var op workload.Op
	var resp bench.Response
	ops, failed := 0, 0
	var firstErr error
	for pre.Next(&op) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		resp = bench.Response{}
		ops++
		if err := target.Do(ctx, &op, &resp); err != nil {
			failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("%s for %s: %w", op.Kind, op.CustomerID, err)
			}
		}
	}
	// Preload simulates the policy, so the service should accept it all; a
	// few failures would still leave a usable corpus, many mean a bug.
	if failed*100 > ops {
		return nil, fmt.Errorf("codecs: %d of %d preload operations failed, first: %w", failed, ops, firstErr)
	}
	var out []streamEvents
	for _, id := range ids {
		cust := workload.CustomerID(id)
		acct := store.StreamID{Customer: cust, AggregateType: domain.TypeAccount, AggregateID: cust}
		events, err := readStream(ctx, mem, reg, acct)
		if err != nil {
			return nil, err
		}
		out = append(out, streamEvents{id: acct, events: events})
		for _, e := range events {
			g, ok := e.Value.(*domain.DownloadGranted)
			if !ok {
				continue
			}
			lic := store.StreamID{Customer: cust, AggregateType: domain.TypeLicense, AggregateID: g.LicenseID}
			levents, err := readStream(ctx, mem, reg, lic)
			if err != nil {
				return nil, err
			}
			if len(levents) > 0 {
				out = append(out, streamEvents{id: lic, events: levents})
			}
		}
	}
	return out, nil
}

func readStream(ctx context.Context, st store.EventStore, reg *codec.Registry, id store.StreamID) ([]Event, error) {
	var out []Event
	for rec, err := range st.Load(ctx, id, 0) {
		if err != nil {
			return nil, fmt.Errorf("codecs: load %s: %w", id, err)
		}
		v, err := reg.Decode(codec.Envelope{Type: rec.Type, SchemaVersion: rec.SchemaVersion, Codec: rec.Codec, Payload: rec.Payload})
		if err != nil {
			return nil, fmt.Errorf("codecs: %s version %d: %w", id, rec.Version, err)
		}
		out = append(out, Event{Type: rec.Type, Value: v})
	}
	return out, nil
}

// snapshots preloads one customer of each history length (the default
// workload with the groups history distribution) and folds its account.
func snapshots(ctx context.Context, base *workload.Spec, reg *codec.Registry, histories []int) ([]Snapshot, streamEvents, error) {
	var longest streamEvents
	spec := *base
	spec.Population.History = workload.HistorySpec{Distribution: workload.HistoryGroups, Lengths: histories, Span: base.Population.History.Span}
	spec.Population.Customers = uint64(10 * len(histories))
	spec.Arrival.Workers = 1 // only preload runs; measured workers each need customers of their own
	w, err := workload.New(&spec, inproc.WorkloadOptions(""))
	if err != nil {
		return nil, longest, fmt.Errorf("codecs: snapshot workload: %w", err)
	}
	var out []Snapshot
	for _, h := range histories {
		ids := w.CustomersWithHistory(h, 1)
		if len(ids) == 0 {
			return nil, longest, fmt.Errorf("codecs: no customer with a history of %d events", h)
		}
		streams, err := preload(ctx, w, reg, ids)
		if err != nil {
			return nil, longest, err
		}
		snap, err := fold(&streams[0])
		if err != nil {
			return nil, longest, err
		}
		out = append(out, Snapshot{Type: domain.TypeAccount, History: len(streams[0].events), Value: snap})
		if len(streams[0].events) > len(longest.events) {
			longest = streams[0]
		}
	}
	return out, longest, nil
}

// fold replays a stream's events into a fresh aggregate and returns its
// snapshot state.
func fold(s *streamEvents) (any, error) {
	agg, err := domain.NewAggregate(s.id.AggregateType, s.id.AggregateID)
	if err != nil {
		return nil, fmt.Errorf("codecs: %w", err)
	}
	for i, e := range s.events {
		ev, ok := e.Value.(domain.Event)
		if !ok {
			return nil, fmt.Errorf("codecs: %s event %d: %T is not a domain event", s.id, i+1, e.Value)
		}
		if err := agg.Apply(uint64(i+1), ev); err != nil {
			return nil, fmt.Errorf("codecs: fold %s: %w", s.id, err)
		}
	}
	if len(s.events) == 0 {
		return nil, errors.New("codecs: fold of an empty stream")
	}
	return agg.SnapshotState(), nil
}
