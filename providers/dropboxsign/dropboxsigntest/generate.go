package dropboxsigntest

// The generator makes realistic, deterministic real-estate signature
// requests: the same seed, size, clock and owner always give the same
// data. It draws every choice from one seeded PCG stream in a fixed order,
// so adding a field at the end of a record does not disturb earlier ones.

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// DefaultNow is the generator's default clock: a fixed instant, so that a
// seed gives the same data on every run. Pass Options.Now = time.Now for
// data that looks fresh today.
var DefaultNow = time.Date(2026, time.March, 2, 15, 4, 5, 0, time.UTC)

// GenConfig says what to generate.
type GenConfig struct {
	Seed int64
	Size int
	Now  time.Time
	// Owner is the account's email; Team are other team members who send
	// some of the requests (seen only with account_id=all).
	Owner string
	Team  []string
}

// Dataset is generated data: requests newest first, and the templates some
// of them were sent from.
type Dataset struct {
	Requests  []*SignatureRequest
	Templates []Template
}

type docKind struct {
	title    string
	template int // index into templates, -1 when never template-based
	roles    []string
}

var templateDefs = []struct {
	title string
	roles []string
}{
	{"Residential Purchase Agreement", []string{"Buyer", "Seller"}},
	{"Exclusive Right to Sell Listing Agreement", []string{"Seller", "Listing Agent"}},
	{"Seller's Property Disclosure Statement", []string{"Seller", "Buyer"}},
	{"Residential Lease Renewal", []string{"Tenant", "Landlord"}},
	{"Buyer Representation Agreement", []string{"Buyer", "Buyer's Agent"}},
	{"Lead-Based Paint Disclosure", []string{"Seller", "Buyer", "Listing Agent", "Buyer's Agent"}},
}

var docKinds = []docKind{
	{"Residential Purchase Agreement", 0, nil},
	{"Exclusive Right to Sell Listing Agreement", 1, nil},
	{"Seller's Property Disclosure Statement", 2, nil},
	{"Residential Lease Renewal", 3, nil},
	{"Buyer Representation Agreement", 4, nil},
	{"Lead-Based Paint Disclosure", 5, nil},
	{"Addendum No. 1 to Purchase Agreement", -1, nil},
	{"Addendum No. 2 - Repair Requests", -1, nil},
	{"Counter Offer", -1, nil},
	{"Inspection Contingency Removal", -1, nil},
	{"Amendment to Listing Agreement - Price Reduction", -1, nil},
	{"Notice to Perform", -1, nil},
	{"Earnest Money Receipt", -1, nil},
	{"HOA Document Acknowledgment", -1, nil},
}

var firstNames = []string{
	"James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "William", "Elizabeth",
	"Carlos", "Sofia", "Daniel", "Aisha", "Kevin", "Priya", "Thomas", "Mei", "Anthony", "Fatima",
	"Brian", "Olivia", "Jason", "Emma", "Marcus", "Chloe", "Tyler", "Hannah", "Andre", "Grace",
	"Luis", "Natalie", "Ryan", "Renée", "Samuel", "Zoë", "Ethan", "Siobhán", "Noah", "Ingrid",
	"José", "Amara", "Connor", "Yuki", "Derek", "Leah", "Omar", "Camila", "Graham", "Tessa",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
	"Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson",
	"White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
	"Nguyen", "Patel", "Kim", "Okafor", "Schmidt", "O'Brien", "Kowalski", "Haddad", "Yamamoto", "Fitzgerald",
	"Alvarez", "Bennett", "Chen", "Dubois", "Ellison", "Ferreira", "Gallagher", "Ivanova", "Jensen", "Müller",
}

var mailDomains = []string{
	"gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com",
	"comcast.net", "proton.me", "aol.com",
}

