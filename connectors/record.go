package connectors

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/delivery"
)

// MaxRecordedBody is how much of a request or response body an Exchange
// keeps (SPEC §7).
const MaxRecordedBody = delivery.MaxLoggedBody

type recordingKey struct{}

// Recording collects the HTTP exchanges made with one context. It is safe
// for concurrent use.
type Recording struct {
	mu   sync.Mutex
	list []recorded
}

type recorded struct {
	method, url string
	reqHeader   http.Header
	reqBody     []byte
	status      int // 0: no answer
	respHeader  http.Header
	respBody    []byte
	respWhole   bool // respBody is the whole answer
	duration    time.Duration
}

// Record returns a context under which every request sent through a
// RecordingClient is recorded into rec.
func Record(ctx context.Context) (_ context.Context, rec *Recording) {
	rec = &Recording{}
	return context.WithValue(ctx, recordingKey{}, rec), rec
}

// RecordingClient returns a client that sends through base's transport
// (http.DefaultTransport when it has none) and records each exchange whose
// request context came from Record. It keeps base's redirect policy,
// cookie jar and timeout. A client that already records is returned as it
// is; nil base stands for a zero http.Client.
func RecordingClient(base *http.Client) *http.Client {
	if base == nil {
		base = &http.Client{}
	}
	if _, ok := base.Transport.(*recordingTransport); ok {
		return base
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c := *base
	c.Transport = &recordingTransport{next: next}
	return &c
}

type recordingTransport struct{ next http.RoundTripper }

// RoundTrip sends req through the wrapped transport. When req's context
// carries a Recording, it copies the first bytes of both bodies on their
// way past (the caller still reads the whole response body) and records
// the exchange, including one that got no answer.
func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec, _ := req.Context().Value(recordingKey{}).(*Recording)
	if rec == nil {
		return t.next.RoundTrip(req)
	}
	x := recorded{method: req.Method, url: urlForLog(req.URL), reqHeader: req.Header.Clone()}
	req, x.reqBody = peekRequest(req)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		x.status, x.respHeader = resp.StatusCode, resp.Header.Clone()
		x.respBody, x.respWhole, resp.Body = peekBody(resp.Body)
	}
	x.duration = time.Since(start)
	rec.mu.Lock()
	rec.list = append(rec.list, x)
	rec.mu.Unlock()
	return resp, err
}

// peekRequest returns the first bytes of req's body and a request that
// still sends all of it. A body that can be had again (GetBody) is read
// from a fresh copy; otherwise req is cloned around the re-joined body.
func peekRequest(req *http.Request) (*http.Request, []byte) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			head, _ := io.ReadAll(io.LimitReader(b, delivery.ReadForLog))
			_ = b.Close()
			return req, head
		}
	}
	head, _, body := peekBody(req.Body)
	c := req.Clone(req.Context())
	c.Body = body
	return c, head
}

// peekBody reads the first bytes of body and returns them, whether they
// are all of it (the read ended at the body's end), and a body that yields
// everything, those bytes first; closing it closes the original.
func peekBody(body io.ReadCloser) ([]byte, bool, io.ReadCloser) {
	head, err := io.ReadAll(io.LimitReader(body, delivery.ReadForLog))
	return head, err == nil && len(head) < delivery.ReadForLog, struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), body), body}
}

// urlForLog is u as the log shows it: a password masked, and no
// fragment, which is never sent.
func urlForLog(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	if _, ok := c.User.Password(); ok {
		c.User = url.UserPassword(c.User.Username(), Masked)
	}
	return c.String()
}

// Exchanges returns what was recorded so far, in order, with every
// occurrence of each secret (also URL-, path- and JSON-escaped) replaced by
// Masked in URLs, headers and bodies, and credential headers masked.
// Bodies are cut to MaxRecordedBody after masking.
func (r *Recording) Exchanges(secrets ...string) []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Exchange, 0, len(r.list))
	for _, x := range r.list {
		e := Exchange{
			Request: herald.LogRequest{
				Method:  x.method,
				URL:     Redact(x.url, secrets...),
				Headers: logHeaders(x.reqHeader, secrets),
				// Herald's own request: cut only when it is that long.
				Body: logBody(x.reqBody, len(x.reqBody) < delivery.ReadForLog, secrets),
			},
			Duration: x.duration,
		}
		if x.status != 0 {
			e.Response = &herald.LogResponse{
				Status:  x.status,
				Headers: logHeaders(x.respHeader, secrets),
				Body:    logBody(x.respBody, x.respWhole, secrets),
			}
		}
		out = append(out, e)
	}
	return out
}

// Redact is delivery.Redact with this package's mask.
func Redact(s string, secrets ...string) string {
	return delivery.Redact(s, Masked, secrets...)
}

// logHeaders flattens h for the log: credential headers masked (keeping an
// Authorization scheme such as "Bearer"), secrets redacted everywhere.
func logHeaders(h http.Header, secrets []string) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		v := strings.Join(values, ", ")
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization":
			if scheme, _, ok := strings.Cut(v, " "); ok {
				v = scheme + " " + Masked
			} else {
				v = Masked
			}
		case "Cookie", "Set-Cookie":
			v = Masked
		}
		out[name] = Redact(v, secrets...)
	}
	return out
}

// logBody is b for the log, as a webhook's body is logged
// (delivery.LoggedBody).
func logBody(b []byte, whole bool, secrets []string) string {
	return delivery.LoggedBody(b, whole, Masked, secrets...)
}
