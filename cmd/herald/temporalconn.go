package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
)

// TemporalTLS is how serve, api and worker reach an external Temporal
// frontend that needs TLS, a client certificate (mTLS) or an API key, as
// Temporal Cloud and secured self-hosted clusters do. The zero value is a
// plain connection, which the embedded server and a local cluster use.
type TemporalTLS struct {
	Enabled    bool   // TLS with the system's roots, even without the options below
	CAFile     string // PEM roots to verify the server with instead of the system's
	CertFile   string // PEM client certificate, with KeyFile
	KeyFile    string
	ServerName string // the name to verify, when it differs from the address's host
	// APIKey is sent as "Authorization: Bearer <key>" on every call; it
	// turns TLS on (the SDK's rule: a key never goes out in plain text).
	APIKey string
}

// on reports whether the connection uses TLS.
func (t TemporalTLS) on() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.APIKey != ""
}

// validate checks what can be checked without reading the files.
func (t TemporalTLS) validate() error {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return errors.New("--temporal-tls-cert and --temporal-tls-key go together: give both or neither")
	}
	return nil
}

// describe is the banner's word for the connection; it never shows the key.
func (t TemporalTLS) describe() string {
	switch {
	case !t.on():
		return ""
	case t.APIKey != "" && t.CertFile != "":
		return "TLS with a client certificate and an API key"
	case t.APIKey != "":
		return "TLS with an API key"
	case t.CertFile != "":
		return "TLS with a client certificate"
	}
	return "TLS"
}

// hint is added to a failed connection's message: a server that requires
// a client certificate Herald was not given refuses it only after the TLS
// 1.3 handshake, and the error then reads like a lost connection.
func (t TemporalTLS) hint() string {
	if !t.on() || t.CertFile != "" {
		return ""
	}
	return " (if Temporal requires a client certificate, set --temporal-tls-cert and --temporal-tls-key)"
}

// apply sets opts to connect as t says, reading the certificate files.
// An error names the flag whose file is at fault.
func (t TemporalTLS) apply(opts *client.Options) error {
	if !t.on() {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return fmt.Errorf("--temporal-tls-ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--temporal-tls-ca: no PEM certificate in %s", t.CAFile)
		}
		cfg.RootCAs = roots
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			// tls's messages name neither file, and never quote the key.
			return fmt.Errorf("--temporal-tls-cert %s / --temporal-tls-key %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	opts.ConnectionOptions.TLS = cfg
	if t.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(t.APIKey)
	}
	return nil
}
