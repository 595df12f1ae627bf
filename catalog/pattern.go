package catalog

import (
	"slices"
	"strings"
)

// ValidPattern reports whether p may appear in a subscription's event list:
// an exact PERSCOM event name ("user.created"), "<resource>.*" with a known
// resource, "*.<action>" with a known action, or "*". Patterns are
// case-sensitive and allow no surrounding space. TestEvent is not a valid
// pattern: test deliveries are sent directly, never by subscription.
func ValidPattern(p string) bool {
	if p == "*" {
		return true
	}
	res, act, ok := strings.Cut(p, ".")
	if !ok {
		return false
	}
	switch {
	case res == "*":
		return isAction(act)
	case act == "*":
		return isResource(res)
	default:
		return isResource(res) && isAction(act)
	}
}

// Match reports whether the subscription pattern selects event. A pattern
// that ValidPattern rejects selects nothing, and only the 33 PERSCOM events
// can be selected: Match never reports true for TestEvent or for a name that
// is not in the catalog.
func Match(pattern, event string) bool {
	if !ValidPattern(pattern) {
		return false
	}
	res, act, ok := strings.Cut(event, ".")
	if !ok || !isResource(res) || !isAction(act) {
		return false
	}
	if pattern == "*" {
		return true
	}
	pres, pact, _ := strings.Cut(pattern, ".")
	return (pres == "*" || pres == res) && (pact == "*" || pact == act)
}

// MatchAny reports whether any of patterns selects event, as Match does.
func MatchAny(patterns []string, event string) bool {
	for _, p := range patterns {
		if Match(p, event) {
			return true
		}
	}
	return false
}

func isAction(s string) bool { return slices.Contains(actions, s) }

func isResource(s string) bool {
	return slices.ContainsFunc(resources, func(r resource) bool { return r.name == s })
}
