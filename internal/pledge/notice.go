package pledge

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/jcs"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/scope"
)

// NoticeFormat names the notice document format.
const NoticeFormat = "pledgeseal.notice/v1"

// Contact is a consultation or complaint channel.
type Contact struct {
	Kind    string `json:"kind"` // CONSULTATION or COMPLAINT
	Channel string `json:"channel"`
	Value   string `json:"value"`
}

// HowToPledge says how to pledge.
type HowToPledge struct {
	Method Text `json:"method"`
	// OnBehalfAllowed is false where rules forbid pledging on another's behalf.
	OnBehalfAllowed bool `json:"onBehalfAllowed"`
}

// Verification states the agency's power to verify and the applicant's duty
// to cooperate.
type Verification struct {
	AgencyPower       Text `json:"agencyPower"`
	ApplicantDuty     Text `json:"applicantDuty"`
	ThirdPartyAllowed bool `json:"thirdPartyAllowed"`
}

// Publication says whether, how and how widely the pledge is published.
type Publication struct {
	Published bool `json:"published"`
	How       Text `json:"how,omitzero"`
	Scope     Text `json:"scope,omitzero"`
}

// Notice is the notice (告知书) for one certificate of one matter: every
// required content item is a field. Once published a version never changes.
type Notice struct {
	Format             string       `json:"format"`
	ID                 string       `json:"id"`
	Version            int          `json:"version"`
	Agency             string       `json:"agency"`
	AgencyName         string       `json:"agencyName"`
	Entry              EntryKey     `json:"entry"`
	CatalogueVersion   int          `json:"catalogueVersion"`
	MatterName         Text         `json:"matterName"`
	CertificateName    Text         `json:"certificateName"`
	CertificateContent Text         `json:"certificateContent"`
	LegalBasis         []Text       `json:"legalBasis"`
	Conditions         []Text       `json:"conditions"`
	WouldHaveProved    Text         `json:"wouldHaveProved"`
	HowToPledge        HowToPledge  `json:"howToPledge"`
	Liability          Text         `json:"liability"`
	Verification       Verification `json:"verification"`
	Publication        Publication  `json:"publication"`
	Withdrawal         Text         `json:"withdrawal"`
	PostCheckWindow    Text         `json:"postCheckWindow"`
	Contacts           []Contact    `json:"contacts"`
	PublishedAt        time.Time    `json:"publishedAt"`
}

// Validate checks that every required content item is present.
func (n *Notice) Validate() error {
	if err := checkCode("id", n.ID); err != nil {
		return err
	}
	if err := checkCode("agency", n.Agency); err != nil {
		return err
	}
	if err := requireString("agencyName", n.AgencyName, maxShort); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		t    Text
	}{
		{"matterName", n.MatterName}, {"certificateName", n.CertificateName},
		{"certificateContent", n.CertificateContent}, {"wouldHaveProved", n.WouldHaveProved},
		{"howToPledge.method", n.HowToPledge.Method}, {"liability", n.Liability},
		{"verification.agencyPower", n.Verification.AgencyPower},
		{"verification.applicantDuty", n.Verification.ApplicantDuty},
		{"withdrawal", n.Withdrawal}, {"postCheckWindow", n.PostCheckWindow},
	} {
		if err := checkText(f.name, f.t, true, maxText); err != nil {
			return err
		}
	}
	if err := checkText("publication.how", n.Publication.How, n.Publication.Published, maxText); err != nil {
		return err
	}
	if err := checkText("publication.scope", n.Publication.Scope, n.Publication.Published, maxText); err != nil {
		return err
	}
	for name, list := range map[string][]Text{"legalBasis": n.LegalBasis, "conditions": n.Conditions} {
		if len(list) == 0 || len(list) > maxList {
			return malformed(apperr.CodeFieldRequired, "%s: between 1 and %d items are required", name, maxList)
		}
		for _, t := range list {
			if err := checkText(name, t, true, maxText); err != nil {
				return err
			}
		}
	}
	hasConsult, hasComplaint := false, false
	if len(n.Contacts) > maxList {
		return malformed(apperr.CodeFieldInvalid, "contacts: at most %d", maxList)
	}
	for _, c := range n.Contacts {
		switch c.Kind {
		case "CONSULTATION":
			hasConsult = true
		case "COMPLAINT":
			hasComplaint = true
		default:
			return malformed(apperr.CodeFieldInvalid, "contacts: kind must be CONSULTATION or COMPLAINT")
		}
		if err := requireString("contacts.channel", c.Channel, maxShort); err != nil {
			return err
		}
		if err := requireString("contacts.value", c.Value, maxShort); err != nil {
			return err
		}
	}
	if !hasConsult || !hasComplaint {
		return malformed(apperr.CodeContactsRequired, "contacts: a consultation channel and a complaint channel are both required (咨询和投诉渠道)")
	}
	return nil
}

