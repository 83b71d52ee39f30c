package esbcmp

import (
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/alecthomas/go_serialization_benchmarks/goserbench"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/domain"
)

// prepared is one serializer with its payloads, checked to decode.
type prepared struct {
	s   goserbench.Serializer
	ser [][]byte
}

func prepare(b *testing.B, s goserbench.Serializer, data []*domain.DownloadGranted) prepared {
	p := prepared{s: s, ser: make([][]byte, len(data))}
	for i, d := range data {
		o, err := s.Marshal(d)
		if err != nil {
			b.Fatal(err)
		}
		p.ser[i] = append([]byte(nil), o...)
	}
	return p
}

// block decodes n random payloads into one reused, zeroed target (the
// goserbench loop) and returns the time taken.
func (p prepared) block(b *testing.B, rng *rand.Rand, n int) time.Duration {
	o := &domain.DownloadGranted{}
	t0 := time.Now()
	for range n {
		k := rng.Intn(len(p.ser))
		*o = domain.DownloadGranted{}
		if err := p.s.Unmarshal(p.ser[k], o); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0)
}

func (p prepared) allocs(b *testing.B) float64 {
	o := &domain.DownloadGranted{}
	k := 0
	return testing.AllocsPerRun(1000, func() {
		*o = domain.DownloadGranted{}
		if err := p.s.Unmarshal(p.ser[k%len(p.ser)], o); err != nil {
			b.Fatal(err)
		}
		k++
	})
}

// BenchmarkPair decodes with the go_serialization_benchmarks-style use of a
// library (gsb) and with esbench's codec (esb) in alternating blocks of 200
// decodes, so both see the same background load on a shared machine; the
// ratio esb/gsb is the result.
func BenchmarkPair(b *testing.B) {
	data := granted(b)
	cs, err := catalog.Base()
	if err != nil {
		b.Fatal(err)
	}
	idiom := Idiomatic()
	ids := make([]string, 0, len(idiom))
	for id := range idiom {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	const n = 200
	for _, id := range ids {
		for _, c := range cs {
			if c.ID() != id {
				continue
			}
			pairs := []struct {
				name string
				gsb  goserbench.Serializer
				esb  goserbench.Serializer
			}{{"copy", idiom[id][0].New(), esbS{c: c}}}
			if len(idiom[id]) > 1 {
				pairs = append(pairs, struct {
					name string
					gsb  goserbench.Serializer
					esb  goserbench.Serializer
				}{"unsafe", idiom[id][1].New(), esbS{c: c, owned: true}})
			} else {
				pairs = append(pairs, struct {
					name string
					gsb  goserbench.Serializer
					esb  goserbench.Serializer
				}{"owned", idiom[id][0].New(), esbS{c: c, owned: true}})
			}
			for _, pr := range pairs {
				g, e := prepare(b, pr.gsb, data), prepare(b, pr.esb, data)
				b.Run("codec="+id+"/pair="+pr.name, func(b *testing.B) {
					rng := rand.New(rand.NewSource(1))
					var tg, te time.Duration
					i := 0
					for b.Loop() {
						if i%2 == 0 {
							tg += g.block(b, rng, n)
							te += e.block(b, rng, n)
						} else {
							te += e.block(b, rng, n)
							tg += g.block(b, rng, n)
						}
						i++
					}
					ops := float64(b.N * n)
					b.ReportMetric(float64(tg.Nanoseconds())/ops, "gsb-ns/dec")
					b.ReportMetric(float64(te.Nanoseconds())/ops, "esb-ns/dec")
					b.ReportMetric(float64(te)/float64(tg), "esb/gsb")
					b.ReportMetric(g.allocs(b), "gsb-allocs/dec")
					b.ReportMetric(e.allocs(b), "esb-allocs/dec")
				})
			}
		}
	}
}
