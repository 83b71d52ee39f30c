// Package ledger records, during a run, every append the store acknowledged
// (stream, version, event id) and every append whose outcome is unknown,
// and audits a store against those records afterwards, in the manner of
// Jepsen's checkers: acknowledged, found, lost, duplicated, divergent.
//
// Soundness (docs/design.md, "The acknowledged-write ledger"): an entry is
// written only after the store acknowledged the append, so the ledger never
// claims a write that was not acknowledged. Entries are buffered and handed
// to the operating system every FlushEvery; a kill -9 of esbench loses at
// most the unflushed tail, which only makes the audit check fewer writes,
// never report a false loss. The reader ignores a torn last line.
package ledger

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/esbench/esbench/refimpl/store"
)

// Format names the ledger format in the header line.
const Format = "esbench-ledger/v1"

// FlushEvery is how often buffered entries are written to the file.
const FlushEvery = 200 * time.Millisecond

// ErrFormat marks a ledger file that cannot be read.
var ErrFormat = errors.New("ledger: malformed file")

// Header says which store a ledger's entries were acknowledged by, so the
// audit reads the same store.
type Header struct {
	Format string `json:"format"`
	// Config names the measured configuration (the run's name).
	Config string `json:"config"`
	// Store is the backend (pebble, cassandra); Location where its data
	// lives (store.About.Location); Instance the instance a study's
	// configuration opened (store.OpenOptions.Instance), empty for a run on
	// the store itself.
	Store    string `json:"store"`
	Location string `json:"location"`
	Instance string `json:"instance,omitempty"`
	// Started is when the ledger was created.
	Started time.Time `json:"started"`
}

// Writer appends entries to a ledger file. It is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	f       *os.File
	buf     *bufio.Writer
	streams map[store.StreamID]int
	calls   int64
	err     error
	stop    chan struct{}
	done    chan struct{}
	line    []byte
	// closeOnce makes Close safe to call again (a store's Close may be);
	// closeErr is what the first call returned.
	closeOnce sync.Once
	closeErr  error
}

// Create creates the ledger file at path (which must not exist) and writes
// its header.
func Create(path string, h Header) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	h.Format = Format
	hj, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	w := &Writer{f: f, buf: bufio.NewWriterSize(f, 64<<10), streams: map[store.StreamID]int{},
		stop: make(chan struct{}), done: make(chan struct{})}
	w.buf.WriteString("# ")
	w.buf.Write(hj)
	w.buf.WriteByte('\n')
	if err := w.buf.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	go w.flushLoop()
	return w, nil
}

func (w *Writer) flushLoop() {
	defer close(w.done)
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			if w.err == nil && w.buf.Buffered() > 0 {
				w.err = w.buf.Flush()
			}
			w.mu.Unlock()
		}
	}
}

// Acked records the events of reqs as acknowledged by the store.
func (w *Writer) Acked(reqs []store.AppendRequest) { w.record('A', 0, reqs) }

// Unknown records the events of reqs as an append whose outcome is unknown
// (the store failed in a way that does not say whether it applied it).
func (w *Writer) Unknown(reqs []store.AppendRequest) {
	w.mu.Lock()
	w.calls++
	call := w.calls
	w.mu.Unlock()
	w.record('U', call, reqs)
}

func (w *Writer) record(kind byte, call int64, reqs []store.AppendRequest) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range reqs {
		l, ok := w.begin(kind, call, r.Stream, r.ExpectedVersion+1)
		if !ok {
			return
		}
		for _, e := range r.Events {
			l = append(l, ' ')
			l = appendField(l, e.EventID)
		}
		if !w.end(l) {
			return
		}
	}
}

// ackedBulk records appends a bulk batch committed as acknowledged.
func (w *Writer) ackedBulk(as []Append) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range as {
		l, ok := w.begin('A', 0, a.Stream, a.First)
		if !ok {
			return
		}
		for _, id := range a.EventIDs {
			l = append(l, ' ')
			l = appendField(l, id)
		}
		if !w.end(l) {
			return
		}
	}
}

// unknownEach records every event of as as an outcome of its own: a bulk
// batch is not atomic (a backend may write during Add, in several batches
// per stream), so each event may be stored or not independently of the
// others, and the audit must not read a half-written batch as a torn
// atomic append.
func (w *Writer) unknownEach(as []Append) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range as {
		for i, id := range a.EventIDs {
			w.calls++
			l, ok := w.begin('U', w.calls, a.Stream, a.First+uint64(i))
			if !ok {
				return
			}
			l = append(l, ' ')
			if !w.end(appendField(l, id)) {
				return
			}
		}
	}
}

// begin starts the line of an append to s from version first (defining
// the stream on its first use) and returns it, up to its event ids; false
// if the ledger already failed. The caller holds w.mu.
func (w *Writer) begin(kind byte, call int64, s store.StreamID, first uint64) ([]byte, bool) {
	if w.err != nil {
		return nil, false
	}
	n, ok := w.streams[s]
	if !ok {
		n = len(w.streams) + 1
		w.streams[s] = n
		l := append(w.line[:0], 'S', ' ')
		l = strconv.AppendInt(l, int64(n), 10)
		for _, f := range []string{s.Customer, s.AggregateType, s.AggregateID} {
			l = append(l, ' ')
			l = appendField(l, f)
		}
		l = append(l, '\n')
		w.line = l
		w.buf.Write(l)
	}
	l := append(w.line[:0], kind, ' ')
	if kind == 'U' {
		l = strconv.AppendInt(l, call, 10)
		l = append(l, ' ')
	}
	l = strconv.AppendInt(l, int64(n), 10)
	l = append(l, ' ')
	l = strconv.AppendUint(l, first, 10)
	return l, true
}

// end finishes and writes the line begin started; false if the write
// failed (the ledger stops there). The caller holds w.mu.
func (w *Writer) end(l []byte) bool {
	l = append(l, '\n')
	w.line = l
	if _, err := w.buf.Write(l); err != nil {
		w.err = err
		return false
	}
	return true
}

// Close writes what is buffered, syncs the file and closes it. It returns
// the first write error, if any: the ledger is then incomplete (still
// sound: it claims only acknowledged appends). Closing again returns the
// first Close's result.
func (w *Writer) Close() error {
	w.closeOnce.Do(func() { w.closeErr = w.close() })
	return w.closeErr
}

func (w *Writer) close() error {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.err
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// appendField writes s as one token without spaces: path-escaped (the
// usual ids are unchanged), and the empty string as a lone "%", which
// escaping never produces.
func appendField(b []byte, s string) []byte {
	if s == "" {
		return append(b, '%')
	}
	return append(b, url.PathEscape(s)...)
}

func parseField(tok string) (string, error) {
	if tok == "%" {
		return "", nil
	}
	return url.PathUnescape(tok)
}
