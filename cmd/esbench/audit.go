package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/esbench/esbench/bench/ledger"
	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/reports"
)

// exitAuditFailed is the exit code of an audit that found an acknowledged
// event lost, misplaced or duplicated, a version holding two different
// events, or an append half applied.
const exitAuditFailed = 3

func newAuditCmd() *cobra.Command {
	var (
		stores *store.Selection
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "audit RESULT_DIR...",
		Short: "Check that every append a run acknowledged is stored, once, at its version",
		Long: `audit reads the acknowledged-write ledgers (*` + reports.LedgerExt + `) of one or more result
directories and the store they were written against, and reports, per ledger
group: acknowledged, found, lost, misplaced, duplicated, versions holding two
different events, appends of unknown outcome resolved as present, absent or
partial, and gaps. Runs write a ledger when their store outlives them
(cassandra, pebble with --data-dir). Give several directories to audit runs
that wrote to one keyspace together.

Give the store flags as for the run (--store, --data-dir, or the Cassandra
connection, keyspace and mode flags); the store they select must hold the
data the ledger names (the same pebble directory, the same keyspace and
mode), or audit refuses. A study's configurations are audited in their own
directory or keyspace, as the run used them.

Exit status: 0 when the audit is clean, 3 when anything acknowledged was lost,
misplaced or duplicated, a version holds two different events, or an append
was half applied; 1 on any other error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ledgers, err := readLedgers(args)
			if err != nil {
				return err
			}
			// One group per store location: a study's configurations each
			// wrote to their own directory or keyspace.
			var groups [][]*ledger.Ledger
			for _, l := range ledgers {
				i := slices.IndexFunc(groups, func(g []*ledger.Ledger) bool { return sameStore(g[0].Header, l.Header) })
				if i < 0 {
					groups = append(groups, []*ledger.Ledger{l})
				} else {
					groups[i] = append(groups[i], l)
				}
			}
			failed := false
			for _, g := range groups {
				rep, err := auditGroup(cmd, stores, g)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					if err := enc.Encode(struct {
						Store string `json:"store"`
						*ledger.Report
					}{describeLedger(g[0].Header), rep}); err != nil {
						return err
					}
				} else {
					fmt.Fprintf(out, "store: %s\n", describeLedger(g[0].Header))
					if err := rep.WriteText(out); err != nil {
						return err
					}
				}
				failed = failed || !rep.OK()
			}
			if failed {
				return &exitError{code: exitAuditFailed, err: errors.New("audit failed: acknowledged writes lost, misplaced or duplicated, divergent versions, or an append half applied")}
			}
			return nil
		},
	}
	stores = store.NewSelection(cmd.Flags(), "pebble")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// readLedgers reads the ledgers of every result directory given.
func readLedgers(dirs []string) ([]*ledger.Ledger, error) {
	var out []*ledger.Ledger
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("result directory: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a directory: give the result directory of a run", d)
		}
		paths, err := filepath.Glob(reports.DirAt(d).File("*" + reports.LedgerExt))
		if err != nil {
			return nil, err
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("%s holds no %s file: runs write one only when their store outlives them (cassandra, or pebble with --data-dir) and --ledger is on", d, reports.LedgerExt)
		}
		slices.Sort(paths)
		for _, p := range paths {
			l, err := ledger.Read(p)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	return out, nil
}

func describeLedger(h ledger.Header) string {
	if h.Instance != "" {
		return fmt.Sprintf("%s (instance %s)", h.Location, h.Instance)
	}
	return h.Location
}

func sameStore(a, b ledger.Header) bool {
	return a.Store == b.Store && a.Location == b.Location && a.Instance == b.Instance
}

// auditGroup opens the store the ledgers of g were written against, as the
// flags select it, and audits them.
func auditGroup(cmd *cobra.Command, stores *store.Selection, g []*ledger.Ledger) (*ledger.Report, error) {
	h := g[0].Header
	if err := stores.Check(); err != nil {
		return nil, err
	}
	if stores.Name() != h.Store {
		return nil, fmt.Errorf("--store %s: %s was written against the %s store (give --store %s and its flags as for the run)", stores.Name(), g[0].Path, h.Store, h.Store)
	}
	about := stores.Settings().About()
	if !about.Persistent || about.Location == "" {
		return nil, fmt.Errorf("--store %s: %s does not outlive a run, so there is nothing to audit (for pebble, give the run's --data-dir)", stores.Name(), about.Description)
	}
	if about.Location != h.Location {
		return nil, fmt.Errorf("the flags select %s, but %s was written against %s", about.Location, g[0].Path, h.Location)
	}
	fs := cmd.Flags()
	if f := fs.Lookup("data-dir"); f != nil && stores.Name() == "pebble" {
		// Opening a missing pebble directory would create an empty store.
		if fi, err := os.Stat(f.Value.String()); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--data-dir %s: the run's pebble directory is gone: nothing to audit against", f.Value.String())
		}
	}
	if f := fs.Lookup("cassandra-create-schema"); f != nil && !f.Changed && stores.Name() == "cassandra" {
		// Auditing must not create what it audits.
		if err := fs.Set("cassandra-create-schema", "false"); err != nil {
			return nil, err
		}
	}
	st, err := stores.Open(cmd.Context(), store.OpenOptions{Instance: h.Instance})
	if err != nil {
		return nil, err
	}
	rep, err := ledger.Audit(cmd.Context(), st, g)
	return rep, errors.Join(err, st.Close())
}
