package main

import (
	"flag"
	"fmt"
	"strings"
)

// flagHint adds to an unknown-flag error the closest flag names (a typo in
// a dotted config path is the usual cause) and where the full list is.
func flagHint(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "flag provided but not defined: -")
	if !ok {
		return err
	}
	best, bestDist := []string(nil), 4 // at most 3 edits away
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(name, f.Name)
		switch {
		case d < bestDist:
			best, bestDist = []string{f.Name}, d
		case d == bestDist:
			best = append(best, f.Name)
		}
	})
	hint := `run "tempoctl serve -help" for every flag`
	if len(best) > 0 && len(best) <= 3 {
		hint = "did you mean -" + strings.Join(best, " or -") + "? (" + hint + ")"
	}
	return fmt.Errorf("%s: %s", msg, hint)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
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
