package codecs

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"time"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/codec/compress"
	"github.com/esbench/esbench/refimpl/codec/evolution"
	"github.com/esbench/esbench/refimpl/codec/flatbuf"
	"github.com/esbench/esbench/refimpl/domain"
)

// Options configure a measurement.
type Options struct {
	// Codecs are the codec ids to measure, all of them when empty.
	Codecs []string
	// Compressors are the compressors applied to snapshots and batches
	// ("zstd", "s2", "lz4"); the defaults when empty.
	Compressors []string
	// Budget is the time spent measuring each cell (one codec on one event
	// type, one snapshot, ...); more gives steadier numbers.
	Budget time.Duration
	// BatchSize is the number of events per compressed batch.
	BatchSize int
}

// DefaultOptions measures every codec with 50 ms per cell and batches of
// 100 events.
func DefaultOptions() Options {
	return Options{Budget: 50 * time.Millisecond, BatchSize: 100, Compressors: []string{"zstd", "s2", "lz4"}}
}

// Cost is the measured cost of one operation.
type Cost struct {
	// Ns is nanoseconds per operation.
	Ns float64 `json:"ns"`
	// Allocs and AllocBytes are heap allocations per operation.
	Allocs     float64 `json:"allocs"`
	AllocBytes float64 `json:"alloc_bytes"`
}

// EventCost is one codec on one event type.
type EventCost struct {
	Codec string `json:"codec"`
	Type  string `json:"type"`
	// Events is how many corpus events have this type.
	Events int `json:"events"`
	// Bytes is the mean payload size.
	Bytes  float64 `json:"bytes"`
	Encode Cost    `json:"encode"`
	// Decode includes allocating the value decoded into, as the registry
	// does.
	Decode Cost `json:"decode"`
	// DecodeOwned is Decode of a payload handed over to the value, as a
	// load decodes a stored record (codec.Registry.DecodeOwned): without
	// copying out of it where the codec can (codec.AliasUnmarshaler),
	// else the same as Decode.
	DecodeOwned Cost `json:"decode_owned"`
}

// CodecTotal is one codec over the whole corpus: per-type costs weighted by
// the types' shares of the corpus, i.e. the mean cost per event.
type CodecTotal struct {
	Codec         string  `json:"codec"`
	BytesPerEvent float64 `json:"bytes_per_event"`
	Encode        Cost    `json:"encode"`
	Decode        Cost    `json:"decode"`
	DecodeOwned   Cost    `json:"decode_owned"`
	// Replay is the cost per event of replaying Corpus.Replay: decode
	// through the codec registry (DecodeOwned, as the repository decodes
	// stored records) and Apply to the domain aggregate, the CPU part of an
	// aggregate load.
	Replay Cost `json:"replay"`
}

// Compressed is one payload (or batch) after one compressor.
type Compressed struct {
	Compressor string  `json:"compressor"`
	Bytes      float64 `json:"bytes"`
	Compress   Cost    `json:"compress"`
	Decompress Cost    `json:"decompress"`
}

// SnapshotCost is one codec on one snapshot.
type SnapshotCost struct {
	Codec      string       `json:"codec"`
	Snapshot   string       `json:"snapshot"`
	Bytes      int          `json:"bytes"`
	Encode     Cost         `json:"encode"`
	Decode     Cost         `json:"decode"`
	Compressed []Compressed `json:"compressed"`
}

// BatchCost is one codec's corpus in compressed batches; sizes and times
// are per event.
type BatchCost struct {
	Codec      string       `json:"codec"`
	BatchSize  int          `json:"batch_size"`
	Raw        float64      `json:"raw_bytes_per_event"`
	Compressed []Compressed `json:"compressed"`
}

// FieldRead compares reading one field of a FlatBuffers DownloadGranted in
// place with decoding all of it.
type FieldRead struct {
	ReadOneField   Cost `json:"read_one_field"`
	DecodeAll      Cost `json:"decode_all"`
	ProtobufDecode Cost `json:"protobuf_decode_all"`
}

