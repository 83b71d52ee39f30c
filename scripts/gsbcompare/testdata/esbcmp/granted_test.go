package esbcmp

import (
	"context"
	"testing"

	esbcodecs "github.com/esbench/esbench/bench/codecs"
	"github.com/esbench/esbench/refimpl/domain"
)

// granted is the esbench corpus's DownloadGranted values (the default
// corpus, as esbench codecs and bench/codecs use).
func granted(b *testing.B) []*domain.DownloadGranted {
	c, err := esbcodecs.BuildCorpus(context.Background(), esbcodecs.DefaultCorpusOptions())
	if err != nil {
		b.Fatal(err)
	}
	var out []*domain.DownloadGranted
	for _, e := range c.OfType(domain.DownloadGranted{}.EventType()) {
		v := *e.Value.(*domain.DownloadGranted)
		out = append(out, &v)
	}
	return out
}
