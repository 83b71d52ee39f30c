package codecs

import (
	"context"
	"reflect"
	"testing"

	"github.com/esbench/esbench/refimpl/domain"
)

func TestCorpusIsSeededAndRealistic(t *testing.T) {
	c := testCorpus(t)
	counts := c.Counts()
	t.Logf("%d events in %d streams: %v", len(c.Events), len(c.Streams), counts)
	if len(c.Events) < 1000 {
		t.Fatalf("only %d events", len(c.Events))
	}
	// Every stream starts with its creation event, and the workload's
	// preload produces these types.
	for _, typ := range []string{"AccountOpened", "DeviceRegistered", "DownloadGranted", "LicenseIssued"} {
		if counts[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	if counts["AccountOpened"] != c.Options.Customers {
		t.Errorf("%d AccountOpened for %d customers", counts["AccountOpened"], c.Options.Customers)
	}
	if counts["DownloadGranted"] != counts["LicenseIssued"] {
		t.Errorf("%d grants but %d licenses issued", counts["DownloadGranted"], counts["LicenseIssued"])
	}
	for _, s := range c.Streams {
		first := c.Events[s[0]].Type
		if first != "AccountOpened" && first != "LicenseIssued" {
			t.Fatalf("stream starts with %s", first)
		}
	}
	var hist []int
	for _, s := range c.Snapshots {
		if s.Type == domain.TypeAccount {
			hist = append(hist, s.History)
			snap := s.Value.(*domain.AccountSnapshot)
			if snap.CustomerID == "" || len(snap.Devices) == 0 {
				t.Errorf("%s: empty snapshot %+v", s.Name(), snap)
			}
		}
	}
	if !reflect.DeepEqual(hist, c.Options.Histories) {
		t.Errorf("account snapshot histories %v, want %v", hist, c.Options.Histories)
	}
	// Same seed, same corpus.
	again, err := BuildCorpus(context.Background(), c.Options)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Events, c.Events) || !reflect.DeepEqual(again.Snapshots, c.Snapshots) {
		t.Fatal("the same options built a different corpus")
	}
}
