package providers

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/signdeck/signdeck/models"
)

// maxFileName bounds a file name in bytes (most file systems allow 255).
const maxFileName = 200

// FileName makes name safe as one file name: no directory separators,
// control or shell-special characters, no leading dot or dash, at most 200
// bytes with the extension kept. An empty result becomes "document" plus
// the extension.
func FileName(name string) string {
	name = models.CleanText(name)
	ext := strings.ToLower(filepath.Ext(name))
	if len(ext) > 8 || strings.ContainsAny(ext, " /\\") {
		ext = ""
	}
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if ext == "" {
		base = name
	}
	base = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return -1
		case strings.ContainsRune(`/\:*?"<>|`+"`$", r):
			return '_'
		}
		return r
	}, base)
	base = strings.Join(strings.Fields(base), " ")
	base = strings.TrimLeft(base, ".- ")
	base = strings.TrimRight(base, ". ")
	for len(base)+len(ext) > maxFileName {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	base = strings.TrimRight(base, ". ")
	if base == "" {
		base = "document"
	}
	return base + ext
}

// UniqueFile creates a new file for name in dir without ever replacing an
// existing one: name.pdf, else "name (1).pdf", "name (2).pdf" ... It
// returns the file, open for writing, and its path. name is made safe
// with FileName first.
func UniqueFile(dir, name string) (*os.File, string, error) {
	name = FileName(name)
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 0; i < 10000; i++ {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s (%d)%s", base, i, ext)
		}
		p := filepath.Join(dir, n)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", err
		}
	}
	return nil, "", fmt.Errorf("%s: too many files named like %s", dir, name)
}

// DirFile is a file CreateIn made. Abort removes it (a failed download
// leaves nothing behind).
type DirFile struct {
	*os.File
	Path string
}

// Abort closes and removes the file.
func (f *DirFile) Abort() error {
	_ = f.File.Close()
	return os.Remove(f.Path)
}

// CreateIn returns a DownloadSpec.Create that writes new files into dir
// (never replacing one: UniqueFile) and reports each path to created
// (which may be nil).
func CreateIn(dir string, created func(path string)) func(name string) (io.WriteCloser, error) {
	return func(name string) (io.WriteCloser, error) {
		f, p, err := UniqueFile(dir, name)
		if err != nil {
			return nil, err
		}
		if created != nil {
			created(p)
		}
		return &DirFile{File: f, Path: p}, nil
	}
}

// abortWriter aborts w when it can (DownloadSpec.Create), else closes it.
func abortWriter(w io.WriteCloser) {
	if a, ok := w.(interface{ Abort() error }); ok {
		_ = a.Abort()
		return
	}
	_ = w.Close()
}

// CopyFile writes one downloaded file: it opens the destination with
// spec.Create, copies r into it reporting progress, and closes it (or
// aborts it on failure). total is the size when known, else -1.
// Providers call it from Download.
func CopyFile(spec DownloadSpec, name, contentType string, r io.Reader, total int64) (DownloadedFile, error) {
	if spec.Create == nil {
		return DownloadedFile{}, errors.New("DownloadSpec.Create is nil")
	}
	w, err := spec.Create(name)
	if err != nil {
		return DownloadedFile{}, err
	}
	pw := &progressWriter{w: w, p: Progress{File: name, Total: total}, fn: spec.Progress}
	if pw.fn != nil {
		pw.fn(pw.p)
	}
	_, err = io.Copy(pw, r)
	if err != nil {
		abortWriter(w)
		return DownloadedFile{}, err
	}
	if err := w.Close(); err != nil {
		return DownloadedFile{}, err
	}
	return DownloadedFile{Name: name, Bytes: pw.p.Done, ContentType: contentType}, nil
}

// errWrite marks an error of the destination (not of the download).
type errWrite struct{ err error }

func (e errWrite) Error() string { return "writing the file: " + e.err.Error() }
func (e errWrite) Unwrap() error { return e.err }

// IsWriteError reports whether a download failed writing its destination.
func IsWriteError(err error) bool {
	var w errWrite
	return errors.As(err, &w)
}

type progressWriter struct {
	w  io.Writer
	p  Progress
	fn func(Progress)
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.p.Done += int64(n)
	if pw.fn != nil && n > 0 {
		pw.fn(pw.p)
	}
	if err != nil {
		return n, errWrite{err}
	}
	return n, nil
}
