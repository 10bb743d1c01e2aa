// Package pledgesample holds one realistic catalogue entry and its notice
// (社会团体成立登记 / 无犯罪记录证明) for tests, fixtures and benchmarks, so
// every package exercises the domain with the same content. It holds no
// state and must not be imported by production code.
package pledgesample

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// Entry is the sample catalogue entry for key, owned by agency owner whose
// name is requestingUnit, effective from from.
func Entry(key pledge.EntryKey, owner, requestingUnit string, from time.Time) pledge.Entry {
	return pledge.Entry{
		EntryKey:        key,
		EffectiveFrom:   from,
		MatterName:      pledge.Text{Zh: "社会团体成立登记", En: "Registration of a social organisation"},
		CertificateName: pledge.Text{Zh: "无犯罪记录证明", En: "Certificate of no criminal record"},
		Proves:          pledge.Text{Zh: "负责人无犯罪记录", En: "The person in charge has no criminal record"},
		LegalBasis:      []pledge.Text{{Zh: "《社会团体登记管理条例》第十条"}},
		RequestingUnit:  requestingUnit,
		IssuingUnit:     "公安机关",
		Modes:           []pledge.Mode{pledge.ModeWrittenPledge, pledge.ModeDataSharing},
		PledgeEligible:  true,
		PostCheck:       pledge.PostCheckPolicy{Methods: []string{pledge.CheckInterAgency}, TimeLimitDays: 60, WorkingDays: true, SamplingPermille: 100},
		Disclosure:      pledge.DisclosurePolicy{Publish: true, Scope: pledge.Text{Zh: "信用中国（北京）"}, Days: 365},
		Owner:           owner,
	}
}

// Notice is the sample notice id for the entry key, published by agency
// (named agencyName), with every required content item filled in.
func Notice(id string, key pledge.EntryKey, agency, agencyName string) pledge.Notice {
	tx := func(zh string) pledge.Text { return pledge.Text{Zh: zh} }
	return pledge.Notice{
		ID: id, Agency: agency, AgencyName: agencyName, Entry: key,
		MatterName: tx("社会团体成立登记"), CertificateName: tx("无犯罪记录证明"),
		CertificateContent: tx("证明负责人无犯罪记录"),
		LegalBasis:         []pledge.Text{tx("《社会团体登记管理条例》第十条")},
		Conditions:         []pledge.Text{tx("拟任负责人未受过剥夺政治权利的刑事处罚")},
		WouldHaveProved:    tx("负责人无犯罪记录"),
		HowToPledge:        pledge.HowToPledge{Method: tx("在线电子签名，不得代为承诺"), OnBehalfAllowed: false},
		Liability:          tx("承诺不实的，撤销登记并依法追究责任"),
		Verification:       pledge.Verification{AgencyPower: tx("登记机关可向公安机关核查"), ApplicantDuty: tx("申请人应配合核查"), ThirdPartyAllowed: true},
		Publication:        pledge.Publication{Published: true, How: tx("网站公示"), Scope: tx("信用中国（北京）")},
		Withdrawal:         tx("作出决定前可撤回承诺"),
		PostCheckWindow:    tx("决定作出后60个工作日内"),
		Contacts: []pledge.Contact{{Kind: "CONSULTATION", Channel: "电话", Value: "010-12345678"},
			{Kind: "COMPLAINT", Channel: "电话", Value: "12345"}},
	}
}
