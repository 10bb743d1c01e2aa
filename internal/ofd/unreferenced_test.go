package ofd

import (
	"context"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// TestUnreferencedFilesInSamples: the real samples leave OFD.xml (aztsign,
// kinggrid) and resources (tongz: PublicRes.xml, DocumentRes.xml, a font)
// out of their References; these classes are a warning naming the files,
// not a failure, and the signatures' own files are not listed at all.
func TestUnreferencedFilesInSamples(t *testing.T) {
	want := map[string][]string{
		"kinggrid-v1-0031.ofd":         {"OFD.xml"},
		"aztsign-v4.ofd":               {"OFD.xml"},
		"antchain-v4.ofd":              nil,
		"dms360-v1-nonstd.ofd":         nil,
		"tongz-v4-extdatas-rawsig.ofd": {"Doc_0/DocumentRes.xml", "Doc_0/PublicRes.xml", "Doc_0/Res/Font7.ttf"},
	}
	v := ses.NewVerifier(ses.Options{})
	for file, names := range want {
		res, err := Verify(context.Background(), readFile(t, "testdata/"+file), Options{SES: v})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Signatures {
			c, ok := r.Find(CheckUnreferenced)
			if !ok || c.Result != outcome.Passed {
				t.Errorf("%s #%s: %+v", file, r.ID, c)
				continue
			}
			if names == nil {
				if len(c.Warnings) != 0 {
					t.Errorf("%s #%s: warnings %+v", file, r.ID, c.Warnings)
				}
				continue
			}
			if len(c.Warnings) != 1 || c.Warnings[0].Code != outcome.WarnUnreferencedFiles {
				t.Fatalf("%s #%s: warnings %+v", file, r.ID, c.Warnings)
			}
			if got := c.Warnings[0].Detail; !strings.HasSuffix(got, ": "+strings.Join(names, ", ")) || strings.Contains(got, "Signs/") {
				t.Errorf("%s #%s: %s", file, r.ID, got)
			}
		}
	}
}
