// Package pebble is the embedded, durable store.Store: events and snapshots
// in a Pebble LSM tree (the same storage shape as Cassandra's), with archived
// events in a second Pebble database that may sit on slower, larger disks.
package pebble

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	cpebble "github.com/cockroachdb/pebble/v2"

	"github.com/esbench/esbench/refimpl/store"
)

// Options configure a Store. Start from DefaultOptions.
type Options struct {
	// Dir holds the data; the hot tier lives in Dir/hot.
	Dir string
	// ColdDir holds the cold tier (archived events), for example on a slower
	// disk. Empty means Dir/cold.
	ColdDir string
	// Sync makes every write wait for fsync. With Sync off a crash of the
	// machine (not of the process) can lose the last acknowledged writes.
	Sync bool
	// PageSize is how many events a Load reads per page; 0 means 512.
	PageSize int
	// CacheSize is the block cache in bytes shared by both tiers; 0 means
	// Pebble's default.
	CacheSize int64
	// Logger receives Pebble's messages (info at debug level); nil discards
	// them.
	Logger *slog.Logger
	// NoCompactions opens without automatic compactions, so that a store
	// opened only to read or checkpoint it keeps its table files as they
	// are (a dataset's checksums cover them).
	NoCompactions bool
}

// DefaultOptions are durable options for a store in dir.
func DefaultOptions(dir string) Options {
	return Options{Dir: dir, Sync: true, PageSize: defaultPageSize}
}

const (
	defaultPageSize = 512
	stripes         = 64
	// archiveChunk bounds the batch an archival copy builds in memory.
	archiveChunk = 1024
)

// Store is a Pebble-backed store.Store, safe for concurrent use.
type Store struct {
	opts Options
	// popts are the options hot was opened with; bulk loads write their
	// tables with them.
	popts *cpebble.Options
	hot   *cpebble.DB
	cold  *cpebble.DB
	wo    *cpebble.WriteOptions

	// closeMu is read-held by every call while it touches the databases and
	// write-held by Close, so Close waits for calls in flight and no call
	// reaches a closed database (Pebble panics on that).
	closeMu sync.RWMutex
	closed  bool

	// Appends, trims and archival of one customer are serialised by the
	// customer's stripe: the expected-version check and the write must be
	// atomic per partition.
	seed    maphash.Seed
	stripes [stripes]sync.Mutex

	// bulkBlocks pools the arena blocks of bulk batches; bulkHint is the
	// event count of the last one committed (bulk.go).
	bulkBlocks sync.Pool
	bulkHint   atomic.Int64
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store described by opts.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("%w: pebble store: Options.Dir is empty", store.ErrInvalid)
	}
	if opts.PageSize < 0 {
		return nil, fmt.Errorf("%w: pebble store: Options.PageSize %d is negative", store.ErrInvalid, opts.PageSize)
	}
	if opts.CacheSize < 0 {
		return nil, fmt.Errorf("%w: pebble store: Options.CacheSize %d is negative", store.ErrInvalid, opts.CacheSize)
	}
	if opts.PageSize == 0 {
		opts.PageSize = defaultPageSize
	}
	if opts.ColdDir == "" {
		opts.ColdDir = filepath.Join(opts.Dir, "cold")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	po := &cpebble.Options{
		FormatMajorVersion: cpebble.FormatNewest,
		Logger:             logger{opts.Logger},
	}
	if opts.CacheSize > 0 {
		c := cpebble.NewCache(opts.CacheSize)
		defer c.Unref() // the databases hold their own references
		po.Cache = c
	}
	po.DisableAutomaticCompactions = opts.NoCompactions
	po.EnsureDefaults() // bulk batches build tables with the filled-in options
	hot, err := cpebble.Open(filepath.Join(opts.Dir, "hot"), po)
	if err != nil {
		return nil, fmt.Errorf("pebble store: open hot tier in %s: %w", opts.Dir, err)
	}
	cold, err := cpebble.Open(opts.ColdDir, po.Clone())
	if err != nil {
		_ = hot.Close()
		return nil, fmt.Errorf("pebble store: open cold tier in %s: %w", opts.ColdDir, err)
	}
	wo := cpebble.NoSync
	if opts.Sync {
		wo = cpebble.Sync
	}
	return &Store{opts: opts, popts: po, hot: hot, cold: cold, wo: wo, seed: maphash.MakeSeed()}, nil
}

// Flush writes both tiers' memtables to tables and waits for it, so the
// write-ahead logs hold nothing a later open would have to replay.
func (s *Store) Flush() error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.hot.Flush(); err != nil {
		return fmt.Errorf("pebble store: flush of the hot tier: %w", err)
	}
	if err := s.cold.Flush(); err != nil {
		return fmt.Errorf("pebble store: flush of the cold tier: %w", err)
	}
	return nil
}

// Options returns the options the store was opened with, defaults filled in
// (a test reopens the same directories with them).
func (s *Store) Options() Options { return s.opts }

// Close waits for calls in flight, then closes both tiers. Later calls
// return store.ErrClosed; closing twice is harmless.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return errors.Join(s.hot.Close(), s.cold.Close())
}

// enter admits a call unless the store is closed; the caller must leave.
func (s *Store) enter() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.closeMu.RUnlock() }

func (s *Store) stripe(customer string) *sync.Mutex {
	return &s.stripes[maphash.String(s.seed, customer)%stripes]
}

// readMeta returns the stream's head and watermark (zero for a new stream).
func (s *Store) readMeta(key []byte) (meta, error) {
	v, closer, err := s.hot.Get(key)
	if errors.Is(err, cpebble.ErrNotFound) {
		return meta{}, nil
	}
	if err != nil {
		return meta{}, fmt.Errorf("%w: pebble store: read stream meta: %v", store.ErrUnavailable, err)
	}
	defer closer.Close()
	return decodeMeta(v)
}

// logger hands Pebble's messages to slog.
type logger struct{ l *slog.Logger }

func (l logger) Infof(format string, args ...any) {
	l.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (l logger) Errorf(format string, args ...any) {
	l.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf is called by Pebble on unrecoverable corruption and must not
// return.
func (l logger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.l.Error(msg, "component", "pebble")
	panic("pebble store: " + msg)
}
