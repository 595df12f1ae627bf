package herald

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
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
// creation time, which list pagination relies on. Within one process they
// also sort in the order NewID made them: an ID that would not sort after
// the previous one (same millisecond, or a clock step back) is the previous
// one plus one instead.
func NewID(prefix string) string {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(time.Now().UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:])

	lastID.Lock()
	if bytes.Compare(b[:], lastID.b[:]) <= 0 {
		b = lastID.b
		for i := len(b) - 1; i >= 0; i-- { // add one, big-endian
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	lastID.b = b
	lastID.Unlock()
	return prefix + hex.EncodeToString(b[:])
}

// lastID is the raw form of the ID NewID made last, of any prefix.
var lastID struct {
	sync.Mutex
	b [16]byte
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
