package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

const tryLater = "cannot be read now (the status registry is unavailable); try later"

// statusChecks asks every status question of one package in one batch per
// source (both sources concurrently) and adds the checks of both scopes.
func (v *Verifier) statusChecks(ctx context.Context, b builder, p *pledge.ParsedPackage, sig *ses.Signature, signer *smx509.Certificate, res pledge.SignerResult, applicantOK bool, sealedAt time.Time) {
	id := p.Doc.PledgeID
	pledgeSub := status.Subject{Kind: status.KindPledge, ID: id}
	reg := []status.Subject{pledgeSub}
	idxSeal, idxMaker, idxSigner, idxApplicant := -1, -1, -1, -1
	if sig != nil {
		var idx sesSubjects
		reg, idx = appendSESSubjects(reg, sig, v.ses.Digest)
		idxSeal, idxMaker, idxSigner = idx.seal, idx.maker, idx.signer
	}
	if applicantOK && res.Signer != nil {
		idxApplicant = len(reg)
		reg = append(reg, status.Subject{Kind: status.KindCertificate, Digest: pki.Digest(res.Signer.Raw)})
	}

	if !v.Online() {
		off := "not performed: offline verification (no status source); ask the service at the status URL for the status now"
		if sig != nil {
			b.add(ScopeSigning, CheckSealStatus, outcome.NotPerformed, "", "%s", off)
			sealOwnerOffline(b, p, signer)
		}
		b.add(ScopeNow, CheckPledgeState, outcome.NotPerformed, "", "%s", off)
		b.add(ScopeNow, CheckFindings, outcome.NotPerformed, "", "%s", off)
		return
	}
	ans := v.lookup(ctx, sealedAt, reg, []status.Subject{pledgeSub})
	ra, pa, rerr, perr := ans.reg, ans.pl, ans.regErr, ans.plErr
	if rerr == nil && perr == nil {
		t := ra.ReadAt
		if pa.ReadAt.Before(t) {
			t = pa.ReadAt
		}
		t = t.UTC()
		b.r.Freshness.StatusReadAt = &t
	}
	regState := func(i int) (status.Result, bool) {
		if rerr != nil || i < 0 || i >= len(ra.Results) {
			return status.Result{}, false
		}
		return ra.Results[i], true
	}

	// At the signing and sealing times.
	if sig != nil {
		sealAt(b, CheckSealStatus, "seal", regState, idxSeal, sealedAt)
		sealOwner(b, p, regState, idxSeal)
		sealAt(b, CheckMakerStatus, "seal-maker certificate", regState, idxMaker, sealedAt)
		sealAt(b, CheckSealSignerStatus, "agency signer certificate", regState, idxSigner, sealedAt)
	}
	if idxApplicant >= 0 {
		if r, ok := regState(idxApplicant); !ok {
			b.add(ScopeSigning, CheckApplicantStatus, outcome.Indeterminate, outcome.TryLater, "the applicant certificate's status %s", tryLater)
		} else if bad(r.At.Code) && !r.At.Since.After(signedAt(b, p)) {
			b.add(ScopeSigning, CheckApplicantStatus, outcome.Failed, outcome.Revoked, "the applicant certificate was %s at the signing time (since %s)", r.At.Code, ts(r.At.Since))
		} else {
			b.add(ScopeSigning, CheckApplicantStatus, outcome.Passed, "", "no revocation of the applicant certificate was recorded at the signing time %s", ts(signedAt(b, p)))
		}
	}

	// Now.
	if perr != nil || len(pa.Results) != 1 {
		b.add(ScopeNow, CheckPledgeState, outcome.Indeterminate, outcome.TryLater, "the pledge's state %s", tryLater)
	} else {
		st := pa.Results[0].Now
		// A finding or revocation in the registry outranks the workflow
		// state: an accepted pledge found false is reported FALSE here
		// too, never "accepted and in force" beside the finding.
		if r, ok := regState(0); ok && registryOverrides(r.Now.Code) {
			st = r.Now
		}
		b.r.StatusNow.State = orUnknown(st.Code)
		pledgeNow(b, st, p.AgencySES != nil)
	}
	if r, ok := regState(0); !ok {
		b.add(ScopeNow, CheckFindings, outcome.Indeterminate, outcome.TryLater, "enforcement findings and revocations %s", tryLater)
	} else {
		findingsNow(b, r.Now)
		// A finding or revocation in the registry outranks the workflow
		// state (an accepted pledge found false is FALSE, not ACTIVE).
		if registryOverrides(r.Now.Code) {
			b.r.StatusNow.State = r.Now.Code
		}
	}
	if sig != nil {
		r, ok := regState(idxSeal)
		res, sub, d := sealNow(r, ok)
		b.add(ScopeNow, CheckSealNow, res, sub, "%s", d)
	}
}

