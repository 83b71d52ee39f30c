package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/bench/codecs"
	"github.com/esbench/esbench/internal/owned"
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
			d, err := reports.OpenDir(args[0])
			if err != nil {
				return err
			}
			res, err := d.ReadResult()
			if err != nil {
				return err
			}
			if !owned.Owns(d.Path(), owned.KindResults) {
				// report.html is rewritten in place: only in a directory
				// esbench created (a run or merge result directory).
				return fmt.Errorf("%s: not a result directory esbench created (no %s marker of kind %s): report rewrites report.html only in directories written by esbench run or merge",
					d, owned.MarkerFile, owned.KindResults)
			}
			if err := d.WriteHTML(res); err != nil {
				return fmt.Errorf("writing %s: %w", d.File(reports.HTMLFile), err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", d.File(reports.HTMLFile))
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
	return reports.DirAt(dir).WriteHTML(r)
}
