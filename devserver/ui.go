package devserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// uiServer is the Temporal Web UI with its embedded assets.
type uiServer struct {
	srv    *uiserver.Server
	addr   string // host:port it listens on, as dialled from this process
	unlock func() // the port's lock (see lockPort)
}

// startUI serves the Temporal UI on ip:port and returns once it answers.
//
// ui-server's Start ends the process (echo's Logger.Fatal) when it cannot
// listen, so the port is checked here first; the window between the check
// and the UI's own bind is the only way left for that to happen.
func startUI(ctx context.Context, ip string, port int, frontendAddr, namespace string) (_ *uiServer, err error) {
	unlock := func() {}
	if port == 0 {
		if port, unlock, err = freePort(ip); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				unlock()
			}
		}()
	} else if err := checkPort(ip, port); err != nil {
		return nil, fmt.Errorf("temporal ui: %w", err)
	}

	host := ip
	if strings.Contains(ip, ":") {
		host = "[" + ip + "]" // ui-server joins host and port with a bare colon
	}
	cfg := &uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		HideLogs:            true,
		// No release checks against the internet; the UI works offline.
		DisableNewsFetch: true,
		// The CSRF cookie must work over plain HTTP.
		CORS: uiconfig.CORS{CookieInsecure: true},
	}
	srv, err := newUIServer(cfg)
	if err != nil {
		return nil, err
	}
	u := &uiServer{srv: srv, addr: hostPort(dialIP(ip), port), unlock: unlock}

	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	if err := u.waitReady(ctx, done); err != nil {
		srv.Stop()
		return nil, err
	}
	return u, nil
}

// newUIServer builds the server, turning ui-server's construction panics
// (bad configuration, missing assets) into an error.
func newUIServer(cfg *uiconfig.Config) (srv *uiserver.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("build temporal ui: %v", r)
		}
	}()
	return uiserver.NewServer(uioptions.WithConfigProvider(cfg)), nil
}

// waitReady polls the UI's health route until it answers 200.
func (u *uiServer) waitReady(ctx context.Context, done <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := "http://" + u.addr + "/healthz"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-done:
			return fmt.Errorf("temporal ui stopped while starting: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("temporal ui on %s did not become ready: %w", u.addr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (u *uiServer) stop() {
	u.srv.Stop()
	u.unlock()
}
