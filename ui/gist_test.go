package ui

import (
	"errors"
	"testing"

	"github.com/signdeck/signdeck/providers"
)

// TestNetworkErrorGist: the status line says what went wrong with the
// network, not the internal URL of the request.
func TestNetworkErrorGist(t *testing.T) {
	pe := providers.NewError(providers.ErrUnavailable, "list", 0, "", "")
	pe.Err = errors.New(`Get "http://127.0.0.1:43131/v3/signature_request/list?page=1": dial tcp 127.0.0.1:43131: connect: connection refused`)
	if got := shortErr(pe); got != "service unavailable (connection refused)" {
		t.Errorf("gist = %q", got)
	}
}
