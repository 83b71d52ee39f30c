package service

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"math/rand/v2"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// millisCodec is JSON that loses the sub-millisecond part of every time
// field on decode while lossy is set (always when it is nil): a codec that
// does not give back exactly what it was given, which the bulk path must
// notice and decode around (repository.Bulk folds the decision's events
// only where the codec round-trips them).
type millisCodec struct{ lossy *atomic.Bool }

func (millisCodec) ID() string { return "json-ms" }

func (millisCodec) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

func (c millisCodec) Unmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if c.lossy != nil && !c.lossy.Load() {
		return nil
	}
	s := reflect.ValueOf(v).Elem()
	if s.Kind() != reflect.Struct {
		return nil
	}
	for i := range s.NumField() {
		if f := s.Field(i); f.CanSet() && f.Type() == reflect.TypeFor[time.Time]() {
			f.Set(reflect.ValueOf(f.Interface().(time.Time).Truncate(time.Millisecond)))
		}
	}
	return nil
}

// testRegistry is the domain registry with millisCodec added.
func testRegistry() *codec.Registry { return domain.NewRegistry(millisCodec{}) }

// TestPreloadInexactCodecLateDifference: a codec that starts losing
// precision after the bulk path has come to trust it makes the Bulk fail
// with ErrInexactCodec instead of writing histories decided on state a
// replay would not give.
func TestPreloadInexactCodecLateDifference(t *testing.T) {
	var lossy atomic.Bool
	repo, err := repository.New(memory.New(), domain.NewRegistry(millisCodec{lossy: &lossy}), repository.Options{Codec: "json-ms"})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	s, err := New(repo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var failed error
	for c := 0; c < 40 && failed == nil; c++ {
		if c == 20 {
			lossy.Store(true)
		}
		customer := "c" + strconv.Itoa(c)
		p, err := s.NewPreload(customer)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range randomHistory(rng, customer, 200) {
			if _, err := inBulk(p, h); errors.Is(err, repository.ErrInexactCodec) {
				failed = err
				if c < 20 {
					t.Fatalf("customer %d failed before the codec lost anything: %v", c, err)
				}
				break
			}
		}
		if _, err := p.Flush(context.Background()); err != nil && failed == nil {
			t.Fatal(err)
		}
	}
	if failed == nil {
		t.Fatal("the codec lost precision for 20 customers' histories and no Bulk noticed")
	}
}
