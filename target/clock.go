package target

import (
	"sync/atomic"
	"time"
)

// SimClock is the simulated clock of operations that carry no time of their
// own: the first reading is Start, later ones advance with the wall clock
// from there. Targets share it so that in-process and remote runs of one
// seed see the same times.
type SimClock struct {
	Start time.Time
	first atomic.Int64 // wall time (UnixNano) of the first reading
}

// Now is Start plus the wall time elapsed since the first call. It is safe
// for concurrent use.
func (c *SimClock) Now() time.Time {
	now := time.Now().UnixNano()
	first := c.first.Load()
	if first == 0 {
		c.first.CompareAndSwap(0, now)
		first = c.first.Load()
	}
	return c.Start.Add(time.Duration(now - first))
}
