package api

import (
	"bufio"
	"context"
	"net"
	"net/http"
)

// HeadAsGet serves a HEAD request as the GET of the same target, which is
// what HEAD means (RFC 9110 §9.3.2), so that every GET route, /healthz and
// /readyz included, answers the probes that use HEAD; the router itself
// knows GET routes only, and New wraps it in this. http.Server sends no
// body for a HEAD request whatever the handler writes. A streaming handler
// (the live log) would keep the connection past the headers, so a HEAD
// request's context ends at its first flush: the headers are out, and the
// response is whole.
func HeadAsGet(h http.Handler) http.Handler { return headAsGet{h} }

type headAsGet struct{ next http.Handler }

func (h headAsGet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodHead {
		h.next.ServeHTTP(w, r)
		return
	}
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), headRequest{}, true))
	defer cancel()
	get := r.Clone(ctx)
	get.Method = http.MethodGet
	h.next.ServeHTTP(headWriter{w, ctx, cancel}, get)
}

// headRequest marks the context of a HEAD request served as a GET.
type headRequest struct{}

// requestMethod is r's method as the client sent it: HEAD for a HEAD
// request that HeadAsGet serves as a GET.
func requestMethod(r *http.Request) string {
	if head, _ := r.Context().Value(headRequest{}).(bool); head {
		return http.MethodHead
	}
	return r.Method
}

// headWriter ends a HEAD request's context once its headers are flushed.
// It offers what gin's writer may ask of the connection's: Flush, Hijack
// and CloseNotify (gin's Context.Stream), whose channel fires when the
// HEAD request's context ends.
type headWriter struct {
	http.ResponseWriter
	ctx  context.Context
	done context.CancelFunc
}

func (w headWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	w.done()
}

func (w headWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// CloseNotify is for gin's Context.Stream, which still asks for it.
func (w headWriter) CloseNotify() <-chan bool {
	ch := make(chan bool, 1)
	go func() {
		<-w.ctx.Done() // at the latest when ServeHTTP returns
		ch <- true
	}()
	return ch
}

// Unwrap lets http.ResponseController reach the connection's writer
// (write deadlines).
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
