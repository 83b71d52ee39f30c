package flatbuf

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlatbuffersCodeMatchesSchema: flatc is not a Go module, so CI cannot
// regenerate the FlatBuffers code (docs/ci.md). Its go:generate line records
// the schema's SHA-256 beside the generated file; a schema edited without
// regenerating fails here.
func TestFlatbuffersCodeMatchesSchema(t *testing.T) {
	for _, schema := range []string{"fb/events.fbs", "../evolution/evofb/evolution.fbs"} {
		data, err := os.ReadFile(schema)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := os.ReadFile(schema + ".sha256")
		if err != nil {
			t.Fatal(err)
		}
		want, name, _ := strings.Cut(strings.TrimSpace(string(rec)), "  ")
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want || name != filepath.Base(schema) {
			t.Errorf("%s (sha256 %s) is not the schema its code was generated from (%s records %s for %q): run go generate in %s (needs flatc, docs/codecs.md)",
				schema, got, schema+".sha256", want, name, filepath.Dir(schema))
		}
	}
}
