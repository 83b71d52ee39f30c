package avro

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/esbench/esbench/refimpl/domain"
)

// A payload written with another writer schema (fields reordered, one extra
// field the reader does not know) decodes through DecodeResolved by field
// name; read as if written with the reader's own schema it cannot be.
func TestDecodeResolvedReadsAnotherWriterSchema(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	writer, err := avro.Parse(`{"type":"record","name":"DeviceRegistered","namespace":"esbench.v1","fields":[
		{"name":"at","type":"long"},{"name":"channel","type":"string"},{"name":"device_id","type":"string"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	type newer struct {
		At       int64  `avro:"at"`
		Channel  string `avro:"channel"`
		DeviceID string `avro:"device_id"`
	}
	data, err := avro.Marshal(writer, newer{At: at.UnixNano(), Channel: "mobile", DeviceID: "c-1/d-1"})
	if err != nil {
		t.Fatal(err)
	}
	var got domain.DeviceRegistered
	if err := c.DecodeResolved(writer, data, &got); err != nil {
		t.Fatalf("DecodeResolved: %v", err)
	}
	if want := (domain.DeviceRegistered{DeviceID: "c-1/d-1", At: at}); !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeResolved = %+v, want %+v", got, want)
	}
	var wrong domain.DeviceRegistered
	if err := c.Unmarshal(data, &wrong); err == nil && reflect.DeepEqual(wrong, got) {
		t.Fatal("decoding without the writer schema gave the right value; the test proves nothing")
	}

	// An incompatible writer (a field the reader needs, with no default, is
	// missing) is a loud error naming the codec.
	old, err := avro.Parse(`{"type":"record","name":"DeviceRegistered","namespace":"esbench.v1","fields":[
		{"name":"at","type":"long"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	data, err = avro.Marshal(old, map[string]any{"at": at.UnixNano()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DecodeResolved(old, data, &got); err == nil || !strings.HasPrefix(err.Error(), ID+":") {
		t.Fatalf("DecodeResolved of an incompatible writer = %v, want an avro error", err)
	}
}