// Env describes the machine and toolchain.
type Env struct {
	Go         string `json:"go"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPU        string `json:"cpu,omitempty"`
	Date       string `json:"date"`
}

// Results is everything esbench codecs measures; codecs.json holds it.
type Results struct {
	Schema       int              `json:"schema"`
	Env          Env              `json:"env"`
	Corpus       CorpusOptions    `json:"corpus"`
	CorpusEvents int              `json:"corpus_events"`
	CorpusCounts map[string]int   `json:"corpus_counts"`
	ReplayEvents int              `json:"replay_events"`
	BudgetNs     int64            `json:"budget_ns"`
	Totals       []CodecTotal     `json:"totals"`
	Events       []EventCost      `json:"events"`
	Snapshots    []SnapshotCost   `json:"snapshots"`
	Batches      []BatchCost      `json:"batches"`
	Flatbuf      *FieldRead       `json:"flatbuf_field_read,omitempty"`
	InSitu       []InSitu         `json:"in_situ"`
	Evolution    evolution.Matrix `json:"evolution"`
}

// ResultsSchema is the version of the codecs.json layout.
const ResultsSchema = 1

// Measure runs every measurement on the corpus. It checks first that every
// selected codec round-trips the whole corpus (a codec that changes a value
// is not worth timing) and returns an error naming the first that does not.
func Measure(ctx context.Context, corpus *Corpus, opts Options) (*Results, error) {
	if opts.Budget <= 0 {
		opts.Budget = DefaultOptions().Budget
	}
	if opts.BatchSize < 1 {
		opts.BatchSize = DefaultOptions().BatchSize
	}
	if len(opts.Compressors) == 0 {
		opts.Compressors = DefaultOptions().Compressors
	}
	cs, err := catalog.Select(opts.Codecs)
	if err != nil {
		return nil, err
	}
	var zs []compress.Compressor
	for _, id := range opts.Compressors {
		z, err := compress.New(id)
		if err != nil {
			return nil, err
		}
		zs = append(zs, z)
	}
	res := &Results{Schema: ResultsSchema, Env: environment(), Corpus: corpus.Options, CorpusEvents: len(corpus.Events),
		CorpusCounts: corpus.Counts(), ReplayEvents: len(corpus.Replay), BudgetNs: opts.Budget.Nanoseconds()}
	m := meter{ctx: ctx, budget: opts.Budget}
	for _, c := range cs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := RoundTrip(c, corpus); err != nil {
			return nil, err
		}
		total := CodecTotal{Codec: c.ID()}
		for _, typ := range corpus.Types() {
			ec, err := m.eventCost(c, typ, corpus.OfType(typ))
			if err != nil {
				return nil, err
			}
			res.Events = append(res.Events, ec)
			w := float64(ec.Events) / float64(len(corpus.Events))
			total.BytesPerEvent += w * ec.Bytes
			total.Encode = total.Encode.add(ec.Encode.scale(w))
			total.Decode = total.Decode.add(ec.Decode.scale(w))
			total.DecodeOwned = total.DecodeOwned.add(ec.DecodeOwned.scale(w))
		}
		if len(corpus.Replay) > 0 {
			if total.Replay, err = m.replayCost(c, corpus); err != nil {
				return nil, err
			}
		}
		res.Totals = append(res.Totals, total)
		if len(corpus.Replay) > 0 {
			is, err := MeasureInSitu(ctx, c, corpus, opts.Budget)
			if err != nil {
				return nil, err
			}
			res.InSitu = append(res.InSitu, is)
		}
		for _, s := range corpus.Snapshots {
			sc, err := m.snapshotCost(c, s, zs)
			if err != nil {
				return nil, err
			}
			res.Snapshots = append(res.Snapshots, sc)
		}
		bc, err := m.batchCost(c, corpus, zs, opts.BatchSize)
		if err != nil {
			return nil, err
		}
		res.Batches = append(res.Batches, bc)
		if c.ID() == flatbuf.ID {
			if res.Flatbuf, err = m.fieldRead(c, corpus); err != nil {
				return nil, err
			}
		}
	}
	if res.Evolution, err = evolution.Compute(); err != nil {
		return nil, err
	}
	return res, nil
}

// RoundTrip checks that c encodes and decodes every corpus event and
// snapshot to an equal value.
func RoundTrip(c codec.Codec, corpus *Corpus) error {
	check := func(what string, v any) error {
		b, err := c.Marshal(v)
		if err != nil {
			return fmt.Errorf("codecs: %s: encode %s: %w", c.ID(), what, err)
		}
		got := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := c.Unmarshal(b, got); err != nil {
			return fmt.Errorf("codecs: %s: decode %s: %w", c.ID(), what, err)
		}
		if a, ok := got.(*domain.AccountSnapshot); ok {
			// The binary codec leaves the title counts as a block.
			got = a.Decoded()
		}
		if !reflect.DeepEqual(got, v) {
			return fmt.Errorf("codecs: %s: %s changed in a round trip:\n got %+v\nwant %+v", c.ID(), what, got, v)
		}
		return nil
	}
	for i, e := range corpus.Events {
		if err := check(fmt.Sprintf("event %d (%s)", i, e.Type), e.Value); err != nil {
			return err
		}
	}
	for _, s := range corpus.Snapshots {
		if err := check("snapshot "+s.Name(), s.Value); err != nil {
			return err
		}
	}
	return nil
}

func (c Cost) add(o Cost) Cost {
	return Cost{Ns: c.Ns + o.Ns, Allocs: c.Allocs + o.Allocs, AllocBytes: c.AllocBytes + o.AllocBytes}
}

func (c Cost) scale(f float64) Cost {
	return Cost{Ns: c.Ns * f, Allocs: c.Allocs * f, AllocBytes: c.AllocBytes * f}
}

// meter times operations the way testing.B does, made robust against a
// shared, noisy machine: it grows n until one round of n calls lasts a fifth
// of the budget, then runs five such rounds and reports the median round
// (time and allocations of that round), so one descheduled round cannot
// skew a cell. A cancelled ctx stops a round within 1024 calls, so a
// long budget never keeps an interrupted command running.
type meter struct {
	ctx    context.Context
	budget time.Duration
}

const meterRounds = 5

// run calls op(i) for i cycling over [0, items) and returns the cost per
// call. The first error stops it.
func (m meter) run(items int, op func(i int) error) (Cost, error) {
	if items < 1 {
		return Cost{}, fmt.Errorf("codecs: nothing to measure")
	}
	for i := range items { // warm up and check once
		if err := op(i); err != nil {
			return Cost{}, err
		}
	}
	round := func(n int) (Cost, time.Duration, error) {
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		done := m.ctx.Done()
		start := time.Now()
		for i, j := 0, 0; i < n; i++ {
			if i&1023 == 0 {
				select {
				case <-done:
					return Cost{}, 0, m.ctx.Err()
				default:
				}
			}
			if err := op(j); err != nil {
				return Cost{}, 0, err
			}
			if j++; j == items {
				j = 0
			}
		}
		elapsed := time.Since(start)
		runtime.ReadMemStats(&ms1)
		return Cost{
			Ns:         float64(elapsed.Nanoseconds()) / float64(n),
			Allocs:     float64(ms1.Mallocs-ms0.Mallocs) / float64(n),
			AllocBytes: float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(n),
		}, elapsed, nil
	}
	target := m.budget / meterRounds
	n := items
	for {
		_, elapsed, err := round(n)
		if err != nil {
			return Cost{}, err
		}
		if elapsed >= target || n >= 1<<30 {
			break
		}
		// Aim 20% past the target, growing at most 100x per step.
		next := int(float64(n) * 1.2 * float64(target) / float64(max(elapsed, time.Microsecond)))
		n = min(max(next, n+1), 100*n)
	}
	costs := make([]Cost, meterRounds)
	for i := range costs {
		c, _, err := round(n)
		if err != nil {
			return Cost{}, err
		}
		costs[i] = c
	}
	slices.SortFunc(costs, func(a, b Cost) int { return cmp.Compare(a.Ns, b.Ns) })
	return costs[meterRounds/2], nil
}

func (m meter) eventCost(c codec.Codec, typ string, events []Event) (EventCost, error) {
	ec := EventCost{Codec: c.ID(), Type: typ, Events: len(events)}
	payloads := make([][]byte, len(events))
	total := 0
	for i, e := range events {
		b, err := c.Marshal(e.Value)
		if err != nil {
			return ec, fmt.Errorf("codecs: %s: encode %s: %w", c.ID(), typ, err)
		}
		payloads[i] = b
		total += len(b)
	}
	ec.Bytes = float64(total) / float64(len(events))
	var err error
	ec.Encode, err = m.run(len(events), func(i int) error {
		_, err := c.Marshal(events[i].Value)
		return err
	})
	if err != nil {
		return ec, fmt.Errorf("codecs: %s: encode %s: %w", c.ID(), typ, err)
	}
	t := reflect.TypeOf(events[0].Value).Elem()
	ec.Decode, err = m.run(len(events), func(i int) error {
		return c.Unmarshal(payloads[i], reflect.New(t).Interface())
	})
	if err != nil {
		return ec, fmt.Errorf("codecs: %s: decode %s: %w", c.ID(), typ, err)
	}
	ec.DecodeOwned = ec.Decode
	if a, ok := c.(codec.AliasUnmarshaler); ok {
		// The payloads are never modified, so every decode may alias them.
		ec.DecodeOwned, err = m.run(len(events), func(i int) error {
			return a.UnmarshalAlias(payloads[i], reflect.New(t).Interface())
		})
		if err != nil {
			return ec, fmt.Errorf("codecs: %s: owned decode %s: %w", c.ID(), typ, err)
		}
	}
	return ec, nil
}

// replayCost decodes corpus.Replay through the registry and applies it to a
// fresh account, per event.
func (m meter) replayCost(c codec.Codec, corpus *Corpus) (Cost, error) {
	reg := domain.NewRegistry()
	reg.AddCodec(c)
	envs := make([]codec.Envelope, len(corpus.Replay))
	for i, e := range corpus.Replay {
		env, err := reg.Encode(c.ID(), e.Value)
		if err != nil {
			return Cost{}, fmt.Errorf("codecs: %s: replay encode: %w", c.ID(), err)
		}
		envs[i] = env
	}
	replay := func(int) error {
		acct := domain.NewAccount(corpus.ReplayID)
		for i, env := range envs {
			v, err := reg.DecodeOwned(env)
			if err != nil {
				return err
			}
			ev, ok := v.(domain.Event)
			if !ok {
				return fmt.Errorf("decoded %T, not an event", v)
			}
			if err := acct.Apply(uint64(i+1), ev); err != nil {
				return err
			}
		}
		return nil
	}
	cost, err := m.run(1, replay)
	if err != nil {
		return Cost{}, fmt.Errorf("codecs: %s: replay: %w", c.ID(), err)
	}
	return cost.scale(1 / float64(len(envs))), nil
}

func (m meter) snapshotCost(c codec.Codec, s Snapshot, zs []compress.Compressor) (SnapshotCost, error) {
	sc := SnapshotCost{Codec: c.ID(), Snapshot: s.Name()}
	b, err := c.Marshal(s.Value)
	if err != nil {
		return sc, fmt.Errorf("codecs: %s: encode snapshot %s: %w", c.ID(), s.Name(), err)
	}
	sc.Bytes = len(b)
	if sc.Encode, err = m.run(1, func(int) error { _, err := c.Marshal(s.Value); return err }); err != nil {
		return sc, err
	}
	t := reflect.TypeOf(s.Value).Elem()
	if sc.Decode, err = m.run(1, func(int) error { return c.Unmarshal(b, reflect.New(t).Interface()) }); err != nil {
		return sc, err
	}
	for _, z := range zs {
		cc, err := m.compressed(z, [][]byte{b})
		if err != nil {
			return sc, fmt.Errorf("codecs: %s: snapshot %s: %w", c.ID(), s.Name(), err)
		}
		sc.Compressed = append(sc.Compressed, cc)
	}
	return sc, nil
}

// compressed measures z on each input; sizes and costs are per input.
func (m meter) compressed(z compress.Compressor, inputs [][]byte) (Compressed, error) {
	out := Compressed{Compressor: z.ID()}
	packed := make([][]byte, len(inputs))
	total := 0
	for i, in := range inputs {
		p, err := z.Compress(in)
		if err != nil {
			return out, err
		}
		packed[i] = p
		total += len(p)
	}
	out.Bytes = float64(total) / float64(len(inputs))
	var err error
	if out.Compress, err = m.run(len(inputs), func(i int) error { _, err := z.Compress(inputs[i]); return err }); err != nil {
		return out, err
	}
	if out.Decompress, err = m.run(len(inputs), func(i int) error { _, err := z.Decompress(packed[i]); return err }); err != nil {
		return out, err
	}
	return out, nil
}

// batchCost frames the corpus's payloads, in stream order, into batches of
// size events and compresses each batch; results are per event.
func (m meter) batchCost(c codec.Codec, corpus *Corpus, zs []compress.Compressor, size int) (BatchCost, error) {
	bc := BatchCost{Codec: c.ID(), BatchSize: size}
	var batches [][]byte
	raw := 0
	for start := 0; start < len(corpus.Events); start += size {
		end := min(start+size, len(corpus.Events))
		payloads := make([][]byte, 0, end-start)
		for _, e := range corpus.Events[start:end] {
			b, err := c.Marshal(e.Value)
			if err != nil {
				return bc, err
			}
			raw += len(b)
			payloads = append(payloads, b)
		}
		frame, err := compress.EncodeBatch(compress.None{}, payloads)
		if err != nil {
			return bc, err
		}
		batches = append(batches, frame)
	}
	bc.Raw = float64(raw) / float64(len(corpus.Events))
	perEvent := float64(len(batches)) / float64(len(corpus.Events))
	for _, z := range zs {
		cc, err := m.compressed(z, batches)
		if err != nil {
			return bc, fmt.Errorf("codecs: %s: batch: %w", c.ID(), err)
		}
		cc.Bytes *= perEvent
		cc.Compress = cc.Compress.scale(perEvent)
		cc.Decompress = cc.Decompress.scale(perEvent)
		bc.Compressed = append(bc.Compressed, cc)
	}
	return bc, nil
}

// fieldRead compares FlatBuffers' in-place read of DownloadGranted.TitleID
// with a full decode (and with protobuf's full decode for scale).
func (m meter) fieldRead(c codec.Codec, corpus *Corpus) (*FieldRead, error) {
	events := corpus.OfType(domain.DownloadGranted{}.EventType())
	if len(events) == 0 {
		return nil, nil
	}
	payloads := make([][]byte, len(events))
	for i, e := range events {
		b, err := c.Marshal(e.Value)
		if err != nil {
			return nil, err
		}
		payloads[i] = b
	}
	fr := &FieldRead{}
	var err error
	if fr.ReadOneField, err = m.run(len(payloads), func(i int) error {
		_, err := flatbuf.GrantedTitleID(payloads[i])
		return err
	}); err != nil {
		return nil, err
	}
	if fr.DecodeAll, err = m.run(len(payloads), func(i int) error {
		return c.Unmarshal(payloads[i], new(domain.DownloadGranted))
	}); err != nil {
		return nil, err
	}
	pbs, err := catalog.Select([]string{"protobuf"})
	if err != nil {
		return nil, err
	}
	pb := pbs[0]
	pbPayloads := make([][]byte, len(events))
	for i, e := range events {
		if pbPayloads[i], err = pb.Marshal(e.Value); err != nil {
			return nil, err
		}
	}
	if fr.ProtobufDecode, err = m.run(len(pbPayloads), func(i int) error {
		return pb.Unmarshal(pbPayloads[i], new(domain.DownloadGranted))
	}); err != nil {
		return nil, err
	}
	return fr, nil
}
