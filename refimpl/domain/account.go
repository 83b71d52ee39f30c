package domain

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// MaxRecentDenials bounds the denials an account keeps in its state, so
// snapshots stay bounded however often a customer is refused. The full
// history is in the events.
const MaxRecentDenials = 20

// minPruneAt is the download-map size below which expired downloads are not
// swept; sweeping doubles the threshold so the cost is amortised O(1).
const minPruneAt = 64

// Account is the DownloadAccount aggregate of one customer: plan, registered
// devices, active downloads per device, per (title, year) download counts of
// restricted studios, recent denials and counters.
//
// Expired downloads stop counting as active as soon as `now` passes their
// expiry; they are swept from the state, deterministically, when a grant
// finds the map has doubled since the last sweep, and counts of past years
// are dropped when the first restricted grant of a new year is applied. Both
// assume event times do not go backwards, which the injected clock
// guarantees for the service.
type Account struct {
	id       string
	version  uint64
	plan     string
	openedAt time.Time
	// devices maps a registered device to its registration time.
	devices map[string]time.Time
	// downloads maps a license id to its download, including expired ones
	// not swept yet.
	downloads map[string]download
	// titles are the restricted-title download counts, every count ≥ 1,
	// kept sorted by (Year, TitleID): a block adopted from a binary
	// snapshot plus the counts changed since (titleCounts). A long
	// history's snapshot holds a few hundred of them; a load adopts them
	// without a value per count, and lookups are binary searches.
	titles     titleCounts
	latestYear int
	// The recent denials, oldest first, are a snapshot's list as its codec
	// left it undecoded (snapDenials) without its first snapDropped, then
	// the denials added since (denials). A load decodes none of them, not
	// even when its tail adds some, and AcquireLicense only looks one
	// request id up.
	snapDenials DenialList
	snapDropped int
	denials     []Denial
	pruneAt     int
	counters    AccountCounters
}

type download struct {
	deviceID  string
	titleID   string
	expiresAt time.Time
}

// Denial is one refused AcquireLicense as kept in the account state.
type Denial struct {
	RequestID string
	DeviceID  string
	TitleID   string
	Reason    Reason
	Detail    string
	At        time.Time
}

// AccountCounters counts the account's decisions over its whole history.
type AccountCounters struct {
	Granted  uint64
	Denied   uint64
	Renewed  uint64
	Released uint64
}

// NewAccount returns the empty account of customerID, ready for replay.
func NewAccount(customerID string) *Account {
	return &Account{
		id:        customerID,
		devices:   map[string]time.Time{},
		downloads: map[string]download{},
		pruneAt:   minPruneAt,
	}
}

// AggregateType returns TypeAccount.
func (a *Account) AggregateType() string { return TypeAccount }

// Version is the version of the last applied event.
func (a *Account) Version() uint64 { return a.version }

// CustomerID is the account's customer.
func (a *Account) CustomerID() string { return a.id }

// Opened reports whether AccountOpened was applied.
func (a *Account) Opened() bool { return a.version > 0 }

// Plan is the account's plan.
func (a *Account) Plan() string { return a.plan }

// OpenedAt is when the account was opened.
func (a *Account) OpenedAt() time.Time { return a.openedAt }

// HasDevice reports whether deviceID is registered.
func (a *Account) HasDevice(deviceID string) bool {
	_, ok := a.devices[deviceID]
	return ok
}

