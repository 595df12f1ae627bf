package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// WebhookStore is the webhook part of the store.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w *herald.Webhook) error
	GetWebhook(ctx context.Context, id string) (*herald.Webhook, error)
	ListWebhooks(ctx context.Context, p store.Page) ([]*herald.Webhook, string, error)
	UpdateWebhook(ctx context.Context, w *herald.Webhook) error
	DeleteWebhook(ctx context.Context, id string) error
}

// Tester sends one request to a webhook now and returns its log entry.
type Tester interface {
	Test(ctx context.Context, w *herald.Webhook, event string, data []byte) (*herald.LogEntry, error)
}

// webhookWithSecret is the one response shape that shows the secret.
type webhookWithSecret struct {
	*herald.Webhook
	Secret string `json:"secret"`
}

func (s *Server) createWebhook(c *gin.Context) {
	var in webhookInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	now := herald.Now()
	w := &herald.Webhook{
		ID:             herald.NewID(herald.PrefixWebhook),
		Method:         http.MethodPost,
		Enabled:        true,
		Headers:        map[string]string{},
		TimeoutSeconds: 10,
		Retry:          herald.DefaultRetry,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if err := joinShape(shape, s.apply(c.Request.Context(), w, &in, true)); err != nil {
		s.fail(c, err)
		return
	}
	if w.Secret == "" {
		w.Secret = newSecret()
	}
	if err := s.Webhooks.CreateWebhook(c.Request.Context(), w); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, webhookWithSecret{w, w.Secret})
}

func (s *Server) listWebhooks(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.Webhooks.ListWebhooks(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listResponse(list, next))
}

func (s *Server) getWebhook(c *gin.Context) {
	w, err := s.Webhooks.GetWebhook(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

func (s *Server) patchWebhook(c *gin.Context) {
	ctx, id := c.Request.Context(), c.Param("id")
	w, err := s.Webhooks.GetWebhook(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in webhookInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	if shape != nil {
		// Nothing is written: checking the rest only completes the list.
		s.fail(c, joinShape(shape, s.apply(ctx, w, &in, false)))
		return
	}
	w, err = edit(ctx, w, s.webhookGetter(id), func(w *herald.Webhook) error {
		wasEnabled := w.Enabled
		if err := s.apply(ctx, w, &in, false); err != nil {
			return err
		}
		if w.Enabled && !wasEnabled {
			w.DisabledReason = nil // the store resets the failure count
		}
		return nil
	}, s.Webhooks.UpdateWebhook)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

// webhookGetter reads webhook id again for edit.
func (s *Server) webhookGetter(id string) func(context.Context) (*herald.Webhook, error) {
	return func(ctx context.Context) (*herald.Webhook, error) { return s.Webhooks.GetWebhook(ctx, id) }
}

func (s *Server) deleteWebhook(c *gin.Context) {
	if err := s.Webhooks.DeleteWebhook(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) revealSecret(c *gin.Context) {
	w, err := s.Webhooks.GetWebhook(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"secret": w.Secret})
}

// rotationOverlap is how long a replaced secret keeps signing (SPEC §5).
const rotationOverlap = 24 * time.Hour

type rotateInput struct {
	Secret *string `json:"secret"`
}

// rotateSecret replaces the secret (with the given one or a generated
// whsec_ secret); the old one keeps signing webhook-signature for 24 h.
// One rotation at a time: while a replaced secret still signs, another
// rotation would cut it off at once (a webhook keeps one previous secret),
// breaking receivers that still hold it, so it is a conflict. This also
// makes a repeated request (a client retrying after a timeout, a double
// click) harmless. PATCH "secret" replaces the secret without overlap, for
// a leaked one.
func (s *Server) rotateSecret(c *gin.Context) {
	ctx, id := c.Request.Context(), c.Param("id")
	w, err := s.Webhooks.GetWebhook(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in rotateInput
	shape, err := s.decodeFields(c, &in, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	next := newSecret()
	var checked error
	if in.Secret != nil {
		if msg := checkSecret(*in.Secret); msg != "" {
			checked = invalid(field("secret", msg))
		}
		next = *in.Secret
	}
	if err := joinShape(shape, checked); err != nil {
		s.fail(c, err)
		return
	}
	w, err = edit(ctx, w, s.webhookGetter(id), func(w *herald.Webhook) error {
		if next == w.Secret {
			// A rotation to the same secret would change nothing but
			// start an overlap that refuses real rotations for 24 h.
			return invalid(field("secret", "is the current secret; a rotation needs a new one"))
		}
		now := herald.Now()
		if until := w.PreviousSecretExpiresAt; w.PreviousSecret != "" && until != nil && now.Before(*until) {
			return herald.Errorf(herald.EConflict,
				"the secret replaced by the last rotation signs until %s; rotate again after that (GET .../secret shows the current one), or PATCH secret to replace it at once",
				until.Format(time.RFC3339))
		}
		expires := now.Add(rotationOverlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt, w.Secret = w.Secret, &expires, next
		return nil
	}, s.Webhooks.UpdateWebhook)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, webhookWithSecret{w, w.Secret})
}

type testInput struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// testRequest reads the optional body of a test send (webhook or
// connector): the event to send, webhook.test by default, and its data.
func (s *Server) testRequest(c *gin.Context) (string, []byte, error) {
	in := testInput{Event: "webhook.test"}
	shape, err := s.decodeFields(c, &in, true)
	if err != nil {
		return "", nil, err
	}
	data, err := testData(in)
	if err := joinShape(shape, err); err != nil {
		return "", nil, err
	}
	return in.Event, data, nil
}

func (s *Server) testWebhook(c *gin.Context) {
	w, err := s.Webhooks.GetWebhook(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	event, data, err := s.testRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	entry, err := s.Tester.Test(c.Request.Context(), w, event, data)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, entry)
}