// Canonical returns the notice's RFC 8785 canonical bytes.
func (n *Notice) Canonical() ([]byte, error) {
	return jcs.Marshal(n)
}

// PublishedNotice is a published notice version with its canonical bytes,
// their SM3 digest and the agency's SES signature over those bytes.
type PublishedNotice struct {
	Notice    Notice
	Canonical []byte
	Digest    [32]byte
	// Seal is the DER SES_Signature (GB/T 38540 v4) over Canonical.
	Seal []byte
}

// DigestHex returns the lowercase hex SM3 digest.
func (p *PublishedNotice) DigestHex() string { return hex.EncodeToString(p.Digest[:]) }

// Sealer makes an agency's electronic seal signature. The real one wraps
// internal/ses with the agency's active seal and signing key.
type Sealer interface {
	// SealData returns a DER SES_Signature (v4) made with agency's active
	// seal over data; propertyInfo says what was sealed. It fails (Conflict)
	// when the agency has no active seal.
	SealData(ctx context.Context, agency string, data []byte, propertyInfo string) ([]byte, error)
}

// NoticeRepo keeps published notices.
type NoticeRepo interface {
	// PutNotice stores a published version. The version must be the next
	// one (latest+1); anything else is a Conflict, and a stored version is
	// never overwritten.
	PutNotice(ctx context.Context, p PublishedNotice) error
	// GetNotice returns one version (version 0: the latest), NotFound if absent.
	GetNotice(ctx context.Context, id string, version int) (PublishedNotice, error)
}

// NoticeVersions is implemented by a NoticeRepo that can tell the latest
// version number of a notice without reading the notice (0: none
// published). With it, Notices.Get reads each published version from the
// repository once and answers later reads of it from memory.
type NoticeVersions interface {
	LatestNoticeVersion(ctx context.Context, id string) (int, error)
}

// Notices is the notice service.
type Notices struct {
	repo      NoticeRepo
	catalogue *Catalogue
	sealer    Sealer
	clock     clock.Clock
	published *noticeCache
}

// NewNotices returns a notice service.
func NewNotices(repo NoticeRepo, cat *Catalogue, sealer Sealer, clk clock.Clock) *Notices {
	return &Notices{repo: repo, catalogue: cat, sealer: sealer, clock: clk, published: newNoticeCache(publishedCacheSize)}
}

// Publish validates n, binds it to the catalogue entry in force now (which
// must be pledge-eligible and owned by n.Agency), canonicalises it, seals the
// canonical bytes with the agency's seal and stores it as the next version.
func (s *Notices) Publish(ctx context.Context, agency string, n Notice) (PublishedNotice, error) {
	if n.Agency != agency {
		return PublishedNotice{}, apperr.New(apperr.Forbidden, "an agency may only publish its own notices").WithCode(apperr.CodeOutOfScope)
	}
	now := s.clock.Now().Truncate(time.Second)
	entry, err := s.catalogue.PledgeableAt(ctx, n.Entry, now)
	if err != nil {
		return PublishedNotice{}, err
	}
	if entry.Owner != agency {
		return PublishedNotice{}, apperr.New(apperr.Forbidden, "the catalogue entry belongs to another agency").WithCode(apperr.CodeOutOfScope)
	}
	if !scope.AgencyActsIn(agency, entry.Region) {
		return PublishedNotice{}, apperr.New(apperr.Forbidden, "an agency publishes notices only in its own region / 只能发布本机关所在地区的告知书").WithCode(apperr.CodeOutOfScope)
	}
	n.Format = NoticeFormat
	n.CatalogueVersion = entry.Version
	n.PublishedAt = now
	prev, err := s.repo.GetNotice(ctx, n.ID, 0)
	switch {
	case err == nil:
		if prev.Notice.Agency != agency {
			return PublishedNotice{}, apperr.New(apperr.Forbidden, "the notice id belongs to another agency").WithCode(apperr.CodeOutOfScope)
		}
		n.Version = prev.Notice.Version + 1
	case apperr.KindOf(err) == apperr.NotFound:
		n.Version = 1
	default:
		return PublishedNotice{}, err
	}
	if err := n.Validate(); err != nil {
		return PublishedNotice{}, err
	}
	canon, err := n.Canonical()
	if err != nil {
		return PublishedNotice{}, err
	}
	seal, err := s.sealer.SealData(ctx, agency, canon, "notice:"+n.ID+":v"+itoa(n.Version))
	if err != nil {
		return PublishedNotice{}, err
	}
	p := PublishedNotice{Notice: n, Canonical: canon, Digest: pki.Digest(canon), Seal: seal}
	if err := s.repo.PutNotice(ctx, p); err != nil {
		return PublishedNotice{}, err
	}
	if idx, ok := s.repo.(NoticeIndex); ok {
		// The notice and the index live in different hash-tag slots, so
		// they cannot change in one script. The version is stored first;
		// should the index write fail, the next publication indexes it.
		if err := idx.IndexNotice(ctx, n.Entry, n.ID); err != nil {
			return PublishedNotice{}, err
		}
	}
	return p, nil
}

