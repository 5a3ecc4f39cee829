package cli

import (
	"bytes"
	"flag"
	core "github.com/signdeck/signdeck/app"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/signdeck/signdeck/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -run JSONShapes -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed: the JSON output is a stable interface.\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func sampleSession() models.Session {
	created := time.Date(2026, 3, 2, 15, 4, 5, 0, time.FixedZone("CET", 3600))
	return models.Session{
		Ref:       models.Ref{Account: "acme", ID: "fa5c8a0b"},
		Provider:  models.DropboxSign,
		Title:     "Lease \x1b[31mrenewal\x1b[0m",
		Subject:   "Please sign",
		Message:   "Thanks",
		Status:    models.StatusAwaitingSignature,
		CreatedAt: created,
		UpdatedAt: created.Add(time.Hour),
		URL:       "https://app.example.com/s/fa5c8a0b",
		Requester: "dana@example.com",
		Signers: []models.Signer{
			{ID: "s1", Name: "Ana Lima", Email: "ana@example.com", Order: 0, Status: models.SignerSigned, SignedAt: created.Add(time.Hour)},
			{ID: "s2", FirstName: "Bob", LastName: "Roy", Email: "bob@example.com", Order: 1, Status: models.SignerAwaiting},
		},
		ActionLog: []models.LogEntry{{Time: created, Actor: "dana@example.com", Action: "sent"}},
	}
}

// TestJSONShapes pins the documented JSON output.
func TestJSONShapes(t *testing.T) {
	s := sampleSession()
	var b bytes.Buffer
	writeJSON(&b, []sessionJSON{toSessionJSON(&s)})
	golden(t, "list.json", b.Bytes())

	b.Reset()
	writeJSON(&b, toDetailJSON(&s))
	golden(t, "show.json", b.Bytes())

	b.Reset()
	reason := "session already completed"
	writeJSON(&b, []cancelJSON{
		{Ref: "acme/fa5c8a0b", OK: true, Status: "cancel_pending", Outcome: "pending", OperationID: "sdop0123456789abcdef0123456789"},
		{Ref: "acme/0b7e11", OK: false, Status: "completed", Error: &reason, Skipped: true, Outcome: "skipped", OperationID: "sdopfedcba9876543210fedcba9876"},
	})
	golden(t, "cancel.json", b.Bytes())

	b.Reset()
	writeJSON(&b, []authStatusJSON{{Account: "acme", Provider: "dropboxsign", Source: "keyring"}})
	golden(t, "auth-status.json", b.Bytes())

	b.Reset()
	writeJSON(&b, []sessionJSON{})
	if b.String() != "[]\n" {
		t.Errorf("an empty list is %q, want []", b.String())
	}
}

func TestSignerOrders(t *testing.T) {
	sig := func(orders ...int) []models.Signer {
		var out []models.Signer
		for _, o := range orders {
			out = append(out, models.Signer{Order: o})
		}
		return out
	}
	tests := []struct {
		name string
		src  []models.Signer
		n    int
		want []int
	}{
		{"no source signers", nil, 2, []int{0, 0}},
		{"Dropbox Sign sequential", sig(0, 1), 3, []int{0, 1, 2}},
		{"Dropbox Sign any order", sig(0, 0, 0), 2, []int{0, 0}},
		{"Constellation1 sequence", sig(1, 2, 3), 2, []int{1, 2}},
		{"Constellation1 parallel", sig(1, 1), 3, []int{1, 1, 1}},
		{"one signer", sig(1), 2, []int{1, 2}},
	}
	for _, tt := range tests {
		if got := core.SignerOrders(tt.src, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMatchSignersKeepsIDAndRoleByEmail(t *testing.T) {
	src := []models.Signer{
		{ID: "s1", Name: "Ana Lima", Email: "ana@example.com", Role: "Buyer", Order: 1},
		{ID: "s2", Name: "Bob Roy", Email: "bob@example.com", Role: "Seller", Order: 2},
	}
	got := matchSigners(src, []models.CopySigner{
		{Email: "BOB@example.com"},
		{Name: "Ana L. Lima", Email: "ana@example.com"},
		{Name: "Cy Fox", Email: "cy@example.com"},
	})
	want := []models.CopySigner{
		{ID: "s2", Name: "Bob Roy", Email: "BOB@example.com", Role: "Seller", Order: 1},
		{ID: "s1", Name: "Ana L. Lima", Email: "ana@example.com", Role: "Buyer", Order: 2},
		{Name: "Cy Fox", Email: "cy@example.com", Order: 3},
	}
	if !slices.Equal(got, want) {
		t.Errorf("matchSigners =\n%+v\nwant\n%+v", got, want)
	}
	kinds := ""
	for _, c := range models.DiffSigners(src, got) {
		kinds += c.Kind + " "
	}
	if kinds != "changed changed added " {
		t.Errorf("diff kinds %q", kinds)
	}
}
