package wordcount

import "strings"

// Count returns how often each word occurs.
func Count(text string) map[string]int {
	counts := map[string]int{}
	for _, w := range strings.Split(text, " ") {
		if w != "" {
			counts[w]++
		}
	}
	return counts
}
