package dropboxsigntest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signdeck/signdeck/providers/emulatortest"
)

func (s *Server) fileURL(w http.ResponseWriter, r *http.Request, id string) *apiErr {
	if fd := r.URL.Query().Get("force_download"); fd != "" {
		if _, err := strconv.Atoi(fd); err != nil {
			return errf(400, "bad_request", "force_download", "force_download must be an integer.")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sr, e := s.lookup(id)
	if e != nil {
		return e
	}
	if sr.HasError {
		return errf(422, "unprocessable_entity", "", "This entity is unprocessable.")
	}
	if sr.FilesPreparing {
		return errf(409, "conflict", "", "Files are still being processed. Please try again later.")
	}
	token := s.newID(32)
	exp := s.now().Add(time.Hour)
	s.files[token] = fileToken{id: id, expires: exp}
	writeJSON(w, 200, map[string]any{
		"file_url":   fmt.Sprintf("%s/files/%s/%s.pdf?Expires=%d", s.Root, token, id, exp.Unix()),
		"expires_at": exp.Unix(),
	})
	return nil
}

// serveFile answers a pre-signed file URL with a small PDF.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/files/")
	token, _, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	ft, ok := s.files[token]
	var title string
	if ok {
		if sr, found := s.byID[ft.id]; found {
			title = sr.Title
		}
	}
	s.mu.Unlock()
	if !ok || s.now().After(ft.expires) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>\n")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	_, _ = w.Write(emulatortest.PDF(title, 0))
}
