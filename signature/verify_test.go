package signature

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyPerscom(t *testing.T) {
	body := []byte(postBody)
	good := Perscom(rawSecret, body)
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   bool
	}{
		{"match", rawSecret, body, good, true},
		{"upper-case hex", rawSecret, body, strings.ToUpper(good), true},
		{"wrong secret", "other", body, good, false},
		{"tampered body", rawSecret, append([]byte(postBody), ' '), good, false},
		{"truncated", rawSecret, body, good[:62], false},
		{"not hex", rawSecret, body, "zz" + good[2:], false},
		{"empty", rawSecret, body, "", false},
	}
	for _, tt := range tests {
		if got := VerifyPerscom(tt.secret, tt.body, tt.header); got != tt.want {
			t.Errorf("%s: VerifyPerscom = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestVerifyStandard(t *testing.T) {
	now := time.Unix(1779051845, 0)
	payload := []byte(getQuery)
	out, err := Sign(Input{Secrets: []string{whsecSecret, rawSecret}, MsgID: msgID, Timestamp: now,
		Body: []byte(getBody), SignedPayload: payload})
	if err != nil {
		t.Fatal(err)
	}
	ts, sig := out.WebhookTimestamp, out.WebhookSignature
	tol := 5 * time.Minute
	tests := []struct {
		name    string
		secret  string
		id, ts  string
		sig     string
		payload string
		now     time.Time
		wantErr error
	}{
		{"current secret", whsecSecret, msgID, ts, sig, getQuery, now, nil},
		{"old secret during rotation", rawSecret, msgID, ts, sig, getQuery, now, nil},
		{"other versions skipped", rawSecret, msgID, ts, "v2,abc v1a,x junk " + sig, getQuery, now, nil},
		{"at the tolerance edge", rawSecret, msgID, ts, sig, getQuery, now.Add(tol), nil},
		{"unknown secret", "some-other-secret", msgID, ts, sig, getQuery, now, ErrNoMatchingEntry},
		{"tampered payload", rawSecret, msgID, ts, sig, getQuery + "&x=1", now, ErrNoMatchingEntry},
		{"other msg id", rawSecret, "del_other", ts, sig, getQuery, now, ErrNoMatchingEntry},
		{"bad base64 entry", rawSecret, msgID, ts, "v1,%%%", getQuery, now, ErrNoMatchingEntry},
		{"too old", rawSecret, msgID, ts, sig, getQuery, now.Add(tol + time.Second), ErrTimestampTooOld},
		{"too new", rawSecret, msgID, ts, sig, getQuery, now.Add(-tol - time.Second), ErrTimestampTooNew},
		{"huge timestamp", rawSecret, msgID, "9223372036854775807", sig, getQuery, now, ErrTimestampTooNew},
		{"negative timestamp", rawSecret, msgID, "-9223372036854775808", sig, getQuery, now, ErrTimestampTooOld},
		{"timestamp not a number", rawSecret, msgID, "1779051845.5", sig, getQuery, now, ErrInvalidTimestamp},
		{"missing id", rawSecret, "", ts, sig, getQuery, now, ErrMissingHeader},
		{"missing signature", rawSecret, msgID, ts, "", getQuery, now, ErrMissingHeader},
		{"bad whsec secret", "whsec_!!", msgID, ts, sig, getQuery, now, ErrInvalidSecret},
	}
	for _, tt := range tests {
		err := VerifyStandard(tt.secret, tt.id, tt.ts, tt.sig, []byte(tt.payload), tt.now, tol)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}
