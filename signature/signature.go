// Package signature signs and verifies the requests Herald sends to webhook
// receivers (SPEC §4). Everything here is a pure function: the clock is an
// argument, nothing is read from or written to the outside world, and every
// function is safe for concurrent use.
//
// Two schemes are produced side by side:
//
//   - PERSCOM's: a "Signature" header holding the lowercase hex
//     HMAC-SHA256 of the JSON body, keyed by the secret string's bytes.
//   - Standard Webhooks': "webhook-id", "webhook-timestamp" and
//     "webhook-signature" headers, the last holding one "v1,<base64>" entry
//     per active secret.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names set on every signed request.
const (
	HeaderSignature        = "Signature"
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// SecretPrefix marks a secret whose remainder is a base64-encoded key.
const SecretPrefix = "whsec_"

// Errors returned when a secret cannot be turned into a key. They never
// contain the secret itself, so they are safe to log.
var (
	ErrEmptySecret   = errors.New("signature: empty secret")
	ErrInvalidSecret = errors.New("signature: whsec_ secret is not valid base64")
	ErrNoSecrets     = errors.New("signature: no secrets to sign with")
	ErrNoMsgID       = errors.New("signature: empty message id")
)

// Perscom returns the value of PERSCOM's Signature header: the lowercase hex
// HMAC-SHA256 of body, keyed by the bytes of secret exactly as given.
func Perscom(secret string, body []byte) string {
	return hex.EncodeToString(mac([]byte(secret), body))
}

// Key turns a webhook secret into the Standard Webhooks HMAC key. A secret
// starting with "whsec_" carries its key base64-encoded (standard alphabet,
// padded) after the prefix; any other secret is used as raw bytes. It returns
// ErrEmptySecret when the key would be empty and ErrInvalidSecret when the
// base64 part does not decode.
func Key(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		if secret == "" {
			return nil, ErrEmptySecret
		}
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		// The decoder's error only names a byte offset, never the input.
		return nil, fmt.Errorf("%w: %v", ErrInvalidSecret, err)
	}
	if len(key) == 0 {
		return nil, ErrEmptySecret
	}
	return key, nil
}

// Standard returns one webhook-signature entry, "v1,<base64 HMAC-SHA256>",
// computed over msgID + "." + the Unix seconds of ts + "." + payload.
// Sub-second precision in ts is ignored.
func Standard(key []byte, msgID string, ts time.Time, payload []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, msgID, ts.Unix(), payload))
}

// Input is everything one delivery attempt is signed over.
type Input struct {
	// Secrets are the webhook's active secrets: the current one first, then
	// old ones that are still valid during a rotation. At least one.
	Secrets []string
	// MsgID is the delivery ID, identical on every attempt of one delivery.
	MsgID string
	// Timestamp is the time of this attempt.
	Timestamp time.Time
	// Body is the JSON envelope, which the Signature header covers.
	Body []byte
	// SignedPayload is what webhook-signature covers: the body for POST,
	// the raw query string for GET.
	SignedPayload []byte
}

// Output holds the header values for one attempt.
type Output struct {
	Signature        string // PERSCOM scheme, from Secrets[0] only
	WebhookID        string
	WebhookTimestamp string // Unix seconds
	WebhookSignature string // space-separated "v1,..." entries, one per secret
}

// Sign computes the signature headers of one attempt. It fails with
// ErrNoSecrets, ErrNoMsgID, or the error of Key for the first secret that
// does not yield a key; that error names the secret's position in the list,
// never its content.
func Sign(in Input) (Output, error) {
	if len(in.Secrets) == 0 {
		return Output{}, ErrNoSecrets
	}
	if in.MsgID == "" {
		return Output{}, ErrNoMsgID
	}
	entries := make([]string, 0, len(in.Secrets))
	for i, s := range in.Secrets {
		key, err := Key(s)
		if err != nil {
			return Output{}, fmt.Errorf("secret %d: %w", i, err)
		}
		entries = append(entries, Standard(key, in.MsgID, in.Timestamp, in.SignedPayload))
	}
	return Output{
		Signature:        Perscom(in.Secrets[0], in.Body),
		WebhookID:        in.MsgID,
		WebhookTimestamp: strconv.FormatInt(in.Timestamp.Unix(), 10),
		WebhookSignature: strings.Join(entries, " "),
	}, nil
}

// Set writes the four signature headers into h, replacing earlier values.
func (o Output) Set(h http.Header) {
	h.Set(HeaderSignature, o.Signature)
	h.Set(HeaderWebhookID, o.WebhookID)
	h.Set(HeaderWebhookTimestamp, o.WebhookTimestamp)
	h.Set(HeaderWebhookSignature, o.WebhookSignature)
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

func standardMAC(key []byte, msgID string, unix int64, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(payload)
	return h.Sum(nil)
}
