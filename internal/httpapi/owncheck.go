package httpapi

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// signerView describes the certificate of an applicant's own signature as
// the page shows it: names, not codes; the identity number masked.
type signerView struct {
	Name         string    `json:"name"`
	Organization string    `json:"organization,omitempty"`
	SerialNumber string    `json:"serialNumber,omitempty"`
	Issuer       string    `json:"issuer"`
	NotBefore    time.Time `json:"notBefore"`
	NotAfter     time.Time `json:"notAfter"`
}

// refusalView is why a signature would be refused: the stable code and
// the server's detail (the page words the code from its catalogue).
type refusalView struct {
	Code   apperr.Code `json:"code"`
	Detail string      `json:"detail"`
}

type signatureCheckView struct {
	PledgeID         string       `json:"pledgeId"`
	Acceptable       bool         `json:"acceptable"`
	DocumentDigest   string       `json:"documentDigest"`
	SignedDigest     string       `json:"signedDigest,omitempty"`
	DigestMatches    bool         `json:"digestMatches"`
	Signer           signerView   `json:"signer"`
	SignedAt         time.Time    `json:"signedAt"`
	ValidAtSigning   bool         `json:"validAtSigning"`
	ApplicantMatches bool         `json:"applicantMatches"`
	Trusted          bool         `json:"trusted"`
	Refusal          *refusalView `json:"refusal,omitempty"`
}

func viewSignatureCheck(c pledge.OwnSignatureCheck) signatureCheckView {
	v := signatureCheckView{PledgeID: c.PledgeID, Acceptable: c.Acceptable(), DocumentDigest: hex.EncodeToString(c.DocumentDigest[:]),
		SignedDigest: hex.EncodeToString(c.SignedDigest), DigestMatches: c.DigestMatches, SignedAt: c.SignedAt.UTC(),
		ValidAtSigning: c.ValidAtSigning, ApplicantMatches: c.ApplicantMatches, Trusted: c.Trusted}
	if cert := c.Signer; cert != nil {
		v.Signer = signerView{Name: cert.Subject.CommonName, Issuer: cert.Issuer.CommonName,
			NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC()}
		if len(cert.Subject.Organization) > 0 {
			v.Signer.Organization = cert.Subject.Organization[0]
		}
		if sn := cert.Subject.SerialNumber; sn != "" {
			v.Signer.SerialNumber = pii.MaskID(sn)
		}
		if v.Signer.Issuer == "" && len(cert.Issuer.Organization) > 0 {
			v.Signer.Issuer = cert.Issuer.Organization[0]
		}
	}
	if c.Refusal != nil {
		v.Refusal = &refusalView{Detail: c.Refusal.Error()}
		if e := apperr.As(c.Refusal); e != nil {
			v.Refusal.Code, v.Refusal.Detail = e.Code, e.Detail
		}
	}
	return v
}

// checkSignature checks the applicant's own CMS over a draft as POST
// /v1/pledges/{id}/signature would, and stores nothing: the page shows
// who signed, whether it is this document and this applicant, before the
// applicant submits. A signature that is read but would be refused is a
// 200 report with acceptable false and the refusal's code.
func (s *Server) checkSignature(c *gin.Context, p auth.Principal) error {
	a, req, err := applicantRequest[signatureRequest](c, p)
	if err != nil {
		return err
	}
	cms, err := base64.StdEncoding.Strict().DecodeString(req.CMS)
	if err != nil || len(cms) == 0 {
		return apperr.New(apperr.Malformed, "cms must be the base64 of a DER CMS SignedData").WithCode(apperr.CodeCMSMalformed)
	}
	chk, err := s.deps.Pledges.Service.CheckOwnSignature(c.Request.Context(), a, c.Param("id"), cms)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewSignatureCheck(chk))
	return nil
}
