package wordcount

import (
	"reflect"
	"testing"
)

func TestPunctuationAndCase(t *testing.T) {
	got := Count("Go, go!  GO? stop.")
	want := map[string]int{"go": 3, "stop": 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestWhitespaceOfAllKinds(t *testing.T) {
	got := Count("a\tb\nc  a")
	want := map[string]int{"a": 2, "b": 1, "c": 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestUnicodeAndDigits(t *testing.T) {
	got := Count("Ünïcode ünïcode 42 x42")
	want := map[string]int{"ünïcode": 2, "42": 1, "x42": 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestEmpty(t *testing.T) {
	if got := Count(" ... "); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
}