var streets = []string{
	"Maple", "Oak", "Cedar", "Willow", "Harbor View", "Pine Ridge", "Sycamore", "Lakeshore", "Juniper",
	"Magnolia", "Aspen", "Birchwood", "Chestnut", "Hillcrest", "Meadowbrook", "Sunset", "Riverbend",
	"Orchard", "Foxglove", "Stonegate", "Laurel", "Bayberry", "Cypress", "Elm", "Prospect",
}

var suffixes = []string{"St", "Ave", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl", "Rd", "Terrace"}

var cities = []string{
	"Springfield, IL 62704", "Naperville, IL 60540", "Austin, TX 78704", "Round Rock, TX 78664",
	"Boise, ID 83702", "Tacoma, WA 98403", "Raleigh, NC 27609", "Cary, NC 27513", "Tempe, AZ 85281",
	"Scottsdale, AZ 85251", "Sacramento, CA 95819", "Roseville, CA 95661", "Denver, CO 80206",
	"Madison, WI 53705", "Columbus, OH 43214", "Asheville, NC 28801",
}

var declineReasons = []string{
	"Price needs to be renegotiated after the appraisal came in low.",
	"The property address on page 1 is wrong.",
	"Waiting on the inspection report before I sign anything.",
	"We decided to go with another property.",
	"Closing date does not work for us - please call me.",
	"Financing contingency wording is not what we agreed.",
	"Seller credit is missing from section 4.",
}

var errorCodes = []struct{ code, msg string }{
	{"error_file", "The file could not be converted."},
	{"error_invalid_email", "The signer email address was rejected."},
	{"error_component_position", "A form field is placed outside the page."},
	{"error_text_tag", "A text tag could not be parsed."},
	{"error_unknown", "An unknown error occurred while preparing the document."},
}

var messages = []string{
	"Please review and sign at your earliest convenience. Let me know if you have any questions.",
	"Here is the document we discussed. Please sign by end of day so we can keep the closing on schedule.",
	"Attached for your signature. Call me at the office if anything looks off.",
	"Please e-sign the attached. The lender is waiting on this to move forward.",
	"Final version with the changes we talked about this morning.",
}

var ccPool = []string{
	"tc@harborlinerealty.com", "escrow@pacificcrestescrow.com", "closing@summittitle.com",
	"broker@harborlinerealty.com", "loans@firstmeridianlending.com",
}

// Generate makes cfg.Size requests. It is deterministic for a given
// configuration and fast: 100,000 requests take well under a second.
func Generate(cfg GenConfig) Dataset {
	if cfg.Now.IsZero() {
		cfg.Now = DefaultNow
	}
	if cfg.Owner == "" {
		cfg.Owner = DefaultOwner
	}
	g := &generator{rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5167_6e64_6563_6b00)), cfg: cfg}
	ds := Dataset{Templates: make([]Template, len(templateDefs))}
	for i, t := range templateDefs {
		ds.Templates[i] = Template{ID: g.hex(40), Title: t.title, Roles: t.roles}
	}
	ds.Requests = make([]*SignatureRequest, cfg.Size)
	for i := range ds.Requests {
		ds.Requests[i] = g.request(ds.Templates)
	}
	sortNewestFirst(ds.Requests)
	return ds
}

type generator struct {
	rng *rand.Rand
	cfg GenConfig
	// Arenas: the many small pointer fields come from shared blocks
	// rather than one allocation each (100,000 requests hold millions).
	i64   arena[int64]
	strs  arena[string]
	ints  arena[int]
	bools arena[bool]
	recs  arena[SignatureRequest]
}

type arena[T any] struct{ buf []T }

func (a *arena[T]) ptr(v T) *T {
	if len(a.buf) == cap(a.buf) {
		a.buf = make([]T, 0, 2048)
	}
	a.buf = append(a.buf, v)
	return &a.buf[len(a.buf)-1]
}

const hexDigits = "0123456789abcdef"

