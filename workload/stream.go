package workload

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Bounds that keep the generator's memory small and every customer far
// below the policy's 100 active downloads per device.
const (
	// perCustomerLicenses bounds the licenses a stream holds open per
	// customer, and preloadActive those a preloaded history leaves open,
	// so a customer stays far below the 100 active downloads per device.
	perCustomerLicenses = 8
	preloadActive       = 8
	// streamCustomers bounds the customers whose licenses a stream tracks.
	streamCustomers = 1024
	// streamExtraDevices bounds the devices a stream registered and may
	// remove again.
	streamExtraDevices = 256
	idCacheSize        = 4096
	// untrackedPerCustomer bounds the acquires a stream sends for one
	// customer without tracking their licenses, so that the downloads they
	// may leave active stay far below the per-device limit.
	untrackedPerCustomer = 16
	untrackedSlots       = 1 << 16
	// acquireDraws is how many customers an acquire tries before it
	// changes kind.
	acquireDraws = 4
)

// Stream generates one worker's measured operations. It is not safe for
// concurrent use; create one per worker with NewStream.
//
// Each worker owns a disjoint slice of the shard's customers, so no two
// workers touch one account. Operations that need state (renew, release,
// playback, remove_device) only name licenses and devices this stream
// created earlier, so a stream's operations are valid when executed in
// order. Restricted-title acquires may be denied by the per-year limit and
// are never renewed or released by the stream. When there is nothing to
// act on (no license yet), the operation becomes an acquire (or a register
// for remove_device), which shifts the mix slightly at the start of a run;
// a renew of a license at its renewal limit becomes its release.
//
// A run leaves at most perCustomerLicenses + untrackedPerCustomer downloads
// per customer active (plus preloadActive from preload), so several runs
// fit under the default 100 per device within one license duration of
// service time; many more runs against one store in that time can reach
// the limit, and then a renew may name a license whose acquire was denied.
type Stream struct {
	w      *Workload
	part   part
	worker int
	limit  uint64
	seq    uint64
	src    *rand.PCG
	zipf   *rand.Zipf
	prefix []byte
	buf    []byte

	// Licenses held open, per customer, in a dense slice for uniform picks.
	custs []custLicenses
	index map[uint64]int32
	// Devices this stream registered, oldest first (a ring).
	extra      [streamExtraDevices]extraDevice
	extraHead  int
	extraCount int

	ids [idCacheSize]cachedID
	// untrackedSent counts untracked acquires per customer hash; a
	// collision only makes the bound stricter.
	untrackedSent [untrackedSlots]uint8
}

type license struct {
	id       string
	title    int32
	device   uint8
	renewals uint8
}

type custLicenses struct {
	customer uint64
	n        int
	lic      [perCustomerLicenses]license
}

type extraDevice struct {
	customer uint64
	id       string
}

type cachedID struct {
	num uint64 // customer number + 1; 0 is empty
	id  string
}

// NewStream returns the generator of worker (0-based) of workers. limit > 0
// ends the stream after that many operations; 0 never ends it.
func (w *Workload) NewStream(worker, workers int, limit uint64) (*Stream, error) {
	if err := checkWorkers(worker, workers); err != nil {
		return nil, err
	}
	pt := w.slice.sub(uint64(worker), uint64(workers))
	if pt.size == 0 {
		return nil, fmt.Errorf("workload: worker %d of %d has no customers: shard %s has only %d",
			worker, workers, w.shard, w.slice.size)
	}
	sh := uint64(w.shard.Index)<<32 | uint64(worker)
	s := &Stream{
		w:      w,
		part:   pt,
		worker: worker,
		limit:  limit,
		src:    rand.NewPCG(hash3(w.spec.Seed, sh, saltStream), hash3(w.spec.Seed, sh, saltStream+100)),
		index:  make(map[uint64]int32, streamCustomers),
		custs:  make([]custLicenses, 0, streamCustomers),
	}
	if w.pop.chooser != ChooserUniform && pt.size > 1 {
		s.zipf = rand.NewZipf(rand.New(s.src), w.pop.skew, 1, pt.size-1)
	}
	s.prefix = fmt.Appendf(nil, "r%s.%d.%d.", w.runID, w.shard.Index, worker)
	return s, nil
}

