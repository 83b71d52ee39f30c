package catalog

import (
	"reflect"
	"sync"
	"testing"

	"github.com/esbench/esbench/refimpl/codec/internal/codectest"
)

// Codecs are shared by every worker of a run: concurrent round trips must
// stay correct (and clean under -race, which CI does not run but
// developers do).
func TestCodecsAreSafeForConcurrentUse(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	samples := codectest.Samples()
	for _, c := range all {
		var wg sync.WaitGroup
		errs := make(chan string, 4*len(samples))
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range 3 * len(samples) {
					s := samples[(g+k)%len(samples)]
					b, err := c.Marshal(s.Value)
					if err != nil {
						errs <- err.Error()
						return
					}
					got := codectest.Fresh(s.Value)
					if err := c.Unmarshal(b, got); err != nil || !reflect.DeepEqual(codectest.Normalize(got), s.Value) {
						errs <- c.ID() + ": " + s.Name + " changed in a concurrent round trip"
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}
