package diag

import "strings"

// Suggest returns the candidate closest to word by edit distance
// (case-insensitive), or "" when none is close enough to be a plausible
// typo: at most 1 edit for words up to 4 bytes, 2 up to 8, 3 beyond.
func Suggest(word string, candidates []string) string {
	w := strings.ToLower(word)
	limit := 1
	switch {
	case len(w) > 8:
		limit = 3
	case len(w) > 4:
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		d := editDistance(w, strings.ToLower(c), bestD)
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// DidYouMean formats Suggest's answer as a hint, or "" when there is none.
func DidYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return `did you mean "` + s + `"?`
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b with adjacent
// transpositions counted as one edit (optimal string alignment). It stops
// early and returns max when the distance is at least max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin >= max {
			return max
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], max)
}
