package constellationtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func firstWith(s *Server, code int) Session {
	for _, ss := range s.Sessions() {
		if ss.StatusCode == code {
			return ss
		}
	}
	return Session{}
}

func TestStartRules(t *testing.T) {
	s := start(t, Options{Seed: 6})
	r := newRaw(t, s)
	r.login()
	draft := firstWith(s, StatusDraft)
	s.ModifySession(draft.ID, func(ss *Session) { ss.NotReadyStarts = 1 })
	if m := r.json("PUT", "v1/sessions/"+draft.ID+"/start", nil); m["ReturnValue"] != "False" || !strings.Contains(fmt.Sprint(m["Details"]), "returnURL") {
		t.Errorf("no returnUrl: %v", m)
	}
	if m := r.json("PUT", "v1/sessions/"+draft.ID+"/start?returnUrl=https://x.example/", nil); m["Details"] != MsgNotReady {
		t.Errorf("not ready: %v", m)
	}
	// The sample's spelling (returnURL) works too.
	if m := r.json("PUT", "v1/sessions/"+draft.ID+"/start?returnURL=https://x.example/", nil); m["ReturnValue"] != "True" {
		t.Errorf("start: %v", m)
	}
	got, _ := s.Session(draft.ID)
	invited := 0
	for _, g := range got.Signers {
		if g.StatusCode == SignerInvited {
			invited++
		}
	}
	if got.StatusCode != StatusSent || invited == 0 || !strings.Contains(got.ActionLog[len(got.ActionLog)-1].Description, "started") {
		t.Errorf("after the start: %+v", got)
	}
	if m := r.json("PUT", "v1/sessions/"+draft.ID+"/start?returnUrl=x", nil); !strings.Contains(fmt.Sprint(m["Details"]), "because it is Sent") {
		t.Errorf("second start: %v", m)
	}
	if status, _, _, _ := r.do("GET", "v1/sessions/"+draft.ID+"/start?returnUrl=x", r.tok, nil); status != 405 {
		t.Errorf("GET start: %d", status)
	}
	if status, _, body, _ := r.do("PUT", "v1/sessions/"+draft.ID+"/start?returnUrl=x", "bad-token", nil); status != 200 || !strings.Contains(string(body), MsgBadToken) {
		t.Errorf("bad token: %d %s", status, body)
	}
}

