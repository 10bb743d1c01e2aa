package verify

import (
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// CheckOFDBinding is the check that a pledge package attached to a sealed
// OFD is the pledge the document is about (internal/ofdpledge).
const CheckOFDBinding = "ofd-pledge-binding"

// BindToOFD adds to r, the report of a pledge package attached to an OFD
// whose DocInfo/DocID is docID, the check that the package is that
// document's pledge: the sealed OFD of a pledge (internal/ofdmake) gives
// the pledge ID's digits as its DocID. Another pledge's package, or a
// document that does not say which pledge it is, fails: the attachment is
// not the proof of what the pages show. The indications are derived again.
func BindToOFD(r *Report, docID string) {
	b := builder{r: r}
	defer r.finish()
	switch {
	case r.Pledge == nil:
		b.add(ScopeSigning, CheckOFDBinding, outcome.Failed, outcome.SigConstraintsFailure, "the attached package does not say which pledge it is")
	case docID == "":
		b.add(ScopeSigning, CheckOFDBinding, outcome.Failed, outcome.SigConstraintsFailure, "the OFD gives no DocID, so it does not say which pledge its pages show; the attached package is pledge %s", r.Pledge.PledgeID)
	case !strings.EqualFold(strings.TrimPrefix(r.Pledge.PledgeID, "P"), docID):
		b.add(ScopeSigning, CheckOFDBinding, outcome.Failed, outcome.SigConstraintsFailure, "the attached package is pledge %s, but the OFD is the document of %q: the attachment is not the pledge its pages show", r.Pledge.PledgeID, docID)
	default:
		b.add(ScopeSigning, CheckOFDBinding, outcome.Passed, "", "the attached package is pledge %s, the pledge of this OFD (DocID %s)", r.Pledge.PledgeID, docID)
	}
}
