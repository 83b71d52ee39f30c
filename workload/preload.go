package workload

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"time"
)

// preloadPlaybackRate is the chance that a customer plays a download
// before an account event.
const preloadPlaybackRate = 0.3

// Preloader generates customers' histories: for each customer, OpenAccount,
// RegisterDevice for each of its devices, then acquires, renewals, releases
// and playbacks spread over the history span before the spec's Start, with
// At increasing. A customer's account stream ends with exactly HistoryLen
// events (opening and registrations included; playbacks write only to the
// license stream and do not count). Denied acquires (the per-year limit of
// restricted studios) still count: the service records the denial.
//
// A customer's history depends only on (seed, customer), not on how the
// shard is split between preload workers. Nothing is materialised beyond
// the current customer.
type Preloader struct {
	w    *Workload
	part part
	// ids, when set, lists the customers to generate instead of part;
	// lengths, when set, their history lengths (see PreloadHistories).
	ids     []uint64
	lengths []int
	next    uint64
	src     rand.PCG

	cur     Customer
	curID   string
	begin   time.Time
	span    time.Duration
	step    int // account events emitted for cur
	opIndex int
	active  bool
	lastAt  time.Time

	lic        []preLicense
	restricted map[uint64]uint16
	prefix     []byte
	buf        []byte
}

type preLicense struct {
	id       string
	title    int
	device   int
	expires  time.Time
	renewals int
	played   bool
}

// Preload returns the preload generator for worker (of workers) of this
// shard: workers split the shard's customers between them.
func (w *Workload) Preload(worker, workers int) (*Preloader, error) {
	if err := checkWorkers(worker, workers); err != nil {
		return nil, err
	}
	return w.newPreloader(w.slice.sub(uint64(worker), uint64(workers)), nil), nil
}

// PreloadCustomers returns a preload generator for the listed customers
// only (for example those CustomersWithHistory picked for a replay study).
func (w *Workload) PreloadCustomers(ids []uint64) (*Preloader, error) {
	for _, id := range ids {
		if id >= w.pop.n {
			return nil, fmt.Errorf("workload: customer %d outside the population of %d", id, w.pop.n)
		}
	}
	return w.newPreloader(part{}, ids), nil
}

// PreloadHistories is PreloadCustomers writing lengths[i] account events
// for ids[i] instead of its HistoryLen (at least the opening and device
// registrations), for example the lengths SpreadHistories gave a replay
// study's history group. Customer() reports the length written.
func (w *Workload) PreloadHistories(ids []uint64, lengths []int) (*Preloader, error) {
	if len(lengths) != len(ids) {
		return nil, fmt.Errorf("workload: %d history lengths for %d customers", len(lengths), len(ids))
	}
	for i, l := range lengths {
		if l < 1 {
			return nil, fmt.Errorf("workload: history length %d for customer %d is not positive", l, ids[i])
		}
	}
	p, err := w.PreloadCustomers(ids)
	if err != nil {
		return nil, err
	}
	p.lengths = lengths
	return p, nil
}

func (w *Workload) newPreloader(pt part, ids []uint64) *Preloader {
	p := &Preloader{
		w:          w,
		part:       pt,
		ids:        ids,
		span:       w.spec.Population.History.Span,
		restricted: map[uint64]uint16{},
	}
	p.prefix = fmt.Appendf(nil, "p%s.", strconv.FormatUint(hash3(w.spec.Seed, 0, saltPreload)&0xffffffff, 36))
	return p
}

// Customers is the number of customers this preloader writes.
func (p *Preloader) Customers() uint64 {
	if p.ids != nil {
		return uint64(len(p.ids))
	}
	return p.part.size
}

// Started is the number of customers begun so far (the current one
// included).
func (p *Preloader) Started() uint64 { return p.next }

// Customer returns the customer of the last op Next produced.
func (p *Preloader) Customer() Customer { return p.cur }

// Next fills op with the next history operation and reports false when all
// customers are done.
func (p *Preloader) Next(op *Op) bool {
	for !p.active || p.step >= p.cur.HistoryLen {
		if p.next >= p.Customers() {
			return false
		}
		var id uint64
		if p.ids != nil {
			id = p.ids[p.next]
		} else {
			id = p.w.pop.ByRank(p.part.rank(p.next))
		}
		p.next++
		p.start(id)
		if p.lengths != nil {
			p.cur.HistoryLen = max(p.lengths[p.next-1], 1+p.cur.Devices)
		}
	}
	*op = Op{Customer: p.cur.Num, CustomerID: p.curID}
	p.buf = append(append(append(p.buf[:0], p.prefix...), p.curID...), '.')
	p.buf = strconv.AppendUint(p.buf, uint64(p.opIndex), 10)
	op.RequestID = string(p.buf)
	op.Seq = uint64(p.opIndex)
	p.opIndex++

	at := p.eventTime(p.step)
	switch {
	case p.step == 0:
		op.Kind = OpOpenAccount
		op.Plan = p.cur.Plan
	case p.step <= p.cur.Devices:
		op.Kind = OpRegisterDevice
		op.DeviceID = p.w.deviceIDs[p.step-1]
	default:
		// Now and then the customer watches a download first: a license
		// stream event only, between the previous account event and this.
		if mid := p.lastAt.Add(at.Sub(p.lastAt) / 2); unit(p.src.Uint64()) < preloadPlaybackRate {
			if i := p.playable(mid); i >= 0 {
				l := &p.lic[i]
				l.played = true
				p.licenseOp(op, OpPlayback, l)
				op.At = mid
				p.lastAt = mid
				return true
			}
		}
		p.historyStep(op, at)
	}
	op.At = at
	p.lastAt = at
	p.step++
	return true
}

