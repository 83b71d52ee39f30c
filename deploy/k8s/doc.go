// Package k8s holds the Kubernetes manifests that run one esbench workload
// from several pods (docs/plan.md, "Kubernetes"); its test decodes them
// strictly into the Kubernetes API types.
package k8s
