package codecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/esbench/esbench/bench"
	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
	"github.com/esbench/esbench/target/inproc"
	"github.com/esbench/esbench/workload"
)

// InSitu is the cost of loading the replay account through the harness's
// own path with one codec: the service system the runner drives (repository,
// codec registry, aggregate) on an in-memory store holding the stream as
// that codec wrote it, without snapshots. Times are per event, medians over
// the loads.
type InSitu struct {
	Codec  string `json:"codec"`
	Events int    `json:"events"`
	Loads  int    `json:"loads"`
	// StoredBytes is the payload bytes of the stream as stored.
	StoredBytes int     `json:"stored_bytes"`
	TotalNs     float64 `json:"total_ns_per_event"`
	ReadNs      float64 `json:"read_ns_per_event"`
	DecodeNs    float64 `json:"decode_ns_per_event"`
	ApplyNs     float64 `json:"apply_ns_per_event"`
}

// MeasureInSitu writes corpus.Replay with c into a memory store and loads
// it through inproc.System until budget is spent (at least three
// loads), as `esbench run` with that codec would.
func MeasureInSitu(ctx context.Context, c codec.Codec, corpus *Corpus, budget time.Duration) (InSitu, error) {
	out := InSitu{Codec: c.ID(), Events: len(corpus.Replay)}
	if len(corpus.Replay) == 0 {
		return out, errors.New("codecs: the corpus has no replay stream")
	}
	reg := domain.NewRegistry()
	reg.AddCodec(c)
	id := store.StreamID{Customer: corpus.ReplayID, AggregateType: domain.TypeAccount, AggregateID: corpus.ReplayID}
	recs := make([]store.Record, len(corpus.Replay))
	for i, e := range corpus.Replay {
		env, err := reg.Encode(c.ID(), e.Value)
		if err != nil {
			return out, fmt.Errorf("codecs: %s: in-situ encode: %w", c.ID(), err)
		}
		recs[i] = store.Record{EventID: fmt.Sprintf("insitu-%d", i+1), Type: env.Type, SchemaVersion: env.SchemaVersion,
			Codec: env.Codec, Payload: env.Payload, RecordedAt: corpus.replayStart.Add(time.Duration(i) * time.Second)}
		out.StoredBytes += len(env.Payload)
	}
	mem := memory.New()
	if err := mem.Append(ctx, store.AppendRequest{Stream: id, ExpectedVersion: 0, Events: recs}); err != nil {
		return out, fmt.Errorf("codecs: in-situ append: %w", err)
	}
	sys, err := inproc.New(mem, inproc.Options{Registry: reg, Codec: c.ID(), Snapshot: "none", Start: corpus.replayStart})
	if err != nil {
		return out, fmt.Errorf("codecs: %w", err)
	}
	defer sys.Close()
	target := sys.Target(0)
	op := workload.Op{Kind: workload.OpLoad, CustomerID: corpus.ReplayID, At: corpus.replayStart}
	var loads []bench.Load
	start := time.Now()
	for len(loads) < 3 || time.Since(start) < budget {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var resp bench.Response
		if err := target.Do(ctx, &op, &resp); err != nil {
			return out, fmt.Errorf("codecs: %s: in-situ load: %w", c.ID(), err)
		}
		if len(resp.Loads) != 1 || resp.Loads[0].Replayed != len(recs) {
			return out, fmt.Errorf("codecs: %s: in-situ load replayed %+v, want one load of %d events", c.ID(), resp.Loads, len(recs))
		}
		loads = append(loads, resp.Loads[0])
	}
	out.Loads = len(loads)
	n := float64(len(recs))
	median := func(f func(bench.Load) time.Duration) float64 {
		ds := make([]time.Duration, len(loads))
		for i, l := range loads {
			ds[i] = f(l)
		}
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Nanoseconds()) / n
	}
	out.TotalNs = median(func(l bench.Load) time.Duration { return l.Total })
	out.ReadNs = median(func(l bench.Load) time.Duration { return l.EventRead })
	out.DecodeNs = median(func(l bench.Load) time.Duration { return l.Decode })
	out.ApplyNs = median(func(l bench.Load) time.Duration { return l.Apply })
	return out, nil
}
