package signature

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const goldenPath = "testdata/golden.json"

// goldenCase is one vector of testdata/golden.json: the inputs of Sign and
// the headers it must produce. Bodies are strings so the file stays readable.
type goldenCase struct {
	Name          string    `json:"name"`
	Secrets       []string  `json:"secrets"`
	MsgID         string    `json:"msg_id"`
	Timestamp     time.Time `json:"timestamp"`
	Body          string    `json:"body"`
	SignedPayload string    `json:"signed_payload"`
	Want          Output    `json:"want"`
}

const (
	rawSecret   = "perscom-shared-secret-1234"
	whsecSecret = "whsec_aGVyYWxkLWdvbGRlbi12ZWN0b3Ita2V5LTMyYnl0ZXM=" // "herald-golden-vector-key-32bytes"
	msgID       = "del_0196e0c4a1b27f3c9d8e5a6b7c8d9e0f"
	postBody    = `{"event":"user.created","created":"2026-05-17T21:04:05.401118Z","request_id":"evt_0196e0c4a1b20a1b2c3d4e5f60718293","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","data":{"id":42,"name":"Jane Doe","rank":"Sergeant"},"changes":[]}`
	getBody     = `{"event":"user.updated","created":"2026-05-17T21:04:05.401118Z","request_id":"evt_0196e0c4a1b20a1b2c3d4e5f60718294","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","data":{"id":42,"name":"Jane Doe","active":true},"changes":{"name":["Jane","Jane Doe"]}}`
	getQuery    = `event=user.updated&created=2026-05-17T21%3A04%3A05.401118Z&request_id=evt_0196e0c4a1b20a1b2c3d4e5f60718294&trace_id=4bf92f3577b34da6a3ce929d0e0e4736&data%5Bid%5D=42&data%5Bname%5D=Jane%20Doe&data%5Bactive%5D=1&changes%5Bname%5D%5B0%5D=Jane&changes%5Bname%5D%5B1%5D=Jane%20Doe`
	htmlBody    = `{"event":"message.created","created":"2026-05-17T21:04:05.000000Z","request_id":"evt_0196e0c4a1b20a1b2c3d4e5f60718295","trace_id":"0af7651916cd43dd8448eb211c80319c","data":{"id":7,"title":"<b>Promotion</b> & \"welcome\"","body":"Glückwunsch, Šárka! 🎖️ 昇進 <script>"},"changes":[]}`
)

// goldenInputs are the vectors' inputs; the file must hold exactly these.
func goldenInputs() []goldenCase {
	at := time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC)
	return []goldenCase{
		{Name: "post_raw_secret", Secrets: []string{rawSecret}, Body: postBody, SignedPayload: postBody},
		{Name: "post_whsec_secret", Secrets: []string{whsecSecret}, Body: postBody, SignedPayload: postBody},
		{Name: "get_query_string", Secrets: []string{rawSecret}, Body: getBody, SignedPayload: getQuery},
		{Name: "rotation_two_secrets", Secrets: []string{whsecSecret, rawSecret}, Body: postBody, SignedPayload: postBody},
		{Name: "unicode_html_body", Secrets: []string{rawSecret}, Body: htmlBody, SignedPayload: htmlBody,
			Timestamp: at.In(time.FixedZone("CEST", 2*60*60))},
	}
}

func buildGolden(t *testing.T) []goldenCase {
	t.Helper()
	cases := goldenInputs()
	for i := range cases {
		c := &cases[i]
		c.MsgID = msgID
		if c.Timestamp.IsZero() {
			c.Timestamp = time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC)
		}
		out, err := Sign(Input{Secrets: c.Secrets, MsgID: c.MsgID, Timestamp: c.Timestamp,
			Body: []byte(c.Body), SignedPayload: []byte(c.SignedPayload)})
		if err != nil {
			t.Fatalf("%s: Sign: %v", c.Name, err)
		}
		c.Want = out
	}
	return cases
}

// TestGolden compares Sign against testdata/golden.json. Run with
// HERALD_UPDATE_GOLDEN=1 to rewrite the file after a deliberate change; the
// known-answer tests in sign_test.go guard against a wrong rewrite.
func TestGolden(t *testing.T) {
	got := buildGolden(t)
	if os.Getenv("HERALD_UPDATE_GOLDEN") == "1" {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", goldenPath)
	}

	raw, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with HERALD_UPDATE_GOLDEN=1 to create it)", err)
	}
	var want []goldenCase
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("parse %s: %v", goldenPath, err)
	}
	if len(want) != len(got) {
		t.Fatalf("%s has %d cases, code has %d; regenerate it", goldenPath, len(want), len(got))
	}
	for i, w := range want {
		g := got[i]
		t.Run(w.Name, func(t *testing.T) {
			wj, _ := json.Marshal(w)
			gj, _ := json.Marshal(g)
			if !bytes.Equal(wj, gj) {
				t.Errorf("vector differs from %s\nfile: %s\ncode: %s", goldenPath, wj, gj)
			}
		})
	}
}
