package esbcmp

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"time"
	"unsafe"

	"github.com/fxamacker/cbor/v2"
	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/hamba/avro/v2"
	"google.golang.org/protobuf/proto"

	"github.com/alecthomas/go_serialization_benchmarks/goserbench"
	"github.com/esbench/esbench/refimpl/codec"
	"github.com/esbench/esbench/refimpl/codec/flatbuf/fb"
	"github.com/esbench/esbench/refimpl/codec/protobuf/pb"
	"github.com/esbench/esbench/refimpl/domain"
)

// Case is one serializer in the comparison.
type Case struct {
	Name string
	New  func() goserbench.Serializer
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is what go_serialization_benchmarks does (time.Unix(0, n)),
// plus the zero time and UTC that esbench's values carry.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// --- msgp: generated mirror, reused (as goserbench's msgp serializer) ---

type msgpS struct{ a GrantedMsgp }

func (m *msgpS) Marshal(o any) ([]byte, error) {
	v := o.(*domain.DownloadGranted)
	m.a = GrantedMsgp{v.RequestID, v.LicenseID, v.DeviceID, v.TitleID, v.StudioID, v.Restricted, int64(v.Year), nanos(v.ExpiresAt), nanos(v.At)}
	return m.a.MarshalMsg(nil)
}

func (m *msgpS) Unmarshal(d []byte, o any) error {
	a := &m.a
	if _, err := a.UnmarshalMsg(d); err != nil {
		return err
	}
	v := o.(*domain.DownloadGranted)
	*v = domain.DownloadGranted{RequestID: a.RequestID, LicenseID: a.LicenseID, DeviceID: a.DeviceID, TitleID: a.TitleID,
		StudioID: a.StudioID, Restricted: a.Restricted, Year: int(a.Year), ExpiresAt: fromNanos(a.ExpiresAt), At: fromNanos(a.At)}
	return nil
}

// --- protobuf-go and vtproto: esbench's generated message, reused and reset
// before each decode (as goserbench's protobuf serializer) ---

type protoS struct {
	a          pb.DownloadGranted
	vt, unsafe bool
}

func (s *protoS) Marshal(o any) ([]byte, error) {
	v := o.(*domain.DownloadGranted)
	m := &pb.DownloadGranted{RequestId: v.RequestID, LicenseId: v.LicenseID, DeviceId: v.DeviceID, TitleId: v.TitleID,
		StudioId: v.StudioID, Restricted: v.Restricted, Year: int64(v.Year), ExpiresAt: nanos(v.ExpiresAt), At: nanos(v.At)}
	if s.vt {
		return m.MarshalVT()
	}
	return proto.Marshal(m)
}

func (s *protoS) Unmarshal(d []byte, o any) error {
	a := &s.a
	var err error
	switch {
	case s.unsafe:
		a.ResetVT()
		err = a.UnmarshalVTUnsafe(d)
	case s.vt:
		a.ResetVT()
		err = a.UnmarshalVT(d)
	default:
		proto.Reset(a)
		err = proto.Unmarshal(d, a)
	}
	if err != nil {
		return err
	}
	v := o.(*domain.DownloadGranted)
	*v = domain.DownloadGranted{RequestID: a.RequestId, LicenseID: a.LicenseId, DeviceID: a.DeviceId, TitleID: a.TitleId,
		StudioID: a.StudioId, Restricted: a.Restricted, Year: int(a.Year), ExpiresAt: fromNanos(a.ExpiresAt), At: fromNanos(a.At)}
	return nil
}

// --- hamba/avro: avro.Unmarshal into a tagged struct ---

const avroSchema = `{"type":"record","name":"DownloadGranted","namespace":"esbench.v1","fields":[
		{"name":"request_id","type":"string"},{"name":"license_id","type":"string"},{"name":"device_id","type":"string"},
		{"name":"title_id","type":"string"},{"name":"studio_id","type":"string"},{"name":"restricted","type":"boolean"},
		{"name":"year","type":"long"},{"name":"expires_at","type":"long"},{"name":"at","type":"long"}]}`

type avroS struct {
	s avro.Schema
	a GrantedTagged
}

func newAvro() goserbench.Serializer { return &avroS{s: avro.MustParse(avroSchema)} }

func tagged(v *domain.DownloadGranted) GrantedTagged {
	return GrantedTagged{v.RequestID, v.LicenseID, v.DeviceID, v.TitleID, v.StudioID, v.Restricted, int64(v.Year), nanos(v.ExpiresAt), nanos(v.At)}
}

func fromTagged(a *GrantedTagged, v *domain.DownloadGranted) {
	*v = domain.DownloadGranted{RequestID: a.RequestID, LicenseID: a.LicenseID, DeviceID: a.DeviceID, TitleID: a.TitleID,
		StudioID: a.StudioID, Restricted: a.Restricted, Year: int(a.Year), ExpiresAt: fromNanos(a.ExpiresAt), At: fromNanos(a.At)}
}

func (s *avroS) Marshal(o any) ([]byte, error) {
	t := tagged(o.(*domain.DownloadGranted))
	return avro.Marshal(s.s, &t)
}

func (s *avroS) Unmarshal(d []byte, o any) error {
	if err := avro.Unmarshal(s.s, d, &s.a); err != nil {
		return err
	}
	fromTagged(&s.a, o.(*domain.DownloadGranted))
	return nil
}

// --- fxamacker/cbor: cbor.Unmarshal into a tagged struct ---

type cborS struct{ a GrantedTagged }

func (s *cborS) Marshal(o any) ([]byte, error) {
	t := tagged(o.(*domain.DownloadGranted))
	return cbor.Marshal(&t)
}

func (s *cborS) Unmarshal(d []byte, o any) error {
	s.a = GrantedTagged{}
	if err := cbor.Unmarshal(d, &s.a); err != nil {
		return err
	}
	fromTagged(&s.a, o.(*domain.DownloadGranted))
	return nil
}

// --- flatbuffers: esbench's generated table, read field by field (as
// goserbench's flatbuffers serializer; unsafe_reuse aliases the strings) ---

type fbS struct {
	b      *flatbuffers.Builder
	unsafe bool
}

func (s *fbS) Marshal(o any) ([]byte, error) {
	v := o.(*domain.DownloadGranted)
	b := s.b
	b.Reset()
	req, lic, dev, title, studio := b.CreateString(v.RequestID), b.CreateString(v.LicenseID), b.CreateString(v.DeviceID),
		b.CreateString(v.TitleID), b.CreateString(v.StudioID)
	fb.DownloadGrantedStart(b)
	fb.DownloadGrantedAddRequestId(b, req)
	fb.DownloadGrantedAddLicenseId(b, lic)
	fb.DownloadGrantedAddDeviceId(b, dev)
	fb.DownloadGrantedAddTitleId(b, title)
	fb.DownloadGrantedAddStudioId(b, studio)
	fb.DownloadGrantedAddRestricted(b, v.Restricted)
	fb.DownloadGrantedAddYear(b, int64(v.Year))
	fb.DownloadGrantedAddExpiresAt(b, nanos(v.ExpiresAt))
	fb.DownloadGrantedAddAt(b, nanos(v.At))
	b.Finish(fb.DownloadGrantedEnd(b))
	return b.FinishedBytes(), nil
}

func (s *fbS) Unmarshal(d []byte, o any) error {
	str := func(b []byte) string { return string(b) }
	if s.unsafe {
		str = func(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
	}
	var t fb.DownloadGranted
	t.Init(d, flatbuffers.GetUOffsetT(d))
	v := o.(*domain.DownloadGranted)
	*v = domain.DownloadGranted{RequestID: str(t.RequestId()), LicenseID: str(t.LicenseId()), DeviceID: str(t.DeviceId()),
		TitleID: str(t.TitleId()), StudioID: str(t.StudioId()), Restricted: t.Restricted(), Year: int(t.Year()),
		ExpiresAt: fromNanos(t.ExpiresAt()), At: fromNanos(t.At())}
	return nil
}

// --- encoding/json and encoding/gob straight into the struct (as
// goserbench's stdlib serializers) ---

type jsonS struct{}

func (jsonS) Marshal(o any) ([]byte, error)   { return json.Marshal(o) }
func (jsonS) Unmarshal(d []byte, o any) error { return json.Unmarshal(d, o) }

type gobS struct{}

func (gobS) Marshal(o any) ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(o)
	return buf.Bytes(), err
}
func (gobS) Unmarshal(d []byte, o any) error { return gob.NewDecoder(bytes.NewReader(d)).Decode(o) }

// --- esbench's codec: Marshal, and Unmarshal or UnmarshalAlias (owned) ---

type esbS struct {
	c     codec.Codec
	owned bool
}

func (s esbS) Marshal(o any) ([]byte, error) { return s.c.Marshal(o) }

func (s esbS) Unmarshal(d []byte, o any) error {
	if a, ok := s.c.(codec.AliasUnmarshaler); ok && s.owned {
		return a.UnmarshalAlias(d, o)
	}
	return s.c.Unmarshal(d, o)
}

// Idiomatic lists the go_serialization_benchmarks-style serializer of each
// library, by esbench codec id.
func Idiomatic() map[string][]Case {
	return map[string][]Case{
		"msgp":     {{"msgp", func() goserbench.Serializer { return &msgpS{} }}},
		"protobuf": {{"protobuf-go", func() goserbench.Serializer { return &protoS{} }}},
		"vtproto": {{"vtproto", func() goserbench.Serializer { return &protoS{vt: true} }},
			{"vtproto/unsafe", func() goserbench.Serializer { return &protoS{vt: true, unsafe: true} }}},
		"avro": {{"hamba/avro", newAvro}},
		"cbor": {{"fxamacker/cbor", func() goserbench.Serializer { return &cborS{} }}},
		"flatbuf": {{"flatbuffers", func() goserbench.Serializer { return &fbS{b: flatbuffers.NewBuilder(0)} }},
			{"flatbuffers/unsafe_reuse", func() goserbench.Serializer { return &fbS{b: flatbuffers.NewBuilder(256), unsafe: true} }}},
		"json": {{"json", func() goserbench.Serializer { return jsonS{} }}},
		"gob":  {{"gob", func() goserbench.Serializer { return gobS{} }}},
	}
}
