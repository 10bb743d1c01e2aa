package ofd

import "testing"

// TestAttachmentsReadsListedFilesOnly: the attachments of Attachments.xml
// are read from the package; a location leaving the package or naming no
// entry is skipped, never read from elsewhere.
func TestAttachmentsReadsListedFilesOnly(t *testing.T) {
	z := makeZip(t, entry{name: "OFD.xml", data: []byte(`<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot></DocBody></OFD>`)},
		entry{name: "Doc_0/Document.xml", data: []byte(`<Document><Attachments>Attachs/Attachments.xml</Attachments></Document>`)},
		entry{name: "Doc_0/Attachs/Attachments.xml", data: []byte(`<Attachments><Attachment ID="A1" Name="P1.pledge.json" Format="json"><FileLoc>P1.pledge.json</FileLoc></Attachment>` +
			`<Attachment ID="A2" Name="up"><FileLoc>../../OFD.xml</FileLoc></Attachment><Attachment ID="A3" Name="none"><FileLoc>none.bin</FileLoc></Attachment></Attachments>`)},
		entry{name: "Doc_0/Attachs/P1.pledge.json", data: []byte(`{}`)})
	atts, err := Attachments(z, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 1 || atts[0].Name != "P1.pledge.json" || atts[0].Path != "Doc_0/Attachs/P1.pledge.json" || string(atts[0].Data) != "{}" || atts[0].Format != "json" {
		t.Fatalf("attachments %+v", atts)
	}
	if _, err := Attachments([]byte("not a zip"), Limits{}); err == nil {
		t.Fatal("garbage accepted")
	}
}
