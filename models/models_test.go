package models

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	cases := []struct {
		in      string
		want    Status
		wantErr string
	}{
		{"awaiting_signature", StatusAwaitingSignature, ""},
		{"awaiting", StatusAwaitingSignature, ""},
		{"Completed", StatusCompleted, ""},
		{"cancel-pending", StatusCancelPending, ""},
		{"cancelled", StatusCanceled, ""},
		{"Cancel requested", StatusCancelPending, ""},
		{"on hold", StatusOnHold, ""},
		{"cancel-req", StatusCancelPending, ""},
		{"canceled", StatusCanceled, ""},
		{"cancel", "", "ambiguous"},
		{"d", "", "ambiguous"},
		{"bogus", "", "unknown status"},
		{"", "", "empty status"},
	}
	for _, c := range cases {
		got, err := ParseStatus(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseStatus(%q) err = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestStatusHelpers(t *testing.T) {
	for _, s := range AllStatuses {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		if s.Cancelable() == (s.CancelBlockedReason() != "") {
			t.Errorf("%s: Cancelable and CancelBlockedReason disagree", s)
		}
		if s.Cancelable() && s.Final() {
			t.Errorf("%s: final status must not be cancelable", s)
		}
		if s.Label() == "" || s.Label() == "Unknown" {
			t.Errorf("%s has no label", s)
		}
	}
	if StatusCompleted.CancelBlockedReason() != "session already completed" {
		t.Errorf("completed reason = %q", StatusCompleted.CancelBlockedReason())
	}
	if StatusDeleted.Copyable() || !StatusCompleted.Copyable() || !StatusCanceled.Copyable() {
		t.Error("copyable set wrong")
	}
	if Status("weird\x1b[2J").Label() != "weird" {
		t.Errorf("unknown status label not cleaned: %q", Status("weird\x1b[2J").Label())
	}
}

func TestParseRef(t *testing.T) {
	r, err := ParseRef("c1-stage/abc/def")
	if err != nil || r.Account != "c1-stage" || r.ID != "abc/def" || r.String() != "c1-stage/abc/def" {
		t.Fatalf("ParseRef = %+v, %v", r, err)
	}
	for _, bad := range []string{"noslash", "/id", "acct/", "bad acct/id", "acct/has space", "ac$ct/id"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) accepted", bad)
		}
	}
}

func TestCleanText(t *testing.T) {
	cases := map[string]string{
		"plain title":                                  "plain title",
		"\x1b]0;pwned\x07Title":                        "Title",
		"a\x1b[2Jb\x1b[31mred\x1b[0m":                  "abred",
		"x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\": "xlink",
		"line1\nline2\ttab":                            "line1 line2 tab",
		"bell\x07and\x00nul":                           "bellandnul",
		"c1 csi \u009b31mred":                          "c1 csi red",
		"bidi \u202eevil":                              "bidi evil",
		"Café ✓ 日本":                                    "Café ✓ 日本",
		"bad utf8 \xff\xfe ok":                         "bad utf8  ok",
		"\x1bPdcs payload\x1b\\after":                  "after",
		"esc at end\x1b":                               "esc at end",
	}
	for in, want := range cases {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	f.Add("\x1b]0;x\x07y")
	f.Add("a\x9b2Jb")
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("control rune %U left in %q", r, out)
			}
		}
	})
}

