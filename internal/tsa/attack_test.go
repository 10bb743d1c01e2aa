package tsa_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"sort"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// ekuExt is an extendedKeyUsage extension with the given purposes.
func ekuExt(t testing.TB, critical bool, oids ...asn1.ObjectIdentifier) pkix.Extension {
	t.Helper()
	v, err := asn1.Marshal(oids)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: critical, Value: v}
}

var (
	oidServerAuth   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

// TestChainKeyPurpose: a TSA certificate with the critical timeStamping
// purpose issued by an intermediate CA restricted (by its own
// extendedKeyUsage) to other purposes is not a TSA: the CA could not
// delegate time-stamping (the nested EKU rule of RFC 5280 practice, as Go
// and OpenSSL apply it). A CA without an EKU, or one that allows
// time-stamping, may.
func TestChainKeyPurpose(t *testing.T) {
	clk := clock.NewFake(t0)
	st := newStore(t, clk)
	from, to := t0.AddDate(-1, 0, 0), t0.AddDate(3, 0, 0)
	root := pkitest.NewCA(t, "Root", from, to, -1)
	trust := pki.NewTrustStore([]*smx509.Certificate{root.Cert}, nil)
	for _, tc := range []struct {
		name string
		ext  []pkix.Extension
		want error
	}{
		{"CA without EKU", nil, nil},
		{"CA allows timeStamping", []pkix.Extension{ekuExt(t, false, oidTimeStamping)}, nil},
		{"CA for serverAuth only", []pkix.Extension{ekuExt(t, false, oidServerAuth)}, tsa.ErrKeyPurpose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := root.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: "Sub CA " + tc.name}, NotBefore: from, NotAfter: to, IsCA: true, MaxPathLen: 0,
				ExtraExtensions: tc.ext})
			ca := sub.Cert
			leaf := sub.TSA(t, "TSA under "+tc.name, from, to)
			cert, k := leaf.Cert, leaf.Key
			a, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(k), Policy: policy, Serials: st, Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			d := pki.Digest([]byte("x"))
			der, err := a.Token(context.Background(), &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true})
			if err != nil {
				t.Fatal(err)
			}
			// The token carries only the TSA certificate: the intermediate comes from the trust store.
			trust := pki.NewTrustStore(trust.Anchors(), []*smx509.Certificate{ca})
			_, err = tsa.VerifyToken(der, trust)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("verify: %v, want %v", err, tc.want)
			}
		})
	}
}

// tokenAttrs signs tstInfo as a time-stamp token with the given signed
// attributes besides contentType and messageDigest (an attacker's own
// encoder: everything else as SignTimeStampToken writes it).
func tokenAttrs(t testing.TB, tstInfo []byte, cert *smx509.Certificate, key *sm2.PrivateKey, extra ...[]byte) []byte {
	t.Helper()
	attr := func(oid asn1.ObjectIdentifier, val func(*cryptobyte.Builder)) []byte {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, val)
		})
		return b.BytesOrPanic()
	}
	d := pki.Digest(tstInfo)
	attrs := append([][]byte{
		attr(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(pki.OIDTSTInfo()) }),
		attr(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}, func(b *cryptobyte.Builder) { b.AddASN1OctetString(d[:]) }),
	}, extra...)
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	set := cryptobyte.NewBuilder(nil)
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	signed := set.BytesOrPanic()
	sig, err := pki.NewKeySigner(key).SignMessage(signed)
	if err != nil {
		t.Fatal(err)
	}
	alg := func(b *cryptobyte.Builder, o asn1.ObjectIdentifier) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(o); b.AddASN1NULL() })
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2})
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { alg(b, pki.OIDSM3()) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(pki.OIDTSTInfo())
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(tstInfo) })
				})
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(cert.Raw) })
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(cert.RawIssuer); b.AddASN1BigInt(cert.SerialNumber) })
						alg(b, pki.OIDSM3())
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							for _, a := range attrs {
								b.AddBytes(a)
							}
						})
						alg(b, asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501})
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return b.BytesOrPanic()
}

// essV2 is a signingCertificateV2 attribute naming hash (alg nil: the
// SHA-256 default, omitted) and optionally the certificate's issuerSerial.
func essV2(alg asn1.ObjectIdentifier, hash []byte, issuerSerial *smx509.Certificate) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47})
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						if alg != nil {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(alg); b.AddASN1NULL() })
						}
						b.AddASN1OctetString(hash)
						if issuerSerial != nil {
							addIssuerSerial(b, issuerSerial)
						}
					})
				})
			})
		})
	})
	return b.BytesOrPanic()
}

func addIssuerSerial(b *cryptobyte.Builder, c *smx509.Certificate) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
			b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(c.RawIssuer) })
		})
		b.AddASN1BigInt(c.SerialNumber)
	})
}

// essV1 is a signingCertificate (ESSCertID, SHA-1) attribute.
func essV1(hash []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12})
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1OctetString(hash) })
				})
			})
		})
	})
	return b.BytesOrPanic()
}

