package server

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"

	licensingv1 "github.com/esbench/esbench/api/licensing/v1"
	"github.com/esbench/esbench/api/licensing/v1/licensingv1connect"
	"github.com/esbench/esbench/refimpl/domain"
	"github.com/esbench/esbench/refimpl/repository"
	"github.com/esbench/esbench/refimpl/store/memory"
)

// trivial answers every benchmarked call with a fixed decision: the
// transport's cost alone, for comparison with the reference service.
type trivial struct {
	licensingv1connect.UnimplementedLicensingServiceHandler
}

var fixed = &licensingv1.CommandResponse{Decision: &licensingv1.Decision{Allowed: true, PolicyVersion: 1}}

func (trivial) CheckDownload(context.Context, *licensingv1.CheckDownloadRequest) (*licensingv1.CommandResponse, error) {
	return fixed, nil
}

func (trivial) AcquireLicense(context.Context, *licensingv1.AcquireLicenseRequest) (*licensingv1.CommandResponse, error) {
	return fixed, nil
}

// BenchmarkThroughput compares the reference service (memory store,
// snapshots every 100 events) with a trivial handler on the same loopback
// transport, client and call mix (half CheckDownload, half AcquireLicense on
// 1,000 customers), for docs/benchmarks.md: ns/op is the inverse of the
// operations per second the server sustains with 8 calls in flight per
// core. Client and server share the process, so the figures compare the
// two servers, not absolute capacity.
func BenchmarkThroughput(b *testing.B) {
	const customers = 1000
	for _, proto := range []string{"grpc", "json"} {
		for _, kind := range []string{"trivial", "reference"} {
			b.Run(kind+"/"+proto, func(b *testing.B) {
				var h licensingv1connect.LicensingServiceHandler = trivial{}
				if kind == "reference" {
					repo := newRepo(b, memory.New(), repository.Options{Snapshots: repository.SnapshotPolicy{Mode: repository.EveryN, Every: 100}})
					ref, err := NewHandler(repo, HandlerOptions{})
					if err != nil {
						b.Fatal(err)
					}
					h = ref
				}
				url, _ := serve(b, h, Config{})
				var c licensingv1connect.LicensingServiceClient
				if proto == "grpc" {
					c = licensingv1connect.NewLicensingServiceClient(h2cClient(), url, connect.WithGRPC())
				} else {
					tr := &http.Transport{MaxIdleConnsPerHost: 256}
					c = licensingv1connect.NewLicensingServiceClient(&http.Client{Transport: tr}, url, connect.WithProtoJSON())
				}
				ctx := context.Background()
				if kind == "reference" {
					for i := range customers {
						cust := fmt.Sprintf("c%d", i)
						if _, err := c.OpenAccount(ctx, &licensingv1.OpenAccountRequest{RequestId: cust + "-o", CustomerId: cust, Plan: domain.PlanPremium, At: ts(0)}); err != nil {
							b.Fatal(err)
						}
						if _, err := c.RegisterDevice(ctx, &licensingv1.RegisterDeviceRequest{RequestId: cust + "-r", CustomerId: cust, DeviceId: "d", At: ts(0)}); err != nil {
							b.Fatal(err)
						}
					}
				}
				var seq atomic.Int64
				b.SetParallelism(8)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						n := seq.Add(1)
						cust := fmt.Sprintf("c%d", n%customers)
						var err error
						if n%2 == 0 {
							_, err = c.CheckDownload(ctx, &licensingv1.CheckDownloadRequest{CustomerId: cust, DeviceId: "d", TitleId: "t", StudioId: "s", At: ts(0)})
						} else {
							_, err = c.AcquireLicense(ctx, &licensingv1.AcquireLicenseRequest{RequestId: fmt.Sprintf("a%d", n), CustomerId: cust, DeviceId: "d",
								TitleId: fmt.Sprintf("t%d", n), StudioId: "s", At: ts(0)})
						}
						if err != nil && connect.CodeOf(err) != connect.CodeAborted {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