func (g *generator) hex(n int) string {
	var b strings.Builder
	b.Grow(n)
	var x uint64
	for i := 0; i < n; i++ {
		if i%16 == 0 {
			x = g.rng.Uint64()
		}
		b.WriteByte(hexDigits[x&0xf])
		x >>= 4
	}
	return b.String()
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

type person struct{ name, email string }

var asciiFold = strings.NewReplacer("é", "e", "ë", "e", "á", "a", "ü", "u", "'", "", " ", "")

// Email-safe lowercase forms of the names, computed once.
var foldedFirst, foldedLast = foldAll(firstNames), foldAll(lastNames)

func foldAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(asciiFold.Replace(n))
	}
	return out
}

func (g *generator) person() person {
	fi, li := g.rng.IntN(len(firstNames)), g.rng.IntN(len(lastNames))
	var local string
	switch g.rng.IntN(4) {
	case 0:
		local = foldedFirst[fi][:1] + foldedLast[li]
	case 1:
		local = foldedFirst[fi] + "." + foldedLast[li] + strconv.Itoa(g.rng.IntN(90)+10)
	default:
		local = foldedFirst[fi] + "." + foldedLast[li]
	}
	return person{name: firstNames[fi] + " " + lastNames[li], email: local + "@" + g.pick(mailDomains)}
}

func (g *generator) address() string {
	return fmt.Sprintf("%d %s %s, %s", 100+g.rng.IntN(9800), g.pick(streets), g.pick(suffixes), g.pick(cities))
}

