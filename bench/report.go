package bench

import (
	"errors"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/esbench/esbench/reports"
)

// Report converts the run's measurements into the result schema.
func (s *Stats) Report() (reports.Run, error) {
	run := reports.Run{
		Name:            s.Name,
		Mode:            "closed",
		Workers:         s.Workers,
		Started:         s.Start,
		MeasureStart:    s.MeasureStart,
		Finished:        s.End,
		WarmupNs:        int64(s.Warmup),
		MeasuredNs:      int64(s.Measured),
		TargetRate:      s.TargetRate,
		AchievedRate:    s.AchievedRate(),
		Executed:        s.Executed,
		Recorded:        s.Recorded(),
		Late:            s.Late,
		GeneratorLate:   s.GeneratorLate,
		Missed:          s.Missed,
		LateThresholdNs: int64(s.LateThreshold),
		Partial:         s.Partial,
		PartialReason:   s.PartialReason,
		CPU:             reports.NewCPUUse(s.CPU, s.Measured, s.Recorded()),
	}
	var errs []error
	sum := func(h *hdr.Histogram) reports.Latency {
		l, err := reports.Summarize(h)
		if err != nil {
			errs = append(errs, err)
		}
		return l
	}
	if s.OpenLoop {
		run.Mode = "open"
		lag := sum(s.Lag)
		run.StartLag = &lag
	}
	for i := 0; i < len(s.Series); {
		kind := s.Series[i].Kind
		op := reports.OpStats{Op: string(kind)}
		corr, svc := newDense(), newDense()
		for ; i < len(s.Series) && s.Series[i].Kind == kind; i++ {
			se := s.Series[i]
			n := se.Corrected.TotalCount()
			op.Count += n
			op.Late += se.Late
			corr.Merge(se.Corrected)
			svc.Merge(se.Service)
			if se.Outcome.IsError() {
				if op.Errors == nil {
					op.Errors = map[string]int64{}
				}
				op.Errors[se.Outcome.String()] += n
				run.Errors += n
			}
			op.Outcomes = append(op.Outcomes, reports.OutcomeStats{
				Outcome:   se.Outcome.String(),
				Error:     se.Outcome.IsError(),
				Count:     n,
				Late:      se.Late,
				Corrected: sum(se.Corrected),
				Service:   sum(se.Service),
			})
		}
		if s.Measured > 0 {
			op.Rate = float64(op.Count) / s.Measured.Seconds()
		}
		op.Corrected = sum(corr)
		op.Service = sum(svc)
		run.Operations = append(run.Operations, op)
	}
	for o, msgs := range s.ErrorSamples {
		if run.ErrorSamples == nil {
			run.ErrorSamples = map[string][]string{}
		}
		run.ErrorSamples[o.String()] = msgs
	}
	fw, err := s.windows.reports(s.recoveryShare)
	if err != nil {
		errs = append(errs, err)
	}
	run.FaultWindows = fw
	if r := s.Replay; r != nil {
		rep := &reports.ReplayReport{
			Loads:        r.Loads,
			FromSnapshot: r.FromSnapshot,
			Replayed:     r.Replayed,
			Bytes:        r.Bytes,
			PhaseSampled: r.PhaseSampled,
			Fit:          linearFit(r.Fit),
		}
		for p, h := range r.Phases {
			rep.Phases = append(rep.Phases, reports.PhaseStats{Phase: Phase(p).String(), Latency: sum(h)})
		}
		for _, b := range r.Buckets {
			bs := reports.BucketStats{Lower: b.Lower, Upper: b.Upper, Total: sum(b.Total)}
			if n := b.Total.TotalCount(); n > 0 {
				bs.MeanEvents = float64(b.Events) / float64(n)
			}
			rep.Buckets = append(rep.Buckets, bs)
		}
		run.Replay = rep
	}
	return run, errors.Join(errs...)
}

func linearFit(f Fit) reports.LinearFit {
	return reports.LinearFit{A: f.A, B: f.B, R2: f.R2, N: f.N, OK: f.OK, MeanX: f.MeanX, MeanY: f.MeanY}
}
