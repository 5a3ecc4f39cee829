// Package vendors registers every provider client and its in-process
// emulator (the sandbox's and the demo's) with the providers registries.
// Adding a vendor is its two import lines here.
package vendors

import (
	_ "github.com/signdeck/signdeck/providers/constellation"
	_ "github.com/signdeck/signdeck/providers/constellation/constellationtest"
	_ "github.com/signdeck/signdeck/providers/dropboxsign"
	_ "github.com/signdeck/signdeck/providers/dropboxsign/dropboxsigntest"
)