// Devices lists the registered devices, sorted.
func (a *Account) Devices() []string {
	ids := make([]string, 0, len(a.devices))
	for id := range a.devices {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ActiveDownloads counts the downloads on deviceID that have not expired at
// now.
func (a *Account) ActiveDownloads(deviceID string, now time.Time) int {
	n := 0
	for _, d := range a.downloads {
		if d.deviceID == deviceID && now.Before(d.expiresAt) {
			n++
		}
	}
	return n
}

// ActiveDevices counts the devices holding at least one download that has
// not expired at now.
func (a *Account) ActiveDevices(now time.Time) int {
	return len(a.activeDevices(now))
}

// deviceLoad counts, in one pass and without allocating for small limits,
// the active downloads on deviceID and the other devices holding active
// downloads, the latter only up to limit (all the device rule needs).
func (a *Account) deviceLoad(deviceID string, limit int, now time.Time) (onDevice, others int) {
	var buf [8]string
	seen := buf[:0]
	for _, d := range a.downloads {
		if !now.Before(d.expiresAt) {
			continue
		}
		if d.deviceID == deviceID {
			onDevice++
			continue
		}
		if len(seen) >= limit || slices.Contains(seen, d.deviceID) {
			continue
		}
		seen = append(seen, d.deviceID)
	}
	return onDevice, len(seen)
}

func (a *Account) activeDevices(now time.Time) map[string]int {
	per := make(map[string]int, len(a.devices))
	for _, d := range a.downloads {
		if now.Before(d.expiresAt) {
			per[d.deviceID]++
		}
	}
	return per
}

// ActiveLicenses lists the license ids on deviceID that have not expired at
// now, sorted.
func (a *Account) ActiveLicenses(deviceID string, now time.Time) []string {
	var ids []string
	for id, d := range a.downloads {
		if d.deviceID == deviceID && now.Before(d.expiresAt) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// HasDownload reports whether licenseID is in the account's downloads and
// returns its expiry (expired downloads may already have been swept).
func (a *Account) HasDownload(licenseID string) (expiresAt time.Time, ok bool) {
	d, ok := a.downloads[licenseID]
	return d.expiresAt, ok
}

// TitleYearCount is how many restricted downloads of titleID were granted in
// calendar year (UTC).
func (a *Account) TitleYearCount(titleID string, year int) int {
	return a.titles.get(titleID, year)
}

// compareTitleYear orders counts by year, then title: the order of
// AccountSnapshot.TitleYears.
func compareTitleYear(x, y TitleYearCount) int {
	if c := cmp.Compare(x.Year, y.Year); c != 0 {
		return c
	}
	return strings.Compare(x.TitleID, y.TitleID)
}

// RecentDenials returns up to MaxRecentDenials of the latest denials, oldest
// first. The slice is a copy.
func (a *Account) RecentDenials() []Denial {
	var out []Denial
	if a.snapDenials != nil {
		out = a.snapDenials.AppendTo(make([]Denial, 0, a.snapDenials.Len()+len(a.denials)))
		out = append(out[:0], out[a.snapDropped:]...)
	}
	return append(out, a.denials...)
}

// DenialList is a snapshot's recent denials as a codec keeps them, checked
// but not decoded (AccountSnapshot.SetDenialList): decoding them, with
// their detail text, was a large share of loading a long history's
// snapshot, and AcquireLicense only looks one request id up.
type DenialList interface {
	// Len is the number of denials.
	Len() int
	// Find returns the latest denial of requestID among denials from..Len()-1
	// (oldest first), with its time in UTC.
	Find(from int, requestID string) (Denial, bool)
	// AppendTo appends every denial, oldest first, times in UTC, to dst.
	AppendTo(dst []Denial) []Denial
}

// Counters returns the account's lifetime counters.
func (a *Account) Counters() AccountCounters { return a.counters }

func (a *Account) fail(v uint64, e Event, err error) error {
	return &ApplyError{Aggregate: TypeAccount, ID: a.id, Version: v, Event: eventName(e), Err: err}
}

// Apply folds the account event e at version v. It accepts the pointer
// event types of the account stream and returns an *ApplyError for a
// version gap, a license event, a nil event or a misplaced AccountOpened.
func (a *Account) Apply(v uint64, e Event) error {
	if v != a.version+1 {
		return a.fail(v, e, fmt.Errorf("%w: aggregate at %d", ErrVersionGap, a.version))
	}
	if opened, ok := e.(*AccountOpened); ok {
		if opened == nil || a.version != 0 {
			return a.fail(v, e, ErrUnexpectedEvent)
		}
		if a.id != "" && opened.CustomerID != a.id {
			return a.fail(v, e, fmt.Errorf("%w: account opened for customer %q", ErrWrongAggregate, opened.CustomerID))
		}
		a.id = opened.CustomerID
		a.plan = opened.Plan
		a.openedAt = opened.At.UTC()
		a.version = v
		return nil
	}
	if a.version == 0 {
		return a.fail(v, e, fmt.Errorf("%w: the stream must start with AccountOpened", ErrUnexpectedEvent))
	}
	switch ev := e.(type) {
	case *DeviceRegistered:
		if ev == nil {
			return a.fail(v, e, ErrUnexpectedEvent)
		}
		a.devices[ev.DeviceID] = ev.At.UTC()
	case *DeviceRemoved:
		if ev == nil {
			return a.fail(v, e, ErrUnexpectedEvent)
		}
		delete(a.devices, ev.DeviceID)
		// Active downloads were released by preceding DownloadReleased events;
		// expired leftovers of the device go with it.
		for id, d := range a.downloads {
			if d.deviceID == ev.DeviceID {
				delete(a.downloads, id)
			}
		}
	case *DownloadGranted:
		if ev == nil {
			return a.fail(v, e, ErrUnexpectedEvent)
		}
		a.applyGranted(ev)
	case *DownloadRenewed:
		if ev == nil {
			return a.fail(v, e, ErrUnexpectedEvent)
		}
		// A renewal of a swept download cannot happen with monotonic time
		// (only expired downloads are swept, and those are not renewed); if
		// it does, there is nothing to extend.
		if d, ok := a.downloads[ev.LicenseID]; ok {
			d.expiresAt = ev.ExpiresAt.UTC()
			a.downloads[ev.LicenseID] = d
		}
		a.counters.Renewed++
	case *DownloadReleased:
		if ev == nil {
			return a.fail(v, e, ErrUnexpectedEvent)
		}
		delete(a.downloads, ev.LicenseID)
		a.counters.Released++
	case *DownloadDenied:
		if ev == nil {
			return a.fail(v, e, ErrUnexpectedEvent)
		}
		a.addDenial(Denial{RequestID: ev.RequestID, DeviceID: ev.DeviceID, TitleID: ev.TitleID,
			Reason: Reason(ev.Reason), Detail: ev.Detail, At: ev.At.UTC()})
		a.counters.Denied++
	case nil:
		return a.fail(v, e, ErrUnexpectedEvent)
	default:
		return a.fail(v, e, fmt.Errorf("%w: %s is not an account event", ErrWrongAggregate, e.EventType()))
	}
	a.version = v
	return nil
}

func (a *Account) applyGranted(ev *DownloadGranted) {
	if len(a.downloads) >= a.pruneAt {
		at := ev.At
		for id, d := range a.downloads {
			if !at.Before(d.expiresAt) {
				delete(a.downloads, id)
			}
		}
		a.pruneAt = max(minPruneAt, 2*len(a.downloads))
	}
	a.downloads[ev.LicenseID] = download{deviceID: ev.DeviceID, titleID: ev.TitleID, expiresAt: ev.ExpiresAt.UTC()}
	if ev.Restricted {
		if ev.Year > a.latestYear {
			a.titles.dropBefore(ev.Year)
			a.latestYear = ev.Year
		}
		a.titles.inc(ev.TitleID, ev.Year)
	}
	a.counters.Granted++
}

// addDenial keeps d as the latest denial, forgetting the oldest when
// MaxRecentDenials are kept: a snapshot list's oldest by counting it
// dropped, without decoding the list.
func (a *Account) addDenial(d Denial) {
	if a.snapDenials != nil && a.snapDenials.Len()-a.snapDropped+len(a.denials) >= MaxRecentDenials {
		if a.snapDropped++; a.snapDropped == a.snapDenials.Len() {
			a.snapDenials, a.snapDropped = nil, 0
		}
	}
	if len(a.denials) < MaxRecentDenials {
		a.denials = append(a.denials, d)
		return
	}
	copy(a.denials, a.denials[1:])
	a.denials[len(a.denials)-1] = d
}

// findDenial returns the recent denial of requestID, if still kept.
func (a *Account) findDenial(requestID string) (Denial, bool) {
	for i := len(a.denials) - 1; i >= 0; i-- {
		if a.denials[i].RequestID == requestID {
			return a.denials[i], true
		}
	}
	if a.snapDenials != nil {
		return a.snapDenials.Find(a.snapDropped, requestID)
	}
	return Denial{}, false
}

// restoreTitleYears returns a snapshot's title counts as the account keeps
// them: sorted by (Year, TitleID). Snapshots written by SnapshotState are
// sorted already, and an owned slice in that order is kept as it is, the
// cheapest restore there is; otherwise it is a sorted copy. Any other order
// is accepted as before, a repeated (title, year) keeping its last count.
func restoreTitleYears(in []TitleYearCount, owned bool) ([]TitleYearCount, error) {
	sorted := true
	for i := range in {
		c := &in[i]
		if c.Count <= 0 {
			return nil, fmt.Errorf("%w: title %q year %d count %d", ErrUnexpectedEvent, c.TitleID, c.Year, c.Count)
		}
		if i > 0 && sorted {
			// compareTitleYear(in[i-1], *c) >= 0, spelled out: this loop
			// runs over every count of a long history's snapshot.
			p := &in[i-1]
			sorted = p.Year < c.Year || p.Year == c.Year && p.TitleID < c.TitleID
		}
	}
	if len(in) == 0 {
		return nil, nil
	}
	if sorted && owned {
		return in, nil
	}
	out := slices.Clone(in)
	if sorted {
		return out, nil
	}
	slices.SortStableFunc(out, compareTitleYear)
	// Keep the last of each run of equal keys, as assigning them one by
	// one to a map would.
	w := 0
	for i := range out {
		if i+1 < len(out) && compareTitleYear(out[i], out[i+1]) == 0 {
			continue
		}
		out[w] = out[i]
		w++
	}
	clear(out[w:])
	return out[:w], nil
}

// AccountSnapshot is the codec-friendly state of an Account. Slices are
// sorted by key so equal states encode to equal bytes.
type AccountSnapshot struct {
	CustomerID string
	Plan       string
	OpenedAt   time.Time
	Devices    []DeviceEntry
	Downloads  []DownloadEntry
	TitleYears []TitleYearCount
	// titleBlock holds the title counts instead of TitleYears in a
	// snapshot the binary codec decoded (SetTitleBlock); unexported so
	// that the reflection codecs neither write nor fill it.
	titleBlock TitleBlock
	LatestYear int
	// denialList holds the denials instead of Denials in a snapshot the
	// binary codec decoded (SetDenialList); unexported for the same reason.
	denialList DenialList
	// Denials are the recent denials, oldest first.
	Denials  []Denial
	PruneAt  int
	Counters AccountCounters
}

// SetTitleBlock makes b the snapshot's title counts in place of
// TitleYears, which it clears. A decoder that reads the TitleBlock layout
// uses it, so that a restore adopts the block without a value per count.
func (s *AccountSnapshot) SetTitleBlock(b TitleBlock) {
	s.titleBlock = b
	s.TitleYears = nil
}

// TitleBlock returns the counts SetTitleBlock set (the empty block if
// none).
func (s *AccountSnapshot) TitleBlock() TitleBlock { return s.titleBlock }

// TitleYearCounts returns the title counts however they are held: the
// block's as a new slice, or else TitleYears itself.
func (s *AccountSnapshot) TitleYearCounts() []TitleYearCount {
	if s.titleBlock.Len() > 0 {
		return s.titleBlock.AppendTo(make([]TitleYearCount, 0, s.titleBlock.Len()))
	}
	return s.TitleYears
}

// SetDenialList makes l the snapshot's denials in place of Denials, which
// it clears. A decoder that checks the denials without decoding them uses
// it.
func (s *AccountSnapshot) SetDenialList(l DenialList) {
	s.denialList = l
	s.Denials = nil
}

// DenialList returns the list SetDenialList set, or nil.
func (s *AccountSnapshot) DenialList() DenialList { return s.denialList }

// RecentDenials returns the denials however they are held: the list's as a
// new slice, or else Denials itself.
func (s *AccountSnapshot) RecentDenials() []Denial {
	if s.denialList != nil {
		return s.denialList.AppendTo(nil)
	}
	return s.Denials
}

func (s *AccountSnapshot) denialCount() int {
	if s.denialList == nil {
		return 0
	}
	return s.denialList.Len()
}

// Decoded returns s if it holds its title counts in TitleYears and its
// denials in Denials, or else a copy that does, with no block or list: the
// form in which snapshots of every codec compare equal.
func (s *AccountSnapshot) Decoded() *AccountSnapshot {
	if s.titleBlock.Len() == 0 && s.denialList == nil {
		return s
	}
	n := *s
	n.TitleYears = s.TitleYearCounts()
	n.titleBlock = TitleBlock{}
	n.Denials = s.RecentDenials()
	n.denialList = nil
	return &n
}

// DeviceEntry is a registered device in an AccountSnapshot.
type DeviceEntry struct {
	DeviceID     string
	RegisteredAt time.Time
}

// DownloadEntry is a download (active or not yet swept) in an
// AccountSnapshot.
type DownloadEntry struct {
	LicenseID string
	DeviceID  string
	TitleID   string
	ExpiresAt time.Time
}

// TitleYearCount is a per (title, year) restricted download count in an
// AccountSnapshot.
type TitleYearCount struct {
	TitleID string
	Year    int
	Count   int
}

// SnapshotState returns an *AccountSnapshot of the current state.
func (a *Account) SnapshotState() any {
	s := &AccountSnapshot{
		CustomerID: a.id,
		Plan:       a.plan,
		OpenedAt:   a.openedAt,
		LatestYear: a.latestYear,
		PruneAt:    a.pruneAt,
		Counters:   a.counters,
	}
	if len(a.devices) > 0 {
		s.Devices = make([]DeviceEntry, 0, len(a.devices))
		for id, at := range a.devices {
			s.Devices = append(s.Devices, DeviceEntry{DeviceID: id, RegisteredAt: at})
		}
		sort.Slice(s.Devices, func(i, j int) bool { return s.Devices[i].DeviceID < s.Devices[j].DeviceID })
	}
	if len(a.downloads) > 0 {
		s.Downloads = make([]DownloadEntry, 0, len(a.downloads))
		for id, d := range a.downloads {
			s.Downloads = append(s.Downloads, DownloadEntry{LicenseID: id, DeviceID: d.deviceID, TitleID: d.titleID, ExpiresAt: d.expiresAt})
		}
		sort.Slice(s.Downloads, func(i, j int) bool { return s.Downloads[i].LicenseID < s.Downloads[j].LicenseID })
	}
	if all := a.titles.all(); len(all) > 0 {
		s.TitleYears = all
	}
	if d := a.RecentDenials(); len(d) > 0 {
		s.Denials = d
	}
	return s
}

// RestoreSnapshot replaces the state with snap, an *AccountSnapshot taken
// at version v. It refuses another customer's snapshot and inconsistent
// contents (a download or count that cannot have been folded from events).
// snap stays the caller's: the account copies what it keeps.
func (a *Account) RestoreSnapshot(v uint64, snap any) error {
	return a.restore(v, snap, false)
}

// RestoreOwnedSnapshot is RestoreSnapshot for a snap the caller gives away
// (OwnedRestorer): the account keeps snap's title counts and denials as its
// own state instead of copying them. A long history's snapshot holds a few
// hundred counts, and copying them was most of a restore.
func (a *Account) RestoreOwnedSnapshot(v uint64, snap any) error {
	return a.restore(v, snap, true)
}

func (a *Account) restore(v uint64, snap any, owned bool) error {
	var s *AccountSnapshot
	switch x := snap.(type) {
	case *AccountSnapshot:
		s = x
	case AccountSnapshot:
		// A copy of the caller's value, whose slices are still shared.
		s, owned = &x, false
	}
	fail := func(err error) error {
		return &ApplyError{Aggregate: TypeAccount, ID: a.id, Version: v, Event: fmt.Sprintf("snapshot %T", snap), Err: err}
	}
	if s == nil {
		return fail(fmt.Errorf("%w: not an account snapshot", ErrWrongAggregate))
	}
	if v == 0 {
		return fail(fmt.Errorf("%w: snapshot at version 0", ErrUnexpectedEvent))
	}
	if a.id != "" && s.CustomerID != a.id {
		return fail(fmt.Errorf("%w: snapshot of customer %q", ErrWrongAggregate, s.CustomerID))
	}
	if n := len(s.Denials) + s.denialCount(); n > MaxRecentDenials {
		return fail(fmt.Errorf("%w: %d denials in snapshot, at most %d are kept", ErrUnexpectedEvent, n, MaxRecentDenials))
	}
	if len(s.Denials) > 0 && s.denialCount() > 0 {
		return fail(fmt.Errorf("%w: denials both in a list and in Denials", ErrUnexpectedEvent))
	}
	// Maps sized once, so that restoring does not grow them entry by entry.
	n := &Account{
		id:        s.CustomerID,
		devices:   make(map[string]time.Time, len(s.Devices)),
		downloads: make(map[string]download, len(s.Downloads)),
	}
	n.version = v
	n.plan = s.Plan
	n.openedAt = s.OpenedAt.UTC()
	n.latestYear = s.LatestYear
	n.pruneAt = max(s.PruneAt, minPruneAt)
	n.counters = s.Counters
	for _, d := range s.Devices {
		n.devices[d.DeviceID] = d.RegisteredAt.UTC()
	}
	for _, d := range s.Downloads {
		n.downloads[d.LicenseID] = download{deviceID: d.DeviceID, titleID: d.TitleID, expiresAt: d.ExpiresAt.UTC()}
	}
	if s.titleBlock.Len() > 0 {
		if len(s.TitleYears) > 0 {
			return fail(fmt.Errorf("%w: %d title counts both in a block and in TitleYears", ErrUnexpectedEvent, s.titleBlock.Len()+len(s.TitleYears)))
		}
		// Immutable and checked by ParseTitleBlock: kept as it is, owned
		// or not.
		n.titles = titleCounts{block: s.titleBlock}
	} else {
		ty, err := restoreTitleYears(s.TitleYears, owned)
		if err != nil {
			return fail(err)
		}
		n.titles = titleCounts{over: ty}
	}
	switch {
	case s.denialCount() > 0:
		// Read only, like the title block: kept owned or not.
		n.snapDenials = s.denialList
	case len(s.Denials) == 0:
	case owned:
		// addDenial appends while there is room and shifts in place once
		// the slice holds MaxRecentDenials, so any capacity will do.
		n.denials = s.Denials
		for i := range n.denials {
			if at := &n.denials[i].At; at.Location() != time.UTC {
				*at = at.UTC()
			}
		}
	default:
		n.denials = make([]Denial, 0, MaxRecentDenials)
		for _, d := range s.Denials {
			d.At = d.At.UTC()
			n.denials = append(n.denials, d)
		}
	}
	*a = *n
	return nil
}
