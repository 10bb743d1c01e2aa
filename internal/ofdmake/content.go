package ofdmake

import (
	"fmt"
	"strconv"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// labelKeys are the catalogue keys (internal/web/messages) the document's
// fixed texts come from; Write refuses a catalogue that lacks one.
var labelKeys = []string{
	"ofd.title", "ofd.pledgeId", "ofd.agency", "ofd.matter", "ofd.certificate", "ofd.notice", "ofd.noticeVersion",
	"ofd.noticeDigest", "ofd.applicant", "ofd.idType", "ofd.idNumber", "ofd.masked", "ofd.statements", "ofd.facts",
	"ofd.signedAt", "ofd.documentDigest", "ofd.decision", "ofd.decisionAccepted", "ofd.decisionNo", "ofd.decisionDate",
	"ofd.sealedAt", "ofd.statusUrl", "ofd.qrNote", "ofd.attached", "ofd.page", "ofd.sealHere",
}

// chinaTime is UTC+8, the zone of civil dates in pledges.
var chinaTime = time.FixedZone("UTC+8", 8*3600)

// pageText is what the pages show, all from the package's signed bytes.
type pageText struct {
	lines     []line
	statusURL string
	agency    string // the agency name (for the seal line)
	date      string // the decision date
}

// buildText lays out the pledge of a parsed, accepted package. mask hides
// the applicant's name and ID number as the public pages do.
func buildText(p *pledge.ParsedPackage, lb map[string]string, mask bool) pageText {
	d, n, st := p.Doc, p.Notice, p.Sealed.Statement
	var out []line
	add := func(size, indent, gap float64, s string) {
		for i, t := range wrap(s, size, textWidth-indent) {
			l := line{text: t, size: size, indent: indent}
			if i == 0 {
				l.gap = gap
			}
			out = append(out, l)
		}
	}
	field := func(key, value string) { add(bodySize, 0, 0, lb[key]+"："+value) }
	out = append(out, line{text: cleanText(lb["ofd.title"]), size: titleSize, centre: true})
	field("ofd.pledgeId", d.PledgeID)
	field("ofd.agency", fmt.Sprintf("%s（%s）", n.AgencyName, d.Agency))
	field("ofd.matter", fmt.Sprintf("%s（%s / %s）", n.MatterName.Zh, d.Entry.Region, d.Entry.Matter))
	field("ofd.certificate", fmt.Sprintf("%s（%s）", n.CertificateName.Zh, d.Entry.Certificate))
	field("ofd.notice", d.Notice.ID+" "+fmt.Sprintf(lb["ofd.noticeVersion"], d.Notice.Version))
	field("ofd.noticeDigest", d.Notice.Digest)

	a := d.Applicant
	name, id := a.Name, a.IDNumber
	if mask {
		name, id = pii.MaskName(name), pii.MaskID(id)
	}
	idType := lb["idtype."+a.IDType]
	if idType == "" {
		idType = a.IDType
	}
	out = append(out, line{size: bodySize, gap: 2})
	field("ofd.applicant", name)
	field("ofd.idType", idType)
	field("ofd.idNumber", id)
	if mask {
		add(smallSize, 0, 0, lb["ofd.masked"])
	}

	add(bodySize, 0, 3, lb["ofd.statements"]+"：")
	for i, s := range d.Statements {
		add(bodySize, 6, 0, strconv.Itoa(i+1)+". "+s.Text.Zh)
	}
	if len(d.Facts) > 0 {
		add(bodySize, 0, 3, lb["ofd.facts"]+"：")
		for _, f := range d.Facts {
			add(bodySize, 6, 0, f.Label.Zh+"："+f.Value)
		}
	}
	out = append(out, line{size: bodySize, gap: 2})
	field("ofd.signedAt", d.SignedAt.In(chinaTime).Format("2006-01-02 15:04:05 (UTC+8)"))
	field("ofd.documentDigest", st.DocumentDigest)

	add(bodySize, 0, 3, lb["ofd.decision"]+"："+lb["ofd.decisionAccepted"])
	field("ofd.decisionNo", st.DecisionNo)
	field("ofd.decisionDate", st.DecisionDate)
	if t, err := time.Parse(time.RFC3339, st.SealedAt); err == nil {
		field("ofd.sealedAt", t.In(chinaTime).Format("2006-01-02 15:04:05 (UTC+8)"))
	}
	field("ofd.statusUrl", st.StatusURL)
	add(smallSize, 0, 2, lb["ofd.attached"])
	return pageText{lines: out, statusURL: st.StatusURL, agency: n.AgencyName, date: st.DecisionDate}
}
