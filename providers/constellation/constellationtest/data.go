package constellationtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The seeded data set: the transactions of a residential real-estate
// brokerage, each a property with buyers and sellers (or tenants and a
// landlord), several signing sessions per transaction, a mix of statuses
// with consistent signer statuses and action logs. Every value comes from
// the seed, and every time from Options.Now, so the same seed and clock
// give the same data.

var (
	firstNames = []string{"Ana", "Marcus", "Priya", "Daniel", "Sofia", "Ethan", "Grace", "Luis", "Hannah", "Omar",
		"Chloe", "Noah", "Mei", "Isaac", "Olivia", "Rafael", "Zoe", "Samuel", "Leah", "Tomas", "Nadia", "Caleb",
		"Ingrid", "Jamal", "Elena", "Victor", "Aisha", "Wesley", "Yuki", "Brendan"}
	lastNames = []string{"Lopez", "Whitfield", "Raman", "Okafor", "Brennan", "Castillo", "Nguyen", "Haas", "Kowalski",
		"Delgado", "Fischer", "Abernathy", "Sato", "Moreau", "Patel", "Lindqvist", "Osei", "Carver", "Romero",
		"Yilmaz", "Ferreira", "Holloway", "MacLeod", "Park", "Vance", "Eriksen", "Duarte", "Bishop", "Kaur", "Lang"}
	mailDomains = []string{"example.com", "example.net", "example.org", "mail.example.com"}
	streets     = []string{"Maple Ave", "Oak St", "Cedar Ln", "Birch Rd", "Willow Way", "Elm St", "Harbor View Dr",
		"Juniper Ct", "Aspen Trl", "Sycamore Blvd", "Lakeshore Dr", "Chestnut Pl", "Magnolia Cir", "Quarry Rd",
		"Pinecrest Ave", "Orchard Ln"}
	docTypes = []string{"Purchase Agreement", "Seller's Property Disclosure", "Lead-Based Paint Disclosure",
		"Addendum 1 - Inspection Repairs", "Counteroffer 1", "Residential Lease Agreement", "Exclusive Listing Agreement",
		"Earnest Money Receipt", "Addendum 2 - Closing Date Extension", "Buyer Representation Agreement"}
	declineReasons = []string{"The repair credit is lower than we agreed.", "Waiting on my lender's approval.",
		"The closing date does not work for us."}
)

// statusWeights is the mix of session statuses.
var statusWeights = []struct{ code, weight int }{
	{StatusDraft, 10}, {StatusSent, 34}, {StatusCompleted, 24}, {StatusCancelled, 8}, {StatusPaused, 4},
	{StatusExpired, 8}, {StatusDeleted, 5}, {StatusArchived, 5}, {StatusPurged, 2},
}

type person struct{ first, last, email string }

type deal struct {
	tx      string
	address string
	parties []person // two buyers, then two sellers
}

func newUUID(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = a&^(0xf<<12) | 0x4<<12 // version 4
	b = b&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func ip(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return fmt.Sprintf("203.0.113.%d", 1+r.IntN(254))
	}
	return fmt.Sprintf("198.51.100.%d", 1+r.IntN(254))
}

// maxPerTransaction keeps a generated transaction well under the client's
// listing cap (200 pages of 50 per transaction): a real transaction holds
// a handful of sessions, so a large sandbox gets more transactions.
const maxPerTransaction = 5000

// defaultTransactions are 8 transactions, more when size needs them.
func defaultTransactions(size int) []string {
	txs := make([]string, max(8, (size+maxPerTransaction-1)/maxPerTransaction))
	for i := range txs {
		txs[i] = fmt.Sprintf("TX-%d", 1001+i)
	}
	return txs
}

// generate builds the seeded sessions.
func generate(seed int64, size int, txs []string, owner string, now time.Time) []*Session {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed5eed))
	usedPeople := map[string]bool{}
	newPerson := func() person {
		for {
			f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
			if usedPeople[f+l] && len(usedPeople) < len(firstNames)*len(lastNames)/2 {
				continue
			}
			usedPeople[f+l] = true
			return person{f, l, strings.ToLower(f+"."+l) + "@" + mailDomains[r.IntN(len(mailDomains))]}
		}
	}
	usedAddr := map[string]bool{}
	deals := make([]deal, len(txs))
	for i, tx := range txs {
		var addr string
		for {
			addr = fmt.Sprintf("%d %s", 100+r.IntN(9800), streets[r.IntN(len(streets))])
			if !usedAddr[addr] {
				break
			}
		}
		usedAddr[addr] = true
		deals[i] = deal{tx: tx, address: addr, parties: []person{newPerson(), newPerson(), newPerson(), newPerson()}}
	}
	total := 0
	for _, w := range statusWeights {
		total += w.weight
	}
	ownerName := "Jordan Avery"
	var out []*Session
	for i := 0; i < size; i++ {
		d := deals[i%len(deals)]
		n := i / len(deals)
		doc := ""
		if n < len(docTypes) {
			doc = docTypes[n]
		} else {
			doc = fmt.Sprintf("Addendum %d - Additional Terms", n-len(docTypes)+3)
		}
		pick := r.IntN(total)
		code := StatusSent
		for _, w := range statusWeights {
			if pick < w.weight {
				code = w.code
				break
			}
			pick -= w.weight
		}
		s := &Session{
			ID:            newUUID(r),
			TransactionID: d.tx,
			Title:         doc + " - " + d.address,
			Description:   "Please review and sign the " + doc + " for " + d.address + ".",
			OwnerEmail:    owner,
			OwnerName:     ownerName,
			StatusCode:    code,
			Documents:     []string{strings.ReplaceAll(doc, "'", "") + ".pdf"},
		}
		// Open sessions are recent; closed ones may be older.
		age := time.Duration(1+r.IntN(20*24)) * time.Hour
		if code != StatusDraft && code != StatusSent && code != StatusPaused {
			age = time.Duration(24+r.IntN(110*24)) * time.Hour
		}
		if code == StatusExpired {
			age = time.Duration(31*24+r.IntN(60*24)) * time.Hour
		}
		age += time.Duration(r.IntN(3600)) * time.Second
		s.CreatedOn = now.Add(-age).Truncate(time.Millisecond)
		s.ExpiresOn = s.CreatedOn.Add(30 * 24 * time.Hour)
		if code == StatusDraft || code == StatusSent || code == StatusPaused {
			// Some open sessions run out within a week (the "expiring" view).
			s.ExpiresOn = s.CreatedOn.Add(25 * 24 * time.Hour)
		}
		lease := strings.Contains(doc, "Lease")
		nSigners := 1 + r.IntN(4)
		start := r.IntN(2) * 2 // buyers first or sellers first
		for k := 0; k < nSigners; k++ {
			idx := (start + k) % 4
			p := d.parties[idx]
			role := []string{"Buyer 1", "Buyer 2", "Seller 1", "Seller 2"}[idx]
			if lease {
				role = []string{"Tenant 1", "Tenant 2", "Landlord 1", "Landlord 2"}[idx]
			}
			s.Signers = append(s.Signers, Signer{ID: newUUID(r), FirstName: p.first, LastName: p.last,
				Email: p.email, Role: role, Sequence: k + 1, StatusCode: SignerPendingInvite})
		}
		history(r, s, now)
		out = append(out, s)
	}
	return out
}

