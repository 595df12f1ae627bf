package signature

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors returned by VerifyStandard. Callers can tell a bad request from a
// stale one with errors.Is.
var (
	ErrMissingHeader    = errors.New("signature: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrInvalidTimestamp = errors.New("signature: webhook-timestamp is not an integer")
	ErrTimestampTooOld  = errors.New("signature: webhook-timestamp too old")
	ErrTimestampTooNew  = errors.New("signature: webhook-timestamp too far in the future")
	ErrNoMatchingEntry  = errors.New("signature: no matching signature")
)

// VerifyPerscom reports whether header is the PERSCOM signature of body
// under secret. The comparison takes constant time for a header of the
// expected length. Hex digits may be in either case.
func VerifyPerscom(secret string, body []byte, header string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(header))
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac([]byte(secret), body))
}

// VerifyStandard checks a Standard Webhooks signature as a receiver would.
// signatureHeader may hold several space-separated entries; one "v1," entry
// matching the key derived from secret (see Key) is enough, and entries of
// other versions are skipped. The timestamp must lie within tolerance of
// now, in either direction (a negative tolerance rejects every timestamp).
// Each candidate is compared in constant time.
//
// It returns nil on success, otherwise ErrMissingHeader, ErrInvalidTimestamp,
// ErrTimestampTooOld, ErrTimestampTooNew, ErrNoMatchingEntry, or one of
// Key's errors.
func VerifyStandard(secret, msgID, timestampHeader, signatureHeader string, payload []byte, now time.Time, tolerance time.Duration) error {
	if msgID == "" || timestampHeader == "" || signatureHeader == "" {
		return ErrMissingHeader
	}
	unix, err := strconv.ParseInt(timestampHeader, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	// Whole seconds, which is all the header carries. A realistic now and a
	// tolerance that fits in a Duration cannot overflow these sums.
	n, limit := now.Unix(), int64(tolerance/time.Second)
	switch {
	case unix < n-limit:
		return ErrTimestampTooOld
	case unix > n+limit:
		return ErrTimestampTooNew
	}
	key, err := Key(secret)
	if err != nil {
		return err
	}
	want := standardMAC(key, msgID, unix, payload)
	for _, entry := range strings.Fields(signatureHeader) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatchingEntry
}
