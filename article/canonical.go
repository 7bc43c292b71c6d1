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

// Canonicalize returns the canonical form of an absolute http(s) URL:
// scheme and host lowercased, default port dropped, fragment dropped,
// tracking parameters (utm_*, fbclid, gclid, ...) dropped, the remaining
// query parameters sorted, and an empty path written as "/".
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
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") || trackingParams[strings.ToLower(k)] {
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