// history sets signer statuses consistent with the session's status and
// writes the action log of how it got there.
func history(r *rand.Rand, s *Session, now time.Time) {
	t := s.CreatedOn
	end := now
	if s.StatusCode == StatusExpired {
		end = s.ExpiresOn
	}
	step := func() time.Time {
		span := end.Sub(t)
		if span <= time.Minute {
			return t
		}
		gap := time.Duration(r.Int64N(int64(span)/6 + 1))
		t = t.Add(gap).Truncate(time.Millisecond)
		return t
	}
	s.log(t, ip(r), "Session created by "+s.OwnerEmail+".")
	if s.StatusCode == StatusDraft {
		s.ModifiedOn = t
		return
	}
	s.log(step(), ip(r), "Session sent for signature.")
	n := len(s.Signers)
	signed := 0
	switch s.StatusCode {
	case StatusCompleted, StatusArchived, StatusPurged:
		signed = n
	case StatusSent, StatusPaused, StatusExpired:
		signed = r.IntN(n)
	case StatusCancelled, StatusDeleted:
		signed = r.IntN(n)
	}
	for k := range s.Signers {
		g := &s.Signers[k]
		name := g.FirstName + " " + g.LastName
		if k < signed {
			s.log(step(), ip(r), "Invitation sent to "+name+" ("+g.Email+").")
			s.log(step(), ip(r), name+" viewed the documents.")
			g.SignedOn = step()
			g.StatusCode = SignerCompleted
			s.log(g.SignedOn, ip(r), name+" signed the documents.")
			continue
		}
		if k == signed {
			s.log(step(), ip(r), "Invitation sent to "+name+" ("+g.Email+").")
			g.StatusCode = SignerInvited
			switch roll := r.IntN(10); {
			case s.StatusCode == StatusSent && roll < 3:
				g.StatusCode = SignerInProgress
				s.log(step(), ip(r), name+" viewed the documents.")
			case s.StatusCode == StatusSent && roll == 3:
				g.StatusCode = SignerAuthenticationFailed
				s.log(step(), ip(r), name+" failed identity verification.")
			case s.StatusCode == StatusSent && roll == 4:
				g.StatusCode = SignerDelegated
				s.log(step(), ip(r), name+" delegated signing to another person.")
			case s.StatusCode == StatusCancelled && roll < 4:
				g.StatusCode = SignerDeclined
				g.DeclinedReason = declineReasons[r.IntN(len(declineReasons))]
				s.log(step(), ip(r), name+" declined to sign: "+g.DeclinedReason)
			}
		}
	}
	switch s.StatusCode {
	case StatusCompleted:
		s.log(step(), ip(r), "All signers have signed. Session completed.")
	case StatusArchived:
		s.log(step(), ip(r), "All signers have signed. Session completed.")
		s.log(step(), ip(r), "Session archived.")
	case StatusPurged:
		s.log(step(), ip(r), "All signers have signed. Session completed.")
		s.log(step(), ip(r), "Session documents purged.")
	case StatusPaused:
		s.log(step(), ip(r), "Session paused for editing by "+s.OwnerEmail+".")
	case StatusExpired:
		s.log(s.ExpiresOn, ip(r), "Session expired.")
		t = s.ExpiresOn
	case StatusCancelled, StatusDeleted:
		s.log(step(), ip(r), "Session cancelled by "+s.OwnerEmail+".")
		for k := range s.Signers {
			if g := &s.Signers[k]; g.StatusCode != SignerCompleted && g.StatusCode != SignerDeclined {
				g.StatusCode = SignerCancelled
			}
		}
		if s.StatusCode == StatusDeleted {
			s.log(step(), ip(r), "Session deleted by "+s.OwnerEmail+".")
		}
	}
	s.ModifiedOn = t
}
