package inproc

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/workload"
)

// TestCheckWorkload: the service section's codec and snapshot policy are
// checked against the reference service, and the errors still name the
// workload file, line and field.
func TestCheckWorkload(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		line  int
		field string
		msg   string
	}{
		{"bad snapshot policy", "service:\n  snapshot: sometimes\n", 2, "service.snapshot", "sometimes"},
		{"bad snapshot interval", "service:\n  snapshot: every:0\n", 2, "service.snapshot", "every:0"},
		{"unknown codec", "seed: 1\nservice:\n  codec: xml\n", 3, "service.codec", `want one of json, gob`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := workload.Parse("runs/w.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("the generic checks refused it: %v", err)
			}
			err = CheckWorkload(spec)
			var se *workload.SpecError
			if !errors.As(err, &se) || len(se.Errs) != 1 {
				t.Fatalf("CheckWorkload = %v, want one *workload.SpecError", err)
			}
			fe := se.Errs[0]
			if fe.File != "runs/w.yaml" || fe.Line != tt.line || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("error %q: want runs/w.yaml:%d field %s mentioning %q", fe, tt.line, tt.field, tt.msg)
			}
		})
	}
	for _, name := range workload.Presets() {
		spec, err := workload.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckWorkload(spec); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
}

func TestWorkloadOptions(t *testing.T) {
	o := WorkloadOptions("r1")
	p := domain.DefaultPolicy()
	if o.RunID != "r1" || o.LicenseID("req") != domain.LicenseIDFor("req") {
		t.Errorf("options %+v do not carry the run id and the service's license id rule", o)
	}
	r := o.Rules
	if !reflect.DeepEqual(r.DevicesPerPlan, p.DevicesPerPlan) || r.DownloadsPerDevice != p.DownloadsPerDevice ||
		r.RestrictedPerTitleYear != p.RestrictedPerTitleYear || r.LicenseDuration != p.LicenseDuration || r.MaxRenewals != p.MaxRenewals {
		t.Errorf("rules %+v differ from the default policy %+v", r, p)
	}
	spec := workload.DefaultSpec()
	if _, err := workload.New(&spec, o); err != nil {
		t.Errorf("the default workload refuses the options: %v", err)
	}
}
