package secretbox

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	ring, err := New(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("whsec_c2VjcmV0LXZhbHVl")
	sealed := ring.Seal(secret)
	if strings.Contains(sealed, string(secret)) || !strings.HasPrefix(sealed, "hb1:") {
		t.Fatalf("sealed value %q shows the secret or lacks the prefix", sealed)
	}
	if sealed == ring.Seal(secret) {
		t.Error("two seals of one value are equal: nonce reused")
	}
	got, err := ring.Open(sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if !ring.IsCurrent(sealed) {
		t.Error("IsCurrent false for a fresh seal")
	}
}

func TestOpenPlaintextPassesThrough(t *testing.T) {
	ring, _ := New(mustKey(t))
	got, err := ring.Open("legacy-plain-secret")
	if err != nil || string(got) != "legacy-plain-secret" || ring.IsCurrent("legacy-plain-secret") {
		t.Errorf("Open(plain) = %q, %v", got, err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	oldRing, _ := New(oldKey)
	sealedOld := oldRing.Seal([]byte("s3cret"))

	rotating, _ := New(newKey, oldKey)
	got, err := rotating.Open(sealedOld)
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("new ring with old key cannot open old value: %q %v", got, err)
	}
	if rotating.IsCurrent(sealedOld) {
		t.Error("old value reported current")
	}
	resealed := rotating.Seal(got)

	newOnly, _ := New(newKey)
	if _, err := newOnly.Open(sealedOld); !errors.Is(err, ErrNoKey) {
		t.Errorf("new-only ring opened an old value: %v", err)
	}
	if got, err := newOnly.Open(resealed); err != nil || string(got) != "s3cret" {
		t.Errorf("resealed value: %q %v", got, err)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	ring, _ := New(mustKey(t))
	sealed := ring.Seal([]byte("value"))
	i := len(sealed) - 3
	flipped := sealed[:i] + string(rune(sealed[i]^1)) + sealed[i+1:]
	for _, v := range []string{flipped, "hb1:nokeyid", "hb1:" + ring.ids[0] + ":!!!", "hb1:" + ring.ids[0] + ":AAAA"} {
		if _, err := ring.Open(v); err == nil {
			t.Errorf("Open(%q) succeeded", v)
		}
	}
}

func TestBadKeys(t *testing.T) {
	for _, s := range []string{"", "short", "AAAA", strings.Repeat("A", 44)} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	if _, err := New([]byte("too short")); err == nil {
		t.Error("New accepted a short key")
	}
	if _, err := New(); err == nil {
		t.Error("New accepted no key")
	}
}
