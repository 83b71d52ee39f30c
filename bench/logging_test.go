package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/esbench/esbench/workload"
)

// A storm of failures logs at most the per-second limit and then says how
// many it held back.
func TestFailureLogIsRateBounded(t *testing.T) {
	var buf bytes.Buffer
	f := newFailureLog(slog.New(slog.NewJSONHandler(&buf, nil)), "r", 5)
	op := workload.Op{Kind: workload.OpAcquire}
	ctx := context.Background()
	for i := range 200 {
		out := OutcomeUnavailable
		if i%2 == 1 {
			out = OutcomeFallback
		}
		f.offer(ctx, &op, out, errors.New("store down"))
	}
	f.finish(ctx)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// 200 offers within a second or two: at most 5 per second window.
	if len(lines) < 6 || len(lines) > 16 {
		t.Fatalf("%d log lines, want the per-second limit plus one summary:\n%s", len(lines), buf.String())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	logged := len(lines) - 1
	if last["msg"] != "failure messages suppressed by the rate limit" || last["suppressed"] != float64(200-logged) {
		t.Errorf("summary %v, want %d suppressed", last, 200-logged)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["op"] != "acquire" || first["outcome"] != "unavailable" || first["error"] != "store down" || first["level"] != "WARN" {
		t.Errorf("first line %v", first)
	}
	// Domain rejections are debug: a warn logger skips them.
	buf.Reset()
	d := newFailureLog(slog.New(slog.NewJSONHandler(&buf, nil)), "r", 5)
	d.offer(ctx, &op, OutcomeInvalid, errors.New("unknown license"))
	d.finish(ctx)
	if buf.Len() != 0 {
		t.Errorf("warn logger wrote a domain rejection: %q", buf.String())
	}
	// A logger above warn logs nothing and counts nothing.
	buf.Reset()
	q := newFailureLog(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})), "r", 5)
	q.offer(ctx, &op, OutcomeUnavailable, errors.New("x"))
	q.finish(ctx)
	if buf.Len() != 0 {
		t.Errorf("error-level logger wrote %q", buf.String())
	}
	if newFailureLog(nil, "r", 5) != nil {
		t.Error("no logger should give no failure log")
	}
}
