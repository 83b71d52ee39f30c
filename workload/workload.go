package workload

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Options are the run-time settings that are not part of a workload file.
type Options struct {
	// RunID salts the request ids of measured operations so that running
	// the same workload twice against one store sends new requests rather
	// than idempotent retries of the last run. Empty means derived from the
	// seed (same seed, same ids). Preload ids never use it: preloading twice
	// is an idempotent no-op by design.
	RunID string
	// LicenseID derives a license id from the request id of the acquire
	// that created it, as the service does, so that later renewals and
	// releases name the license. Required.
	LicenseID func(requestID string) string
	// Rules are the service's download rules, which preload simulates so
	// that it knows which acquires are granted. Required.
	Rules Rules
}

// Workload is a validated Spec made ready to generate: its population,
// catalogue, mix and schedule. It is immutable and safe for concurrent use;
// each worker generates from its own Stream.
type Workload struct {
	spec      *Spec
	shard     Shard
	pop       *Population
	cat       *Catalogue
	mix       mixTable
	runID     string
	licenseID func(string) string
	rules     Rules
	// planLimit is the rules' device limit per plan (planNames order).
	planLimit [3]int
	// slice is this shard's part of the population.
	slice part
	// deviceIDs are preformatted DeviceID(i) for the hot path.
	deviceIDs [MaxDevices]string
}

// New validates spec and prepares it for generation. The catalogue is built
// here (bounded by MaxTitles); the population costs nothing per customer.
func New(spec *Spec, opts Options) (*Workload, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if len(opts.RunID) > 64 || strings.IndexFunc(opts.RunID, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) >= 0 {
		return nil, fmt.Errorf("workload: run id %q: want at most 64 printable characters without spaces", opts.RunID)
	}
	// A copy, so later changes to the caller's Spec cannot change what an
	// existing Workload generates.
	cp := *spec
	spec = &cp
	sh := spec.ShardOf()
	w := &Workload{
		spec:      spec,
		shard:     sh,
		pop:       newPopulation(spec),
		cat:       newCatalogue(spec),
		mix:       newMixTable(&spec.Mix),
		runID:     opts.RunID,
		licenseID: opts.LicenseID,
	}
	if w.runID == "" {
		w.runID = strconv.FormatUint(hash3(spec.Seed, 0, saltRun)&0xffffffff, 36)
	}
	if w.licenseID == nil {
		return nil, fmt.Errorf("workload: Options.LicenseID is nil: the generator needs the service's license id rule")
	}
	w.rules = opts.Rules
	if err := w.rules.validate(); err != nil {
		return nil, err
	}
	weights := [3]float64{spec.Population.Plans.Basic, spec.Population.Plans.Standard, spec.Population.Plans.Premium}
	for i, plan := range planNames {
		w.planLimit[i] = w.rules.DevicesPerPlan[plan]
		if weights[i] > 0 && w.planLimit[i] == 0 {
			return nil, fmt.Errorf("workload: population.plans.%s has weight %v but the service rules have no plan %q", plan, weights[i], plan)
		}
	}
	for i := range w.deviceIDs {
		w.deviceIDs[i] = DeviceID(i)
	}
	w.slice = newPart(spec.Population.Customers, uint64(sh.Index), uint64(sh.Count))
	return w, nil
}

// Spec returns the workload's spec (do not modify it).
func (w *Workload) Spec() *Spec { return w.spec }

// Shard returns the shard this workload drives.
func (w *Workload) Shard() Shard { return w.shard }

// Population returns the customer model.
func (w *Workload) Population() *Population { return w.pop }

// Catalogue returns the titles.
func (w *Workload) Catalogue() *Catalogue { return w.cat }

// Warmup is the time from the start of the run that is excluded from
// results: operations whose intended start offset is below it are warmup.
func (w *Workload) Warmup() time.Duration { return w.spec.Warmup }

// Total is the length of the run, warmup included (0 when the run is
// bounded by an operation count only).
func (w *Workload) Total() time.Duration { return w.spec.Total() }

// ShardSize is the number of customers in this shard.
func (w *Workload) ShardSize() uint64 { return w.slice.size }

// ShardCustomers calls fn for every customer number of this shard, in rank
// order (most active first), stopping early if fn returns false.
func (w *Workload) ShardCustomers(fn func(id uint64) bool) {
	for i := uint64(0); i < w.slice.size; i++ {
		if !fn(w.pop.ByRank(w.slice.rank(i))) {
			return
		}
	}
}

// InShard reports whether customer id belongs to this shard.
func (w *Workload) InShard(id uint64) bool {
	return w.pop.Rank(id)%uint64(w.shard.Count) == uint64(w.shard.Index)
}

// CustomersWithHistory returns up to n customers of this shard whose
// history length is exactly length, in rank order. With the groups history
// distribution every listed length has customers; with others it scans at
// most a bounded number of customers and may return fewer.
func (w *Workload) CustomersWithHistory(length, n int) []uint64 {
	var out []uint64
	scanned := 0
	const scanLimit = 10_000_000
	w.ShardCustomers(func(id uint64) bool {
		scanned++
		if w.pop.Customer(id).HistoryLen == length {
			out = append(out, id)
		}
		return len(out) < n && scanned < scanLimit
	})
	return out
}

// mixTable draws an operation kind by weight.
type mixTable struct {
	kinds [8]OpKind
	// cut are cumulative thresholds on a 64-bit uniform.
	cut [8]uint64
	n   int
}

func newMixTable(m *MixSpec) mixTable {
	kinds := [8]OpKind{OpAcquire, OpCheck, OpRenew, OpRelease, OpPlayback, OpRegisterDevice, OpRemoveDevice, OpLoad}
	ws := [8]float64{m.Acquire, m.Check, m.Renew, m.Release, m.Playback, m.RegisterDevice, m.RemoveDevice, m.Load}
	sum := 0.0
	for _, x := range ws {
		sum += x
	}
	var t mixTable
	acc := 0.0
	for i, x := range ws {
		if x <= 0 {
			continue
		}
		acc += x
		t.kinds[t.n] = kinds[i]
		t.cut[t.n] = cutOf(acc / sum)
		t.n++
	}
	if t.n > 0 {
		t.cut[t.n-1] = ^uint64(0)
	}
	return t
}

func (t *mixTable) pick(x uint64) OpKind {
	for i := 0; i < t.n-1; i++ {
		if x < t.cut[i] {
			return t.kinds[i]
		}
	}
	return t.kinds[t.n-1]
}

// DeviceID formats device number i of a customer: "d0", "d1", ...
func DeviceID(i int) string { return "d" + strconv.Itoa(i) }

func checkWorkers(worker, workers int) error {
	if workers < 1 || worker < 0 || worker >= workers {
		return fmt.Errorf("workload: worker %d of %d: want 0 ≤ worker < workers", worker, workers)
	}
	return nil
}

// acquireDevices is how many of customer c's devices measured acquires use:
// no more than its plan lets hold downloads, so the stream never provokes a
// device-limit denial for a license it then tries to renew.
func (w *Workload) acquireDevices(c uint64) int {
	plan := w.pop.planIndex(c)
	d := w.pop.devicesOf(c)
	if l := w.planLimit[plan]; l > 0 && l < d {
		return l
	}
	return d
}
