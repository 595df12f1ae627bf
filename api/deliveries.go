package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
)

// maxRecover bounds how many deliveries one recover call sends again.
const maxRecover = 1000

// DeliveryStore reads deliveries for retries.
type DeliveryStore interface {
	GetDelivery(ctx context.Context, id string) (*herald.Delivery, error)
	ListFailedDeliveries(ctx context.Context, targetType, targetID string, since time.Time, limit int) ([]*herald.Delivery, error)
}

// Redeliverer sends an existing delivery again and returns the workflow ID.
type Redeliverer interface {
	Redeliver(ctx context.Context, d *herald.Delivery) (string, error)
}

type redelivery struct {
	DeliveryID string `json:"delivery_id"`
	WorkflowID string `json:"workflow_id"`
}

// retryDelivery sends one delivery again, with the same webhook-id.
func (s *Server) retryDelivery(c *gin.Context) {
	d, err := s.Deliveries.GetDelivery(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	wid, err := s.Redeliverer.Redeliver(c.Request.Context(), d)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, redelivery{d.ID, wid})
}

type recoverInput struct {
	Since *string `json:"since"`
}

// recoverWebhook sends every failed delivery of a webhook since a time
// again (SPEC §6). Deliveries whose redelivery is already running are
// skipped.
func (s *Server) recoverWebhook(c *gin.Context) {
	ctx := c.Request.Context()
	w, err := s.Webhooks.GetWebhook(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var in recoverInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	var checked error
	var since time.Time
	if in.Since == nil {
		checked = invalid(field("since", "is required"))
	} else if t, ok := parseTime(*in.Since); ok {
		since = t
	} else {
		checked = invalid(field("since", "must be an RFC 3339 time"))
	}
	if err := joinShape(shape, checked); err != nil {
		s.fail(c, err)
		return
	}
	if !w.Enabled {
		// Every redelivery would stop at once and fail again.
		s.fail(c, herald.Errorf(herald.EConflict, "webhook %s is disabled; enable it first (PATCH enabled: true)", w.ID))
		return
	}
	failed, err := s.Deliveries.ListFailedDeliveries(ctx, herald.TargetWebhook, w.ID, since, maxRecover)
	if err != nil {
		s.fail(c, err)
		return
	}
	started := []redelivery{}
	skipped := 0
	// A full page may leave more behind; the ones started are pending
	// now, so the next call goes on with the rest.
	more := len(failed) == maxRecover
	stopped := ""
	for _, d := range failed {
		wid, err := s.Redeliverer.Redeliver(ctx, d)
		if herald.ErrorCode(err) == herald.EConflict {
			skipped++
			continue
		}
		if err != nil && len(started) == 0 {
			s.fail(c, err)
			return
		}
		if err != nil {
			// Some are running already: report them, and that the
			// rest waits for another call.
			s.log.Error("recover: redeliver", "delivery_id", d.ID, "error", err)
			more, stopped = true, "stopped after "+d.ID+": "+problemDetail(err)
			break
		}
		started = append(started, redelivery{d.ID, wid})
	}
	c.JSON(http.StatusAccepted, recoverResult{Data: started, Skipped: skipped, More: more, Stopped: stopped})
}

type recoverResult struct {
	Data    []redelivery `json:"data"`
	Skipped int          `json:"skipped"`
	More    bool         `json:"more"`
	Stopped string       `json:"stopped,omitempty"`
}
