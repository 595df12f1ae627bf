package herald_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTemporalServerStaysInDevserver keeps the huge go.temporal.io/server
// module out of every package but the embedded dev server (and the command
// that runs it): linking it costs minutes of build time per test binary.
func TestTemporalServerStaysInDevserver(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{
		"github.com/heraldhub/herald/devserver":  true,
		"github.com/heraldhub/herald/cmd/herald": true,
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if allowed[pkg] {
			continue
		}
		checked++
		for _, dep := range fields[1:] {
			if strings.HasPrefix(dep, "go.temporal.io/server") {
				t.Errorf("%s depends on %s; only devserver may import go.temporal.io/server", pkg, dep)
				break
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages checked; go list output looks wrong", checked)
	}
}
