package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	cpebble "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/esbench/esbench/refimpl/store"
)

// kindMark keys hold the marks of committed bulk batches: the big-endian
// part and first customer of the range, and its end as the value.
const kindMark = 'p'

// ingestDir is where bulk batches build their tables, inside the store's
// directory so that ingesting them is a hard link, not a copy.
const ingestDir = "ingest"

var _ store.BulkLoader = (*Store)(nil)

// NewBulkBatch implements store.BulkLoader. A batch sorts what it was given
// and writes it as external tables, one per key kind (events, stream meta,
// snapshots), which do not overlap each other; Commit ingests them in one
// step. Ranges of customers in key order make tables that do not overlap
// other batches' either, so Pebble places them in the bottom level and
// never compacts them again (docs/design.md §16).
func (s *Store) NewBulkBatch(ctx context.Context) (store.BulkBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := os.MkdirAll(filepath.Join(s.opts.Dir, ingestDir), 0o755); err != nil {
		return nil, fmt.Errorf("pebble store: bulk batch: %w", err)
	}
	hint := int(s.bulkHint.Load())
	return &bulkBatch{s: s, mem: arena{pool: &s.bulkBlocks}, events: make([]kv, 0, hint)}, nil
}

// BulkMarks implements store.BulkLoader.
func (s *Store) BulkMarks(ctx context.Context) ([]store.BulkMark, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	it, err := s.hot.NewIter(&cpebble.IterOptions{LowerBound: []byte{kindMark}, UpperBound: []byte{kindMark + 1}})
	if err != nil {
		return nil, fmt.Errorf("%w: pebble store: bulk marks: %v", store.ErrUnavailable, err)
	}
	var marks []store.BulkMark
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 13 || len(v) != 8 {
			return nil, errors.Join(fmt.Errorf("%w: bulk mark of %d and %d bytes", errCorrupt, len(k), len(v)), it.Close())
		}
		marks = append(marks, store.BulkMark{Part: binary.BigEndian.Uint32(k[1:]), From: binary.BigEndian.Uint64(k[5:]), To: binary.BigEndian.Uint64(v)})
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("%w: pebble store: bulk marks: %v", store.ErrUnavailable, err)
	}
	return marks, nil
}

// bulkSeq names batch files uniquely within the process.
var bulkSeq atomic.Uint64

type kv struct{ key, value []byte }

// arenaChunk is the size of the blocks a bulk batch carves its keys and
// values from: one allocation per megabyte instead of two per record.
const arenaChunk = 1 << 20

// arena hands out byte slices carved from large blocks, taken from and
// given back to the store's pool: a preload's batches reuse the same
// blocks instead of allocating (and zeroing) new ones per range.
type arena struct {
	pool   *sync.Pool
	buf    []byte
	blocks [][]byte
}

// room returns an empty slice with capacity at least n inside the current
// block; the caller appends at most n bytes to it and passes it to keep.
func (a *arena) room(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		if n <= arenaChunk {
			if p, ok := a.pool.Get().(*[]byte); ok {
				a.buf = (*p)[:0]
			} else {
				a.buf = make([]byte, 0, arenaChunk)
			}
			a.blocks = append(a.blocks, a.buf)
		} else {
			a.buf = make([]byte, 0, n) // too large to pool
		}
	}
	return a.buf[len(a.buf):len(a.buf)]
}

// keep claims b, which room returned and the caller filled.
func (a *arena) keep(b []byte) []byte {
	a.buf = a.buf[:len(a.buf)+len(b)]
	return b[:len(b):len(b)]
}

// release gives the blocks back to the pool; nothing carved from them may
// be used afterwards.
func (a *arena) release() {
	for _, b := range a.blocks {
		b = b[:0]
		a.pool.Put(&b)
	}
	a.buf, a.blocks = nil, nil
}

type bulkBatch struct {
	s *Store
	// The batch's keys by kind: events, stream metas and snapshots, each
	// becoming one table.
	events, metas, snaps []kv
	mem                  arena
	// order is Add's scratch space.
	order []streamReq
}

func (b *bulkBatch) Add(ctx context.Context, reqs []store.AppendRequest, snaps []store.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckBulkAdd(reqs, snaps); err != nil {
		return err
	}
	// One customer's keys in key order, so that a range's customers, which
	// come in key order, give Commit tables sorted already: the streams
	// sorted by prefix (prefixes are length-prefixed, so no stream's keys
	// fall between another's), each stream's events in version order.
	order := b.order[:0]
	for i := range reqs {
		p := b.mem.keep(appendStreamPrefix(b.mem.room(streamPrefixSize(reqs[i].Stream)), kindEvent, reqs[i].Stream))
		order = append(order, streamReq{prefix: p, req: &reqs[i]})
	}
	if len(order) > 1 {
		slices.SortFunc(order, func(x, y streamReq) int { return bytes.Compare(x.prefix, y.prefix) })
	}
	for _, o := range order {
		prefix, r := o.prefix, o.req
		for i, e := range r.Events {
			k := b.mem.keep(binary.BigEndian.AppendUint64(append(b.mem.room(len(prefix)+8), prefix...), uint64(i+1)))
			v := b.mem.keep(appendRecord(b.mem.room(recordSize(e)), e))
			b.events = append(b.events, kv{k, v})
		}
		prefix[0] = kindMeta
		b.metas = append(b.metas, kv{prefix, b.mem.keep(meta{head: uint64(len(r.Events))}.appendTo(b.mem.room(metaSize)))})
	}
	clear(order) // keeps no request alive
	b.order = order[:0]
	s0 := len(b.snaps)
	for _, sn := range snaps {
		b.snaps = append(b.snaps, kv{snapshotKey(streamPrefix(kindSnapshot, sn.Stream), sn.Version), encodeSnapshot(sn)})
	}
	slices.SortFunc(b.snaps[s0:], compareKV)
	return nil
}

