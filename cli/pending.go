package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/signdeck/signdeck/config"
	"github.com/signdeck/signdeck/providers/dropboxsign"
)

// pendingFileName is the file, under the state directory, that remembers
// the asynchronous cancels signdeck queued (Dropbox Sign), one JSON object
// per line. The provider shows nothing of a queued cancel until it
// completes, so without this a later run would show the request as
// awaiting and send the cancel again.
const pendingFileName = "pending-cancels.jsonl"

// pendingCompactAt is the file size past which a write rewrites the file
// with only the entries still within the TTL.
const pendingCompactAt = 64 << 10

// pendingCancel is one line of the pending-cancels file. Entries are keyed
// by account and base URL, so the sandbox's fresh emulators (new ports)
// never inherit the markers of an earlier sandbox's requests.
type pendingCancel struct {
	Account string    `json:"account"`
	BaseURL string    `json:"base_url"`
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
}

func (a *app) pendingPath() string { return filepath.Join(a.stateDir(), pendingFileName) }

// readPending returns the file's entries that are still within the TTL.
// A missing or unreadable file, or a broken line, is no marker.
func (a *app) readPending(now time.Time) []pendingCancel {
	b, err := os.ReadFile(a.pendingPath())
	if err != nil {
		return nil
	}
	var out []pendingCancel
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		var p pendingCancel
		if json.Unmarshal(sc.Bytes(), &p) != nil || p.ID == "" || p.At.IsZero() {
			continue
		}
		if now.Sub(p.At) <= dropboxsign.CancelPendingTTL {
			out = append(out, p)
		}
	}
	return out
}

// queuedCancels returns the cancels recently queued for acct: id -> when.
func (a *app) queuedCancels(acct config.Account) map[string]time.Time {
	out := map[string]time.Time{}
	for _, p := range a.readPending(time.Now()) {
		if p.Account == acct.Name && p.BaseURL == pendingBaseURL(acct) {
			if prev, ok := out[p.ID]; !ok || p.At.After(prev) {
				out[p.ID] = p.At
			}
		}
	}
	return out
}

// recordCancel remembers that a cancel of id was queued for acct. Failures
// are logged, not fatal: the marker only spares a needless second cancel.
func (a *app) recordCancel(acct config.Account, id string, at time.Time) {
	a.pendingMu.Lock()
	defer a.pendingMu.Unlock()
	line, err := json.Marshal(pendingCancel{Account: acct.Name, BaseURL: pendingBaseURL(acct), ID: id, At: at.UTC()})
	if err != nil {
		return
	}
	path := a.pendingPath()
	if st, err := os.Stat(path); err == nil && st.Size() > pendingCompactAt {
		a.compactPending()
	}
	f, err := openPrivate(path)
	if err != nil {
		a.log().Warn("pending cancels: cannot record", "error", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		a.log().Warn("pending cancels: cannot record", "error", err)
	}
}

// compactPending rewrites the file with only the entries within the TTL.
func (a *app) compactPending() {
	var buf bytes.Buffer
	for _, p := range a.readPending(time.Now()) {
		if b, err := json.Marshal(p); err == nil {
			buf.Write(append(b, '\n'))
		}
	}
	path := a.pendingPath()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pending-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(buf.Bytes())
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		_ = os.Remove(tmp.Name())
	}
}

// pendingBaseURL is the account's base URL as the markers key it.
func pendingBaseURL(acct config.Account) string {
	u := strings.TrimRight(acct.BaseURL, "/")
	if u == "" {
		u = dropboxsign.DefaultBaseURL
	}
	return u
}
