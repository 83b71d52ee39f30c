package codecs

import (
	"context"
	"sync"
	"testing"
)

// The corpus takes a moment to build; the tests and benchmarks of one
// binary share it.
var sharedCorpus = sync.OnceValues(func() (*Corpus, error) {
	return BuildCorpus(context.Background(), DefaultCorpusOptions())
})

func testCorpus(tb testing.TB) *Corpus {
	tb.Helper()
	c, err := sharedCorpus()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
