package main

import (
	"fmt"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/pledge/pledgesample"
)

// benchKey is the catalogue entry the benchmark records.
func benchKey() pledge.EntryKey {
	return pledge.EntryKey{Region: "110105", Matter: "M-BENCH", Certificate: "C-NO-CRIME"}
}

// benchApplicant is the applicant of the in-process pledges and the first
// of the HTTP ones: the example citizen ID number of GB 11643-1999 itself,
// no real person.
func benchApplicant() pledge.Applicant { return benchApplicants(1)[0] }

// benchApplicants returns n distinct applicants: the standard's example
// number and its neighbours in the sequence-code range of the same region
// and birth date, each with its GB 11643 check digit (synthetic, no real
// person), named 测试申请人 and a number.
func benchApplicants(n int) []pledge.Applicant {
	out := make([]pledge.Applicant, n)
	for i := range out {
		name := "张三"
		if i > 0 {
			name = fmt.Sprintf("测试申请人%02d", i)
		}
		out[i] = pledge.Applicant{Kind: pledge.ApplicantPerson, Name: name, IDType: pledge.IDResidentCard,
			IDNumber: residentID(fmt.Sprintf("11010519491231%03d", 2+i))}
	}
	return out
}

// residentID appends the GB 11643-1999 check character to the first 17
// digits of a citizen ID number.
func residentID(first17 string) string {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

func benchEntry(owner string, from time.Time) pledge.Entry {
	return pledgesample.Entry(benchKey(), owner, "北京市朝阳区市场监督管理局", from)
}

func benchNotice(agency string) pledge.Notice {
	return pledgesample.Notice("N-BENCH-NOCRIME", benchKey(), agency, "北京市朝阳区市场监督管理局")
}
