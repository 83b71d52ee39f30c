package repository

import (
	"context"
	"errors"
	"testing"

	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// FuzzLoadStoredBytes stores arbitrary bytes as an account event and as an
// account snapshot and loads the stream: the load must return a state or an
// error, never panic, and a failed event decode must name the stream and
// version.
func FuzzLoadStoredBytes(f *testing.F) {
	reg := domain.NewRegistry()
	good, err := reg.Encode("gob", &domain.DeviceRegistered{DeviceID: "d"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("json", "DeviceRegistered", []byte(`{"DeviceID":"d"}`), []byte(`{"CustomerID":"c"}`))
	f.Add("gob", "DeviceRegistered", good.Payload, good.Payload)
	f.Add("json", "DownloadDenied", []byte(`{"Reason":7}`), []byte(`[]`))
	f.Add("gob", "AccountOpened", []byte{0xff, 0xff, 0xff, 0x7f, 0x01}, []byte{})
	f.Fuzz(func(t *testing.T, codecID, typ string, event, snapshot []byte) {
		ctx := context.Background()
		st := memory.New()
		r, err := New(st, reg, Options{Snapshots: SnapshotPolicy{Mode: EveryN, Every: 1}})
		if err != nil {
			t.Fatal(err)
		}
		s := accountStream("fuzz")
		opened, _ := reg.Encode("json", &domain.AccountOpened{CustomerID: "fuzz", Plan: domain.PlanBasic})
		recs := []store.Record{
			{EventID: "e1", Type: opened.Type, SchemaVersion: 1, Codec: "json", Payload: opened.Payload},
			{EventID: "e2", Type: typ, SchemaVersion: 1, Codec: codecID, Payload: event},
		}
		if typ == "" {
			recs[1].Type = "DeviceRegistered"
		}
		if err := st.Append(ctx, store.AppendRequest{Stream: s, Events: recs}); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveSnapshot(ctx, store.Snapshot{Stream: s, Version: 1, Type: domain.TypeAccount, SchemaVersion: 1, Codec: codecID, Payload: snapshot}); err != nil {
			t.Fatal(err)
		}
		_, err = r.Load(ctx, s, domain.NewAccount("fuzz"))
		var de *codec.DecodeError
		if errors.As(err, &de) && (de.Stream != s.String() || de.Version != 2) {
			t.Fatalf("decode error %v does not name %s version 2", err, s)
		}
	})
}
