package herald

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// ID prefixes (SPEC §2).
const (
	PrefixWebhook   = "wh_"
	PrefixConnector = "con_"
	PrefixSource    = "src_"
	PrefixEvent     = "evt_"
	PrefixDelivery  = "del_"
	PrefixLog       = "log_"
	PrefixKey       = "key_"
)

// NewID returns prefix followed by 32 hex digits: 6 bytes of milliseconds
// since the epoch, then 10 random bytes. IDs of one prefix therefore sort by
// creation time, which list pagination relies on.
func NewID(prefix string) string {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(time.Now().UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:])
	return prefix + hex.EncodeToString(b[:])
}

// ValidID reports whether s is an ID that NewID(prefix) could have made.
func ValidID(prefix, s string) bool {
	hexPart, ok := strings.CutPrefix(s, prefix)
	if !ok || len(hexPart) != 32 {
		return false
	}
	for _, r := range hexPart {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
