package api

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestMalformedQueriesSayWhere: every malformed q is a 400 whose message
// gives the column of the problem.
func TestMalformedQueriesSayWhere(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	for q, col := range map[string]string{
		`"unclosed`:        "column 1",
		`Bakı (neft`:       "column 6",
		`neft)`:            "column 5",
		`neft AND`:         "column 6",
		`OR neft`:          "column 1",
		`nosuch:neft`:      "column 1",
		`title:`:           "column 1",
		`neft -`:           "", // a lone dash is punctuation: not an error
		`b*`:               "column 1",
		`Карабах title:к*`: "column 15",
		`()`:               "column 1",
		`a ! b`:            "column 3",
		`neft "" qaz`:      "column 6",
		"neft \xff":        "column 6",
		strings.Repeat("(", 40) + "a" + strings.Repeat(")", 40): "column 33",
	} {
		resp, body := e.do(t, "GET", "/v1/search?q="+url.QueryEscape(q))
		if col == "" {
			if resp.StatusCode != 200 {
				t.Errorf("q=%q: %d %s, want 200", q, resp.StatusCode, body)
			}
			continue
		}
		var eb errorBody
		if resp.StatusCode != 400 || json.Unmarshal(body, &eb) != nil || eb.Error.Code != CodeBadRequest || !strings.Contains(eb.Error.Message, col) {
			t.Errorf("q=%q: %d %s, want 400 bad_request at %s", q, resp.StatusCode, body, col)
		}
	}
}