// TestSigningCertificateAttribute: the token must name its signer's
// certificate in a signed ESS signingCertificate(V2) attribute (RFC 3161
// §2.4.1, RFC 5035), and the hash there must be that certificate's: a
// token naming another certificate (say, one the TSA key was certified in
// before, or a certificate swapped in the bag) is refused.
func TestSigningCertificateAttribute(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	other := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	d := pki.Digest([]byte("x"))
	genuine, err := a.Token(context.Background(), &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := pki.ParseCMS(genuine)
	if err != nil {
		t.Fatal(err)
	}
	info := sd.Content
	sm3Own, sm3Other := pki.Digest(m.cert.Raw), pki.Digest(other.cert.Raw)
	shaOwn := sha256.Sum256(m.cert.Raw)
	sha1Own := sha1Sum(m.cert.Raw)
	wrongSerial := *m.cert
	wrongSerial.SerialNumber = new(big.Int).Add(m.cert.SerialNumber, big.NewInt(1))
	for _, tc := range []struct {
		name  string
		attrs [][]byte
		ok    bool
	}{
		{"SM3 of the signer", [][]byte{essV2(pki.OIDSM3(), sm3Own[:], nil)}, true},
		{"SHA-256 default", [][]byte{essV2(nil, shaOwn[:], m.cert)}, true},
		{"ESSCertID SHA-1", [][]byte{essV1(sha1Own[:])}, true},
		{"no signingCertificate", nil, false},
		{"another certificate's hash", [][]byte{essV2(pki.OIDSM3(), sm3Other[:], nil)}, false},
		{"another issuerSerial", [][]byte{essV2(pki.OIDSM3(), sm3Own[:], &wrongSerial)}, false},
		{"SHA-256 hash under the SM3 label", [][]byte{essV2(pki.OIDSM3(), shaOwn[:], nil)}, false},
		{"wrong SHA-1", [][]byte{essV1(sha1Own[1:])}, false},
		{"two attributes", [][]byte{essV2(pki.OIDSM3(), sm3Own[:], nil), essV2(pki.OIDSM3(), sm3Own[:], nil)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := tokenAttrs(t, info, m.cert, m.key, tc.attrs...)
			_, err := tsa.VerifyToken(tok, m.trust)
			if tc.ok && err != nil || !tc.ok && !errors.Is(err, tsa.ErrSigningCert) {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

// signedInfo signs a hand-made TSTInfo with m's TSA key.
func signedInfo(t testing.TB, m material, info []byte) []byte {
	t.Helper()
	tok, err := pki.SignTimeStampToken(info, m.cert, pki.NewKeySigner(m.key), true)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTSTInfoStrict: a TSTInfo with anything after its last field, or
// inside a field after its content, is not a TSTInfo (a signed blob that
// smuggles other data, or a parser disagreement with other verifiers).
func TestTSTInfoStrict(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	d := pki.Digest([]byte("x"))
	genuine, err := a.Token(context.Background(), &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true, Nonce: big.NewInt(9)})
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := pki.ParseCMS(genuine)
	if _, err := tsa.VerifyToken(signedInfo(t, m, sd.Content), m.trust); err != nil {
		t.Fatalf("the genuine TSTInfo re-signed: %v", err)
	}
	body := func(fields ...func(b *cryptobyte.Builder)) []byte {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, f := range fields {
				f(b)
			}
		})
		return b.BytesOrPanic()
	}
	version := func(b *cryptobyte.Builder) { b.AddASN1Int64(1) }
	pol := func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(policy) }
	imprint := func(extra ...byte) func(b *cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(pki.OIDSM3()); b.AddASN1NULL() })
				b.AddASN1OctetString(d[:])
				b.AddBytes(extra)
			})
		}
	}
	serial := func(b *cryptobyte.Builder) { b.AddASN1Int64(5) }
	gen := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte("20260302090000Z")) })
	}
	raw := func(x ...byte) func(b *cryptobyte.Builder) { return func(b *cryptobyte.Builder) { b.AddBytes(x) } }
	tsaName := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(m.cert.RawSubject) })
		})
	}
	ok := body(version, pol, imprint(), serial, gen, tsaName)
	if _, err := tsa.VerifyToken(signedInfo(t, m, ok), m.trust); err != nil {
		t.Fatalf("the minimal TSTInfo: %v", err)
	}
	for _, tc := range []struct {
		name string
		info []byte
	}{
		{"trailing INTEGER", body(version, pol, imprint(), serial, gen, tsaName, raw(0x02, 0x01, 0x07))},
		{"trailing OCTET STRING after extensions", body(version, pol, imprint(), serial, gen, tsaName, raw(0xa1, 0x00), raw(0x04, 0x01, 0x00))},
		{"bytes after the TSTInfo", append(append([]byte(nil), ok...), 0x00)},
		{"bytes inside the imprint", body(version, pol, imprint(0x05, 0x00), serial, gen, tsaName)},
		{"two nonces", body(version, pol, imprint(), serial, gen, raw(0x02, 0x01, 0x01), raw(0x02, 0x01, 0x02))},
		{"fields out of order", body(version, pol, imprint(), serial, gen, tsaName, raw(0x02, 0x01, 0x01))},
		{"unknown context tag", body(version, pol, imprint(), serial, gen, raw(0xa5, 0x00))},
		{"accuracy with a stray field", body(version, pol, imprint(), serial, gen, raw(0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x00))},
		{"genTime with local offset", body(version, pol, imprint(), serial, raw(0x18, 0x13), raw([]byte("20260302090000+0800")...))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tsa.VerifyToken(signedInfo(t, m, tc.info), m.trust); !errors.Is(err, tsa.ErrFormat) {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

// TestParseReplyStrict: a TimeStampResp with bytes after a field, in the
// status text, or after the token is not a reply.
func TestParseReplyStrict(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	d := pki.Digest([]byte("x"))
	tok, err := a.Token(context.Background(), &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:]})
	if err != nil {
		t.Fatal(err)
	}
	reply := func(status ...byte) []byte {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(status) })
			b.AddBytes(tok)
		})
		return b.BytesOrPanic()
	}
	if r, err := tsa.ParseReply(reply(0x02, 0x01, 0x00)); err != nil || !bytes.Equal(r.Token, tok) {
		t.Fatalf("the genuine reply: %v", err)
	}
	text := []byte{0x30, 0x04, 0x0c, 0x02, 'o', 'k'}
	for _, tc := range []struct {
		name  string
		reply []byte
	}{
		{"bytes after the status", reply(0x02, 0x01, 0x00, 0x05, 0x00)},
		{"bytes after the failure info", reply(append(append([]byte{0x02, 0x01, 0x00}, text...), 0x03, 0x02, 0x07, 0x80, 0x02, 0x01, 0x00)...)},
		{"a non-UTF8String in the text", reply(0x02, 0x01, 0x00, 0x30, 0x04, 0x0c, 0x00, 0x04, 0x00)},
		{"unused bits above 7", reply(0x02, 0x01, 0x00, 0x03, 0x02, 0x08, 0x80)},
		{"status 6", reply(0x02, 0x01, 0x06)},
		{"bytes after the token", append(reply(0x02, 0x01, 0x00)[:0:0], func() []byte {
			var b cryptobyte.Builder
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes([]byte{0x02, 0x01, 0x00}) })
				b.AddBytes(tok)
				b.AddBytes([]byte{0x05, 0x00})
			})
			return b.BytesOrPanic()
		}()...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tsa.ParseReply(tc.reply); !errors.Is(err, tsa.ErrFormat) {
				t.Fatalf("parse: %v", err)
			}
		})
	}
}

