package article

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// trackingParams are query parameters that identify a campaign or a click,
// never the page, and are dropped from canonical URLs.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "yclid": true, "msclkid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_ga": true, "_gl": true,
}

// sessionParams are query parameters that carry a visitor's session, never
// the page (PHP's session.use_trans_sid, Java servlets, ASP, ColdFusion).
var sessionParams = map[string]bool{
	"phpsessid": true, "jsessionid": true, "sessionid": true, "session_id": true, "sid": true,
	"cfid": true, "cftoken": true, "aspsessionid": true,
}

// IsSessionParam reports whether a query parameter (name=value) carries a
// visitor's session rather than naming the page: PHPSESSID, jsessionid,
// sessionid, session_id, ASPSESSIONID..., CFID, CFTOKEN, and sid when its
// value looks like a session token (16+ letters and digits, not all
// digits: "sid=12" may be a section). Canonicalize drops them.
func IsSessionParam(name, value string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "aspsessionid") {
		return true
	}
	if !sessionParams[n] {
		return false
	}
	if n != "sid" {
		return true
	}
	if len(value) < 16 {
		return false
	}
	digits := true
	for _, r := range value {
		switch {
		case r >= '0' && r <= '9':
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			digits = false
		default:
			return false
		}
	}
	return !digits
}

// Canonicalize returns the canonical form of an absolute http(s) URL:
// scheme and host lowercased, default port dropped, fragment dropped,
// tracking parameters (utm_*, fbclid, gclid, ...) and session IDs
// (IsSessionParam, and a ";jsessionid=..." path parameter) dropped, the
// remaining query parameters sorted, and an empty path written as "/".
func Canonicalize(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("url %q: scheme must be http or https", raw)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "", fmt.Errorf("url %q: no host", raw)
	}
	if !strings.Contains(host, ":") && (strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..")) {
		return "", fmt.Errorf("url %q: malformed host", raw)
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	if i := strings.Index(strings.ToLower(u.Path), ";jsessionid="); i >= 0 {
		u.Path, u.RawPath = u.Path[:i], ""
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") || trackingParams[strings.ToLower(k)] || (len(vs) > 0 && IsSessionParam(k, vs[0])) {
				delete(q, k)
			}
		}
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			vs := q[k]
			sort.Strings(vs)
			for _, v := range vs {
				if b.Len() > 0 {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(k))
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
		}
		u.RawQuery = b.String()
	}
	u.ForceQuery = false
	return u.String(), nil
}

// ResolveCanonical picks the canonical URL of a page fetched from pageURL
// whose <link rel="canonical"> (possibly relative) is relCanonical. The
// declared canonical is honoured only when it is on the same site as the
// page (same host, ignoring a leading "www.", "m." or "amp."), so a page
// cannot claim another outlet's identity. The result is canonicalized.
func ResolveCanonical(pageURL, relCanonical string) (string, error) {
	page, err := Canonicalize(pageURL)
	if err != nil {
		return "", err
	}
	relCanonical = strings.TrimSpace(relCanonical)
	if relCanonical == "" {
		return page, nil
	}
	base, _ := url.Parse(page)
	ref, err := url.Parse(relCanonical)
	if err != nil {
		return page, nil
	}
	abs := base.ResolveReference(ref)
	c, err := Canonicalize(abs.String())
	if err != nil {
		return page, nil
	}
	cu, _ := url.Parse(c)
	if SiteOf(cu.Hostname()) != SiteOf(base.Hostname()) {
		return page, nil
	}
	return c, nil
}

// IdentityKey returns the part of a URL that identifies an article, from
// which ID is computed: the canonical URL (Canonicalize) without its scheme,
// with the host folded by SiteOf and the port kept only when it is not the
// scheme's default. "https://www.caliber.az/en/post/x?utm_source=rss" and
// "http://caliber.az/en/post/x" both give "caliber.az/en/post/x";
// "http://caliber.az:8080/x" gives "caliber.az:8080/x".
func IdentityKey(rawURL string) (string, error) {
	c, err := Canonicalize(rawURL)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(c)
	if err != nil {
		return "", fmt.Errorf("parse canonical url: %w", err)
	}
	host := SiteOf(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" {
		host += ":" + p // Canonicalize dropped the default port
	}
	key := host + u.EscapedPath()
	if u.RawQuery != "" {
		key += "?" + u.RawQuery
	}
	return key, nil
}

// SiteOf folds a host name to the site it belongs to: lowercased, with a
// leading "www.", "m." or "amp." removed.
func SiteOf(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range []string{"www.", "m.", "amp."} {
		if strings.HasPrefix(host, p) && strings.Count(host, ".") > 1 {
			return host[len(p):]
		}
	}
	return host
}
