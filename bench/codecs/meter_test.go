package codecs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The meter's per-call accounting: an op that allocates exactly one 64-byte
// object per call is reported as one allocation of about 64 bytes, and the
// op's error stops the measurement.
func TestMeterCountsAllocationsPerCall(t *testing.T) {
	m := meter{ctx: context.Background(), budget: 5 * time.Millisecond}
	var sink [][]byte
	c, err := m.run(10, func(int) error {
		sink = append(sink[:0], make([]byte, 64))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Allocs < 0.9 || c.Allocs > 1.2 || c.AllocBytes < 60 || c.AllocBytes > 80 {
		t.Fatalf("cost %+v, want about 1 alloc of 64 bytes per call", c)
	}
	if c.Ns <= 0 {
		t.Fatalf("cost %+v has no time", c)
	}
	boom := errors.New("boom")
	calls := 0
	if _, err := m.run(3, func(int) error {
		if calls++; calls == 50 {
			return boom
		}
		return nil
	}); !errors.Is(err, boom) {
		t.Fatalf("run = %v, want the op's error", err)
	}
	if _, err := m.run(0, func(int) error { return nil }); err == nil {
		t.Fatal("run over nothing succeeded")
	}
}
