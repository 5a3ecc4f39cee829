package providers

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckBaseURL accepts an absolute https:// URL, or http:// only when the
// host is loopback (127.0.0.0/8, ::1, localhost). It refuses user info in
// the URL, since that would put a credential in the config.
func CheckBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("base URL %q does not parse: %v", raw, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("base URL %q must be an absolute https:// URL", raw)
	}
	if u.User != nil {
		return fmt.Errorf("base URL must not carry a user name or password; use `signdeck auth login`")
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return fmt.Errorf("base URL %q must use https:// (plain http is only allowed for loopback hosts)", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("base URL %q must not have a query or fragment", raw)
	}
	return nil
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
