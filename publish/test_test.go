package publish

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/delivery"
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
