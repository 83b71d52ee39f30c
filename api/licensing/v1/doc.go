// Package licensingv1 is the generated Go code of the licensing service's
// network API (licensing.proto, docs/api.md): its messages, and in
// licensingv1connect the connect client and handler, which speak gRPC,
// gRPC-Web and HTTP/1.1 JSON.
package licensingv1

//go:generate sh -c "cd ../.. && go tool buf generate"
