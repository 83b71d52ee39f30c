package main

import (
	"fmt"
	"strings"

	"github.com/esbench/esbench/refimpl/store"
	"github.com/esbench/esbench/target"
)

// storeNames lists the registered store backends.
func storeNames() []string {
	var out []string
	for _, b := range store.Backends() {
		out = append(out, b.Name)
	}
	return out
}

// storesHelp lists the registered store backends with their summaries, for
// a command's long help.
func storesHelp() string {
	var names, summaries []string
	for _, b := range store.Backends() {
		names, summaries = append(names, b.Name), append(summaries, b.Summary)
	}
	return kindsHelp("Stores (--store NAME, with that store's flags below)", names, summaries)
}

// targetsHelp lists the registered targets with their summaries.
func targetsHelp() string {
	var names, summaries []string
	for _, d := range target.Drivers() {
		names, summaries = append(names, d.Name), append(summaries, d.Summary)
	}
	return kindsHelp("Targets (--target NAME, with that target's flags below)", names, summaries)
}

func kindsHelp(title string, names, summaries []string) string {
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	var b strings.Builder
	b.WriteString("\n\n" + title + ":")
	for i, n := range names {
		fmt.Fprintf(&b, "\n  %-*s  %s", width, n, summaries[i])
	}
	return b.String()
}
