package plan

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/esbench/esbench/reports"
)

// handInputs is the worked example below, every input given by flag.
func handInputs() Inputs {
	in := DefaultInputs()
	in.Customers.Set(1_000_000)
	in.ActiveShare.Set(0.1)
	in.OpsPerActive.Set(0.01)
	in.RetentionDays.Set(30)
	in.Replication.Set(3)
	in.SnapshotInterval.Set(100)
	in.PerNodeOps.Set(1000)
	in.Headroom.Set(0.25)
	in.WritesPerOp.Set(1)
	in.EventsPerOp.Set(1)
	in.BytesPerEvent.Set(200)
	in.SnapshotBytes.Set(1000)
	in.Fit = &reports.LinearFit{A: 50_000, B: 1_000, OK: true, N: 10}
	in.FitSource = "test"
	return in
}

// TestPlanHandWorked checks Compute against this example, worked by
// hand:
//
//	active         = 1,000,000 × 0.1                     = 100,000
//	ops/s          = 100,000 × 0.01                      = 1,000
//	events/day     = 1,000 × 86,400 × 1                  = 86,400,000
//	bytes/day      = 86,400,000 × 200 B × 3              = 51,840,000,000 B
//	events/stream  = 86,400,000 × 30 ÷ 1,000,000         = 2,592
//	event storage  = 51,840,000,000 × 30                 = 1,555,200,000,000 B
//	snapshots/strm = ⌊2,592 ÷ 100⌋                       = 25
//	snap storage   = 1,000,000 × 25 × 1,000 B × 3        = 75,000,000,000 B
//	total storage  = 1,555,200,000,000 + 75,000,000,000  = 1,630,200,000,000 B
//	replica writes = (1,000 × 1 + 1,000 ÷ 100) × 3       = 3,030 /s
//	nodes          = ⌈3,030 ÷ (1,000 × 0.75)⌉ = ⌈4.04⌉   = 5 (≥ RF 3)
//	replay mean    = 50,000 + 1,000 × 50                 = 100,000 ns
//	replay p99     = 50,000 + 1,000 × 99                 = 149,000 ns
func TestPlanHandWorked(t *testing.T) {
	p, err := Compute(handInputs())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"active", p.ActiveCustomers, 100_000},
		{"ops/s", p.OpsPerSec, 1_000},
		{"events/day", p.EventsPerDay, 86_400_000},
		{"bytes/day", p.BytesPerDay, 51_840_000_000},
		{"events/stream", p.EventsPerStream, 2_592},
		{"event storage", p.EventBytesTotal, 1_555_200_000_000},
		{"snapshots/stream", p.SnapshotsPerStream, 25},
		{"snapshot storage", p.SnapshotBytesTotal, 75_000_000_000},
		{"storage", p.StorageBytes, 1_630_200_000_000},
		{"replica writes", p.ReplicaWritesPerSec, 3_030},
		{"nodes", float64(p.Nodes), 5},
		{"replay mean", p.ReplayMeanNs, 100_000},
		{"replay p99", p.ReplayP99FitNs, 149_000},
	} {
		if math.Abs(c.got-c.want) > 1e-9*math.Abs(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var buf bytes.Buffer
	if err := p.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{"| customers (--customers) | 1000000 | flag |", "| Cassandra nodes | 5 |", "1.63 TB", "| replay p99 (fit) | 149.0µs |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestPlanTotalOpsAndNodeFloor: with total ops/s given, the active share
// does not matter, and a light load still needs RF nodes.
//
//	ops/s = 10; replica writes = (10 × 2 + 10 × 1 ÷ 100) × 3 = 60.3;
//	⌈60.3 ÷ (1,000 × 0.75)⌉ = 1, floored at RF = 3.
func TestPlanTotalOpsAndNodeFloor(t *testing.T) {
	in := handInputs()
	in.OpsPerActive = Input{Flag: "--ops-per-active"}
	in.TotalOps.Set(10)
	in.WritesPerOp.Set(2)
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.OpsPerSec != 10 || math.Abs(p.ReplicaWritesPerSec-60.3) > 1e-9 || p.Nodes != 3 {
		t.Errorf("ops %v writes %v nodes %d, want 10, 60.3, 3", p.OpsPerSec, p.ReplicaWritesPerSec, p.Nodes)
	}
}

func TestPlanBadInputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Inputs)
		flag string
	}{
		{"zero per-node throughput", func(in *Inputs) { in.PerNodeOps.Set(0) }, "--per-node-ops"},
		{"negative customers", func(in *Inputs) { in.Customers.Set(-5) }, "--customers"},
		{"missing customers", func(in *Inputs) { in.Customers = Input{Flag: "--customers"} }, "--customers"},
		{"active share above 1", func(in *Inputs) { in.ActiveShare.Set(1.5) }, "--active-share"},
		{"headroom 1", func(in *Inputs) { in.Headroom.Set(1) }, "--headroom"},
		{"negative interval", func(in *Inputs) { in.SnapshotInterval.Set(-1) }, "--snapshot-interval"},
		{"replication 0", func(in *Inputs) { in.Replication.Set(0) }, "--replication"},
		{"NaN retention", func(in *Inputs) { in.RetentionDays.Set(math.NaN()) }, "--retention-days"},
		{"both loads", func(in *Inputs) { in.TotalOps.Set(5) }, "--total-ops"},
		{"no load", func(in *Inputs) { in.OpsPerActive = Input{Flag: "--ops-per-active"} }, "--ops-per-active"},
		{"missing bytes per event", func(in *Inputs) { in.BytesPerEvent = Input{Flag: "--bytes-per-event"} }, "--bytes-per-event"},
		{"missing snapshot bytes", func(in *Inputs) { in.SnapshotBytes = Input{Flag: "--snapshot-bytes"} }, "--snapshot-bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := handInputs()
			tc.edit(&in)
			_, err := Compute(in)
			if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.flag) {
				t.Fatalf("error %v, want ErrInput naming %s", err, tc.flag)
			}
		})
	}
}

