package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// HlogSet writes HdrHistogram interval logs (the standard V2 log format read
// by HistogramLogAnalyzer and HistogramLogProcessor): one file per metric,
// named <prefix><metric>.hlog, with one tagged line per operation and outcome
// per interval. Values are nanoseconds; the max column is in milliseconds.
type HlogSet struct {
	dir, prefix string
	start       time.Time
	files       map[string]*hlogFile
	enc         hlogEncoder
	line        []byte
}

type hlogFile struct {
	f  *os.File
	bw *bufio.Writer
}

// newHlogSet prepares interval logs in dir (see Dir.NewHlogSet). prefix
// (may be empty) keeps the logs of several runs in one directory apart;
// start is the run's start, the log's base time.
func newHlogSet(dir, prefix string, start time.Time) *HlogSet {
	return &HlogSet{dir: dir, prefix: SafeName(prefix), start: start, files: map[string]*hlogFile{}}
}

// WriteInterval appends one interval histogram. The histogram must carry
// its start and end times (milliseconds since the epoch).
func (s *HlogSet) WriteInterval(metric, tag string, _, _ time.Time, h *hdr.PackedHistogram) error {
	f, err := s.file(metric)
	if err != nil {
		return err
	}
	h.SetTag(tag)
	s.line, err = s.enc.appendLine(s.line[:0], h, s.start.UnixMilli())
	if err == nil {
		_, err = f.bw.Write(s.line)
	}
	if err != nil {
		return fmt.Errorf("reports: writing %s: %w", f.f.Name(), err)
	}
	return nil
}

func (s *HlogSet) file(metric string) (*hlogFile, error) {
	if f := s.files[metric]; f != nil {
		return f, nil
	}
	path := filepath.Join(s.dir, s.prefix+SafeName(metric)+HlogExt)
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	bw := bufio.NewWriter(fh)
	_, err = StartHlog(bw, fmt.Sprintf("esbench %s latency in nanoseconds; tags are <operation>.<outcome>", metric), s.start.UnixMilli())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("reports: writing %s: %w", path, err)
	}
	f := &hlogFile{f: fh, bw: bw}
	s.files[metric] = f
	return f, nil
}

// StartHlog writes an interval log's header with base and start time ms
// (milliseconds since the epoch) and returns the writer for its intervals.
// hdrhistogram-go's OutputStartTime and OutputBaseTime truncate to whole
// seconds, which shifts every absolute interval time a reader reconstructs
// by up to a second; the header lines are written here in the Java writer's
// format ("%.3f") instead.
func StartHlog(w io.Writer, comment string, ms int64) (*hdr.HistogramLogWriter, error) {
	lw := hdr.NewHistogramLogWriter(w)
	lw.SetBaseTime(ms)
	secs := fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
	iso := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	err := errors.Join(
		lw.OutputLogFormatVersion(),
		lw.OutputComment("["+comment+"]"),
		lw.OutputComment("[StartTime: "+secs+" (seconds since epoch), "+iso+"]"),
		lw.OutputComment("[BaseTime: "+secs+" (seconds since epoch)]"),
		lw.OutputLegend(),
	)
	return lw, err
}

// Files returns the names of the files written, relative to the directory.
func (s *HlogSet) Files() []string {
	var out []string
	for _, f := range s.files {
		out = append(out, filepath.Base(f.f.Name()))
	}
	sort.Strings(out)
	return out
}

// Close flushes and closes every file.
func (s *HlogSet) Close() error {
	var errs []error
	for _, f := range s.files {
		if err := f.bw.Flush(); err != nil {
			errs = append(errs, err)
		}
		if err := f.f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reports: closing interval logs: %w", err)
	}
	return nil
}

// SafeName makes s usable in a file name and an .hlog tag: letters, digits,
// '.', '-' and '_' are kept, anything else becomes '_'.
func SafeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		default:
			return '_'
		}
	}, s)
}
