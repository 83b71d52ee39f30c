package inproc

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/catalog"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/target"
)

// Name is the driver name of the in-process reference service.
const Name = "inproc"

// DefaultStore is the store backend --store selects by default.
const DefaultStore = "pebble"

func init() {
	target.Register(target.Driver{
		Name:    Name,
		Summary: "the reference service in this process, on the event store chosen with --store",
		New:     func() target.Settings { return &Settings{} },
	})
}

// Settings are the in-process service's flags: the store selection (--store
// and every registered backend's flags) and the service's own options.
type Settings struct {
	stores     *store.Selection
	timeout    time.Duration
	asyncSnaps bool

	regOnce sync.Once
	reg     *codec.Registry
	regErr  error

	// WrapStore, if set, decorates every store Open opens before the
	// service uses it (the acknowledged-write ledger, injected faults). On
	// error it closes st.
	WrapStore func(st store.Store, cfg target.Config) (store.Store, error)
}

// MaxTimeout bounds --timeout: a deadline longer than any run is none.
const MaxTimeout = time.Hour

// AddFlags registers --store with every store backend's flags, --timeout
// and --async-snapshots.
func (s *Settings) AddFlags(fs *pflag.FlagSet) {
	s.stores = store.NewSelection(fs, DefaultStore)
	fs.DurationVar(&s.timeout, "timeout", 0, "service per-command store deadline (0: none)")
	fs.BoolVar(&s.asyncSnaps, "async-snapshots", false, "write snapshots off the command path")
}

// Stores is the store selection, so callers can tell which backend a flag
// belongs to.
func (s *Settings) Stores() *store.Selection { return s.stores }

// Check validates the store selection and the service's flags.
func (s *Settings) Check() error {
	if s.timeout < 0 || s.timeout > MaxTimeout {
		return fmt.Errorf("--timeout %s: must be in [0s, %s] (0: no deadline)", s.timeout, MaxTimeout)
	}
	return s.stores.Check()
}

// Open opens a store for cfg (an isolated configuration gets its own
// directory or keyspace, named after it) and the service on it, with every
// codec of the catalogue.
func (s *Settings) Open(ctx context.Context, cfg target.Config) (target.System, error) {
	s.regOnce.Do(func() {
		codecs, err := catalog.All()
		s.reg, s.regErr = domain.NewRegistry(codecs...), err
	})
	if s.regErr != nil {
		return nil, s.regErr
	}
	var opts store.OpenOptions
	if cfg.Isolated {
		opts.Instance = cfg.Name
	}
	st, err := s.stores.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if s.WrapStore != nil {
		if st, err = s.WrapStore(st, cfg); err != nil {
			return nil, err
		}
	}
	return New(st, Options{Registry: s.reg, Codec: cfg.Codec, Snapshot: cfg.Snapshot, AsyncSnapshots: s.asyncSnaps,
		Timeout: s.timeout, Start: cfg.Start})
}

// About names the store; results record the store as the backend.
func (s *Settings) About() target.About {
	set := s.stores.Settings()
	if set == nil { // not checked yet: an unknown store
		return target.About{Description: s.stores.Name(), Backend: s.stores.Name()}
	}
	a := set.About()
	opts := map[string]string{"description": a.Description}
	for k, v := range a.Options {
		opts[k] = v
	}
	if s.asyncSnaps {
		opts["async_snapshots"] = strconv.FormatBool(true)
	}
	return target.About{Description: a.Description, Backend: s.stores.Name(), Options: opts, Persistent: a.Persistent}
}
