package publish

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/store/sqlite"
)

// An API client that hangs up while its test request is out still leaves
// that request in the log, and the test delivery ends instead of staying
// pending for good.
func TestTestSendIsRecordedWhenTheCallerHangsUp(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hangUp() // the caller gives up while the request is at the receiver
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	w := &herald.Webhook{ID: herald.NewID(herald.PrefixWebhook), URL: rcv.URL, Method: http.MethodPost,
		Secret: "0123456789abcdef0123456789abcdef", Events: []string{"*"}, Enabled: true, TimeoutSeconds: 10,
		Retry: herald.DefaultRetry, Headers: map[string]string{}, CreatedAt: herald.Now(), UpdatedAt: herald.Now()}
	if err := db.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	tester := NewTester(db, delivery.NewSender(delivery.NewHTTPClient(true), nil), nil)
	entry, err := tester.Test(ctx, w, "webhook.test", []byte(`{}`))
	if err != nil {
		t.Fatalf("test send: %v", err)
	}
	stored, err := db.GetLog(context.Background(), entry.ID)
	if err != nil {
		t.Fatalf("the request's log entry: %v", err)
	}
	ds, err := db.ListDeliveries(context.Background(), stored.EventID)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, %v", ds, err)
	}
	if ds[0].Status == herald.StatusPending || ds[0].Attempts != 1 {
		t.Errorf("test delivery is %s after %d attempts, want it ended after 1", ds[0].Status, ds[0].Attempts)
	}
}

// A test send to a GET webhook of data whose query would be too long is a
// 422 naming data, not a 500, and its test delivery ends failed instead of
// staying pending for good.
func TestTestSendWithAQueryTooLong(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := &herald.Webhook{ID: herald.NewID(herald.PrefixWebhook), URL: "http://127.0.0.1:9/", Method: http.MethodGet,
		Secret: "0123456789abcdef0123456789abcdef", Events: []string{"*"}, Enabled: true, TimeoutSeconds: 10,
		Retry: herald.DefaultRetry, Headers: map[string]string{}, CreatedAt: herald.Now(), UpdatedAt: herald.Now()}
	if err := db.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	rec := &createdEvents{TestStore: db}
	tester := NewTester(rec, delivery.NewSender(delivery.NewHTTPClient(true), nil), nil)
	deep := `{"a":` + strings.Repeat(`[0,`, 9000) + "0" + strings.Repeat("]", 9000) + `}`
	_, err = tester.Test(context.Background(), w, "webhook.test", []byte(deep))
	var he *herald.Error
	if !errors.As(err, &he) || he.Code != herald.EInvalid || len(he.Fields) != 1 || he.Fields[0].Field != "data" {
		t.Fatalf("test send = %v, want an invalid error naming data", err)
	}
	if len(rec.ids) != 1 {
		t.Fatalf("test events %v, want one", rec.ids)
	}
	ds, err := db.ListDeliveries(context.Background(), rec.ids[0])
	if err != nil || len(ds) != 1 || ds[0].Status != herald.StatusFailed {
		t.Errorf("test delivery %+v, %v; want it failed", ds, err)
	}
}

// createdEvents is a TestStore that notes the IDs of the events created.
type createdEvents struct {
	TestStore
	ids []string
}

func (c *createdEvents) CreateEvent(ctx context.Context, r store.CreateEventRequest) (*herald.Event, bool, error) {
	c.ids = append(c.ids, r.Event.ID)
	return c.TestStore.CreateEvent(ctx, r)
}
