// Package vendors registers every provider client with the providers
// registry. Adding a vendor is one import line here.
package vendors

import (
	_ "github.com/signdeck/signdeck/providers/constellation"
	_ "github.com/signdeck/signdeck/providers/dropboxsign"
)
