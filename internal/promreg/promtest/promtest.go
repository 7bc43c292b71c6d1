// Package promtest reads samples from a running process's /metrics page,
// for tests that watch a newswatch process from outside.
package promtest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Value reads one sample - name with its labels as the page writes them,
// e.g. `newswatch_indexer_stored_total` or `x{outlet="report"}` - from
// http://addr/metrics.
func Value(addr, name string) (float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("/metrics: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("no %s on /metrics", name)
}
