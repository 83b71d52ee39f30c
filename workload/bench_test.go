package workload

import "testing"

// BenchmarkGenerate measures the measured-phase generator alone on one core
// (the default mix over the default population).
func BenchmarkGenerate(b *testing.B) {
	for _, preset := range []string{"default"} {
		b.Run(preset, func(b *testing.B) {
			s, err := Preset(preset)
			if err != nil {
				b.Fatal(err)
			}
			s.Population.Customers = 10_000_000
			w, err := New(s, testOptions())
			if err != nil {
				b.Fatal(err)
			}
			st, err := w.NewStream(0, 1, 0)
			if err != nil {
				b.Fatal(err)
			}
			var op Op
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				st.Next(&op)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkCustomerAttributes measures deriving one customer's attributes.
func BenchmarkCustomerAttributes(b *testing.B) {
	s := DefaultSpec()
	s.Population.Customers = 100_000_000
	w, err := New(&s, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	p := w.Population()
	var sink int
	id := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		c := p.Customer(id)
		sink += c.HistoryLen + c.Devices
		id = (id + 7919) % s.Population.Customers
	}
	if sink == 0 {
		b.Fatal("no attributes")
	}
}

// BenchmarkPreload measures generating preload histories (ops/s).
func BenchmarkPreload(b *testing.B) {
	s := DefaultSpec()
	w, err := New(&s, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	var p *Preloader
	var op Op
	b.ReportAllocs()
	for b.Loop() {
		if p == nil || !p.Next(&op) {
			p, _ = w.Preload(0, 1)
			p.Next(&op)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
