package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/connectors/kinds"
	"github.com/heraldhub/herald/connectors/message"
	"github.com/heraldhub/herald/publish"
	"github.com/heraldhub/herald/secretbox"
)

// This file holds the small adapters and key handling Main wires in.

// keyring builds the secrets-at-rest keyring from HERALD_ENCRYPTION_KEY
// (and HERALD_ENCRYPTION_KEY_PREVIOUS). herald dev creates a key in the
// data dir when none is given; the other commands refuse to start.
func (m *Main) keyring() (*secretbox.Keyring, error) {
	current := m.cfg.EncryptionKey
	if current == "" && m.runs("dev", "bench") {
		var err error
		if current, err = devKey(filepath.Join(m.cfg.DataDir, "encryption.key")); err != nil {
			return nil, err
		}
	}
	if current == "" {
		return nil, errors.New("HERALD_ENCRYPTION_KEY is not set: secrets at rest need a key (32 random bytes, base64)")
	}
	var keys [][]byte
	for _, s := range []string{current, m.cfg.PreviousKey} {
		if s == "" {
			continue
		}
		k, err := secretbox.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("encryption key: %w", err)
		}
		keys = append(keys, k)
	}
	return secretbox.New(keys...)
}

// devKey reads the key file at path, creating it (mode 0600) if absent.
// An empty file is refused, not replaced: herald.db may hold secrets
// sealed with the key it once held.
func devKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if strings.TrimSpace(string(b)) == "" {
			return "", fmt.Errorf("encryption key file %s is empty: restore it from a backup, or delete it if the data dir holds no secrets yet", path)
		}
		return string(b), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read encryption key: %w", err)
	}
	key := secretbox.NewKey()
	if err := writePrivate(path, key+"\n"); err != nil {
		return "", fmt.Errorf("write encryption key: %w", err)
	}
	return key, nil
}

// bootstrapKey creates the first admin key of a fresh database, writes it
// to <data dir>/admin.key (0600) and returns it; with keys already present
// it returns "".
func (m *Main) bootstrapKey(ctx context.Context) (string, error) {
	n, err := m.db.CountAPIKeys(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	key := api.NewKey()
	if err := writePrivate(filepath.Join(m.cfg.DataDir, "admin.key"), key+"\n"); err != nil {
		return "", fmt.Errorf("write admin key: %w", err)
	}
	err = m.db.CreateAPIKey(ctx, &herald.APIKey{
		ID: herald.NewID(herald.PrefixKey), Name: "bootstrap admin", Scopes: []string{herald.ScopeAdmin},
		Hash: api.HashKey(key), CreatedAt: herald.Now(),
	})
	if err != nil {
		return "", fmt.Errorf("store admin key: %w", err)
	}
	return key, nil
}

// writePrivate replaces the file at path with data, mode 0600 whatever
// the old file's mode, and makes it durable before it returns: a key must
// be on disk before anything sealed or authorised with it is. It writes a
// new file beside path and renames it over, so a crash leaves the old
// file or the new one, never a part of either.
func writePrivate(path, data string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // where the system can sync a directory
		_ = d.Close()
	}
	return nil
}

// apiKinds are the connector kinds as the API sees them: validation and
// masking only, so no client is needed.
func apiKinds() map[string]api.ConnectorKind {
	out := map[string]api.ConnectorKind{}
	for name, k := range kinds.New(kinds.Options{}) {
		out[name] = k
	}
	return out
}

// checkTemplates reports the templates that do not parse, by event name.
func checkTemplates(t map[string]string) map[string]string {
	_, bad := message.ParseTemplates(t)
	return bad
}

// redeliverer binds the publisher's Redeliver to the store.
type redeliverer struct {
	p *publish.Publisher
	s publish.RedeliverStore
}

func (r redeliverer) Redeliver(ctx context.Context, d *herald.Delivery) (string, error) {
	return r.p.Redeliver(ctx, r.s, d)
}
