package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
)

// KeyFinder looks up a stored API key by the hash of its secret.
type KeyFinder interface {
	GetAPIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error)
}

// HashKey returns the hex SHA-256 under which an API key is stored.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// NewKey returns a fresh random API key.
func NewKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "hk_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// Context keys: the authenticated key, and the hash it was found by.
const (
	keyContext     = "herald.api_key"
	keyHashContext = "herald.api_key_hash"
)

// authenticate resolves the bearer key: the configured admin key (compared
// in constant time) or a stored key. No key or an unknown key is a 401.
func (s *Server) authenticate(c *gin.Context) {
	scheme, raw, _ := strings.Cut(strings.TrimSpace(c.GetHeader("Authorization")), " ")
	raw = strings.TrimSpace(raw)
	if !strings.EqualFold(scheme, "Bearer") || raw == "" {
		c.Header("WWW-Authenticate", `Bearer realm="herald"`)
		writeProblem(c, http.StatusUnauthorized, "an API key is required: Authorization: Bearer <key>", nil)
		return
	}
	hash := HashKey(raw)
	if s.adminHash != "" && subtle.ConstantTimeCompare([]byte(hash), []byte(s.adminHash)) == 1 {
		c.Set(keyContext, &herald.APIKey{ID: "admin", Name: "HERALD_ADMIN_KEY", Scopes: []string{herald.ScopeAdmin}})
		return
	}
	key, err := s.keys.GetAPIKeyByHash(c.Request.Context(), hash)
	if err != nil {
		if herald.IsNotFound(err) {
			c.Header("WWW-Authenticate", `Bearer realm="herald", error="invalid_token"`)
			writeProblem(c, http.StatusUnauthorized, "the API key is not valid", nil)
			return
		}
		s.fail(c, err)
		return
	}
	c.Set(keyContext, key)
	c.Set(keyHashContext, hash)
}

// require answers 403 unless the authenticated key grants scope.
func require(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, _ := c.Get(keyContext)
		key, _ := v.(*herald.APIKey)
		if key == nil || !key.Allows(scope) {
			writeProblem(c, http.StatusForbidden, "this API key lacks the scope "+scope, nil)
		}
	}
}
