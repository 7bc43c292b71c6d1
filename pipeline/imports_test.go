package pipeline_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Production packages never depend on the simulator: only the simulator's
// own packages, the benchmarks, the binary (for `newswatch demo`) and the
// test harnesses (storetest, bustest: imported by tests alone, which this
// test checks too, since a production package importing one would depend
// on the simulator through it) may.
func TestProductionPackagesDoNotImportSimsite(t *testing.T) {
	const module = "github.com/newswatch/newswatch/"
	out, err := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := func(pkg string) bool {
		rel := strings.TrimPrefix(pkg, module)
		if rel == "simsite" || strings.HasPrefix(rel, "simsite/") || strings.HasPrefix(rel, "bench/") || rel == "cmd/newswatch" {
			return true
		}
		return strings.HasSuffix(rel[strings.LastIndex(rel, "/")+1:], "test")
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if allowed(pkg) {
			continue
		}
		checked++
		for _, dep := range fields[1:] {
			if dep == module+"simsite" || strings.HasPrefix(dep, module+"simsite/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages: %s", checked, out)
	}
}
