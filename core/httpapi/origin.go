package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/redact"
)

// CodeOriginNotAllowed is the code of a 403 for a cross-origin request to
// a server that holds a grader key.
const CodeOriginNotAllowed = "origin-not-allowed"

// origins is the cross-origin policy of a handler.
//
// A server whose grader holds a key (Host.Grader is a redact.Source with a
// secret: a core/remote or core/grader client given a key) would spend
// its operator's key for any web page that posts to it, and let that page
// read the verdicts: browsers send a text/plain POST across origins
// without a preflight. So such a server refuses, with a 403 and before any
// work, every request whose Origin header is neither its own (the
// playground it serves) nor in Options.AllowOrigins. Requests without an
// Origin header (curl, scripts, other servers; no browser sends a POST
// without one) are served. A keyless server keeps the open policy:
// Access-Control-Allow-Origin: * for every origin.
type origins struct {
	restrict bool
	any      bool            // "*" in AllowOrigins
	allow    map[string]bool // normalised origins
}

func newOrigins(o Options) origins {
	p := origins{restrict: redact.Of(o.Host.Grader).HasSecret(), allow: make(map[string]bool)}
	for _, s := range o.AllowOrigins {
		if strings.TrimSpace(s) == "*" {
			p.any = true
			continue
		}
		if n, err := ParseOrigin(s); err == nil {
			p.allow[n] = true
		}
	}
	return p
}

// ParseOrigin checks an origin to allow (scheme://host[:port], http or
// https, no path, query or credentials) and returns it in the form
// browsers send: lower case, without a default port.
func ParseOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("an origin is scheme://host[:port] with http or https, such as https://playground.example")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("an origin has no credentials, path, query or fragment: scheme://host[:port] only")
	}
	return normalOrigin(u), nil
}

func normalOrigin(u *url.URL) string {
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if port := u.Port(); (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return scheme + "://" + host
}

// checkOrigin applies the policy to r. It sets the CORS header of an API reply
// and reports whether the request may go on; when not, it has written the
// 403.
func (h *handler) checkOrigin(w http.ResponseWriter, r *http.Request) bool {
	inAPI := strings.HasPrefix(r.URL.Path, Prefix)
	origin := r.Header.Get("Origin")
	p := &h.origins
	switch {
	case !p.restrict:
		if inAPI {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		return true
	case origin == "" || sameOrigin(origin, r):
		return true
	case p.any || p.allowed(origin):
		if inAPI {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
		}
		return true
	}
	h.writeError(w, http.StatusForbidden, refused(origin))
	return false
}

func (p *origins) allowed(origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && p.allow[normalOrigin(u)]
}

// sameOrigin reports whether origin names the host r was sent to (the
// playground served by this server, or by the Worker's assets).
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" (a sandboxed frame, a file://) is never ours
	}
	host := r.URL.Host // the Worker's request URL; empty natively
	if host == "" {
		host = r.Host
	}
	self := &url.URL{Scheme: u.Scheme, Host: host}
	return normalOrigin(u) == normalOrigin(self)
}

func refused(origin string) diag.Diagnostic {
	return diag.Errorf(CodeOriginNotAllowed, "", "requests from the web page at %.200q are refused: this server spends its operator's grader key, so only its own pages and the origins its operator allows (rcsd serve --allow-origin, the Worker's RCSD_ALLOW_ORIGINS) may call it", origin)
}
