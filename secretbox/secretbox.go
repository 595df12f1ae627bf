// Package secretbox encrypts secrets at rest (webhook secrets, connector
// tokens) with AES-256-GCM. A Keyring holds the current key, which seals,
// and any previous keys, which still open, so the key can be rotated
// without downtime: start with the new key plus the old one, re-seal every
// row (herald rotate-key), then drop the old key.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// prefix marks a sealed value: "hb1:<key id>:<base64 nonce+ciphertext>".
const prefix = "hb1:"

// ErrNoKey is returned when a value was sealed with a key the ring lacks.
var ErrNoKey = errors.New("secretbox: value sealed with an unknown key")

// Keyring seals with its first key and opens with any of them. It is safe
// for concurrent use.
type Keyring struct {
	ids   []string
	aeads map[string]cipher.AEAD
}

// New returns a keyring; keys[0] seals, every key opens.
func New(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("secretbox: no key")
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secretbox: key %d is %d bytes, want %d", i, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		id := keyID(key)
		k.ids = append(k.ids, id)
		k.aeads[id] = aead
	}
	return k, nil
}

// ParseKey decodes a key written as standard base64 (how
// HERALD_ENCRYPTION_KEY holds it).
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: a key is %d random bytes in standard base64", KeySize)
	}
	return key, nil
}

// NewKey returns a fresh random key in standard base64.
func NewKey() string {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// keyID names a key without revealing it: the first 8 hex digits of a hash.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("herald secretbox key id\x00"), key...))
	return hex.EncodeToString(sum[:4])
}

// Seal encrypts plaintext with the current key. The key ID is bound into
// the ciphertext as additional data.
func (k *Keyring) Seal(plaintext []byte) string {
	id := k.ids[0]
	aead := k.aeads[id]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plaintext, []byte(id))
	return prefix + id + ":" + base64.StdEncoding.EncodeToString(sealed)
}

// Open decrypts a value made by Seal with any key of the ring. A value
// without the sealed prefix is returned as it is (rows written before
// encryption was turned on); IsSealed tells them apart.
func (k *Keyring) Open(value string) ([]byte, error) {
	rest, ok := strings.CutPrefix(value, prefix)
	if !ok {
		return []byte(value), nil
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, errors.New("secretbox: malformed sealed value")
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, ErrNoKey
	}
	sealed, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("secretbox: malformed sealed value")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, errors.New("secretbox: sealed value does not authenticate")
	}
	return plain, nil
}

// IsCurrent reports whether value is sealed with the current key (false
// for plaintext and for values of previous keys: those need re-sealing).
func (k *Keyring) IsCurrent(value string) bool {
	return strings.HasPrefix(value, prefix+k.ids[0]+":")
}