// Customers is the number of customers this stream draws from.
func (s *Stream) Customers() uint64 { return s.part.size }

// Next fills op with the next operation and reports false once the limit
// is reached. It does not allocate beyond the op's new id strings.
func (s *Stream) Next(op *Op) bool {
	if s.limit > 0 && s.seq >= s.limit {
		return false
	}
	*op = Op{Seq: s.seq}
	s.buf = strconv.AppendUint(append(s.buf[:0], s.prefix...), s.seq, 10)
	op.RequestID = string(s.buf)
	s.seq++
	switch kind := s.w.mix.pick(s.src.Uint64()); kind {
	case OpAcquire:
		s.acquire(op)
	case OpRenew:
		if ci, li, ok := s.pickLicense(); ok {
			if int(s.custs[ci].lic[li].renewals) >= s.w.rules.MaxRenewals {
				s.release(op, ci, li)
			} else {
				s.custs[ci].lic[li].renewals++
				s.licenseOp(op, OpRenew, ci, li)
			}
		} else {
			s.acquire(op)
		}
	case OpRelease:
		if ci, li, ok := s.pickLicense(); ok {
			s.release(op, ci, li)
		} else {
			s.acquire(op)
		}
	case OpPlayback:
		if ci, li, ok := s.pickLicense(); ok {
			// Playing again inside the playback window is allowed
			// (without events), so a played license is fine too as long
			// as a run lasts less than the window (48 h by default).
			s.licenseOp(op, OpPlayback, ci, li)
		} else {
			s.acquire(op)
		}
	case OpCheck:
		c := s.choose()
		s.setCustomer(op, c)
		op.Kind = OpCheck
		op.DeviceID = s.w.deviceIDs[s.src.Uint64()%uint64(s.w.pop.devicesOf(c))]
		s.setTitle(op, s.w.cat.sample(s.src.Uint64()))
	case OpLoad:
		s.setCustomer(op, s.choose())
		op.Kind = OpLoad
	case OpRegisterDevice:
		if s.extraCount == streamExtraDevices {
			s.removeDevice(op)
		} else {
			s.registerDevice(op)
		}
	case OpRemoveDevice:
		if s.extraCount == 0 {
			s.registerDevice(op)
		} else {
			s.removeDevice(op)
		}
	}
	return true
}

// choose picks a customer of this stream's slice with the key chooser.
func (s *Stream) choose() uint64 {
	var local uint64
	switch {
	case s.zipf != nil:
		local = s.zipf.Uint64()
	default:
		local = s.src.Uint64() % s.part.size
	}
	return s.w.pop.ByRank(s.part.rank(local))
}

func (s *Stream) setCustomer(op *Op, c uint64) {
	op.Customer = c
	e := &s.ids[c%idCacheSize]
	if e.num != c+1 {
		e.num = c + 1
		e.id = CustomerID(c)
	}
	op.CustomerID = e.id
}

func (s *Stream) setTitle(op *Op, t int) {
	cat := s.w.cat
	st := cat.studioOf[t]
	op.TitleID = cat.titles[t]
	op.StudioID = cat.studios[st]
	op.Restricted = cat.restricted[st]
}