func (p *Preloader) start(id uint64) {
	p.cur = p.w.pop.Customer(id)
	p.curID = CustomerID(id)
	p.src.Seed(hash3(p.w.spec.Seed, id, saltPreload), id)
	p.step = 0
	p.opIndex = 0
	p.active = true
	p.lic = p.lic[:0]
	clear(p.restricted)
	// Customers joined at different points of the span's first tenth.
	p.begin = p.w.spec.Start.Add(-p.span).Add(time.Duration(unit(p.src.Uint64()) * float64(p.span) / 10))
	p.lastAt = p.begin
}

// eventTime spreads the account's events evenly with jitter over the rest
// of the span: event k lies in the k-th of HistoryLen equal slots.
func (p *Preloader) eventTime(k int) time.Time {
	rest := p.w.spec.Start.Sub(p.begin)
	slot := float64(rest) / float64(p.cur.HistoryLen)
	// Same hash for the same (customer, k) whichever op asks.
	j := 0.9 * unit(hash3(p.w.spec.Seed, p.cur.Num<<20^uint64(k), saltPreload+1))
	return p.begin.Add(time.Duration((float64(k) + j) * slot))
}

func (p *Preloader) historyStep(op *Op, at time.Time) {
	n := len(p.lic)
	u := unit(p.src.Uint64())
	switch {
	case n >= preloadActive:
		p.release(op, 0)
	case n == 0 || u < 0.5:
		p.acquire(op, at)
	case u < 0.75:
		if i := p.renewable(at); i >= 0 {
			l := &p.lic[i]
			l.renewals++
			l.expires = l.expires.Add(p.w.rules.LicenseDuration)
			p.licenseOp(op, OpRenew, l)
		} else {
			p.release(op, int(p.src.Uint64()%uint64(n)))
		}
	default:
		p.release(op, int(p.src.Uint64()%uint64(n)))
	}
}

func (p *Preloader) acquire(op *Op, at time.Time) {
	cat := p.w.cat
	t := cat.sample(p.src.Uint64())
	dev := int(p.src.Uint64() % uint64(p.cur.Devices))
	op.Kind = OpAcquire
	op.DeviceID = p.w.deviceIDs[dev]
	st := cat.studioOf[t]
	op.TitleID, op.StudioID, op.Restricted = cat.titles[t], cat.studios[st], cat.restricted[st]
	if !p.granted(dev, t, op.Restricted, at) {
		return // denied: an account event, but no license
	}
	op.LicenseID = p.w.licenseID(op.RequestID)
	p.lic = append(p.lic, preLicense{id: op.LicenseID, title: t, device: dev, expires: at.Add(p.w.rules.LicenseDuration)})
}

// granted applies the policy's download rules in the service's order
// (device limit, downloads per device, restricted title per year) and
// counts a granted restricted download.
func (p *Preloader) granted(dev, title int, restricted bool, at time.Time) bool {
	pol := &p.w.rules
	limit := p.w.planLimit[p.w.pop.planIndex(p.cur.Num)]
	onDevice := 0
	var others uint32 // bit set of other devices holding active downloads
	for i := range p.lic {
		l := &p.lic[i]
		if !at.Before(l.expires) {
			continue
		}
		if l.device == dev {
			onDevice++
		} else {
			others |= 1 << l.device
		}
	}
	if onDevice == 0 && bits.OnesCount32(others) >= limit {
		return false
	}
	if onDevice >= pol.DownloadsPerDevice {
		return false
	}
	if restricted {
		key := uint64(title)<<16 | uint64(at.Year())
		if int(p.restricted[key]) >= pol.RestrictedPerTitleYear {
			return false
		}
		p.restricted[key]++
	}
	return true
}

// release removes license i; the oldest is at 0.
func (p *Preloader) release(op *Op, i int) {
	p.licenseOp(op, OpRelease, &p.lic[i])
	p.lic = append(p.lic[:i], p.lic[i+1:]...)
}

func (p *Preloader) licenseOp(op *Op, kind OpKind, l *preLicense) {
	cat := p.w.cat
	st := cat.studioOf[l.title]
	op.Kind = kind
	op.DeviceID = p.w.deviceIDs[l.device]
	op.TitleID, op.StudioID, op.Restricted = cat.titles[l.title], cat.studios[st], cat.restricted[st]
	op.LicenseID = l.id
}

// renewable finds a license the service would renew at t: unexpired and
// below the renewal limit.
func (p *Preloader) renewable(t time.Time) int {
	for i := range p.lic {
		l := &p.lic[i]
		if l.renewals < p.w.rules.MaxRenewals && t.Before(l.expires) {
			return i
		}
	}
	return -1
}

func (p *Preloader) playable(t time.Time) int {
	for i := range p.lic {
		l := &p.lic[i]
		if !l.played && t.Before(l.expires) {
			return i
		}
	}
	return -1
}
