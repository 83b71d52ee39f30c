package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/bench/codecs"
	"github.com/esbench/esbench/reports"
)

func newReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report DIR",
		Short: "(Re)write report.html in a result directory from its result.json and interval logs",
		Long: `report reads DIR/result.json and the HdrHistogram interval logs (.hlog) in
DIR and writes DIR/report.html: a self-contained page, readable offline, with
the latency percentile spectrum per operation, throughput and latency over
time, replay latency against events replayed with its fitted line, the
snapshot-interval sweep and the codec matrix, as far as the result holds them.
Every run already writes report.html; this redraws it, for example after an
esbench upgrade.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if fi, err := os.Stat(dir); err != nil {
				return fmt.Errorf("result directory: %w", err)
			} else if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory (give the result directory holding %s)", dir, reports.ResultFile)
			}
			path := filepath.Join(dir, reports.ResultFile)
			res, err := reports.ReadFile(path)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("%s: no %s here; is this an esbench result directory? (%w)", dir, reports.ResultFile, err)
				}
				return err
			}
			if err := reports.WriteHTMLDir(dir, res); err != nil {
				return fmt.Errorf("writing %s: %w", filepath.Join(dir, reports.HTMLFile), err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(dir, reports.HTMLFile))
			return err
		},
	}
}

// writeCodecsHTML writes report.html into the codecs results directory:
// the codec matrix charts, one cell per codec from the measured totals.
func writeCodecsHTML(dir string, res *codecs.Results, started, finished time.Time) error {
	r := reports.New("codecs")
	r.Environment = reports.CollectEnvironment()
	r.Started, r.Finished = started, finished
	for _, t := range res.Totals {
		r.Codecs = append(r.Codecs, reports.CodecCell{
			Codec: t.Codec, EncodeNs: t.Encode.Ns, DecodeNs: t.Decode.Ns,
			BytesPerEvent: t.BytesPerEvent,
		})
	}
	return reports.WriteHTMLDir(dir, r)
}
