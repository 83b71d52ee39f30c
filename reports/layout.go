package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/esbench/esbench/internal/owned"
)

// File names in a results directory. Dir is the only code that joins them
// to a directory; commands go through it rather than building paths.
const (
	// ResultFile is the source of truth; the other files are derived from
	// it (and the interval logs) and can be rewritten from it.
	ResultFile  = "result.json"
	SummaryFile = "summary.md"
	HTMLFile    = "report.html"
	// OpsCSVFile and SweepCSVFile are for spreadsheets and plotting tools
	// that do not read JSON.
	OpsCSVFile   = "ops.csv"
	SweepCSVFile = "sweep.csv"
	// WorkloadFile is the resolved workload a run executed.
	WorkloadFile = "workload.yaml"
	// HlogExt ends the name of every HdrHistogram interval log,
	// <run>.<metric>.hlog (see HlogSet).
	HlogExt = ".hlog"
	// LedgerExt ends the name of a run's acknowledged-write ledger,
	// <run>.ledger (package bench/ledger), read by esbench audit.
	LedgerExt = ".ledger"
)

// ErrNotResultDir is returned (wrapped) by OpenDir for a directory without
// a result.json.
var ErrNotResultDir = errors.New("not an esbench result directory")

// Dir is a results directory: result.json, summary.md, report.html, ops.csv,
// sweep.csv, workload.yaml and the interval logs *.hlog. The environment a
// run measured on is recorded inside result.json.
type Dir struct {
	path string
	// result is the result file read; ResultFile in path unless OpenResult
	// was given another file.
	result string
}

// CreateDir creates a fresh result directory under base named after the
// experiment and start time (with a numeric suffix if it exists already).
// base is created if missing; an existing result directory is never
// reused.
func CreateDir(base, experiment string, start time.Time) (Dir, error) {
	name := SafeName(experiment) + "-" + start.UTC().Format("20060102-150405")
	dir, err := createFresh(base, name, owned.KindResults)
	if err != nil {
		return Dir{}, err
	}
	return DirAt(dir), nil
}

// createFresh creates a new directory of kind under base named stem, or
// stem-1, stem-2, ... if taken, and marks it esbench's: later commands
// may write into it, and into no unmarked directory. base is created if
// missing.
func createFresh(base, stem, kind string) (string, error) {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("reports: creating %s: %w", base, err)
	}
	for i := 0; i < 1000; i++ {
		dir := filepath.Join(base, stem)
		if i > 0 {
			dir = fmt.Sprintf("%s-%d", dir, i)
		}
		err := owned.Create(dir, kind)
		if err == nil {
			return dir, nil
		}
		if !os.IsExist(err) {
			return "", fmt.Errorf("reports: creating %s: %w", dir, err)
		}
	}
	return "", fmt.Errorf("reports: no free directory name under %s for %s", base, stem)
}

// CreateRunSet creates a fresh directory under base for the result
// directories of n repetitions of one workload (esbench run --count),
// named after the workload, start time and n; FindResults lists its runs.
func CreateRunSet(base, name string, start time.Time, n int) (string, error) {
	stem := fmt.Sprintf("%s-%s-x%d", SafeName(name), start.UTC().Format("20060102-150405"), n)
	return createFresh(base, stem, owned.KindRunSet)
}

// FindResults resolves a result argument that may stand for several runs:
// a result directory or result file is one run; a directory holding result
// directories (a run set of esbench run --count, or an --out directory) is
// each of them, sorted by name. Anything else is an error wrapping
// ErrNotResultDir.
func FindResults(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	if _, err := os.Stat(filepath.Join(path, ResultFile)); err == nil {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	var found []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(path, e.Name(), ResultFile)); e.IsDir() && err == nil {
			found = append(found, filepath.Join(path, e.Name()))
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s holds no %s and no result directory (one holding a %s), so it is %w", path, ResultFile, ResultFile, ErrNotResultDir)
	}
	return found, nil
}

// DirAt names an existing directory to write results files into, without
// checking it holds a result (the codec matrix's directory has none).
func DirAt(path string) Dir {
	return Dir{path: path, result: filepath.Join(path, ResultFile)}
}

// OpenDir opens the result directory at path. A path that is not a
// directory, or a directory without result.json, is an error wrapping
// ErrNotResultDir.
func OpenDir(path string) (Dir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Dir{}, fmt.Errorf("result directory: %w", err)
	}
	if !fi.IsDir() {
		return Dir{}, fmt.Errorf("%s is not a directory (give the result directory holding %s): %w", path, ResultFile, ErrNotResultDir)
	}
	d := DirAt(path)
	if _, err := os.Stat(d.result); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Dir{}, fmt.Errorf("%s: no such file, so %s is %w", d.result, path, ErrNotResultDir)
		}
		return Dir{}, fmt.Errorf("result directory: %w", err)
	}
	return d, nil
}