// sealOwner checks that the registry files the agency seal under the
// agency whose decision it seals (the statement's agency; in the legacy
// format, which names none, the document's). The seal's own signed bytes
// cannot tell: its esID and name are free text. A seal that is not
// registered with these bytes has no owner here and does not pass.
func sealOwner(b builder, p *pledge.ParsedPackage, get func(int) (status.Result, bool), i int) {
	agency := p.Sealed.Statement.Agency
	if p.Sealed.Legacy {
		agency = p.Doc.Agency
	}
	r, ok := get(i)
	if i < 0 || !ok || r.Owner != agency {
		// the decision is the agency's only once the registry shows the
		// seal is that agency's: until then the report does not show it
		b.r.Pledge.Decision, b.r.Pledge.StatusURL = nil, ""
	}
	switch {
	case i < 0:
		b.add(ScopeSigning, CheckSealOwner, outcome.Failed, outcome.FormatFailure, "the agency seal carries no readable seal")
	case !ok:
		b.add(ScopeSigning, CheckSealOwner, outcome.Indeterminate, outcome.TryLater, "the seal's owning agency %s", tryLater)
	case r.Owner == "":
		b.add(ScopeSigning, CheckSealOwner, outcome.Indeterminate, outcome.StatusUnavailable, "the seal registry holds no seal %q with these bytes, so it cannot show that the seal belongs to agency %s: ask the service named by the status URL", r.Subject.ID, agency)
	case r.Owner != agency:
		b.add(ScopeSigning, CheckSealOwner, outcome.Failed, SealAgencyMismatch, "the seal %q belongs to agency %s, not to agency %s whose decision it seals", r.Subject.ID, r.Owner, agency)
	default:
		b.add(ScopeSigning, CheckSealOwner, outcome.Passed, "", "the seal registry files the seal %q under agency %s, whose decision it seals", r.Subject.ID, agency)
	}
}

// sealOwnerOffline decides the seal's owner without the registry: only the
// agency signer certificate, and only when the SES checks chained it to the
// seal trust anchors (signer non-nil), can name the agency, by its subject
// serialNumber holding the agency code. When it does not, the owner is unknown offline and, as
// online, the report does not show the decision: a seal of one agency must
// not present another agency's decision as proven.
func sealOwnerOffline(b builder, p *pledge.ParsedPackage, signer *smx509.Certificate) {
	agency := p.Sealed.Statement.Agency
	if p.Sealed.Legacy {
		agency = p.Doc.Agency
	}
	named := ""
	if signer != nil {
		named = signer.Subject.SerialNumber
	}
	if agency != "" && named == agency {
		b.add(ScopeSigning, CheckSealOwner, outcome.Passed, "", "offline: the agency signer certificate names agency %s (subject serialNumber), whose decision the seal signs", agency)
		return
	}
	b.r.Pledge.Decision, b.r.Pledge.StatusURL = nil, ""
	b.add(ScopeSigning, CheckSealOwner, outcome.NotPerformed, "", "not performed: offline verification, and no agency signer certificate chained to the seal trust anchors names agency %s; which agency owns the seal only the seal registry knows, so the decision is not shown: ask the service at the status URL", agency)
}

// registryOverrides tells whether the registry's state of a pledge (a
// finding or a revocation) replaces its workflow state.
func registryOverrides(c status.Code) bool {
	c = orUnknown(c)
	return c != status.Active && c != status.Unknown
}

func orUnknown(c status.Code) status.Code {
	if c == "" {
		return status.Unknown
	}
	return c
}

func bad(c status.Code) bool {
	switch c {
	case status.Revoked, status.Suspended, status.ReportedLost, status.Frozen, status.Cancelled:
		return true
	}
	return false
}

// sealAt checks a seal or certificate's state at the sealing time.
func sealAt(b builder, name, what string, get func(int) (status.Result, bool), i int, at time.Time) {
	r, ok := get(i)
	res, sub, d := statusAt(what, i >= 0, r, ok, at)
	b.add(ScopeSigning, name, res, sub, "%s", d)
}

// statusAt is the rule for a seal's or certificate's state at the time at
// it was used (the counter-seal's, and any SES signature's through
// SESStatusChecks): present tells whether the signature carries the
// subject at all, ok whether the registry answered r.
func statusAt(what string, present bool, r status.Result, ok bool, at time.Time) (outcome.Result, outcome.SubIndication, string) {
	if !present {
		return outcome.Failed, outcome.FormatFailure, fmt.Sprintf("the seal carries no readable %s", what)
	}
	if !ok {
		return outcome.Indeterminate, outcome.TryLater, fmt.Sprintf("the %s's status %s", what, tryLater)
	}
	st := r.At
	switch orUnknown(st.Code) {
	case status.Active:
		return outcome.Passed, "", fmt.Sprintf("the %s was active at the sealing time %s", what, ts(at))
	case status.Unknown:
		return outcome.Passed, "", fmt.Sprintf("no suspension or revocation of the %s was recorded at the sealing time %s", what, ts(at))
	case status.Suspended:
		return outcome.Failed, outcome.SealSuspended, fmt.Sprintf("the %s was suspended at the sealing time (since %s)", what, ts(st.Since))
	case status.ReportedLost:
		return outcome.Failed, outcome.SealReportedLost, fmt.Sprintf("the %s was reported lost at the sealing time (since %s)", what, ts(st.Since))
	case status.Frozen:
		return outcome.Failed, outcome.SealFrozen, fmt.Sprintf("the %s was frozen at the sealing time (since %s)", what, ts(st.Since))
	case status.Cancelled:
		return outcome.Failed, outcome.SealCancelled, fmt.Sprintf("the %s was cancelled at the sealing time (since %s)", what, ts(st.Since))
	case status.Revoked:
		return outcome.Failed, outcome.Revoked, fmt.Sprintf("the %s was revoked at the sealing time (since %s)", what, ts(st.Since))
	}
	return outcome.Indeterminate, outcome.TryLater, fmt.Sprintf("the %s has an unexpected status %q", what, st.Code)
}

