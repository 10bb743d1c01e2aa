package verify

import (
	"context"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// sesSubjects are the registry subjects of one SES signature: its seal (by
// esID and the SM3 of its bytes), the seal maker certificate and the signer
// certificate (by SM3), appended to subs; an absent certificate's index is -1.
type sesSubjects struct{ seal, maker, signer int }

func appendSESSubjects(subs []status.Subject, sig *ses.Signature, digest func([]byte) [32]byte) ([]status.Subject, sesSubjects) {
	seal := sig.TBS.Seal
	idx := sesSubjects{seal: len(subs), maker: -1, signer: -1}
	subs = append(subs, status.Subject{Kind: status.KindSeal, ID: seal.Info.ESID, Digest: digest(seal.Raw)})
	if len(seal.MakerCert) > 0 {
		idx.maker = len(subs)
		subs = append(subs, status.Subject{Kind: status.KindCertificate, Digest: digest(seal.MakerCert)})
	}
	if len(sig.Cert) > 0 {
		idx.signer = len(subs)
		subs = append(subs, status.Subject{Kind: status.KindCertificate, Digest: digest(sig.Cert)})
	}
	return subs, idx
}

// SESStatusChecks applies the registry's state to any SES signature (a
// sealed OFD's) by the rules of a pledge's counter-seal: the seal, its
// maker certificate and the signer certificate are judged at at, the time
// the signature was made (proven by a time-stamp, else the signer's claim),
// and the seal's state now is reported beside (a seal suspended after the
// signature does not undo it). All three are asked in one call of src; a
// source that cannot answer gives INDETERMINATE/TRY_LATER (fail closed).
// The checks carry the SES report's names (ses.CheckSealStatus,
// ses.CheckMakerStatus, ses.CheckSignerStatus) and then CheckSealNow, so
// they can replace the SES report's NOT_PERFORMED status checks.
func SESStatusChecks(ctx context.Context, src status.Source, sig *ses.Signature, at time.Time) []outcome.Check {
	subs, idx := appendSESSubjects(nil, sig, pki.Digest)
	ans, err := checked(ctx, src, at, subs)
	get := func(i int) (status.Result, bool) {
		if err != nil || i < 0 {
			return status.Result{}, false
		}
		return ans.Results[i], true
	}
	mk := func(name string, res outcome.Result, sub outcome.SubIndication, detail string) outcome.Check {
		if res == outcome.Passed || res == outcome.NotPerformed {
			sub = outcome.None
		}
		return outcome.Check{Name: name, Result: res, SubIndication: sub, Detail: detail}
	}
	var out []outcome.Check
	for _, s := range []struct {
		name, what string
		i          int
	}{{ses.CheckSealStatus, "seal", idx.seal}, {ses.CheckMakerStatus, "seal-maker certificate", idx.maker}, {ses.CheckSignerStatus, "signer certificate", idx.signer}} {
		r, ok := get(s.i)
		res, sub, d := statusAt(s.what, s.i >= 0, r, ok, at)
		out = append(out, mk(s.name, res, sub, d))
	}
	r, ok := get(idx.seal)
	res, sub, d := sealNow(r, ok)
	return append(out, mk(CheckSealNow, res, sub, d))
}
