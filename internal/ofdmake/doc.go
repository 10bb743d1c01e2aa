// Package ofdmake writes the sealed OFD (GB/T 33190) of an accepted pledge:
// one or more printable A4 pages holding the pledge in Chinese as it was
// signed (taken only from the pledge package's signed bytes), the status
// link and its QR code, the package itself as an attachment (so the OFD
// alone is a complete proof), and the agency's GB/T 38540 signature over
// Signature.xml, whose References cover every other file of the package
// with SM3 (ses-format.md §5).
//
// Writing is kept apart from reading: internal/ofd reads and verifies
// signed OFD files and never writes; this package writes and never parses
// untrusted OFD bytes. Its only untrusted input is the pledge's own fields,
// which are escaped, stripped of control characters and laid out within
// page and size bounds. Fonts are named only (宋体/SimSun), never embedded.
package ofdmake
