package k8s

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// decode reads file strictly into out: an unknown or misspelt field, or a
// value of the wrong type, fails, as kubectl apply --validate=strict would.
func decode(t *testing.T, file string, out any, kind string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, out); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil || meta.Kind != kind {
		t.Fatalf("%s: kind %q (%v), want %s", file, meta.Kind, err, kind)
	}
}

// expand does what the kubelet does with $(VAR) in container arguments.
func expand(s string, env map[string]string) string {
	for k, v := range env {
		s = strings.ReplaceAll(s, "$("+k+")", v)
	}
	return s
}

func flag(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// TestManifests decodes every manifest into its API type and checks that
// they fit together: an Indexed Job of N pods running shards 0/N..N-1/N
// that begin at the configured instant and write to distinct directories
// on the shared claim, and a merge Job over exactly those directories.
func TestManifests(t *testing.T) {
	var (
		pvc   corev1.PersistentVolumeClaim
		cm    corev1.ConfigMap
		job   batchv1.Job
		merge batchv1.Job
	)
	decode(t, "results-pvc.yaml", &pvc, "PersistentVolumeClaim")
	decode(t, "run-config.yaml", &cm, "ConfigMap")
	decode(t, "shards-job.yaml", &job, "Job")
	decode(t, "merge-job.yaml", &merge, "Job")

	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("results claim access modes %v: pods on several nodes need ReadWriteMany", pvc.Spec.AccessModes)
	}
	startAt, err := time.Parse(time.RFC3339, cm.Data["START_AT"])
	if err != nil {
		t.Errorf("run-config START_AT %q: %v", cm.Data["START_AT"], err)
	}

	js := job.Spec
	if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("esbench-shards is not an Indexed Job")
	}
	if js.Completions == nil || js.Parallelism == nil || *js.Completions != *js.Parallelism || *js.Completions < 2 {
		t.Fatalf("esbench-shards: completions %v, parallelism %v: want equal, at least 2, so every shard runs at once", js.Completions, js.Parallelism)
	}
	n := int(*js.Completions)
	pod := js.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("shard pods restart %q: a restarted shard would run its measurement twice", pod.RestartPolicy)
	}
	checkClaim := func(name string, spec corev1.PodSpec) {
		t.Helper()
		if len(spec.Volumes) != 1 || spec.Volumes[0].PersistentVolumeClaim == nil || spec.Volumes[0].PersistentVolumeClaim.ClaimName != pvc.Name {
			t.Errorf("%s: volumes %+v, want the claim %s", name, spec.Volumes, pvc.Name)
		}
		if len(spec.Containers) != 1 || len(spec.Containers[0].VolumeMounts) != 1 || spec.Containers[0].VolumeMounts[0].MountPath != "/results" {
			t.Errorf("%s: the results volume is not mounted at /results", name)
		}
	}
	checkClaim("esbench-shards", pod)
	checkClaim("esbench-merge", merge.Spec.Template.Spec)

	c := pod.Containers[0]
	var fromConfig bool
	for _, e := range c.Env {
		if e.Name == "START_AT" && e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil &&
			e.ValueFrom.ConfigMapKeyRef.Name == cm.Name && e.ValueFrom.ConfigMapKeyRef.Key == "START_AT" {
			fromConfig = true
		}
	}
	if !fromConfig {
		t.Errorf("shard container env %+v does not take START_AT from the ConfigMap %s", c.Env, cm.Name)
	}
	if len(c.Args) == 0 || c.Args[0] != "run" {
		t.Fatalf("shard container args %v, want esbench run", c.Args)
	}
	var outs []string
	for i := range n {
		args := make([]string, len(c.Args))
		for k, a := range c.Args {
			args[k] = expand(a, map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(i), "START_AT": cm.Data["START_AT"]})
		}
		if v, _ := flag(args, "shard"); v != fmt.Sprintf("%d/%d", i, n) {
			t.Errorf("pod %d runs --shard=%s, want %d/%d", i, v, i, n)
		}
		if v, _ := flag(args, "start-at"); v != startAt.Format(time.RFC3339) {
			t.Errorf("pod %d: --start-at=%s, want the ConfigMap's %s", i, v, startAt.Format(time.RFC3339))
		}
		out, _ := flag(args, "out")
		if !strings.HasPrefix(out, "/results/") || slices.Contains(outs, out) {
			t.Errorf("pod %d: --out=%s, want its own directory under /results", i, out)
		}
		outs = append(outs, out)
	}
	margs := merge.Spec.Template.Spec.Containers[0].Args
	if len(margs) < 2 || margs[0] != "merge" {
		t.Fatalf("merge container args %v, want esbench merge", margs)
	}
	var dirs []string
	for _, a := range margs[1:] {
		if !strings.HasPrefix(a, "--") {
			dirs = append(dirs, a)
		}
	}
	if !slices.Equal(dirs, outs) {
		t.Errorf("merge reads %v, the shards write %v", dirs, outs)
	}
}

// TestDecodeIsStrict checks that the decoding above would catch a
// misspelt field, so TestManifests passing means something.
func TestDecodeIsStrict(t *testing.T) {
	var job batchv1.Job
	bad := []byte("apiVersion: batch/v1\nkind: Job\nspec:\n  completionMod: Indexed\n")
	if err := yaml.UnmarshalStrict(bad, &job); err == nil || !strings.Contains(err.Error(), "completionMod") {
		t.Fatalf("strict decoding of a misspelt field: %v", err)
	}
}
