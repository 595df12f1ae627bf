package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string // the CA, and the client's pair
	server                    tls.Certificate
	roots                     *x509.CertPool
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := newECKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "herald test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, name string, usage x509.ExtKeyUsage, ips ...net.IP) ([]byte, *ecdsa.PrivateKey) {
		key := newECKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	p := testPKI{
		caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "client.pem"), keyFile: filepath.Join(dir, "client-key.pem"),
		roots: x509.NewCertPool(),
	}
	p.roots.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	clientDER, clientKey := issue(2, "herald-test-client", x509.ExtKeyUsageClientAuth)
	writePEM(t, p.certFile, "CERTIFICATE", clientDER)
	writePEM(t, p.keyFile, "PRIVATE KEY", marshalKey(t, clientKey))
	serverDER, serverKey := issue(3, "temporal", x509.ExtKeyUsageServerAuth, net.ParseIP("127.0.0.1"))
	p.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	return p
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func marshalKey(t *testing.T, key *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsFrontend stands for a secured Temporal frontend: it ends TLS,
// requiring a client certificate from the test CA, and passes the gRPC
// stream on to the plain embedded server. It decodes the HTTP/2 headers of
// every call on the way, to show what a secured cluster would be sent.
type tlsFrontend struct {
	addr string

	mu      sync.Mutex
	clients []string       // common names of the client certificates, one per connection
	calls   map[string]int // gRPC method paths and how often they were called
	auths   map[string]int // authorization headers ("" for none) and how many calls carried each
	bad     []error        // handshakes and streams that failed
}

func newTLSFrontend(t *testing.T, pki testPKI, backend string) *tlsFrontend {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{pki.server}, ClientCAs: pki.roots,
		ClientAuth: tls.RequireAndVerifyClientCert, NextProtos: []string{"h2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &tlsFrontend{addr: ln.Addr().String(), calls: map[string]int{}, auths: map[string]int{}}
	serveConns(t, ln, func(c net.Conn) { f.serve(c.(*tls.Conn), backend) })
	return f
}

// serveConns hands each connection ln accepts to handle, until the test
// ends: then it closes ln and waits for the handlers.
func serveConns(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	var conns sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		conns.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				handle(c)
			}()
		}
	}()
}

func (f *tlsFrontend) serve(c *tls.Conn, backend string) {
	defer c.Close()
	if err := c.Handshake(); err != nil {
		f.fail(err)
		return
	}
	f.mu.Lock()
	f.clients = append(f.clients, c.ConnectionState().PeerCertificates[0].Subject.CommonName)
	f.mu.Unlock()
	up, err := net.Dial("tcp", backend)
	if err != nil {
		f.fail(err)
		return
	}
	defer up.Close()
	pr, pw := io.Pipe()
	go f.readHeaders(pr)
	go func() {
		_, _ = io.Copy(c, up)
		c.Close()
	}()
	_, _ = io.Copy(up, io.TeeReader(c, pw))
	pw.Close()
}

// readHeaders decodes the client's side of an HTTP/2 connection.
func (f *tlsFrontend) readHeaders(r io.Reader) {
	defer io.Copy(io.Discard, r) // never hold the stream up
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(r, preface); err != nil || !bytes.Equal(preface, []byte(http2.ClientPreface)) {
		f.fail(errors.New("no HTTP/2 client preface"))
		return
	}
	fr := http2.NewFramer(nil, r)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	for {
		frame, err := fr.ReadFrame()
		if err != nil {
			return // the connection closed
		}
		h, ok := frame.(*http2.MetaHeadersFrame)
		if !ok {
			continue
		}
		auth := ""
		for _, field := range h.RegularFields() {
			if field.Name == "authorization" {
				auth = field.Value
			}
		}
		f.mu.Lock()
		f.calls[h.PseudoValue("path")]++
		f.auths[auth]++
		f.mu.Unlock()
	}
}

func (f *tlsFrontend) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bad = append(f.bad, err)
}
