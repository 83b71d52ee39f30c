package reports

// CodecCell is one codec of the codec matrix: what an event costs to
// encode, decode and store with it. Figures are per event, averaged over
// the matrix's event mix.
type CodecCell struct {
	// Codec is the codec id (for example "json", "protobuf"); Compression,
	// when set, the payload compression used with it.
	Codec       string `json:"codec"`
	Compression string `json:"compression,omitempty"`
	// Run names the Run holding the cell's full measurements, if any.
	Run            string  `json:"run,omitempty"`
	EncodeNs       float64 `json:"encode_ns_per_event"`
	DecodeNs       float64 `json:"decode_ns_per_event"`
	BytesPerEvent  float64 `json:"bytes_per_event"`
	ReplayP99Ns    int64   `json:"replay_p99_ns,omitempty"`
	AllocsPerEvent float64 `json:"allocs_per_event,omitempty"`
}

// Label names the cell in tables and charts: the codec, plus its
// compression when there is one.
func (c CodecCell) Label() string {
	if c.Compression == "" || c.Compression == "none" {
		return c.Codec
	}
	return c.Codec + "+" + c.Compression
}
