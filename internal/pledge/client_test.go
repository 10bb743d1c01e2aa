package pledge_test

import (
	"errors"
	"time"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// gmsmClient stands for an applicant's own signing software: it makes
// detached SignedData with gmsm's pkcs7 package (not the project's
// internal/pki), optionally without signed attributes, so way (b) is tested
// against an independent CMS producer.
type gmsmClient struct {
	noAttrs bool
	chain   []*smx509.Certificate
}

func (c gmsmClient) SignDetached(content []byte, cert *smx509.Certificate, key *sm2.PrivateKey, _ time.Time) ([]byte, error) {
	sd, err := pkcs7.NewSMSignedData(content)
	if err != nil {
		return nil, err
	}
	if c.noAttrs {
		err = sd.SignWithoutAttr(cert, key, pkcs7.SignerInfoConfig{})
	} else {
		err = sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{})
	}
	if err != nil {
		return nil, err
	}
	for _, x := range c.chain {
		sd.AddCertificate(x)
	}
	sd.Detach()
	return sd.Finish()
}

func (gmsmClient) VerifyDetached([]byte, []byte) (*smx509.Certificate, []*smx509.Certificate, error) {
	return nil, nil, errors.New("the client does not verify")
}