func TestCopySpecValidate(t *testing.T) {
	title := "New title"
	long := strings.Repeat("x", 300)
	empty := "  "
	spec := CopySpec{
		Source: Ref{Account: "a", ID: "1"},
		Title:  &long,
		Signers: []CopySigner{
			{Name: "Ana Lima", Email: "ana@example.com"},
			{Name: "", Email: "bob@example.com"},
			{Name: "Cy", Email: "not-an-email"},
			{Name: "Dup", Email: "ANA@example.com"},
			{Name: "Eve <x>", Email: "Eve <eve@example.com>"},
			{FirstName: "Solo", Email: "solo@localhost"},
		},
	}
	err := spec.Validate(CopyLimits{MaxTitle: 255, RequireLastName: true})
	var ve ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationErrors, got %v", err)
	}
	wantPaths := []string{"title", "signers[1].name", "signers[2].email", "signers[3].email", "signers[4].email", "signers[5].last_name", "signers[5].email"}
	var got []string
	for _, e := range ve {
		got = append(got, e.Path)
	}
	if strings.Join(got, ",") != strings.Join(wantPaths, ",") {
		t.Fatalf("paths = %v\nwant    %v\nerr: %v", got, wantPaths, err)
	}
	if !strings.Contains(ve.For("signers[3]")[0].Msg, "already signer 1") {
		t.Errorf("duplicate message: %v", ve.For("signers[3]"))
	}
	if !strings.Contains(ve[0].Msg, "300 characters") {
		t.Errorf("title message: %q", ve[0].Msg)
	}

	ok := CopySpec{Source: Ref{"a", "1"}, Title: &title, Signers: []CopySigner{{FirstName: "Ana", LastName: "Lima", Email: "ana@example.com"}}}
	if err := ok.Validate(CopyLimits{RequireLastName: true}); err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
	ok.Title = &empty
	if err := ok.Validate(CopyLimits{}); err == nil || !strings.Contains(err.Error(), "title: is empty") {
		t.Fatalf("empty title: %v", err)
	}
	none := CopySpec{Source: Ref{"a", "1"}}
	if err := none.Validate(CopyLimits{}); err == nil || !strings.Contains(err.Error(), "at least one signer") {
		t.Fatalf("no signers: %v", err)
	}
}

func TestParseSignerArg(t *testing.T) {
	s, err := ParseSignerArg(`"Lima, Ana" <ana@example.com>`)
	if err != nil || s.Name != "Lima, Ana" || s.Email != "ana@example.com" {
		t.Fatalf("got %+v %v", s, err)
	}
	s, err = ParseSignerArg("bob@example.com")
	if err != nil || s.Email != "bob@example.com" || s.Name != "" {
		t.Fatalf("bare email: %+v %v", s, err)
	}
	if _, err := ParseSignerArg("Ana <nope"); err == nil {
		t.Fatal("accepted broken address")
	}
}

func TestSplitName(t *testing.T) {
	f, l := CopySigner{Name: "Mary Ann Smith"}.SplitName()
	if f != "Mary Ann" || l != "Smith" {
		t.Fatalf("got %q %q", f, l)
	}
	f, l = CopySigner{Name: "Cher"}.SplitName()
	if f != "" || l != "Cher" {
		t.Fatalf("got %q %q", f, l)
	}
	// A mononym is a last name, so it meets a required last name; only an
	// explicit first name without a last name does not.
	lim := CopyLimits{RequireLastName: true}
	spec := CopySpec{Source: Ref{Account: "c1", ID: "S1"}, Signers: []CopySigner{{Name: "Cher", Email: "cher@example.com"}}}
	if err := spec.Validate(lim); err != nil {
		t.Errorf("a one-word name was refused: %v", err)
	}
	spec.Signers = []CopySigner{{FirstName: "Cher", Email: "cher@example.com"}}
	var ve ValidationErrors
	if err := spec.Validate(lim); !errors.As(err, &ve) || len(ve.For("signers[0].last_name")) != 1 {
		t.Errorf("a first name without a last name: %v", err)
	}
}

func TestDiffSigners(t *testing.T) {
	before := []Signer{
		{ID: "s1", Name: "Ana Lima", Email: "ana@example.com", Order: 0},
		{ID: "s2", Name: "Bob Roy", Email: "bob@example.com", Order: 1},
		{ID: "s3", Name: "Cy Fox", Email: "cy@example.com", Order: 2},
	}
	after := []CopySigner{
		{ID: "s1", Name: "Ana Lima", Email: "ana@example.com", Order: 0},
		{ID: "s2", Name: "Bob Roy", Email: "robert@example.com", Order: 1},
		{Name: "Dee New", Email: "dee@example.com", Order: 2},
	}
	d := DiffSigners(before, after)
	var kinds []string
	for _, c := range d {
		kinds = append(kinds, c.Kind)
	}
	if strings.Join(kinds, ",") != "kept,changed,added,removed" {
		t.Fatalf("kinds = %v", kinds)
	}
	if d[3].Before.ID != "s3" {
		t.Fatalf("removed = %+v", d[3].Before)
	}
	same := DiffSigners(before, CopySignersFrom(&Session{Signers: before}))
	for _, c := range same {
		if c.Kind != "kept" {
			t.Fatalf("unchanged copy shows %s", c.Kind)
		}
	}
}