// withExtensions is a request with extensions raw appended as its [0].
func withExtensions(t testing.TB, exts []byte) []byte {
	t.Helper()
	d := pki.Digest([]byte("x"))
	plain := mustMarshal(t, &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:]})
	in := cryptobyte.String(plain)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) {
		t.Fatal("request")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(body)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(exts) })
	})
	return b.BytesOrPanic()
}

func extension(oid asn1.ObjectIdentifier, critical bool, value []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if critical {
			b.AddASN1Boolean(true)
		}
		b.AddASN1OctetString(value)
	})
	return b.BytesOrPanic()
}

// TestRequestExtensions: request extensions are read; an unknown one (this
// TSA knows none), critical or not, gets unacceptedExtension naming it
// (RFC 3161 §2.4.1), and a malformed extension list badDataFormat; never a
// token, never an error.
func TestRequestExtensions(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	oid := asn1.ObjectIdentifier{1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		exts []byte
		bit  int
		text string
	}{
		{"unknown critical", extension(oid, true, []byte{0x05, 0x00}), tsa.FailUnacceptedExtension, "1.2.3.4"},
		{"unknown non-critical", extension(oid, false, nil), tsa.FailUnacceptedExtension, "1.2.3.4"},
		{"empty extension list", nil, tsa.FailBadDataFormat, ""},
		{"critical FALSE encoded", []byte{0x30, 0x0a, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x01, 0x01, 0x00, 0x04, 0x00}, tsa.FailBadDataFormat, ""},
		{"not an Extension", []byte{0x02, 0x01, 0x01}, tsa.FailBadDataFormat, ""},
		{"extension with a trailing field", []byte{0x30, 0x09, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x00, 0x05, 0x00}, tsa.FailBadDataFormat, ""},
		{"the same extension twice", append(extension(oid, false, nil), extension(oid, false, nil)...), tsa.FailBadDataFormat, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der := withExtensions(t, tc.exts)
			reply, err := a.Respond(context.Background(), der)
			if err != nil {
				t.Fatal(err)
			}
			r, err := tsa.ParseReply(reply)
			if err != nil || r.Status != tsa.StatusRejected || !r.Failed(tc.bit) || r.Token != nil {
				t.Fatalf("reply %+v %v", r, err)
			}
			if tc.text != "" && !bytes.Contains([]byte(r.Text), []byte(tc.text)) {
				t.Fatalf("text %q does not name %s", r.Text, tc.text)
			}
		})
	}
}

func sha1Sum(b []byte) [20]byte { return sha1.Sum(b) }
