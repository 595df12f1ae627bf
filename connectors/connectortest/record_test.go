package connectortest_test

// Tests of connectors.Record and its helpers live here, beside the
// contract that relies on them.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors"
)

func TestRecordExchanges(t *testing.T) {
	const secret = "s3cr3t/+tok"
	big := strings.Repeat("x", 100<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Header.Get("X-Token"))
		w.Header().Set("Set-Cookie", "session=abc")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "got "+string(body)+" "+big)
	}))
	defer srv.Close()
	client := connectors.RecordingClient(srv.Client())
	if again := connectors.RecordingClient(client); again != client {
		t.Error("RecordingClient wrapped a recording client twice")
	}

	ctx, rec := connectors.Record(context.Background())
	// A body without GetBody: the recorder must still send all of it.
	body := io.MultiReader(strings.NewReader(`{"token":"`), strings.NewReader(secret+`"}`))
	// The fragment is never sent, so it is not logged either (it could
	// hold what a pasted URL's owner meant to keep).
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hook/"+secret+"?t="+secret+"#frag-tok", body)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("X-Token", secret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	read, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "got {\"token\":\"" + secret + "\"} " + big; string(read) != want {
		t.Fatalf("caller read %d bytes of the answer, want all %d", len(read), len(want))
	}

	xs := rec.Exchanges(secret)
	if len(xs) != 1 || xs[0].Response == nil {
		t.Fatalf("exchanges = %+v, want one with an answer", xs)
	}
	x := xs[0]
	dump, _ := json.Marshal(x)
	if bytes.Contains(dump, []byte("s3cr3t")) || bytes.Contains(dump, []byte("frag-tok")) {
		t.Errorf("secret left in the record: %s", dump)
	}
	checks := map[string]string{
		"url":           x.Request.URL,
		"authorization": x.Request.Headers["Authorization"],
		"request body":  x.Request.Body,
		"echo header":   x.Response.Headers["X-Echo"],
		"cookie":        x.Response.Headers["Set-Cookie"],
	}
	wants := map[string]string{
		"url":           srv.URL + "/hook/****?t=****",
		"authorization": "Bearer ****",
		"request body":  `{"token":"****"}`,
		"echo header":   "****",
		"cookie":        "****",
	}
	for k, want := range wants {
		if checks[k] != want {
			t.Errorf("%s = %q, want %q", k, checks[k], want)
		}
	}
	if x.Request.Method != http.MethodPost || x.Response.Status != http.StatusCreated || x.Duration <= 0 {
		t.Errorf("method, status or duration wrong: %+v", x)
	}
	if n := len(x.Response.Body); n != connectors.MaxRecordedBody {
		t.Errorf("recorded response body has %d bytes, want %d", n, connectors.MaxRecordedBody)
	}
}

// A long binary answer is recorded up to the limit, not as nothing: no
// byte of it starts a UTF-8 character, so the cut cannot move back to one.
func TestRecordKeepsALongBinaryBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte{0xAA}, 70_000))
	}))
	defer srv.Close()
	ctx, rec := connectors.Record(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := connectors.RecordingClient(srv.Client()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	xs := rec.Exchanges()
	if len(xs) != 1 || xs[0].Response == nil {
		t.Fatalf("exchanges = %+v, want one with an answer", xs)
	}
	if n := len(xs[0].Response.Body); n != connectors.MaxRecordedBody {
		t.Errorf("recorded body has %d bytes, want %d", n, connectors.MaxRecordedBody)
	}
}

func TestRecordOnlyWithRecording(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	client := connectors.RecordingClient(nil)
	_, rec := connectors.Record(context.Background())
	resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if xs := rec.Exchanges(); len(xs) != 0 {
		t.Errorf("a request without the recording context was recorded: %+v", xs)
	}
}

func TestRecordNoAnswer(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL + "/bot123:secret/send"
	srv.Close()
	ctx, rec := connectors.Record(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
	_, err := connectors.RecordingClient(nil).Do(req)
	if err == nil {
		t.Fatal("request to a closed server succeeded")
	}
	e := connectors.TransportError(ctx, err)
	if !e.Retryable || strings.Contains(e.Reason, "secret") || !strings.HasPrefix(e.Reason, "network error") {
		t.Errorf("TransportError = %+v, want a retryable network error without the URL", e)
	}
	xs := rec.Exchanges("secret")
	if len(xs) != 1 || xs[0].Response != nil || strings.Contains(xs[0].Request.URL, "secret") {
		t.Errorf("exchanges = %+v, want the request, masked, without an answer", xs)
	}
}

func TestTransportErrorContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if e := connectors.TransportError(ctx, ctx.Err()); e.Reason != "request timed out" || !e.Retryable {
		t.Errorf("deadline: %+v", e)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if e := connectors.TransportError(ctx, errors.New("x")); e.Reason != "request cancelled" || !e.Retryable {
		t.Errorf("cancel: %+v", e)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		in      string
		secrets []string
		want    string
	}{
		{"a abc b", []string{"abc"}, "a **** b"},
		{"token=a%2Fb+c", []string{"a/b c"}, "token=****"},
		{"/p/a%2Fb%20c", []string{"a/b c"}, "/p/****"},
		{`{"k":"\u003cs\u003e"}`, []string{"<s>"}, `{"k":"****"}`},
		{"abcdef abc", []string{"abc", "abcdef"}, "**** ****"},
		{"unchanged", []string{""}, "unchanged"},
	}
	for _, tt := range tests {
		if got := connectors.Redact(tt.in, tt.secrets...); got != tt.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", tt.in, tt.secrets, got, tt.want)
		}
	}
}

func TestStatusError(t *testing.T) {
	for status, retryable := range map[int]bool{400: false, 401: false, 403: false, 404: false, 408: true, 425: true, 429: true, 500: true, 502: true} {
		if e := connectors.StatusError(status, 0, "x"); e.Retryable != retryable || e.StatusCode != status {
			t.Errorf("StatusError(%d) = %+v, want retryable=%v", status, e, retryable)
		}
	}
}
