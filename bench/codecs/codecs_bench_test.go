package codecs

import (
	"reflect"
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/codec/compress"
	"github.com/esbench/esbench/refimpl/codec/flatbuf"
	"github.com/esbench/esbench/refimpl/domain"
)

// The benchmarks measure what esbench codecs measures, in
// benchstat-compatible form. Names: codec=<id>/type=<event type> with
// type=corpus for the whole corpus in its own proportions (ns/op is then
// the mean cost per event). B/event is the mean payload size.
//
//	go test ./bench/codecs -run '^$' -bench 'Encode|Decode' -benchmem -count 5

func benchCodecs(b *testing.B) []codec.Codec {
	b.Helper()
	cs, err := catalog.Base()
	if err != nil {
		b.Fatal(err)
	}
	return cs
}

// benchSets returns each event type's events, then the whole corpus.
func benchSets(c *Corpus) (names []string, sets [][]Event) {
	for _, t := range c.Types() {
		names = append(names, t)
		sets = append(sets, c.OfType(t))
	}
	return append(names, "corpus"), append(sets, c.Events)
}

func encodeAll(b *testing.B, cd codec.Codec, events []Event) ([][]byte, float64) {
	b.Helper()
	out := make([][]byte, len(events))
	total := 0
	for i, e := range events {
		p, err := cd.Marshal(e.Value)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = p
		total += len(p)
	}
	return out, float64(total) / float64(len(events))
}

func BenchmarkEncode(b *testing.B) {
	c := testCorpus(b)
	names, sets := benchSets(c)
	for _, cd := range benchCodecs(b) {
		for i, events := range sets {
			b.Run("codec="+cd.ID()+"/type="+names[i], func(b *testing.B) {
				_, size := encodeAll(b, cd, events)
				b.ReportAllocs()
				j := 0
				for b.Loop() {
					if _, err := cd.Marshal(events[j].Value); err != nil {
						b.Fatal(err)
					}
					if j++; j == len(events) {
						j = 0
					}
				}
				b.ReportMetric(size, "B/event")
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	c := testCorpus(b)
	names, sets := benchSets(c)
	for _, cd := range benchCodecs(b) {
		for i, events := range sets {
			b.Run("codec="+cd.ID()+"/type="+names[i], func(b *testing.B) {
				payloads, size := encodeAll(b, cd, events)
				types := make([]reflect.Type, len(events))
				for k, e := range events {
					types[k] = reflect.TypeOf(e.Value).Elem()
				}
				b.ReportAllocs()
				j := 0
				for b.Loop() {
					if err := cd.Unmarshal(payloads[j], reflect.New(types[j]).Interface()); err != nil {
						b.Fatal(err)
					}
					if j++; j == len(events) {
						j = 0
					}
				}
				b.ReportMetric(size, "B/event")
			})
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	c := testCorpus(b)
	var zs []compress.Compressor
	for _, id := range DefaultOptions().Compressors {
		z, err := compress.New(id)
		if err != nil {
			b.Fatal(err)
		}
		zs = append(zs, z)
	}
	for _, cd := range benchCodecs(b) {
		for _, s := range c.Snapshots {
			p, err := cd.Marshal(s.Value)
			if err != nil {
				b.Fatal(err)
			}
			name := "codec=" + cd.ID() + "/snapshot=" + s.Name()
			b.Run(name+"/op=encode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := cd.Marshal(s.Value); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(p)), "B/snapshot")
			})
			t := reflect.TypeOf(s.Value).Elem()
			b.Run(name+"/op=decode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := cd.Unmarshal(p, reflect.New(t).Interface()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(p)), "B/snapshot")
			})
			for _, z := range zs {
				packed, err := z.Compress(p)
				if err != nil {
					b.Fatal(err)
				}
				b.Run(name+"/op=compress/compressor="+z.ID(), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := z.Compress(p); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(len(packed)), "B/snapshot")
				})
				b.Run(name+"/op=decompress/compressor="+z.ID(), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := z.Decompress(packed); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(len(packed)), "B/snapshot")
				})
			}
		}
	}
}

// BenchmarkBatch compresses the corpus in batches of 100 events; ns/op and
// B/event are per event.
func BenchmarkBatch(b *testing.B) {
	c := testCorpus(b)
	const size = 100
	for _, cd := range benchCodecs(b) {
		payloads, _ := encodeAll(b, cd, c.Events)
		for _, id := range DefaultOptions().Compressors {
			z, err := compress.New(id)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("codec="+cd.ID()+"/compressor="+id, func(b *testing.B) {
				b.ReportAllocs()
				var bytes, events int
				for b.Loop() {
					start := (events % len(payloads)) / size * size
					end := min(start+size, len(payloads))
					out, err := compress.EncodeBatch(z, payloads[start:end])
					if err != nil {
						b.Fatal(err)
					}
					bytes += len(out)
					events += end - start
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
				b.ReportMetric(float64(bytes)/float64(events), "B/event")
			})
		}
	}
}

// BenchmarkFlatbufGranted reads one field of a DownloadGranted in place
// and decodes all of it.
func BenchmarkFlatbufGranted(b *testing.B) {
	c := testCorpus(b)
	cd := flatbuf.New()
	payloads, _ := encodeAll(b, cd, c.OfType(domain.DownloadGranted{}.EventType()))
	b.Run("op=read-one-field", func(b *testing.B) {
		b.ReportAllocs()
		j := 0
		for b.Loop() {
			if _, err := flatbuf.GrantedTitleID(payloads[j]); err != nil {
				b.Fatal(err)
			}
			if j++; j == len(payloads) {
				j = 0
			}
		}
	})
	b.Run("op=decode-all", func(b *testing.B) {
		b.ReportAllocs()
		j := 0
		for b.Loop() {
			if err := cd.Unmarshal(payloads[j], new(domain.DownloadGranted)); err != nil {
				b.Fatal(err)
			}
			if j++; j == len(payloads) {
				j = 0
			}
		}
	})
}

// BenchmarkReplay decodes the replay account stream through the registry
// and applies it; ns/event is the per-event cost.
func BenchmarkReplay(b *testing.B) {
	c := testCorpus(b)
	for _, cd := range benchCodecs(b) {
		reg := domain.NewRegistry()
		reg.AddCodec(cd)
		envs := make([]codec.Envelope, len(c.Replay))
		for i, e := range c.Replay {
			env, err := reg.Encode(cd.ID(), e.Value)
			if err != nil {
				b.Fatal(err)
			}
			envs[i] = env
		}
		b.Run("codec="+cd.ID(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				acct := domain.NewAccount(c.ReplayID)
				for i, env := range envs {
					v, err := reg.Decode(env)
					if err != nil {
						b.Fatal(err)
					}
					if err := acct.Apply(uint64(i+1), v.(domain.Event)); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(envs)), "ns/event")
		})
	}
}
