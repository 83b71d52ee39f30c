package workload

import (
	"math"
	"strconv"
)

// Customer is one customer's attributes, derived on demand from (seed, id).
type Customer struct {
	// Num is the customer number in [0, population).
	Num  uint64
	Plan string
	// Devices is how many devices the customer has registered (device ids
	// "d0".."d<Devices-1>").
	Devices int
	// HistoryLen is the number of events preload writes to the customer's
	// account stream, account opening and device registrations included.
	HistoryLen int
	// Activity is the customer's expected share of measured operations
	// relative to the average customer (1 = average; a Zipf head customer
	// can be thousands).
	Activity float64
}

// Population derives customer attributes from (seed, id) with no state per
// customer: a population of 100 million costs what one of ten does.
//
// Customers are ranked by activity through a bijection of [0, N) chosen by
// the key chooser: scrambled for zipf (the hot customers are spread over the
// id space), reversed for latest (the newest, highest ids are hottest), the
// identity for uniform. Shards and workers take the ranks congruent to their
// index, so each gets an equal slice of every activity level and the union
// of all shards is the whole population.
type Population struct {
	seed    uint64
	n       uint64
	chooser string
	skew    float64
	// planCut are cumulative plan thresholds on a uniform 64-bit hash.
	planCut [2]uint64
	devices [3]int
	hist    HistorySpec
	// a, b, aInv define rank = (a*id + b) mod n for the zipf chooser.
	a, b, aInv uint64
	// zeta is Σ_{k=1..n} k^-skew, to turn a rank into an activity.
	zeta float64
}

func newPopulation(s *Spec) *Population {
	ps := &s.Population
	p := &Population{
		seed:    s.Seed,
		n:       ps.Customers,
		chooser: ps.Chooser,
		skew:    ps.Skew,
		devices: [3]int{ps.Devices.Basic, ps.Devices.Standard, ps.Devices.Premium},
		hist:    ps.History,
	}
	w := [3]float64{ps.Plans.Basic, ps.Plans.Standard, ps.Plans.Premium}
	sum := w[0] + w[1] + w[2]
	p.planCut[0] = cutOf(w[0] / sum)
	p.planCut[1] = cutOf((w[0] + w[1]) / sum)
	if p.chooser == ChooserZipf {
		p.a = hash3(p.seed, p.n, saltPermute)%p.n | 1
		for gcd(p.a, p.n) != 1 {
			p.a += 2
		}
		p.a %= p.n
		p.b = hash3(p.seed, p.n+1, saltPermute) % p.n
		p.aInv = modInverse(p.a, p.n)
	}
	if p.chooser != ChooserUniform {
		p.zeta = zeta(p.n, p.skew)
	}
	return p
}

func cutOf(f float64) uint64 {
	if f >= 1 {
		return math.MaxUint64
	}
	return uint64(f * (1 << 63) * 2)
}

// Size is the number of customers.
func (p *Population) Size() uint64 { return p.n }

// Customer returns the attributes of customer id (id < Size()).
func (p *Population) Customer(id uint64) Customer {
	c := Customer{Num: id}
	plan := p.planIndex(id)
	c.Plan = planNames[plan]
	c.Devices = 1 + int(hash3(p.seed, id, saltDevices)%uint64(p.devices[plan]))
	c.HistoryLen = max(p.historyLen(id), 1+c.Devices)
	c.Activity = p.activity(id)
	return c
}

func (p *Population) planIndex(id uint64) int {
	h := hash3(p.seed, id, saltPlan)
	switch {
	case h < p.planCut[0]:
		return 0
	case h < p.planCut[1]:
		return 1
	}
	return 2
}

// devicesOf is Customer(id).Devices without the other attributes.
func (p *Population) devicesOf(id uint64) int {
	return 1 + int(hash3(p.seed, id, saltDevices)%uint64(p.devices[p.planIndex(id)]))
}

func (p *Population) historyLen(id uint64) int {
	h := &p.hist
	u := unit(hash3(p.seed, id, saltHistory))
	var l float64
	switch h.Distribution {
	case HistoryFixed:
		return h.Min
	case HistoryUniform:
		return h.Min + int(hash3(p.seed, id, saltHistory)%uint64(h.Max-h.Min+1))
	case HistoryGroups:
		// Contiguous blocks of ids rather than id mod len(Lengths): shards
		// and workers take ranks by residue, which would otherwise give a
		// shard only some of the groups when the counts share a factor.
		return h.Lengths[id*uint64(len(h.Lengths))/p.n]
	case HistoryExponential:
		// Shifted by Min so the mean stays Mean.
		l = float64(h.Min) - math.Log1p(-u)*math.Max(h.Mean-float64(h.Min), 0)
	case HistoryLognormal:
		l = h.Mean * math.Exp(h.Sigma*normal(u, unit(hash3(p.seed, id, saltHistory2))))
	}
	n := int(math.Round(l))
	return min(max(n, h.Min), h.Max)
}

