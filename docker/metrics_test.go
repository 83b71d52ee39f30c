package docker

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/goccy/go-yaml"

	"github.com/esbench/esbench/bench"
	"github.com/esbench/esbench/bench/livemetrics"
	"github.com/esbench/esbench/target"
)

// exportedFamilies feeds the live-metrics exporter one interval of every
// kind and returns the metric family names it serves.
func exportedFamilies(t *testing.T) map[string]bool {
	t.Helper()
	e := livemetrics.New()
	h := hdr.NewPacked(1, int64(time.Hour), 3)
	for v := int64(1); v <= 100; v++ {
		_ = h.RecordValue(v * int64(time.Millisecond))
	}
	now := time.Now()
	e.ObserveInterval(&bench.LiveInterval{
		Run: "r", OpenLoop: true, TargetRate: 100, Start: now.Add(-time.Second), End: now, Measuring: true,
		Series: []bench.LiveSeries{
			{Kind: "acquire", Outcome: target.OutcomeOK, Corrected: h, Service: h, Late: 1},
			{Kind: "acquire", Outcome: target.OutcomeFallback, Corrected: h, Service: h},
		},
		Lag: h, Phases: []bench.LivePhase{{Name: "total", H: h}},
		Started: 101, Completed: 100, Errors: 1,
	})
	mfs, err := e.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		out[mf.GetName()] = true
	}
	return out
}

// TestMonitoringStack checks the Prometheus and Grafana services: the load
// generator serves metrics where Prometheus scrapes them, Grafana is
// provisioned with Prometheus and the dashboard, and every query of the
// dashboard names a metric esbench exports.
func TestMonitoringStack(t *testing.T) {
	c := loadCompose(t)
	eb := c.Services["esbench"]
	listen := flagValue(eb.Command, "--metrics-listen")
	_, port, ok := strings.Cut(listen, ":")
	if !ok || port == "" {
		t.Fatalf("esbench command %v has no --metrics-listen HOST:PORT", eb.Command)
	}
	prom, ok := c.Services["prometheus"]
	if !ok {
		t.Fatal("compose.yaml has no prometheus service")
	}
	if !slices.Contains(prom.Command, "--enable-feature=native-histograms") {
		t.Errorf("prometheus command %v does not enable native histograms", prom.Command)
	}
	var promCfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus.yml", &promCfg)
	var targets []string
	for _, sc := range promCfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	if !slices.Contains(targets, "esbench:"+port) {
		t.Errorf("prometheus.yml scrapes %v, not the load generator at esbench:%s", targets, port)
	}
	mounted := func(s service, src string) bool {
		for _, v := range s.Volumes {
			if strings.HasPrefix(v, src+":") {
				return true
			}
		}
		return false
	}
	if !mounted(prom, "./prometheus.yml") {
		t.Errorf("prometheus does not mount ./prometheus.yml: %v", prom.Volumes)
	}
	gf, ok := c.Services["grafana"]
	if !ok {
		t.Fatal("compose.yaml has no grafana service")
	}
	if !mounted(gf, "./grafana/provisioning") || !mounted(gf, "./grafana/dashboards") {
		t.Errorf("grafana does not mount the provisioning and dashboards directories: %v", gf.Volumes)
	}

	var dsCfg struct {
		Datasources []struct {
			UID, Type, URL string
		} `yaml:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yaml", &dsCfg)
	if len(dsCfg.Datasources) != 1 || dsCfg.Datasources[0].Type != "prometheus" || dsCfg.Datasources[0].URL != "http://"+prom.Hostname+":9090" {
		t.Fatalf("datasources %+v: want the prometheus service", dsCfg.Datasources)
	}
	uid := dsCfg.Datasources[0].UID
	var provCfg struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "grafana/provisioning/dashboards/esbench.yaml", &provCfg)
	if len(provCfg.Providers) != 1 || !slices.ContainsFunc(gf.Volumes, func(v string) bool {
		return strings.HasSuffix(v, ":"+provCfg.Providers[0].Options.Path+":ro")
	}) {
		t.Errorf("dashboard provider %+v does not read the mounted dashboards directory %v", provCfg.Providers, gf.Volumes)
	}

	data, err := os.ReadFile("grafana/dashboards/esbench.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("esbench.json: %v", err)
	}
	if dash.UID == "" || len(dash.Panels) < 6 {
		t.Fatalf("dashboard uid %q with %d panels", dash.UID, len(dash.Panels))
	}
	exported := exportedFamilies(t)
	metricRe := regexp.MustCompile(`esbench_[a-z_]+`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Datasource.UID != uid {
			t.Errorf("panel %q uses datasource %q, not the provisioned %q", p.Title, p.Datasource.UID, uid)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := metricRe.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no esbench metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				fam := strings.TrimSuffix(n, "_bucket")
				if !exported[fam] {
					t.Errorf("panel %q: %s is not a metric esbench exports", p.Title, n)
				}
				used[fam] = true
			}
		}
	}
	for _, must := range []string{"esbench_achieved_rate_ops_per_second", "esbench_target_rate_ops_per_second", "esbench_operation_latency_seconds",
		"esbench_start_lag_seconds", "esbench_in_flight_operations", "esbench_replay_phase_seconds", "esbench_operations_total"} {
		if !used[must] {
			t.Errorf("the dashboard does not chart %s", must)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