// sealNow is the rule for the seal's state now: reported, never failing
// what was sealed while the seal was valid.
func sealNow(r status.Result, ok bool) (outcome.Result, outcome.SubIndication, string) {
	if !ok {
		return outcome.Indeterminate, outcome.TryLater, fmt.Sprintf("the seal's status now %s", tryLater)
	}
	now := orUnknown(r.Now.Code)
	if now == status.Active || now == status.Unknown {
		return outcome.Passed, "", fmt.Sprintf("the seal is %s now", now)
	}
	return outcome.Passed, "", fmt.Sprintf("the seal is %s now (since %s); this does not affect what was sealed while the seal was valid", now, ts(r.Now.Since))
}

func pledgeNow(b builder, st status.State, sealed bool) {
	switch orUnknown(st.Code) {
	case status.Active:
		if !sealed {
			b.add(ScopeNow, CheckPledgeState, outcome.Indeterminate, PredatesDecision, "this copy predates the decision: the pledge has been accepted since %s (decision %s); the decided copy, sealed by the agency, is the package and sealed OFD the applicant and the agency download (GET /v1/pledges/{id}/package, /v1/pledges/{id}/ofd; the applicant's pledges page)", ts(st.Since), st.DocumentNo)
			return
		}
		b.add(ScopeNow, CheckPledgeState, outcome.Passed, "", "the pledge is accepted and in force (decision %s, since %s)", st.DocumentNo, ts(st.Since))
	case "SIGNED":
		b.add(ScopeNow, CheckPledgeState, outcome.Indeterminate, AwaitingDecision, "the pledge is signed and awaits the agency's decision (since %s)", ts(st.Since))
	case status.Withdrawn:
		b.add(ScopeNow, CheckPledgeState, outcome.Failed, outcome.PledgeWithdrawn, "the applicant withdrew the pledge on %s", ts(st.Since))
	case "RETURNED":
		b.add(ScopeNow, CheckPledgeState, outcome.Failed, PledgeReturned, "the agency returned the pledge without a decision on %s", ts(st.Since))
	case status.False:
		b.add(ScopeNow, CheckPledgeState, outcome.Failed, outcome.PledgeFalse, "the pledge was found false on %s (document %s)", ts(st.Since), st.DocumentNo)
	case status.NotFulfilled:
		b.add(ScopeNow, CheckPledgeState, outcome.Failed, outcome.PledgeNotFulfilled, "the pledge was found not fulfilled on %s (document %s)", ts(st.Since), st.DocumentNo)
	case status.Revoked:
		b.add(ScopeNow, CheckPledgeState, outcome.Failed, outcome.DecisionRevoked, "the decision was revoked on %s (document %s)", ts(st.Since), st.DocumentNo)
	case status.Unknown:
		b.add(ScopeNow, CheckPledgeState, outcome.Indeterminate, outcome.StatusUnavailable, "this service holds no record of the pledge: ask the service named by the status URL")
	default:
		b.add(ScopeNow, CheckPledgeState, outcome.Indeterminate, outcome.TryLater, "the pledge has an unexpected state %q", st.Code)
	}
}

func findingsNow(b builder, st status.State) {
	switch orUnknown(st.Code) {
	case status.Active, status.Unknown:
		b.add(ScopeNow, CheckFindings, outcome.Passed, "", "no enforcement finding or revocation of the decision is recorded")
	case status.Revoked:
		b.add(ScopeNow, CheckFindings, outcome.Failed, outcome.DecisionRevoked, "the decision was revoked on %s (document %s, reason %s)", ts(st.Since), st.DocumentNo, st.Reason)
	case status.False:
		b.add(ScopeNow, CheckFindings, outcome.Failed, outcome.PledgeFalse, "the pledge was confirmed false on %s (document %s)", ts(st.Since), st.DocumentNo)
	case status.NotFulfilled:
		b.add(ScopeNow, CheckFindings, outcome.Failed, outcome.PledgeNotFulfilled, "the pledge was found not fulfilled on %s (document %s)", ts(st.Since), st.DocumentNo)
	default:
		b.add(ScopeNow, CheckFindings, outcome.Failed, outcome.DecisionRevoked, "the registry records the pledge as %s since %s", st.Code, ts(st.Since))
	}
}

// signedAt is the time the applicant signature is judged at: the report's
// (proven when a time-stamp proves it), else the document's claim.
func signedAt(b builder, p *pledge.ParsedPackage) time.Time {
	if t := b.r.ValidAtSigning.SignedAt; t != nil {
		return *t
	}
	return p.Doc.SignedAt
}
