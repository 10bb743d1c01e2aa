package democli

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// Region is the demo region (北京市朝阳区).
const Region = "110105"

// Item is what the seed makes for one demo agency: its catalogue entry and
// the notice for it.
type Item struct {
	Agency string
	Entry  pledge.Entry
	Notice pledge.Notice
}

func tx(zh, en string) pledge.Text { return pledge.Text{Zh: zh, En: en} }

// Items returns the demo content, one item per demo agency (the agencies of
// `pledgectl init --dev`). EffectiveFrom is set to from.
func Items(from time.Time) []Item {
	contacts := func(tel string) []pledge.Contact {
		return []pledge.Contact{
			{Kind: "CONSULTATION", Channel: "咨询电话 (Consultation)", Value: tel},
			{Kind: "COMPLAINT", Channel: "12345 政务服务便民热线 (Complaints)", Value: "12345"},
		}
	}
	guideline := tx("《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》（国办发〔2020〕42号）",
		"General Office of the State Council, Guiding Opinions on the notice-and-pledge system (Guo Ban Fa [2020] No. 42)")

	regionName := tx("北京市朝阳区", "Chaoyang District, Beijing")
	scj := pledge.EntryKey{Region: Region, Matter: "SCJG-GTGSH-SLDJ", Certificate: "ZSSYZM"}
	mz := pledge.EntryKey{Region: Region, Matter: "MZ-SHTT-CLDJ", Certificate: "FZR-WFZJL"}
	return []Item{
		{
			Agency: "110105-SCJGJ",
			Entry: pledge.Entry{
				EntryKey: scj, EffectiveFrom: from, RegionName: regionName,
				MatterName:      tx("个体工商户设立登记", "Registration of an individual business"),
				CertificateName: tx("住所（经营场所）使用证明", "Proof of the right to use the business premises"),
				Proves:          tx("申请人有权使用所申报的经营场所", "The applicant may lawfully use the declared premises"),
				LegalBasis: []pledge.Text{
					tx("《促进个体工商户发展条例》", "Regulations on Promoting the Development of Individual Businesses"),
					tx("《中华人民共和国市场主体登记管理条例》第十六条", "Regulations on the Registration of Market Entities, Art. 16"),
					guideline,
				},
				RequestingUnit: "北京市朝阳区市场监督管理局",
				IssuingUnit:    "产权人或不动产登记机构",
				Guide:          tx("选择告知承诺的，无需提交场所使用证明。", "Pledging replaces the proof of premises."),
				Modes:          []pledge.Mode{pledge.ModeWrittenPledge, pledge.ModeDataSharing},
				PledgeEligible: true,
				PostCheck: pledge.PostCheckPolicy{Methods: []string{pledge.CheckOnline, pledge.CheckOnSite},
					TimeLimitDays: 60, WorkingDays: true, SamplingPermille: 50},
				Disclosure: pledge.DisclosurePolicy{Publish: true, Scope: tx("信用中国（北京）", "Credit China (Beijing)"), Days: 365},
				Owner:      "110105-SCJGJ",
			},
			Notice: pledge.Notice{
				ID: "N-SCJG-GTGSH-ZSSYZM", Agency: "110105-SCJGJ", AgencyName: "北京市朝阳区市场监督管理局", Entry: scj,
				MatterName:         tx("个体工商户设立登记", "Registration of an individual business"),
				CertificateName:    tx("住所（经营场所）使用证明", "Proof of the right to use the business premises"),
				CertificateContent: tx("证明申请人对所申报的住所（经营场所）享有合法使用权", "That the applicant may lawfully use the declared premises"),
				LegalBasis: []pledge.Text{
					tx("《促进个体工商户发展条例》", "Regulations on Promoting the Development of Individual Businesses"),
					tx("《中华人民共和国市场主体登记管理条例》第十六条", "Regulations on the Registration of Market Entities, Art. 16"),
				},
				Conditions: []pledge.Text{
					tx("申请人对所申报的经营场所享有合法使用权", "The applicant lawfully uses the declared premises"),
					tx("经营场所符合规划用途，不属于违章建筑", "The premises match their planned use and are not an illegal structure"),
				},
				WouldHaveProved: tx("申请人有权使用所申报的经营场所", "The applicant may lawfully use the declared premises"),
				HowToPledge:     pledge.HowToPledge{Method: tx("通过本网站在线阅读本告知书并电子签名承诺，本人办理，不得代为承诺", "Read this notice online and sign the pledge electronically in person; no pledging on another's behalf"), OnBehalfAllowed: false},
				Liability:       tx("承诺不实的，依法撤销登记，记入信用记录，并依法追究法律责任", "A false pledge cancels the registration, is recorded in the credit record and is pursued under the law"),
				Verification: pledge.Verification{
					AgencyPower:       tx("登记机关可通过数据共享、现场核查等方式核实承诺内容", "The registration authority may verify the pledge through shared data or on-site checks"),
					ApplicantDuty:     tx("申请人应当配合核查，如实提供相关材料", "The applicant shall cooperate and provide true materials"),
					ThirdPartyAllowed: true,
				},
				Publication:     pledge.Publication{Published: true, How: tx("在信用中国（北京）网站公示承诺书", "The pledge is published on Credit China (Beijing)"), Scope: tx("社会公众", "The public")},
				Withdrawal:      tx("作出登记决定前，申请人可撤回承诺，改为提交证明材料", "Before the decision the applicant may withdraw the pledge and submit the certificate instead"),
				PostCheckWindow: tx("登记决定作出后60个工作日内", "Within 60 working days after the decision"),
				Contacts:        contacts("010-65099999"),
			},
		},
		{
			Agency: "110105-MZJ",
			Entry: pledge.Entry{
				EntryKey: mz, EffectiveFrom: from, RegionName: regionName,
				MatterName:      tx("社会团体成立登记", "Registration of a social organisation"),
				CertificateName: tx("拟任负责人无犯罪记录证明", "Certificate of no criminal record of the proposed person in charge"),
				Proves:          tx("拟任负责人未受过剥夺政治权利的刑事处罚", "The proposed person in charge has not been deprived of political rights"),
				LegalBasis: []pledge.Text{
					tx("《社会团体登记管理条例》第十条", "Regulations on the Registration of Social Organisations, Art. 10"),
					guideline,
				},
				RequestingUnit: "北京市朝阳区民政局",
				IssuingUnit:    "公安机关",
				Modes:          []pledge.Mode{pledge.ModeWrittenPledge, pledge.ModeDataSharing},
				PledgeEligible: true,
				PostCheck: pledge.PostCheckPolicy{Methods: []string{pledge.CheckInterAgency},
					TimeLimitDays: 60, WorkingDays: true, SamplingPermille: 100},
				Disclosure: pledge.DisclosurePolicy{Publish: true, Scope: tx("北京市社会组织公共服务平台", "Beijing social organisation service portal"), Days: 365},
				Owner:      "110105-MZJ",
			},
			Notice: pledge.Notice{
				ID: "N-MZ-SHTT-FZRWFZ", Agency: "110105-MZJ", AgencyName: "北京市朝阳区民政局", Entry: mz,
				MatterName:         tx("社会团体成立登记", "Registration of a social organisation"),
				CertificateName:    tx("拟任负责人无犯罪记录证明", "Certificate of no criminal record of the proposed person in charge"),
				CertificateContent: tx("证明拟任负责人无犯罪记录", "That the proposed person in charge has no criminal record"),
				LegalBasis:         []pledge.Text{tx("《社会团体登记管理条例》第十条", "Regulations on the Registration of Social Organisations, Art. 10")},
				Conditions: []pledge.Text{
					tx("拟任负责人未受过剥夺政治权利的刑事处罚", "The proposed person in charge has not been deprived of political rights"),
					tx("拟任负责人具有完全民事行为能力", "The proposed person in charge has full civil capacity"),
				},
				WouldHaveProved: tx("拟任负责人无犯罪记录", "The proposed person in charge has no criminal record"),
				HowToPledge:     pledge.HowToPledge{Method: tx("通过本网站在线电子签名承诺，不得代为承诺", "Sign the pledge online in person; no pledging on another's behalf"), OnBehalfAllowed: false},
				Liability:       tx("承诺不实的，撤销登记，记入信用记录，并依法追究责任", "A false pledge cancels the registration, is recorded in the credit record and is pursued under the law"),
				Verification: pledge.Verification{
					AgencyPower:       tx("登记管理机关可向公安机关核查", "The registration authority may check with the public security organs"),
					ApplicantDuty:     tx("申请人应当配合核查", "The applicant shall cooperate with the check"),
					ThirdPartyAllowed: true,
				},
				Publication:     pledge.Publication{Published: true, How: tx("在北京市社会组织公共服务平台公示", "Published on the Beijing social organisation service portal"), Scope: tx("社会公众", "The public")},
				Withdrawal:      tx("作出登记决定前可撤回承诺", "The pledge may be withdrawn before the decision"),
				PostCheckWindow: tx("登记决定作出后60个工作日内", "Within 60 working days after the decision"),
				Contacts:        contacts("010-65099988"),
			},
		},
	}
}