func TestInviteAndUpdateSignersRules(t *testing.T) {
	s := start(t, Options{Seed: 6})
	r := newRaw(t, s)
	r.login()
	sent := firstWith(s, StatusSent)
	s.ModifySession(sent.ID, func(x *Session) { x.Signers[0].StatusCode = SignerInvited })
	sent, _ = s.Session(sent.ID)
	g := sent.Signers[0]
	body := func(v any) []byte { b, _ := json.Marshal(v); return b }
	inv := func(sid, gid, ret string) map[string]any {
		return r.json("PUT", "v1/signers/invite", body(map[string]any{
			"signerList": []map[string]any{{"SignerId": gid, "StatusCode": 1}}, "signingSessionId": sid, "returnURL": ret}))
	}
	if m := inv(sent.ID, g.ID, "https://x.example/"); m["ReturnValue"] != "True" || m["Details"] != nil {
		t.Errorf("invite: %v", m)
	}
	if got, _ := s.Session(sent.ID); got.Signers[0].Invites != g.Invites+1 {
		t.Errorf("invites %d", got.Signers[0].Invites)
	}
	if m := inv(sent.ID, g.ID, ""); m["Details"] != MsgReturnURL {
		t.Errorf("no returnURL: %v", m)
	}
	if m := inv(sent.ID, "nope", "x"); m["Details"] != MsgNoSigner {
		t.Errorf("unknown signer: %v", m)
	}
	draft := firstWith(s, StatusDraft)
	if m := inv(draft.ID, draft.Signers[0].ID, "x"); m["Details"] != MsgNotSent {
		t.Errorf("draft: %v", m)
	}

	up := func(user, sid string, signers ...map[string]any) map[string]any {
		return r.json("PUT", "v1/signers", body(map[string]any{"username": user, "signingSessionId": sid, "signers": signers}))
	}
	m := up(s.Username(), sent.ID, map[string]any{"SignerId": g.ID, "FirstName": "New", "LastName": "Name", "EmailAddress": "new@example.com"})
	ws, _ := m["Signers"].([]any)
	if len(ws) != 1 || m["Details"] != nil || ws[0].(map[string]any)["EmailAddress"] != "new@example.com" {
		t.Errorf("update: %v", m)
	}
	if got, _ := s.Session(sent.ID); got.Signers[0].Email != "new@example.com" || got.Signers[0].LastName != "Name" {
		t.Errorf("after: %+v", got.Signers[0])
	}
	for _, tc := range []struct {
		user, sid string
		signer    map[string]any
		want      string
	}{
		{"nobody@example.com", sent.ID, map[string]any{"SignerId": g.ID, "LastName": "X"}, MsgUsername},
		{s.Username(), "nope", map[string]any{"SignerId": g.ID, "LastName": "X"}, MsgNotFound},
		{s.Username(), sent.ID, map[string]any{"SignerId": "nope", "LastName": "X"}, MsgNoSigner},
		{s.Username(), sent.ID, map[string]any{"SignerId": g.ID, "EmailAddress": "bad"}, MsgSigners},
	} {
		if m := up(tc.user, tc.sid, tc.signer); fmt.Sprint(m["Details"]) != "["+tc.want+"]" {
			t.Errorf("%v: %v", tc.signer, m)
		}
	}
	done := firstWith(s, StatusCompleted)
	if m := up(s.Username(), done.ID, map[string]any{"SignerId": done.Signers[0].ID, "LastName": "X"}); !strings.Contains(fmt.Sprint(m["Details"]), "cannot be updated") {
		t.Errorf("completed: %v", m)
	}
}

func TestSignerDocsPages(t *testing.T) {
	s := start(t, Options{Seed: 6})
	r := newRaw(t, s)
	r.login()
	ss := firstWith(s, StatusCompleted)
	s.ModifySession(ss.ID, func(x *Session) { x.Documents = []string{"a.pdf", "b.pdf", "c.pdf"} })
	base := "v1/signer/docs/" + s.Username() + "/" + ss.ID + "/" + ss.Signers[0].ID + "/"
	m := r.json("GET", base+"0/2", nil)
	docs, _ := m["Documents"].([]any)
	if len(docs) != 2 || m["TotalCount"] != float64(3) {
		t.Fatalf("page 0: %v", m)
	}
	d0 := docs[0].(map[string]any)
	pdf, err := base64.StdEncoding.DecodeString(d0["FileBytes"].(string))
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") || d0["FileName"] != "a.pdf" {
		t.Errorf("document: %v %v", d0["FileName"], err)
	}
	if m := r.json("GET", base+"1/2", nil); len(m["Documents"].([]any)) != 1 {
		t.Errorf("page 1: %v", m)
	}
	if m := r.json("GET", base+"0/6", nil); !strings.Contains(fmt.Sprint(m["Details"]), "page size") {
		t.Errorf("page size 6: %v", m)
	}
	if m := r.json("GET", "v1/signer/docs/x@example.com/"+ss.ID+"/"+ss.Signers[0].ID+"/0/1", nil); fmt.Sprint(m["Details"]) != "["+MsgUsername+"]" {
		t.Errorf("username: %v", m)
	}
	s.SetStatus(ss.ID, StatusPurged)
	if m := r.json("GET", base+"0/1", nil); fmt.Sprint(m["Details"]) != "["+MsgPurgedDocs+"]" {
		t.Errorf("purged: %v", m)
	}
}
