package herald

import (
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	made := NewID(PrefixLog)
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{made, true},
		{"log_0123456789abcdef0123456789abcdef", true},
		{"wh_0123456789abcdef0123456789abcdef", false},   // other prefix
		{"log_0123456789abcdef0123456789abcde", false},   // short
		{"log_0123456789abcdef0123456789abcdef0", false}, // long
		{"log_0123456789ABCDEF0123456789abcdef", false},  // upper case
		{"log_0123456789abcdef0123456789abcdeg", false},
		{"log_", false},
		{"", false},
		{"zzz", false},
		{"log_" + strings.Repeat("é", 16), false},
	} {
		if got := ValidID(PrefixLog, tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestNewIDsSortInOrderOfMaking(t *testing.T) {
	prev := NewID(PrefixLog)
	for range 10000 { // many share a millisecond
		id := NewID(PrefixLog)
		if id <= prev {
			t.Fatalf("%s made after %s sorts before it", id, prev)
		}
		if !ValidID(PrefixLog, id) {
			t.Fatalf("NewID made %q", id)
		}
		prev = id
	}
}