// request makes one request. Status mix: mostly awaiting, many completed,
// some declined and expired, a few errors and holds.
func (g *generator) request(templates []Template) *SignatureRequest {
	now := g.cfg.Now.Unix()
	created := now - g.rng.Int64N(120*24*3600)
	kind := docKinds[g.rng.IntN(len(docKinds))]
	addr := g.address()
	shortAddr := addr[:strings.IndexByte(addr, ',')]
	title := kind.title + " - " + addr
	r := g.recs.ptr(SignatureRequest{
		SignatureRequestID: g.hex(40),
		Title:              title,
		OriginalTitle:      title,
		Subject:            g.strs.ptr(kind.title + " for " + shortAddr),
		Message:            g.strs.ptr(g.pick(messages)),
		CreatedAt:          created,
		TestMode:           g.chance(0.08),
	})
	requester := g.cfg.Owner
	if len(g.cfg.Team) > 0 && g.chance(0.15) {
		requester = g.pick(g.cfg.Team)
	}
	r.RequesterEmailAddress = g.strs.ptr(requester)

	// Signers: template roles, or 1 to 4 people.
	var roles []string
	if kind.template >= 0 && g.chance(0.45) {
		t := templates[kind.template]
		r.TemplateIDs = []string{t.ID}
		roles = t.Roles
	}
	n := len(roles)
	if n == 0 {
		n = []int{1, 2, 2, 2, 3, 3, 4}[g.rng.IntN(7)]
	}
	ordered := g.chance(0.5)
	r.Signatures = make([]Signature, n)
	for i := range r.Signatures {
		p := g.person()
		s := Signature{SignatureID: g.hex(32), SignerEmailAddress: p.email, SignerName: g.strs.ptr(p.name),
			StatusCode: "awaiting_signature", HasSMSAuth: g.bools.ptr(false)}
		if roles != nil {
			s.SignerRole = g.strs.ptr(roles[i])
		}
		if ordered {
			s.Order = g.ints.ptr(i)
		}
		r.Signatures[i] = s
	}

	// Status.
	roll := g.rng.IntN(100)
	t := created
	step := func() int64 { // a later moment, never after now
		gap := min(3*24*3600, (now-t)/2)
		if gap > 0 {
			t += 1 + g.rng.Int64N(gap)
		}
		return t
	}
	sign := func(i int) {
		s := &r.Signatures[i]
		s.LastViewedAt = g.i64.ptr(step())
		s.SignedAt = g.i64.ptr(step())
		s.StatusCode = "signed"
	}
	switch {
	case roll < 45: // awaiting, maybe partly signed
		k := g.rng.IntN(n) // signed so far, fewer than n
		for i := 0; i < k; i++ {
			sign(i)
		}
		for i := k; i < n; i++ {
			if g.chance(0.4) {
				r.Signatures[i].LastViewedAt = g.i64.ptr(step())
			}
			if g.chance(0.2) {
				r.Signatures[i].LastRemindedAt = g.i64.ptr(step())
			}
		}
		if g.chance(0.5) {
			r.ExpiresAt = g.i64.ptr(now + (2+g.rng.Int64N(85))*24*3600)
		}
	case roll < 73: // completed
		for i := range r.Signatures {
			sign(i)
		}
		r.IsComplete = true
		if g.chance(0.4) {
			r.ResponseData = []ResponseData{
				{APIID: g.hex(6) + "_1", SignatureID: r.Signatures[0].SignatureID, Name: "Initials", Type: "text", Value: initials(*r.Signatures[0].SignerName)},
				{APIID: g.hex(6) + "_2", SignatureID: r.Signatures[0].SignatureID, Name: "Agrees to terms", Type: "checkbox", Value: true},
			}
		}
	case roll < 81: // declined
		d := g.rng.IntN(n)
		for i := 0; i < d; i++ {
			sign(i)
		}
		s := &r.Signatures[d]
		s.StatusCode = "declined"
		s.LastViewedAt = g.i64.ptr(step())
		s.DeclineReason = g.strs.ptr(g.pick(declineReasons))
		r.IsDeclined = true
	case roll < 90: // expired
		exp := created + (3+g.rng.Int64N(30))*24*3600
		if exp >= now {
			exp = now - 3600 - g.rng.Int64N(24*3600)
		}
		r.ExpiresAt = g.i64.ptr(exp)
		k := g.rng.IntN(n)
		for i := 0; i < k; i++ {
			sign(i)
			if *r.Signatures[i].SignedAt > exp {
				r.Signatures[i].SignedAt = g.i64.ptr(exp - 60)
			}
		}
		for i := k; i < n; i++ {
			r.Signatures[i].StatusCode = "expired"
		}
	case roll < 94: // error
		e := errorCodes[g.rng.IntN(len(errorCodes))]
		r.HasError = true
		i := g.rng.IntN(n)
		r.Signatures[i].StatusCode = e.code
		r.Signatures[i].Error = g.strs.ptr(e.msg)
	default: // held
		code := "on_hold"
		if roll >= 98 {
			code = "on_hold_by_requester"
		}
		for i := range r.Signatures {
			r.Signatures[i].StatusCode = code
		}
	}

	if g.chance(0.35) {
		r.Metadata = map[string]any{
			"transaction_id": fmt.Sprintf("HL-%d-%05d", time.Unix(created, 0).Year(), g.rng.IntN(100000)),
			"mls_number":     fmt.Sprintf("MLS%08d", g.rng.IntN(100000000)),
		}
		if g.chance(0.4) {
			r.Metadata["property"] = map[string]any{
				"apn":    fmt.Sprintf("%03d-%03d-%03d", g.rng.IntN(1000), g.rng.IntN(1000), g.rng.IntN(1000)),
				"county": strings.SplitN(strings.SplitN(addr, ", ", 3)[1], " ", 2)[0] + " County",
			}
		}
	}
	if g.chance(0.3) {
		r.CCEmailAddresses = []string{g.pick(ccPool)}
		if g.chance(0.3) {
			if cc := g.pick(ccPool); cc != r.CCEmailAddresses[0] {
				r.CCEmailAddresses = append(r.CCEmailAddresses, cc)
			}
		}
	}
	if r.TemplateIDs != nil && g.chance(0.7) {
		r.CustomFields = []CustomField{{Type: "text", Name: "Property Address", Value: addr, APIID: g.hex(8)}}
	}
	r.normalize()
	return r
}

func initials(name string) string {
	var b strings.Builder
	for _, f := range strings.Fields(name) {
		for _, c := range f {
			b.WriteRune(c)
			break
		}
	}
	return b.String()
}
