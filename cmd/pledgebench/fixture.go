package main

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/pledge/pledgesample"
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
	return pledgesample.Entry(benchKey(), owner, "北京市朝阳区市场监督管理局", from)
}

func benchNotice(agency string) pledge.Notice {
	return pledgesample.Notice("N-BENCH-NOCRIME", benchKey(), agency, "北京市朝阳区市场监督管理局")
}
