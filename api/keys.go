package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// KeyStore manages stored API keys.
type KeyStore interface {
	KeyFinder
	CreateAPIKey(ctx context.Context, k *herald.APIKey) error
	ListAPIKeys(ctx context.Context, p store.Page) ([]*herald.APIKey, string, error)
	DeleteAPIKey(ctx context.Context, id string) error
}

var knownScopes = map[string]bool{
	herald.ScopeAdmin: true, herald.ScopeManageWebhook: true, herald.ScopePublishEvent: true, herald.ScopeViewLog: true,
}

type keyInput struct {
	Name   *string            `json:"name"`
	Scopes *[]json.RawMessage `json:"scopes"`
}

type keyCreated struct {
	*herald.APIKey
	Key string `json:"key"`
}

func (s *Server) createKey(c *gin.Context) {
	var in keyInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	var errs []herald.FieldError
	if in.Name == nil || *in.Name == "" || utf8.RuneCountInString(*in.Name) > 200 {
		errs = append(errs, field("name", "is required, at most 200 characters"))
	}
	var given []json.RawMessage
	if in.Scopes != nil {
		given = *in.Scopes
	}
	if len(given) == 0 {
		errs = append(errs, field("scopes", "must name at least one scope"))
	}
	var scopes []string
	for i, raw := range given {
		sc, ok := jsonString(raw)
		switch {
		case !ok:
			errs = append(errs, field(fmt.Sprintf("scopes[%d]", i), "must be a string"))
		case !knownScopes[sc]:
			errs = append(errs, field(fmt.Sprintf("scopes[%d]", i), "must be one of admin, manage:webhook, publish:event, view:log"))
		case !slices.Contains(scopes, sc):
			scopes = append(scopes, sc)
		}
	}
	if err := joinShape(shape, invalidIf(errs)); err != nil {
		s.fail(c, err)
		return
	}
	key := NewKey()
	k := &herald.APIKey{
		ID: herald.NewID(herald.PrefixKey), Name: *in.Name, Scopes: scopes,
		Hash: HashKey(key), CreatedAt: herald.Now(),
	}
	if err := s.Keys.CreateAPIKey(c.Request.Context(), k); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, keyCreated{k, key})
}

func (s *Server) listKeys(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.Keys.ListAPIKeys(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listResponse(list, next))
}

func (s *Server) deleteKey(c *gin.Context) {
	if err := s.Keys.DeleteAPIKey(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