// OpenResult opens a result given as a result directory or as a result
// file; for a file, its directory is where the interval logs are looked
// for.
func OpenResult(path string) (Dir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Dir{}, fmt.Errorf("result: %w", err)
	}
	if !fi.IsDir() {
		return Dir{path: filepath.Dir(path), result: path}, nil
	}
	return OpenDir(path)
}

// FindResult resolves a result argument that may be an --out directory:
// dir itself when it holds a result file, else its one subdirectory that
// does (the result directory a single run created under --out), else dir
// (for OpenResult to report).
func FindResult(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, ResultFile)); err == nil {
		return dir
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return dir
	}
	var found []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), ResultFile)); e.IsDir() && err == nil {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return dir
}

// RunFile reports whether name is a file a run writes into its directory
// while it runs (before the result): the resolved workload, interval logs
// and ledgers. A run that stops before it has a result removes these.
func RunFile(name string) bool {
	return name == WorkloadFile || strings.HasSuffix(name, HlogExt) || strings.HasSuffix(name, LedgerExt)
}

// Path is the directory.
func (d Dir) Path() string { return d.path }

// String is the directory, for messages.
func (d Dir) String() string { return d.path }

// File is the path of the file name in the directory.
func (d Dir) File(name string) string { return filepath.Join(d.path, name) }

// ResultPath is the result file: result.json, or the file OpenResult was
// given.
func (d Dir) ResultPath() string { return d.result }

// ReadResult reads the result file.
func (d Dir) ReadResult() (*Result, error) { return ReadFile(d.result) }

// IntervalLogs reads every interval log in the directory, sorted by file
// name. A directory without logs gives none and no error.
func (d Dir) IntervalLogs() ([]*IntervalLog, error) {
	names, err := d.HlogNames()
	if err != nil {
		return nil, err
	}
	var logs []*IntervalLog
	for _, n := range names {
		l, err := ReadIntervalLog(d.File(n))
		if err != nil {
			return nil, err
		}
		logs = append(logs, l)
	}
	return logs, nil
}

// HlogNames lists the interval logs' file names, sorted.
func (d Dir) HlogNames() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(d.path, "*"+HlogExt))
	if err != nil {
		return nil, fmt.Errorf("reports: listing interval logs in %s: %w", d.path, err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	sort.Strings(names)
	return names, nil
}

// NewHlogSet prepares the interval logs of one run in the directory; prefix
// (may be empty) keeps several runs' logs apart.
func (d Dir) NewHlogSet(prefix string, start time.Time) *HlogSet {
	return newHlogSet(d.path, prefix, start)
}

// WriteWorkload writes the resolved workload file.
func (d Dir) WriteWorkload(yaml []byte) error {
	return d.WriteFile(WorkloadFile, func(w io.Writer) error {
		_, err := w.Write(yaml)
		return err
	})
}

// Write writes result.json, summary.md, report.html, ops.csv and sweep.csv
// into the directory, each through a temporary file so a reader never sees
// half a file. r.Files is set to every file of the directory's layout
// present afterwards (the interval logs and workload.yaml included). The
// HTML report draws its over-time charts from the .hlog files already in
// the directory, so close the interval logs first.
func (d Dir) Write(r *Result) error {
	hlogs, err := d.HlogNames()
	if err != nil {
		return err
	}
	files := []string{ResultFile, SummaryFile, HTMLFile}
	if _, err := os.Stat(d.File(WorkloadFile)); err == nil {
		files = append(files, WorkloadFile)
	}
	files = append(files, OpsCSVFile, SweepCSVFile)
	ledgers, err := filepath.Glob(d.File("*" + LedgerExt))
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	for _, l := range ledgers {
		files = append(files, filepath.Base(l))
	}
	r.Files = append(files, hlogs...)
	if err := d.WriteFile(ResultFile, func(w io.Writer) error { return WriteJSON(w, r) }); err != nil {
		return err
	}
	if err := d.WriteFile(SummaryFile, func(w io.Writer) error { return WriteMarkdown(w, r) }); err != nil {
		return err
	}
	if err := d.WriteFile(OpsCSVFile, func(w io.Writer) error { return WriteOpsCSV(w, r) }); err != nil {
		return err
	}
	if err := d.WriteFile(SweepCSVFile, func(w io.Writer) error { return WriteSweepCSV(w, r) }); err != nil {
		return err
	}
	return d.WriteHTML(r)
}

// WriteHTML writes report.html for r, drawing the over-time charts from the
// interval logs in the directory.
func (d Dir) WriteHTML(r *Result) error {
	logs, err := d.IntervalLogs()
	if err != nil {
		return err
	}
	return d.WriteFile(HTMLFile, func(w io.Writer) error { return WriteHTML(w, r, logs) })
}

// WriteFile writes the named file of the directory through a temporary file
// renamed into place, so a reader never sees half a file.
func (d Dir) WriteFile(name string, write func(io.Writer) error) error {
	path := d.File(name)
	f, err := os.CreateTemp(d.path, "."+name+".*")
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	tmp := f.Name()
	// CreateTemp makes the file private; results are meant to be shared.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("reports: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reports: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}
