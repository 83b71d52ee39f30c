// Package faults injects the fault windows of a workload (workload.FaultSpec)
// into a run: store-level faults through a decorator that wraps any store
// backend (added latency, errors, timeouts, a full stall), and node-level
// faults on the nodes of the local Cassandra cluster that
// scripts/cassandra.sh started (SIGSTOP/SIGCONT, SIGKILL and a restart).
//
// Windows are timed from Arm, which the caller invokes when the measured
// run starts (its warmup included), so a window at 10s opens ten seconds
// into the run whatever the preload took.
package faults

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/workload"
)

// ErrInjected marks every error the decorator makes up; it wraps
// store.ErrUnavailable, so the service treats it as a store failure.
var ErrInjected = errors.New("faults: injected")

// Event is a node action the injector took.
type Event struct {
	At     time.Duration `json:"at_ns"`
	Action string        `json:"action"`
	Err    string        `json:"error,omitempty"`
}

// Injector holds a run's fault windows.
type Injector struct {
	faults []workload.FaultSpec
	nodes  *Nodes
	t0     atomic.Int64 // UnixNano of Arm; 0 while disarmed

	mu        sync.Mutex
	events    []Event
	restarted []int // nodes restarted by a window, checked by Wait
	wg        sync.WaitGroup
}

// New returns an injector for faults. nodes may be nil when no fault acts
// on a node.
func New(faults []workload.FaultSpec, nodes *Nodes) (*Injector, error) {
	for _, f := range faults {
		if f.IsNode() && nodes == nil {
			return nil, fmt.Errorf("faults: %s needs the local cluster's directory", f.Name())
		}
	}
	return &Injector{faults: faults, nodes: nodes}, nil
}

// HasStoreFaults reports whether any window acts on store calls.
func (in *Injector) HasStoreFaults() bool {
	for _, f := range in.faults {
		if !f.IsNode() {
			return true
		}
	}
	return false
}

// Arm starts the clock of the windows at t0 and schedules the node
// actions; they stop when ctx ends (a stopped node is resumed, a killed one
// restarted, before Wait returns).
func (in *Injector) Arm(ctx context.Context, t0 time.Time) {
	if !in.t0.CompareAndSwap(0, t0.UnixNano()) {
		return
	}
	for _, f := range in.faults {
		if !f.IsNode() {
			continue
		}
		in.wg.Add(1)
		go func() {
			defer in.wg.Done()
			in.nodeWindow(ctx, t0, f)
		}()
	}
}