// TestPlanMeasure takes bytes/event, snapshot size, replay fit and cell
// from a sweep-like result:
//
//	bytes/event    = 60,000 B/stream ÷ 300 events (cell h=300,i=none) = 200
//	snapshot bytes = (1.5 − 1) × 200 × 100 (cell h=300,i=100)          = 10,000
func TestPlanMeasure(t *testing.T) {
	res := reports.New("sweep")
	res.Environment.Codec = "json"
	res.Sweep = &reports.Sweep{Cells: []reports.SweepCell{
		{Interval: 0, History: 300, BytesPerStrm: 60_000, WriteAmplification: 1, ReplayP99Ns: 900_000},
		{Interval: 100, History: 30, BytesPerStrm: 7_000, WriteAmplification: 1.2, ReplayP99Ns: 110_000},
		{Interval: 100, History: 300, BytesPerStrm: 70_000, WriteAmplification: 1.5, ReplayP99Ns: 120_000},
	}}
	res.Runs = []reports.Run{
		{Name: "snapshots=none", Params: map[string]string{"snapshot": "none"}, Replay: &reports.ReplayReport{FromSnapshot: 5, Fit: reports.LinearFit{A: 1, B: 2, OK: true, R2: 0.9}}},
		{Name: "snapshots=100", Params: map[string]string{"snapshot": "every:100"}, Replay: &reports.ReplayReport{FromSnapshot: 5, Fit: reports.LinearFit{A: 40_000, B: 500, OK: true, R2: 0.8}}},
	}
	in := handInputs()
	in.BytesPerEvent = Input{Flag: "--bytes-per-event"}
	in.SnapshotBytes = Input{Flag: "--snapshot-bytes"}
	in.Fit = nil
	in.Measure(res, "result.json")
	if in.BytesPerEvent.Value != 200 || !strings.Contains(in.BytesPerEvent.Source, "h=300,i=none") {
		t.Errorf("bytes/event %+v", in.BytesPerEvent)
	}
	if in.SnapshotBytes.Value != 10_000 || !strings.Contains(in.SnapshotBytes.Source, "h=300,i=100") {
		t.Errorf("snapshot bytes %+v", in.SnapshotBytes)
	}
	if in.Fit == nil || in.Fit.A != 40_000 || !strings.Contains(in.FitSource, "snapshots=100") {
		t.Fatalf("fit %+v from %q", in.Fit, in.FitSource)
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	// 2,592 events/stream: the h=300 cell is nearer than h=30.
	if p.ReplayCell == nil || p.ReplayCell.History != 300 || p.ReplayP99CellNs != 120_000 {
		t.Errorf("replay cell %+v", p.ReplayCell)
	}
	if p.ReplayP99FitNs != 40_000+500*99 {
		t.Errorf("fit p99 %v", p.ReplayP99FitNs)
	}

	// Another codec than the one measured: nothing measured applies.
	other := handInputs()
	other.BytesPerEvent = Input{Flag: "--bytes-per-event"}
	other.Codec, other.CodecSource = "protobuf", SourceFlag
	other.Measure(res, "result.json")
	if _, err := Compute(other); err == nil || !strings.Contains(err.Error(), "--bytes-per-event") {
		t.Errorf("plan for an unmeasured codec: %v", err)
	}
}

// A fit whose r² is below reports.MinFitR2 is a line through noise: the
// plan does not project replay latency from it and says why.
func TestPlanRejectsNoiseFit(t *testing.T) {
	res := reports.New("capacity")
	res.Environment.Codec = "json"
	res.Runs = []reports.Run{
		{Name: "capacity.step01", Params: map[string]string{"snapshot": "every:100"}, Replay: &reports.ReplayReport{Fit: reports.LinearFit{A: 295_900, B: 8_028, OK: true, R2: 0.129, N: 1482}}},
	}
	in := handInputs()
	in.Fit = nil
	in.Measure(res, "result.json")
	if in.Fit != nil {
		t.Fatalf("used a fit with r² 0.129: %+v", in.Fit)
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ReplayMeanNs != 0 || p.ReplayP99FitNs != 0 {
		t.Errorf("replay projected from a rejected fit: mean %v, p99 %v", p.ReplayMeanNs, p.ReplayP99FitNs)
	}
	if !slices.ContainsFunc(p.Assumptions, func(a string) bool {
		return strings.Contains(a, "not projected") && strings.Contains(a, `"capacity.step01"`) && strings.Contains(a, "0.129")
	}) {
		t.Errorf("assumptions do not say why replay was not projected: %q", p.Assumptions)
	}
}

// A capacity result's sustainable rate replaces the assumed per-node
// throughput, and the input table says where it came from; a flag still wins.
func TestPlanUsesCapacity(t *testing.T) {
	res := reports.New("capacity")
	res.Environment.Backend = "cassandra"
	res.Capacity = &reports.Capacity{SustainableRate: 1200, SustainableAchieved: 1187.5, FirstFailingRate: 1400}
	in := DefaultInputs()
	in.Customers.Set(1_000_000)
	in.TotalOps.Set(5000)
	in.BytesPerEvent.Set(200)
	in.SnapshotInterval.Set(0)
	in.Measure(res, "cap/result.json")
	if in.PerNodeOps.Value != 1187.5 || !strings.Contains(in.PerNodeOps.Source, "measured: cap/result.json capacity sustainable rate (backend cassandra") {
		t.Fatalf("per-node ops %+v", in.PerNodeOps)
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "capacity sustainable rate") || strings.Contains(b.String(), "assumed conservative figure") {
		t.Errorf("plan does not name the capacity measurement, or still calls the figure assumed:\n%s", b.String())
	}
	flagged := DefaultInputs()
	flagged.PerNodeOps.Set(9000)
	flagged.Measure(res, "cap/result.json")
	if flagged.PerNodeOps.Value != 9000 || flagged.PerNodeOps.Source != SourceFlag {
		t.Errorf("--per-node-ops lost to the measurement: %+v", flagged.PerNodeOps)
	}
}
