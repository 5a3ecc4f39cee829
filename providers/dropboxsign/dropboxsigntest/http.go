package dropboxsigntest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/signdeck/signdeck/providers/emulatortest"
)

type apiErr struct {
	status int
	name   string
	msg    string
	path   string
}

func (e *apiErr) Error() string { return e.name + ": " + e.msg }

func errf(status int, name, path, format string, args ...any) *apiErr {
	return &apiErr{status: status, name: name, path: path, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	body := map[string]string{"error_msg": e.msg, "error_name": e.name}
	if e.path != "" {
		body["error_path"] = e.path
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

// ServeHTTP handles one request: log, faults, auth, rate limit, route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, op, _ := s.match(r.Method, r.URL.Path)
	rec := Recorded{Time: s.now(), Op: op, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, KeyIndex: -1}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if len(body) > 0 {
		rec.Body = append([]byte(nil), body[:min(len(body), 64<<10)]...)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// Logged on arrival, so a test sees a request even when its client gave
	// up (timeout, reset) before the emulator finished; record() fills in
	// the outcome.
	slot := s.reqs.Add(rec)

	fault, latency, after := s.inj.Pick(op, r.Method, r.URL.Path)
	emulatortest.Sleep(r, latency, nil)
	rec.Fault = fault

	// Faults that strike before the request takes effect.
	if (!after || fault == "") && s.strike(w, fault, nil, rec, slot) {
		return
	}

	rw := httptest.NewRecorder()
	rec.KeyIndex = s.serve(rw, r, body)
	res := rw.Result()
	out, _ := io.ReadAll(res.Body)

	if s.strike(w, fault, res.Header, rec, slot) {
		return
	}
	switch fault {
	case emulatortest.FaultMalformed:
		if i := len(out) / 2; len(out) > 2 {
			out = append(append(append([]byte(nil), out[:i]...), []byte(`,,}"`)...), out[i:]...)
		} else {
			out = []byte(`{"x":,}`)
		}
	case emulatortest.FaultTruncate:
		out = out[:len(out)/2]
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	// Finished in the log before the answer goes out, so a client that has
	// its response always finds the status recorded.
	rec.Status = res.StatusCode
	s.record(slot, rec)
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(out)
}

// strike answers with a reset, HTML 5xx or error fault and reports true;
// other faults are left to the caller. rateFrom, when not nil, holds the
// rate-limit headers of a request that took effect before the fault. The
// log entry slot is finished before the answer goes out.
func (s *Server) strike(w http.ResponseWriter, fault string, rateFrom http.Header, rec Recorded, slot *Recorded) bool {
	switch fault {
	case emulatortest.FaultReset:
		s.record(slot, rec)
		emulatortest.Reset(w)
	case emulatortest.FaultHTML5xx:
		rec.Status = http.StatusBadGateway
		s.record(slot, rec)
		s.writeHTML5xx(w)
	case emulatortest.FaultError:
		if rateFrom != nil {
			copyRateHeaders(w.Header(), rateFrom)
		}
		rec.Status = 500
		s.record(slot, rec)
		writeErr(w, errf(500, "unknown", "", "An unknown error has occurred, please try again."))
	default:
		return false
	}
	return true
}

func copyRateHeaders(dst, src http.Header) {
	for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"} {
		if v := src.Get(k); v != "" {
			dst.Set(k, v)
		}
	}
}

// record replaces the arrival entry slot with the finished rec.
func (s *Server) record(slot *Recorded, rec Recorded) {
	s.reqs.Finish(slot, rec)
	s.log.Debug("dropboxsigntest", "method", rec.Method, "path", rec.Path, "status", rec.Status, "fault", rec.Fault)
}

const html5xxPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>502 Bad Gateway</title>
<style>body{font-family:sans-serif;margin:4em;color:#333}h1{font-size:2em}p{max-width:40em}</style></head>
<body><h1>502 Bad Gateway</h1>
<p>The server encountered a temporary error and could not complete your request. Please try again in 30 seconds.
Our engineers have been notified. If the problem persists, check the status page for ongoing incidents and
scheduled maintenance windows that may affect the API, the web application and the signing pages.</p>
<p>Reference: edge-proxy / upstream connect error or disconnect/reset before headers.</p>
</body></html>
`

func (s *Server) writeHTML5xx(w http.ResponseWriter) int {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = io.WriteString(w, html5xxPage)
	return http.StatusBadGateway
}

// serve authenticates, rate-limits and routes. It returns the key index.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) int {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/files/"):
		s.serveFile(w, r)
		return -1
	case path == "/home/manage" || strings.HasPrefix(path, "/sign/"):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, "<!DOCTYPE html><title>Dropbox Sign emulator</title><p>Signature request %s</p>\n",
			htmlEscape(r.URL.Query().Get("guid")+strings.TrimPrefix(path, "/sign/")))
		return -1
	case !strings.HasPrefix(path, "/v3/"):
		writeErr(w, errf(404, "not_found", "", "Not found."))
		return -1
	}
	key := s.authenticate(r)
	if key < 0 {
		msg := "Unauthorized user. No credentials supplied."
		if r.Header.Get("Authorization") != "" {
			msg = "Unauthorized user. The API key is not valid."
		}
		writeErr(w, errf(401, "unauthorized", "", "%s", msg))
		return key
	}
	route := strings.TrimPrefix(path, "/v3")
	bucket := "standard"
	if strings.HasPrefix(route, "/signature_request/send") || strings.HasPrefix(route, "/signature_request/files") {
		bucket = "send"
		if r.Method == http.MethodPost {
			var tm struct {
				TestMode any `json:"test_mode"`
			}
			if json.Unmarshal(body, &tm) == nil && truthy(tm.TestMode) {
				bucket = "test"
			}
		}
	}
	if !s.allow(w, key, bucket) {
		writeErr(w, errf(429, "exceeded_rate", "", "Too many requests."))
		return key
	}
	if e := s.route(w, r, route, body); e != nil {
		writeErr(w, e)
	}
	return key
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case float64:
		return t != 0
	case string:
		return t == "1" || t == "true"
	}
	return false
}

func (s *Server) authenticate(r *http.Request) int {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return -1
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	if err != nil {
		return -1
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok || pass != "" {
		return -1
	}
	for i, k := range s.opts.APIKeys {
		if k != "" && user == k {
			return i
		}
	}
	return -1
}

// allow counts the request against its bucket and sets the rate headers.
func (s *Server) allow(w http.ResponseWriter, key int, bucket string) bool {
	limit := s.limits[bucket]
	if limit <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	id := strconv.Itoa(key) + "/" + bucket
	win := s.rate[id]
	if win == nil || !now.Before(win.start.Add(s.opts.RateWindow)) {
		win = &window{start: now}
		s.rate[id] = win
	}
	reset := win.start.Add(s.opts.RateWindow)
	resetUnix := reset.Unix()
	if reset.Nanosecond() > 0 {
		resetUnix++
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(resetUnix, 10))
	if win.count >= limit {
		h.Set("X-RateLimit-Remaining", "0")
		return false
	}
	win.count++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(limit-win.count))
	return true
}

// handler answers one API route; seg holds the path's segments under
// /v3 (so seg[len(seg)-1] is the id of routes that end in {id}).
type handler func(s *Server, w http.ResponseWriter, r *http.Request, seg []string, body []byte) *apiErr

// apiRoute is one row of the routing table: a path pattern under /v3
// ("{}" matches one segment), its method, the operation name the request
// log and fault matching use, and the handler.
type apiRoute struct {
	method  string
	pattern string
	op      string
	handle  handler
}

// routes is the routing table, matched in order (fixed segments before
// the {id} they would otherwise match). A path that matches with another
// method is answered 405.
var routes = []apiRoute{
	{http.MethodGet, "account", "account", func(s *Server, w http.ResponseWriter, _ *http.Request, _ []string, _ []byte) *apiErr {
		return s.account(w)
	}},
	{http.MethodGet, "signature_request/list", "list", func(s *Server, w http.ResponseWriter, r *http.Request, _ []string, _ []byte) *apiErr {
		return s.list(w, r)
	}},
	{http.MethodPost, "signature_request/send", "send", func(s *Server, w http.ResponseWriter, r *http.Request, _ []string, body []byte) *apiErr {
		return s.send(w, r, body, false)
	}},
	{http.MethodPost, "signature_request/send_with_template", "send_with_template", func(s *Server, w http.ResponseWriter, r *http.Request, _ []string, body []byte) *apiErr {
		return s.send(w, r, body, true)
	}},
	{http.MethodPost, "signature_request/cancel/{}", "cancel", func(s *Server, w http.ResponseWriter, _ *http.Request, seg []string, _ []byte) *apiErr {
		return s.cancel(w, seg[2])
	}},
	{http.MethodPost, "signature_request/remind/{}", "remind", func(s *Server, w http.ResponseWriter, _ *http.Request, seg []string, body []byte) *apiErr {
		return s.remind(w, seg[2], body)
	}},
	{http.MethodPost, "signature_request/update/{}", "update", func(s *Server, w http.ResponseWriter, r *http.Request, seg []string, body []byte) *apiErr {
		return s.routeAction(w, r, "update", seg[2], body)
	}},
	{http.MethodGet, "signature_request/files/{}", "files", func(s *Server, w http.ResponseWriter, r *http.Request, seg []string, body []byte) *apiErr {
		return s.routeAction(w, r, "files", seg[2], body)
	}},
	{http.MethodGet, "signature_request/files_as_file_url/{}", "files_as_file_url", func(s *Server, w http.ResponseWriter, r *http.Request, seg []string, _ []byte) *apiErr {
		return s.fileURL(w, r, seg[2])
	}},
	{http.MethodGet, "template/{}", "template", func(s *Server, w http.ResponseWriter, _ *http.Request, seg []string, _ []byte) *apiErr {
		return s.getTemplate(w, seg[1])
	}},
	{http.MethodGet, "signature_request/{}", "get", func(s *Server, w http.ResponseWriter, _ *http.Request, seg []string, _ []byte) *apiErr {
		return s.get(w, seg[1])
	}},
}

// matchPattern reports whether seg fits pattern's segments.
func matchPattern(pattern string, seg []string) bool {
	ps := strings.Split(pattern, "/")
	if len(ps) != len(seg) {
		return false
	}
	for i, p := range ps {
		if p != "{}" && p != seg[i] {
			return false
		}
	}
	return true
}

// match finds the route of an API path (under /v3): the route for the
// method, or, when only other methods match, found is false and op names
// the path's route anyway.
func (s *Server) match(method, path string) (rt *apiRoute, op string, seg []string) {
	rest, ok := strings.CutPrefix(path, "/v3/")
	if !ok {
		return nil, "", nil
	}
	seg = strings.Split(strings.Trim(rest, "/"), "/")
	for i := range routes {
		if !matchPattern(routes[i].pattern, seg) {
			continue
		}
		if routes[i].method == method {
			return &routes[i], routes[i].op, seg
		}
		if op == "" {
			op = routes[i].op
		}
	}
	return nil, op, seg
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, _ string, body []byte) *apiErr {
	rt, op, seg := s.match(r.Method, r.URL.Path)
	switch {
	case rt != nil:
		return rt.handle(s, w, r, seg, body)
	case op != "":
		return errf(405, "method_not_supported", "", "Method not supported.")
	}
	return errf(404, "not_found", "", "Not found.")
}
