package providers

import (
	"slices"
	"testing"

	"github.com/signdeck/signdeck/models"
)

func TestMatchSignerEmails(t *testing.T) {
	signers := []models.Signer{{Email: "ana@example.com"}, {Email: "Bo@Example.com "}, {Email: "ana@example.com"}}
	idx, unknown := MatchSignerEmails(signers, []string{" bo@example.com", "ANA@example.com", "zed@example.com", "bo@example.com"})
	// bo once, then both signers sharing ana's email, in the emails' order.
	if !slices.Equal(idx, []int{1, 0, 2}) || !slices.Equal(unknown, []string{"zed@example.com"}) {
		t.Errorf("idx %v unknown %v", idx, unknown)
	}
}
