package pledge

import "time"

// Published is a publicly listed pledge: its record (document decrypted:
// callers must mask before showing it) and the end of its publication.
type Published struct {
	Record Record
	Until  time.Time
}

// PublishedPage is one page of a public listing.
type PublishedPage struct {
	Entries []Published
	// Next is the cursor of the following page ("" = last page).
	Next string
}

// MaxPublishedPage bounds one page of the public listing.
const MaxPublishedPage = 100
