package verify

import (
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// CheckOFDBinding is the check that a pledge package attached to a sealed
// OFD is the pledge the document is about (internal/ofdpledge).
const CheckOFDBinding = "ofd-pledge-binding"

// BindToOFD adds to r, the report of a pledge package attached to an OFD
// under the attachment name name (the Name attribute in Attachments.xml,
// document content a signature must cover: ofd-unreferenced-files fails
// otherwise), the check that the package is that document's pledge: the
// sealed OFD of a pledge (internal/ofdmake) attaches pledge X's package as
// "X.pledge.json". The DocID in OFD.xml is not used: real signed OFDs leave
// OFD.xml unsigned, so it proves nothing. Another pledge's package fails:
// the attachment is not the proof the document names. The indications are
// derived again.
func BindToOFD(r *Report, name string) {
	b := builder{r: r}
	defer r.finish()
	named, ok := strings.CutSuffix(name, ".pledge.json")
	switch {
	case r.Pledge == nil:
		b.add(ScopeSigning, CheckOFDBinding, outcome.Failed, outcome.SigConstraintsFailure, "the attached package does not say which pledge it is")
	case !ok || named == "":
		b.add(ScopeSigning, CheckOFDBinding, outcome.Failed, outcome.SigConstraintsFailure, "the OFD's attachment %q does not name the pledge it proves (PLEDGE-ID.pledge.json); the attached package is pledge %s", name, r.Pledge.PledgeID)
	case named != r.Pledge.PledgeID:
		b.add(ScopeSigning, CheckOFDBinding, outcome.Failed, outcome.SigConstraintsFailure, "the attached package is pledge %s, but the OFD attaches it as the proof of pledge %s: the attachment is not the pledge the document names", r.Pledge.PledgeID, named)
	default:
		b.add(ScopeSigning, CheckOFDBinding, outcome.Passed, "", "the attached package is pledge %s, the pledge the signed attachment list names", r.Pledge.PledgeID)
	}
}
