package pledge

import (
	"context"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// AgencySeal is an agency's seal and the signing identity allowed to use it.
type AgencySeal struct {
	Seal   *ses.Seal
	Signer ses.Signer
}

// SESSealer is the Sealer over internal/ses: it signs SM3(data) with the
// agency's seal as an SES_Signature v4. When Status is set, the seal must be
// ACTIVE in the registry now (a suspended, lost, frozen, cancelled or
// unknown seal is refused, and a registry that cannot be read refuses too).
type SESSealer struct {
	seals  map[string]AgencySeal
	status status.Source
	clock  clock.Clock
}

// NewSESSealer returns a sealer for the given agencies' seals. src may be nil
// (no registry check: development only).
func NewSESSealer(seals map[string]AgencySeal, src status.Source, clk clock.Clock) *SESSealer {
	cp := make(map[string]AgencySeal, len(seals))
	for k, v := range seals {
		cp[k] = v
	}
	return &SESSealer{seals: cp, status: src, clock: clk}
}

// SealData implements Sealer.
func (s *SESSealer) SealData(ctx context.Context, agency string, data []byte, propertyInfo string) ([]byte, error) {
	as, ok := s.seals[agency]
	if !ok || as.Seal == nil {
		return nil, apperr.New(apperr.Conflict, "the agency has no active seal (机关无可用印章)").WithCode(apperr.CodeNoActiveSeal)
	}
	now := s.clock.Now()
	if s.status != nil {
		ans, err := s.status.Lookup(ctx, now, []status.Subject{{Kind: status.KindSeal, ID: as.Seal.Info.ESID}})
		if err != nil {
			return nil, err
		}
		if len(ans.Results) != 1 {
			return nil, apperr.New(apperr.Unavailable, "the seal registry gave no answer; try again later").WithCode(apperr.CodeTryLater)
		}
		if st := ans.Results[0].Now; st.Code != status.Active {
			return nil, apperr.New(apperr.Conflict, "the agency's seal is %s since %s and may not seal (印章不可用)", st.Code, st.Since.UTC().Format(time.RFC3339)).WithCode(apperr.CodeSealNotActive)
		}
	}
	sig, err := ses.Sign(ses.SignRequest{Seal: as.Seal, DataHash: ses.DataDigest(data), PropertyInfo: propertyInfo}, as.Signer, s.clock)
	if err != nil {
		return nil, err
	}
	return sig.Raw, nil
}

// ActiveSeal returns the seal SealData uses for agency (the sealed OFD
// names it in Signature.xml before signing).
func (s *SESSealer) ActiveSeal(_ context.Context, agency string) (*ses.Seal, error) {
	as, ok := s.seals[agency]
	if !ok || as.Seal == nil {
		return nil, apperr.New(apperr.Conflict, "the agency has no active seal (机关无可用印章)").WithCode(apperr.CodeNoActiveSeal)
	}
	return as.Seal, nil
}
