package wordcount

import (
	"strings"
	"unicode"
)

// Count returns how often each word occurs.
func Count(text string) map[string]int {
	counts := map[string]int{}
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		counts[strings.ToLower(w)]++
	}
	return counts
}