// Get returns a published notice version (0: the latest) with its seal.
// A published version never changes, so when the repository implements
// NoticeVersions each version is read once and kept (bounded); the latest
// version number is still asked of the repository on every call. The
// slices of the result are shared with the cache: treat it as read-only.
func (s *Notices) Get(ctx context.Context, id string, version int) (PublishedNotice, error) {
	if err := checkCode("id", id); err != nil {
		return PublishedNotice{}, err
	}
	if version < 0 {
		return PublishedNotice{}, malformed(apperr.CodeFieldInvalid, "version must be positive")
	}
	vr, ok := s.repo.(NoticeVersions)
	if !ok {
		return s.repo.GetNotice(ctx, id, version)
	}
	if version == 0 {
		latest, err := vr.LatestNoticeVersion(ctx, id)
		if err != nil {
			return PublishedNotice{}, err
		}
		if latest == 0 {
			return PublishedNotice{}, apperr.New(apperr.NotFound, "no such notice version")
		}
		version = latest
	}
	if p, ok := s.published.get(id, version); ok {
		return p, nil
	}
	return s.reload(ctx, id, version)
}

// reload reads version of id from the repository and keeps it. Callers
// use it directly when a kept version disagrees with what they were shown
// (the store was replaced under a running service).
func (s *Notices) reload(ctx context.Context, id string, version int) (PublishedNotice, error) {
	p, err := s.repo.GetNotice(ctx, id, version)
	if err != nil {
		return PublishedNotice{}, err
	}
	if p.Notice.ID == id && p.Notice.Version == version {
		s.published.put(id, version, p)
	}
	return p, nil
}

// NoticeIndex is implemented by a NoticeRepo that also remembers which
// notice id was last published for each catalogue entry, so that a public
// query can name the notice for a matter.
type NoticeIndex interface {
	// IndexNotice records id as the notice for key (the last one wins).
	IndexNotice(ctx context.Context, key EntryKey, id string) error
	// IndexedNotice returns the notice id recorded for key, NotFound if none.
	IndexedNotice(ctx context.Context, key EntryKey) (string, error)
}

// ForEntry returns the latest version of the notice last published for the
// catalogue entry key, or a NotFound error (code NO_NOTICE) when none was
// published or the repository keeps no index.
func (s *Notices) ForEntry(ctx context.Context, key EntryKey) (PublishedNotice, error) {
	for _, f := range []struct{ name, v string }{{"region", key.Region}, {"matter", key.Matter}, {"certificate", key.Certificate}} {
		if err := checkCode(f.name, f.v); err != nil {
			return PublishedNotice{}, err
		}
	}
	none := apperr.New(apperr.NotFound, "no notice is published for this catalogue entry (该事项尚未发布告知书)").WithCode(apperr.CodeNoNotice)
	idx, ok := s.repo.(NoticeIndex)
	if !ok {
		return PublishedNotice{}, none
	}
	id, err := idx.IndexedNotice(ctx, key)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return PublishedNotice{}, none
		}
		return PublishedNotice{}, err
	}
	p, err := s.repo.GetNotice(ctx, id, 0)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return PublishedNotice{}, none
		}
		return PublishedNotice{}, err
	}
	if p.Notice.Entry != key {
		// The id was re-used for another entry since: no notice for key.
		return PublishedNotice{}, none
	}
	return p, nil
}
