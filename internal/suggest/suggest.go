// Package suggest finds the names a mistyped one was probably meant to be,
// for "did you mean" hints in error messages.
package suggest

import (
	"slices"
	"strings"
)

// Closest returns the names within a small edit distance of got (about a
// third of its length, at least 1, at most 3), nearest first, and names
// that got is a prefix of, compared case-insensitively.
func Closest(got string, names []string) []string {
	g := strings.ToLower(got)
	limit := min(max(len(g)/3, 1), 3)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		l := strings.ToLower(n)
		d := Distance(g, l)
		if d <= limit || (g != "" && strings.HasPrefix(l, g)) {
			cs = append(cs, cand{n, d})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

// Hint is "; did you mean X?" (or "X or Y") for the closest names, or ""
// when none is close.
func Hint(got string, names []string) string {
	cs := Closest(got, names)
	if len(cs) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(cs, " or ") + "?"
}

// Distance is the Levenshtein edit distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
