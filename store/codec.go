package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/signdeck/signdeck/models"
)

// The sessions.data column holds the whole session (everything but its
// ref, which is the key, and the action log, which is not cached) in a
// compact binary form: loading 100,000 sessions reads one column per row
// instead of dozens. The other columns of sessions and signers repeat what
// SQL queries filter and sort on.
//
// Format: a version byte (dataVersion), then the fields in a fixed order;
// strings and slices are a uvarint length then the bytes or items, ints
// are varints, times a varint of Unix nanoseconds plus one (0 = zero time,
// see timeCode), bools a byte.

// Version 2 added each signer's LastRemindedAt (after Error); version 1
// rows still decode.
const dataVersion = 2

// encodeSession appends s's encoding to dst.
func encodeSession(dst []byte, s *models.Session) []byte {
	e := enc(append(dst, dataVersion))
	e.str(string(s.Provider))
	e.str(s.Title)
	e.str(s.Subject)
	e.str(s.Message)
	e.str(string(s.Status))
	e.str(s.RawStatus)
	e.time(s.CreatedAt)
	e.time(s.ExpiresAt)
	e.time(s.UpdatedAt)
	e.strs(s.CC)
	e.str(s.URL)
	e.uint(uint64(len(s.Metadata)))
	for _, k := range sortedKeys(s.Metadata) {
		e.str(k)
		e.str(s.Metadata[k])
	}
	e.str(s.TransactionID)
	e.bool(s.TestMode)
	e.strs(s.TemplateIDs)
	e.str(s.Requester)
	e.strs(s.Warnings)
	e.bool(s.Complete)
	e.str(s.NotCancelable)
	e.uint(uint64(len(s.Signers)))
	for i := range s.Signers {
		g := &s.Signers[i]
		e.str(g.ID)
		e.str(g.Name)
		e.str(g.FirstName)
		e.str(g.LastName)
		e.str(g.Email)
		e.str(g.Role)
		e.int(int64(g.Order))
		e.str(string(g.Status))
		e.str(g.RawStatus)
		e.time(g.SignedAt)
		e.str(g.DeclineReason)
		e.str(g.Error)
		e.time(g.LastRemindedAt)
	}
	return []byte(e)
}

type enc []byte

func (e *enc) uint(v uint64) { *e = binary.AppendUvarint(*e, v) }
func (e *enc) int(v int64)   { *e = binary.AppendVarint(*e, v) }
func (e *enc) str(s string)  { e.uint(uint64(len(s))); *e = append(*e, s...) }
func (e *enc) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *enc) bool(b bool) {
	if b {
		*e = append(*e, 1)
	} else {
		*e = append(*e, 0)
	}
}
func (e *enc) time(t time.Time) { e.int(timeCode(t)) }

// timeCode is 0 for the zero time, else Unix nanoseconds (clamped) with
// non-negative values shifted by one so that the epoch itself is not 0.
func timeCode(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	n := nanos(t)
	if n >= 0 && n < math.MaxInt64 {
		n++
	}
	return n
}

func timeOf(c int64) time.Time {
	switch {
	case c == 0:
		return time.Time{}
	case c > 0 && c < math.MaxInt64:
		c--
	}
	return time.Unix(0, c)
}

var errCorrupt = errors.New("corrupt cached session")

// dec decodes the format from a string: decoded strings are substrings of
// it, so a session's strings share one allocation. The first error sticks
// and later reads return zero values.
type dec struct {
	b   string
	err error
	in  interner
}

func (d *dec) uint() uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	for i := 0; i < len(d.b) && i < binary.MaxVarintLen64; i++ {
		c := d.b[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflow
			}
			d.b = d.b[i+1:]
			return v | uint64(c)<<(7*i)
		}
		v |= uint64(c&0x7f) << (7 * i)
	}
	d.err = errCorrupt
	return 0
}

func (d *dec) int() int64 {
	u := d.uint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (d *dec) str() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

// istr decodes a string that repeats across sessions (a status, a role):
// equal ones share memory, and the session's own copy can be freed.
func (d *dec) istr() string {
	if s := d.str(); s != "" {
		return d.in.getString(s)
	}
	return ""
}

func (d *dec) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) { // every item takes at least a byte
		d.err = errCorrupt
		return 0
	}
	return int(n)
}

func (d *dec) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *dec) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 || d.b[0] > 1 {
		d.err = errCorrupt
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *dec) time() time.Time { return timeOf(d.int()) }

// decodeSession fills s (whose Ref is set by the caller) from b. The
// strings of s are substrings of one copy of b.
func decodeSession(b []byte, s *models.Session, in interner) error {
	if len(b) == 0 || b[0] < 1 || b[0] > dataVersion {
		return fmt.Errorf("%w: unknown format", errCorrupt)
	}
	version := b[0]
	d := dec{b: string(b[1:]), in: in}
	s.Provider = models.ProviderKind(d.istr())
	s.Title = d.str()
	s.Subject = d.str()
	s.Message = d.str()
	s.Status = models.Status(d.istr())
	s.RawStatus = d.istr()
	s.CreatedAt = d.time()
	s.ExpiresAt = d.time()
	s.UpdatedAt = d.time()
	s.CC = d.strs()
	s.URL = d.str()
	if n := d.count(); n > 0 {
		s.Metadata = make(map[string]string, n)
		for range n {
			k := d.str()
			s.Metadata[k] = d.str()
		}
	}
	s.TransactionID = d.str()
	s.TestMode = d.bool()
	s.TemplateIDs = d.strs()
	s.Requester = d.istr()
	s.Warnings = d.strs()
	s.Complete = d.bool()
	s.NotCancelable = d.istr()
	if n := d.count(); n > 0 {
		s.Signers = make([]models.Signer, n)
		for i := range s.Signers {
			g := &s.Signers[i]
			g.ID = d.str()
			g.Name = d.str()
			g.FirstName = d.str()
			g.LastName = d.str()
			g.Email = d.str()
			g.Role = d.istr()
			g.Order = int(d.int())
			g.Status = models.SignerStatus(d.istr())
			g.RawStatus = d.istr()
			g.SignedAt = d.time()
			g.DeclineReason = d.str()
			g.Error = d.str()
			if version >= 2 {
				g.LastRemindedAt = d.time()
			}
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return d.err
}

func sortedKeys(m map[string]string) []string {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}
