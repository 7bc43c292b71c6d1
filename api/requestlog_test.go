package api

import (
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The request log keeps a long query string cut, saying how long it was;
// a short one whole.
func TestRequestLogCutsLongQueries(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	s, err := New(Config{Open: true, Rate: 1e6, Burst: 1e6}, brokenStore{}, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, s)
	long := "q=" + strings.Repeat("de*+OR+", 2000) // 14 KB, under the header limit
	for _, q := range []string{"q=Bak%C4%B1&size=5", long} {
		resp, err := http.Get("http://" + addr + "/v1/search?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var got []string
	for _, e := range logs.FilterMessage("request").All() {
		if e.ContextMap()["path"] == "/v1/search" {
			got = append(got, e.ContextMap()["query"].(string))
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d search requests logged, want 2", len(got))
	}
	if got[0] != "q=Bak%C4%B1&size=5" {
		t.Errorf("short query logged as %q", got[0])
	}
	if len(got[1]) > maxLoggedQuery+32 || !strings.HasPrefix(got[1], long[:maxLoggedQuery]) || !strings.HasSuffix(got[1], "...(14002 bytes)") {
		t.Errorf("long query logged as %d bytes ending %q", len(got[1]), got[1][max(0, len(got[1])-40):])
	}
}
