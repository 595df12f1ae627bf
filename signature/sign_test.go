package signature

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// The expected values below were computed independently of this package,
// with OpenSSL, before testdata/golden.json was first written:
//
//	printf '%s' "$postBody" | openssl dgst -sha256 -hmac perscom-shared-secret-1234
//	printf '%s.%s.%s' "$msgID" 1779051845 "$postBody" |
//	  openssl dgst -sha256 -hmac perscom-shared-secret-1234 -binary | base64
//
// The last case is the example vector published with the Standard Webhooks
// specification, recomputed the same way with -macopt hexkey:<decoded key>.
// Every vector in testdata/golden.json was also recomputed with OpenSSL
// (hexkey: the decoded whsec_ key or the raw secret's bytes) and matched.
func TestKnownAnswers(t *testing.T) {
	at := time.Unix(1779051845, 401118000)
	if got, want := Perscom(rawSecret, []byte(postBody)),
		"5eac56dca650e7055c77c5dd3c51c4b1a28aeb2f4c71d49719482710268ed169"; got != want {
		t.Errorf("Perscom = %s, want %s", got, want)
	}
	if got, want := Standard([]byte(rawSecret), msgID, at, []byte(postBody)),
		"v1,s51HaY1srGUTqZCV9wN4NeH4laHuL80DycVro6SEJYY="; got != want {
		t.Errorf("Standard = %s, want %s", got, want)
	}
	key, err := Key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Standard(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`)),
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Standard (spec example) = %s, want %s", got, want)
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		secret  string
		want    string
		wantErr error
	}{
		{secret: "plain-secret", want: "plain-secret"},
		{secret: "whsec_aGVsbG8=", want: "hello"},
		{secret: "WHSEC_aGVsbG8=", want: "WHSEC_aGVsbG8="}, // prefix is case-sensitive
		{secret: "whsec_not base64!", wantErr: ErrInvalidSecret},
		{secret: "whsec_aGVsbG8", wantErr: ErrInvalidSecret}, // padding required
		{secret: "whsec_", wantErr: ErrEmptySecret},
		{secret: "", wantErr: ErrEmptySecret},
	}
	for _, tt := range tests {
		got, err := Key(tt.secret)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Key(%q) error = %v, want %v", tt.secret, err, tt.wantErr)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("Key(%q) = %q, want %q", tt.secret, got, tt.want)
		}
	}
}

func TestSignErrors(t *testing.T) {
	ok := Input{Secrets: []string{rawSecret}, MsgID: msgID, Timestamp: time.Unix(1, 0)}
	tests := []struct {
		name    string
		edit    func(*Input)
		wantErr error
	}{
		{"no secrets", func(in *Input) { in.Secrets = nil }, ErrNoSecrets},
		{"no msg id", func(in *Input) { in.MsgID = "" }, ErrNoMsgID},
		{"bad old secret", func(in *Input) { in.Secrets = []string{rawSecret, "whsec_%%%"} }, ErrInvalidSecret},
		{"empty secret", func(in *Input) { in.Secrets = []string{""} }, ErrEmptySecret},
	}
	for _, tt := range tests {
		in := ok
		tt.edit(&in)
		_, err := Sign(in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestSignRotationOrder(t *testing.T) {
	in := Input{Secrets: []string{"new-secret-value", "old-secret-value"}, MsgID: msgID,
		Timestamp: time.Unix(1779051845, 0), Body: []byte("body"), SignedPayload: []byte("payload")}
	out, err := Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	want := Standard([]byte("new-secret-value"), msgID, in.Timestamp, in.SignedPayload) + " " +
		Standard([]byte("old-secret-value"), msgID, in.Timestamp, in.SignedPayload)
	if out.WebhookSignature != want {
		t.Errorf("WebhookSignature = %q, want %q", out.WebhookSignature, want)
	}
	if out.Signature != Perscom("new-secret-value", in.Body) {
		t.Errorf("Signature does not use the current secret over Body")
	}
	if out.WebhookID != msgID || out.WebhookTimestamp != "1779051845" {
		t.Errorf("WebhookID, WebhookTimestamp = %q, %q", out.WebhookID, out.WebhookTimestamp)
	}

	h := http.Header{}
	out.Set(h)
	if h.Get("signature") != out.Signature || h.Get("Webhook-Signature") != out.WebhookSignature {
		t.Errorf("Set wrote %v", h)
	}
}
