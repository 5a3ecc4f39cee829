// Package constellation is signdeck's client for the Constellation1 eSign
// REST API (api.esignonline.net/rest). It implements providers.Provider:
// list by transaction id (lite, paged) and the expired/archived/deleted
// buckets, get with the action log, synchronous cancel, and copy with
// edited signers.
//
// The vendor documents its calls with C# samples and leaves most response
// classes undocumented; the project's reference notes
// (shared/api/constellation1-esign.md) mark what is documented and what is
// inferred. This client follows the inferences and stays tolerant of the
// alternatives:
//
//   - Errors come inside HTTP 200 answers (ReturnValue "False" or null,
//     Details as a string, an array or null); they become typed errors
//     carrying the vendor's text, cleaned and redacted.
//   - Answers may be wrapped or shaped like a different class than the
//     call says (the samples deserialize GetSession and CopySigningSession
//     answers as RequestResponse, reference §8.7 and §8.9): the session id
//     is looked for in SigningSessionId, a Sessions array, a single
//     Session, the answer itself, and ReturnValue.
//   - The lite sample's colName typo (§8.5) is not copied: the list sends
//     colName=CreatedOn&sortOrder=desc.
//   - Dates may be "\/Date(ms)\/", "\/Date(ms+hhmm)\/" or ISO 8601; numbers
//     may be strings; member names match whatever their casing.
//
// Authentication is described in auth.go; the sub-package
// constellationtest is a stateful emulator of the API for tests and the
// demo sandbox.
package constellation
