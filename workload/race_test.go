package workload

import (
	"sync"
	"testing"
)

// TestConcurrentWorkers runs every worker's stream, arrivals and preload at
// once over one Workload, for the race detector: a Workload is shared
// read-only.
func TestConcurrentWorkers(t *testing.T) {
	w, err := New(smallSpec(t, func(s *Spec) { s.Arrival.Workers = 4 }), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	const workers = 4
	var wg sync.WaitGroup
	counts := make([]int, workers)
	for i := range workers {
		wg.Go(func() {
			st, err := w.NewStream(i, workers, 2000)
			if err != nil {
				t.Error(err)
				return
			}
			a, err := w.Schedule().Arrivals(i, workers)
			if err != nil {
				t.Error(err)
				return
			}
			p, err := w.Preload(i, workers)
			if err != nil {
				t.Error(err)
				return
			}
			var op Op
			for st.Next(&op) {
				if _, ok := a.Next(); !ok {
					break
				}
				counts[i]++
			}
			for p.Next(&op) {
			}
		})
	}
	wg.Wait()
	for i, c := range counts {
		if c != 2000 {
			t.Errorf("worker %d generated %d ops, want 2000", i, c)
		}
	}
}