// SpreadHistories gives the customers of one history group, ids (all of
// one HistoryLen L, as CustomersWithHistory lists them), history lengths
// spread over the spread consecutive values centred on L, L-spread/2 ..
// L-spread/2+spread-1, so their mean stays about L. A replay study needs
// this: with snapshots every N events a load replays length mod N events,
// which is 0 for every customer of a group whose L is a multiple of N,
// while real accounts sit anywhere between two snapshots. When spread is a
// multiple of N the tails are uniform over [0, N).
//
// The range is cut into len(ids) equal strata and customer j gets a point
// of stratum j drawn from (seed, id), so even a handful of customers covers
// the range evenly. No length is below the customer's minimum (opening plus
// device registrations). A spread of 0 or 1 leaves every length L.
func (p *Population) SpreadHistories(ids []uint64, spread int) []int {
	out := make([]int, len(ids))
	k := float64(len(ids))
	for j, id := range ids {
		c := p.Customer(id)
		if spread <= 1 {
			out[j] = c.HistoryLen
			continue
		}
		u := unit(hash3(p.seed, id, saltSpread))
		off := min(int((float64(j)+u)*float64(spread)/k), spread-1)
		out[j] = max(c.HistoryLen-spread/2+off, 1+c.Devices)
	}
	return out
}

// Rank is the customer's activity rank (0 = most active).
func (p *Population) Rank(id uint64) uint64 {
	switch p.chooser {
	case ChooserZipf:
		r := mulmod(p.a, id, p.n) + p.b
		if r >= p.n {
			r -= p.n
		}
		return r
	case ChooserLatest:
		return p.n - 1 - id
	}
	return id
}

// ByRank is the inverse of Rank.
func (p *Population) ByRank(rank uint64) uint64 {
	switch p.chooser {
	case ChooserZipf:
		r := rank + p.n - p.b
		if r >= p.n {
			r -= p.n
		}
		return mulmod(p.aInv, r, p.n)
	case ChooserLatest:
		return p.n - 1 - rank
	}
	return rank
}

func (p *Population) activity(id uint64) float64 {
	if p.chooser == ChooserUniform {
		return 1
	}
	r := float64(p.Rank(id) + 1)
	// exp(-s·ln r) is r^-s at a third of math.Pow's cost (Pow handles
	// special cases that r ≥ 1 never hits).
	return float64(p.n) * math.Exp(-p.skew*math.Log(r)) / p.zeta
}

// part is one slice of the population: the customers whose rank is
// congruent to off modulo stride. Ranks off, off+stride, ... are its local
// ranks 0, 1, ...
type part struct {
	off, stride, size uint64
}

func newPart(n, off, stride uint64) part {
	size := uint64(0)
	if off < n {
		size = (n-off-1)/stride + 1
	}
	return part{off: off, stride: stride, size: size}
}

// sub splits a part again: the i-th of k.
func (pt part) sub(i, k uint64) part {
	q := newPart(pt.size, i, k)
	return part{off: pt.off + i*pt.stride, stride: pt.stride * k, size: q.size}
}

// rank maps a local rank to the population rank.
func (pt part) rank(local uint64) uint64 { return pt.off + local*pt.stride }

// CustomerID formats a customer number as used in stream ids: "c42".
func CustomerID(n uint64) string { return string(AppendCustomerID(nil, n)) }

// AppendCustomerID appends CustomerID(n) to dst without allocating.
func AppendCustomerID(dst []byte, n uint64) []byte {
	return strconv.AppendUint(append(dst, 'c'), n, 10)
}

// mulmod is a*b mod m for a, b < m ≤ MaxCustomers (the product fits).
func mulmod(a, b, m uint64) uint64 { return a * b % m }

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func modInverse(a, m uint64) uint64 {
	if m == 1 {
		return 0
	}
	t, newT := int64(0), int64(1)
	r, newR := int64(m), int64(a)
	for newR != 0 {
		q := r / newR
		t, newT = newT, t-q*newT
		r, newR = newR, r-q*newR
	}
	if t < 0 {
		t += int64(m)
	}
	return uint64(t)
}

// zeta approximates Σ_{k=1..n} k^-s: exact for the first terms, the
// Euler–Maclaurin integral for the tail.
func zeta(n uint64, s float64) float64 {
	const exact = 10000
	sum := 0.0
	m := min(n, exact)
	for k := uint64(1); k <= m; k++ {
		sum += math.Pow(float64(k), -s)
	}
	if n > exact {
		a, b := float64(exact)+0.5, float64(n)+0.5
		sum += (math.Pow(a, 1-s) - math.Pow(b, 1-s)) / (s - 1)
	}
	return sum
}
