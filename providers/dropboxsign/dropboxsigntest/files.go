package dropboxsigntest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
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
	_, _ = w.Write(minimalPDF(title))
}

func minimalPDF(title string) []byte {
	title = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '(' || r == ')' || r == '\\' {
			return ' '
		}
		return r
	}, title)
	content := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", title)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