func (s *Stream) acquire(op *Op) {
	var c uint64
	var t int
	var ci int32
	var restricted, tracked, track bool
	// Licenses the stream tracks may be renewed, played and released later;
	// the others (restricted titles, whose grant depends on a yearly count
	// the stream cannot know, and any beyond the tracking table) are sent
	// but never named again, up to untrackedPerCustomer per customer. A
	// customer with no room left makes the stream draw another, so the
	// operation mix holds; only after acquireDraws misses does the
	// operation change kind.
	for try := 1; ; try++ {
		c = s.choose()
		t = s.w.cat.sample(s.src.Uint64())
		restricted = s.w.cat.Restricted(t)
		ci, tracked = s.index[c]
		if !restricted && (tracked && s.custs[ci].n < perCustomerLicenses || !tracked && len(s.custs) < streamCustomers) {
			track = true
			break
		}
		if s.untrackedSent[mix64(c)%untrackedSlots] < untrackedPerCustomer {
			break
		}
		if try < acquireDraws {
			continue
		}
		if restricted || len(s.custs) == 0 {
			// The customer asks whether it may download instead.
			s.setCustomer(op, c)
			op.Kind = OpCheck
			op.DeviceID = s.w.deviceIDs[s.src.Uint64()%uint64(s.w.acquireDevices(c))]
			s.setTitle(op, t)
			return
		}
		// The customer deletes a download first.
		if !tracked {
			ci = int32(s.src.Uint64() % uint64(len(s.custs)))
		}
		s.release(op, int(ci), int(s.src.Uint64()%uint64(s.custs[ci].n)))
		return
	}
	dev := int(s.src.Uint64() % uint64(s.w.acquireDevices(c)))
	op.Kind = OpAcquire
	s.setCustomer(op, c)
	op.DeviceID = s.w.deviceIDs[dev]
	s.setTitle(op, t)
	if !track {
		s.untrackedSent[mix64(c)%untrackedSlots]++
		return
	}
	if !tracked {
		ci = int32(len(s.custs))
		s.custs = append(s.custs, custLicenses{customer: c})
		s.index[c] = ci
	}
	cl := &s.custs[ci]
	op.LicenseID = s.w.licenseID(op.RequestID)
	cl.lic[cl.n] = license{id: op.LicenseID, title: int32(t), device: uint8(dev)}
	cl.n++
}

// pickLicense picks a uniformly random tracked customer, then one of its
// licenses.
func (s *Stream) pickLicense() (ci, li int, ok bool) {
	if len(s.custs) == 0 {
		return 0, 0, false
	}
	ci = int(s.src.Uint64() % uint64(len(s.custs)))
	return ci, int(s.src.Uint64() % uint64(s.custs[ci].n)), true
}

func (s *Stream) licenseOp(op *Op, kind OpKind, ci, li int) {
	cl := &s.custs[ci]
	l := &cl.lic[li]
	op.Kind = kind
	s.setCustomer(op, cl.customer)
	op.DeviceID = s.w.deviceIDs[l.device]
	s.setTitle(op, int(l.title))
	op.LicenseID = l.id
}

func (s *Stream) release(op *Op, ci, li int) {
	s.licenseOp(op, OpRelease, ci, li)
	cl := &s.custs[ci]
	cl.n--
	cl.lic[li] = cl.lic[cl.n]
	cl.lic[cl.n] = license{}
	if cl.n > 0 {
		return
	}
	delete(s.index, cl.customer)
	last := len(s.custs) - 1
	if ci != last {
		s.custs[ci] = s.custs[last]
		s.index[s.custs[ci].customer] = int32(ci)
	}
	s.custs = s.custs[:last]
}

func (s *Stream) registerDevice(op *Op) {
	c := s.choose()
	op.Kind = OpRegisterDevice
	s.setCustomer(op, c)
	op.DeviceID = "x" + op.RequestID
	i := (s.extraHead + s.extraCount) % streamExtraDevices
	s.extra[i] = extraDevice{customer: c, id: op.DeviceID}
	s.extraCount++
}

func (s *Stream) removeDevice(op *Op) {
	d := s.extra[s.extraHead]
	s.extra[s.extraHead] = extraDevice{}
	s.extraHead = (s.extraHead + 1) % streamExtraDevices
	s.extraCount--
	op.Kind = OpRemoveDevice
	s.setCustomer(op, d.customer)
	op.DeviceID = d.id
}
