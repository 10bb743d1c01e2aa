package main

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// benchKey is the catalogue entry the benchmark records.
func benchKey() pledge.EntryKey {
	return pledge.EntryKey{Region: "110105", Matter: "M-BENCH", Certificate: "C-NO-CRIME"}
}

// benchApplicant is the applicant of every benchmark pledge: the example
// citizen ID number of GB 11643-1999 itself, no real person.
func benchApplicant() pledge.Applicant {
	return pledge.Applicant{Kind: pledge.ApplicantPerson, Name: "张三", IDType: pledge.IDResidentCard, IDNumber: "11010519491231002X"}
}

func benchEntry(owner string, from time.Time) pledge.Entry {
	return pledge.Entry{
		EntryKey:        benchKey(),
		EffectiveFrom:   from,
		MatterName:      pledge.Text{Zh: "社会团体成立登记", En: "Registration of a social organisation"},
		CertificateName: pledge.Text{Zh: "无犯罪记录证明", En: "Certificate of no criminal record"},
		Proves:          pledge.Text{Zh: "负责人无犯罪记录", En: "The person in charge has no criminal record"},
		LegalBasis:      []pledge.Text{{Zh: "《社会团体登记管理条例》第十条"}},
		RequestingUnit:  "北京市朝阳区市场监督管理局",
		IssuingUnit:     "公安机关",
		Modes:           []pledge.Mode{pledge.ModeWrittenPledge},
		PledgeEligible:  true,
		PostCheck:       pledge.PostCheckPolicy{Methods: []string{pledge.CheckInterAgency}, TimeLimitDays: 60, WorkingDays: true, SamplingPermille: 100},
		Disclosure:      pledge.DisclosurePolicy{Publish: true, Scope: pledge.Text{Zh: "信用中国（北京）"}, Days: 365},
		Owner:           owner,
	}
}

func benchNotice(agency string) pledge.Notice {
	tx := func(zh string) pledge.Text { return pledge.Text{Zh: zh} }
	return pledge.Notice{
		ID: "N-BENCH-NOCRIME", Agency: agency, AgencyName: "北京市朝阳区市场监督管理局", Entry: benchKey(),
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