// Wait waits for the node actions to finish and returns the events. A
// node restarted by a window that no longer runs by then (it died while
// starting: on a loaded machine a restarting node can miss its peers) is
// an event with an error of its own: the restart itself only started it.
func (in *Injector) Wait() []Event {
	in.wg.Wait()
	in.mu.Lock()
	restarted := slices.Clone(in.restarted)
	in.mu.Unlock()
	if t0 := in.t0.Load(); t0 != 0 {
		for _, node := range restarted {
			if _, _, err := in.nodes.Pid(node); err != nil {
				in.event(time.Unix(0, t0), fmt.Sprintf("node %d at the end of the run", node),
					fmt.Errorf("restarted, but no longer runs (did it fail to start? see its logs): %w", err))
			}
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Event(nil), in.events...)
}

func (in *Injector) event(t0 time.Time, action string, err error) {
	e := Event{At: time.Since(t0), Action: action}
	if err != nil {
		e.Err = err.Error()
	}
	in.mu.Lock()
	in.events = append(in.events, e)
	in.mu.Unlock()
}

// nodeWindow opens and closes one node fault at its times. The closing
// action (SIGCONT, restart) runs even when ctx ends early, so no node is
// left frozen or dead by an interrupted run.
func (in *Injector) nodeWindow(ctx context.Context, t0 time.Time, f workload.FaultSpec) {
	if !sleepUntil(ctx, t0.Add(f.At)) {
		return
	}
	switch f.Kind {
	case workload.FaultNodeStop:
		err := in.nodes.Stop(f.Node)
		in.event(t0, fmt.Sprintf("SIGSTOP node %d", f.Node), err)
		if err != nil {
			return
		}
		sleepUntil(ctx, t0.Add(f.At+f.For))
		in.event(t0, fmt.Sprintf("SIGCONT node %d", f.Node), in.nodes.Cont(f.Node))
	case workload.FaultNodeKill:
		err := in.nodes.Kill(f.Node)
		in.event(t0, fmt.Sprintf("SIGKILL node %d", f.Node), err)
		if err != nil {
			return
		}
		sleepUntil(ctx, t0.Add(f.At+f.For))
		err = in.nodes.Restart(f.Node)
		in.event(t0, fmt.Sprintf("restart node %d", f.Node), err)
		if err == nil {
			in.mu.Lock()
			in.restarted = append(in.restarted, f.Node)
			in.mu.Unlock()
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// before applies the store faults open now to one store call: it delays
// it, fails it, or holds it until the window closes.
func (in *Injector) before(ctx context.Context) error {
	t0 := in.t0.Load()
	if t0 == 0 {
		return nil
	}
	start := time.Unix(0, t0)
	el := time.Since(start)
	for _, f := range in.faults {
		if f.IsNode() || el < f.At || el >= f.At+f.For {
			continue
		}
		switch f.Kind {
		case workload.FaultLatency:
			if err := sleep(ctx, latency(f)); err != nil {
				return err
			}
		case workload.FaultErrors:
			if rand.Float64() < f.Rate {
				return fmt.Errorf("%w error (%s): %w", ErrInjected, f.Name(), store.ErrUnavailable)
			}
		case workload.FaultTimeout:
			if err := sleep(ctx, f.Timeout); err != nil {
				return err
			}
			return fmt.Errorf("%w timeout after %s (%s): %w: %w", ErrInjected, f.Timeout, f.Name(), store.ErrUnavailable, context.DeadlineExceeded)
		case workload.FaultStall:
			if err := sleep(ctx, time.Until(start.Add(f.At+f.For))); err != nil {
				return err
			}
		}
	}
	return nil
}

func latency(f workload.FaultSpec) time.Duration {
	switch f.Distribution {
	case workload.LatencyUniform:
		return time.Duration(rand.Int64N(2*int64(f.Latency) + 1))
	case workload.LatencyExponential:
		return time.Duration(rand.ExpFloat64() * float64(f.Latency))
	}
	return f.Latency
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("faults: %w", ctx.Err())
	}
}

// Wrap returns st with the store faults applied to every call. When st
// loads in bulk (store.BulkLoader), so does the store returned: a preload,
// which runs before the injector is armed, is as fast with store faults as
// without.
func (in *Injector) Wrap(st store.Store) store.Store {
	fs := &faultyStore{Store: st, in: in}
	if bl, ok := st.(store.BulkLoader); ok {
		return &faultyBulkStore{faultyStore: fs, bl: bl}
	}
	return fs
}

// faultyBulkStore is a faultyStore whose store loads in bulk.
type faultyBulkStore struct {
	*faultyStore
	bl store.BulkLoader
}

// NewBulkBatch implements store.BulkLoader: the fault due at the call
// applies to starting the batch.
func (s *faultyBulkStore) NewBulkBatch(ctx context.Context) (store.BulkBatch, error) {
	if err := s.in.before(ctx); err != nil {
		return nil, err
	}
	return s.bl.NewBulkBatch(ctx)
}

// BulkMarks implements store.BulkLoader.
func (s *faultyBulkStore) BulkMarks(ctx context.Context) ([]store.BulkMark, error) {
	if err := s.in.before(ctx); err != nil {
		return nil, err
	}
	return s.bl.BulkMarks(ctx)
}

type faultyStore struct {
	store.Store
	in *Injector
}

func (s *faultyStore) Append(ctx context.Context, reqs ...store.AppendRequest) error {
	if err := s.in.before(ctx); err != nil {
		return err
	}
	return s.Store.Append(ctx, reqs...)
}

func (s *faultyStore) Load(ctx context.Context, st store.StreamID, after uint64) iter.Seq2[store.Record, error] {
	return faultySeq(ctx, s.in, func() iter.Seq2[store.Record, error] { return s.Store.Load(ctx, st, after) })
}

// Replay implements store.Replayer: the fault applies to the call as it
// does to Load, then the wrapped store's replay reader serves it.
func (s *faultyStore) Replay(ctx context.Context, stream store.StreamID, after uint64, watch string) iter.Seq2[store.Replayed, error] {
	return faultySeq(ctx, s.in, func() iter.Seq2[store.Replayed, error] { return store.ReplayFrom(ctx, s.Store, stream, after, watch) })
}

func (s *faultyStore) LoadAudit(ctx context.Context, st store.StreamID) iter.Seq2[store.Record, error] {
	return faultySeq(ctx, s.in, func() iter.Seq2[store.Record, error] { return s.Store.LoadAudit(ctx, st) })
}

// faultySeq applies the fault due now to a read before its first item.
func faultySeq[T any](ctx context.Context, in *Injector, inner func() iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if err := in.before(ctx); err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for r, err := range inner() {
			if !yield(r, err) {
				return
			}
		}
	}
}

func (s *faultyStore) SaveSnapshot(ctx context.Context, sn store.Snapshot) error {
	if err := s.in.before(ctx); err != nil {
		return err
	}
	return s.Store.SaveSnapshot(ctx, sn)
}

func (s *faultyStore) LatestSnapshot(ctx context.Context, st store.StreamID, atOrBelow uint64) (store.Snapshot, bool, error) {
	if err := s.in.before(ctx); err != nil {
		return store.Snapshot{}, false, err
	}
	return s.Store.LatestSnapshot(ctx, st, atOrBelow)
}

func (s *faultyStore) TrimSnapshots(ctx context.Context, st store.StreamID, keep int) error {
	if err := s.in.before(ctx); err != nil {
		return err
	}
	return s.Store.TrimSnapshots(ctx, st, keep)
}

func (s *faultyStore) Archive(ctx context.Context, st store.StreamID) (int, error) {
	if err := s.in.before(ctx); err != nil {
		return 0, err
	}
	return s.Store.Archive(ctx, st)
}