// streamReq is a request of a bulk Add with its stream's key prefix.
type streamReq struct {
	prefix []byte
	req    *store.AppendRequest
}

func compareKV(x, y kv) int { return bytes.Compare(x.key, y.key) }

func (b *bulkBatch) Commit(ctx context.Context, mark store.BulkMark) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.s.enter(); err != nil {
		return err
	}
	defer b.s.leave()
	var paths []string
	defer func() {
		for _, p := range paths {
			_ = os.Remove(p)
		}
	}()
	// The next batch starts with room for as many events as this one.
	b.s.bulkHint.Store(int64(len(b.events)))
	for _, kvs := range [][]kv{b.events, b.metas, b.snaps} {
		if len(kvs) == 0 {
			continue
		}
		if !slices.IsSortedFunc(kvs, compareKV) {
			slices.SortFunc(kvs, compareKV)
		}
		p, err := b.writeTable(kvs)
		if p != "" {
			paths = append(paths, p)
		}
		if err != nil {
			return err
		}
	}
	if len(paths) > 0 {
		if err := b.s.hot.Ingest(ctx, paths); err != nil {
			return fmt.Errorf("%w: pebble store: ingest %d tables: %v", store.ErrUnavailable, len(paths), err)
		}
	}
	b.Abort()
	// Ingested tables are durable when Ingest returns; the mark follows
	// them, so a mark never names data that is not there.
	key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32([]byte{kindMark}, mark.Part), mark.From)
	if err := b.s.hot.Set(key, binary.BigEndian.AppendUint64(nil, mark.To), cpebble.Sync); err != nil {
		return fmt.Errorf("%w: pebble store: bulk mark: %v", store.ErrUnavailable, err)
	}
	return nil
}

// writeTable writes sorted kvs as one external table and returns its path.
func (b *bulkBatch) writeTable(kvs []kv) (string, error) {
	path := filepath.Join(b.s.opts.Dir, ingestDir, strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(bulkSeq.Add(1), 10)+".sst")
	f, err := b.s.popts.FS.Create(path, "")
	if err != nil {
		return "", fmt.Errorf("pebble store: bulk table: %w", err)
	}
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f),
		b.s.popts.MakeWriterOptions(len(b.s.popts.Levels)-1, b.s.hot.TableFormat()))
	for i, e := range kvs {
		if i > 0 && bytes.Equal(kvs[i-1].key, e.key) {
			_ = w.Close()
			return path, fmt.Errorf("%w: bulk batch writes key %q twice", store.ErrInvalid, e.key)
		}
		if err := w.Set(e.key, e.value); err != nil {
			_ = w.Close()
			return path, fmt.Errorf("pebble store: bulk table: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return path, fmt.Errorf("pebble store: bulk table: %w", err)
	}
	return path, nil
}

func (b *bulkBatch) Abort() {
	// Pebble has closed the tables (or never saw them): the keys and
	// values are no longer referenced.
	b.mem.release()
	b.events, b.metas, b.snaps = nil, nil, nil
}

// Checkpoint writes a copy of the store's data to dir, which must not
// exist: both tiers, their tables hard-linked where the file system allows,
// so the copy is cheap and the store is unchanged by whatever is done to the
// copy. Runs that write start from a checkpoint of a preloaded dataset, so
// two runs on one dataset start from the same state.
func (s *Store) Checkpoint(dir string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.hot.Checkpoint(filepath.Join(dir, "hot"), cpebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("pebble store: checkpoint of the hot tier into %s: %w", dir, err)
	}
	if err := s.cold.Checkpoint(filepath.Join(dir, "cold"), cpebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("pebble store: checkpoint of the cold tier into %s: %w", dir, err)
	}
	return nil
}

// forksDir is the directory under a store's own that holds its forks.
const forksDir = "forks"

var _ store.Forker = (*Store)(nil)

// Fork implements store.Forker: a checkpoint of both tiers into a new
// directory under the store's own (forks/), tables hard-linked, opened with
// the store's options (without compactions when frozen) and removed when
// the fork is closed. The store itself is not changed.
func (s *Store) Fork(ctx context.Context, opts store.ForkOptions) (store.Store, error) {
	root := filepath.Join(s.opts.Dir, forksDir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("pebble store: fork: %w", err)
	}
	return s.forkInto(ctx, root, opts)
}

// forkInto forks the store into a new directory under root.
func (s *Store) forkInto(ctx context.Context, root string, opts store.ForkOptions) (store.Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(root, "esbench-pebble-fork-")
	if err != nil {
		return nil, fmt.Errorf("pebble store: fork: %w", err)
	}
	if err := s.Checkpoint(dir); err != nil {
		return nil, errors.Join(fmt.Errorf("pebble store: fork: %w", err), os.RemoveAll(dir))
	}
	o := s.opts
	o.Dir, o.ColdDir, o.NoCompactions = dir, "", opts.Frozen
	f, err := Open(o)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("pebble store: opening a fork: %w", err), os.RemoveAll(dir))
	}
	return &tempDirStore{Store: f, dir: dir}, nil
}
