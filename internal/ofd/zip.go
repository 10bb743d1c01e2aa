package ofd

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"github.com/klauspost/compress/flate"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Limits bound what a package may make the verifier read. Zero fields take
// the defaults of DefaultLimits.
type Limits struct {
	MaxEntries    int    // entries in the ZIP
	MaxEntrySize  uint64 // uncompressed bytes of one entry
	MaxTotalSize  uint64 // uncompressed bytes of all entries together
	MaxRatio      uint64 // uncompressed/compressed size of one entry
	RatioMinBytes uint64 // entries smaller than this are exempt from the ratio check
}

// DefaultLimits returns the limits used when none are given: generous for
// real documents, far below what a zip bomb needs.
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:    10_000,
		MaxEntrySize:  64 << 20,
		MaxTotalSize:  256 << 20,
		MaxRatio:      200,
		RatioMinBytes: 1 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxEntrySize == 0 {
		l.MaxEntrySize = d.MaxEntrySize
	}
	if l.MaxTotalSize == 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioMinBytes == 0 {
		l.RatioMinBytes = d.RatioMinBytes
	}
	return l
}

// Package is an opened OFD container. Entries are read on demand, within the
// limits; it is not safe for concurrent use.
type Package struct {
	files map[string]*zip.File
	names []string
	lim   Limits
	read  uint64 // uncompressed bytes read so far
	cache map[string][]byte
	sums  map[string][sm3.Size]byte // digests by entry key (+ "\x00" + prefix)

	inflater io.ReadCloser // one DEFLATE decoder, reset for every entry
	scratch  []byte        // copy buffer for entries that are only hashed
}

// Open checks the ZIP directory of data and returns the package. It refuses
// too many entries, absolute paths, path traversal, duplicate names, and
// entries whose declared size or compression ratio exceeds the limits.
func Open(data []byte, lim Limits) (*Package, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "the file is not a readable ZIP/OFD package")
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, apperr.New(apperr.TooLarge, "the package has %d entries, more than the limit of %d", len(zr.File), lim.MaxEntries)
	}
	p := &Package{files: make(map[string]*zip.File, len(zr.File)), lim: lim, cache: map[string][]byte{}, sums: map[string][sm3.Size]byte{}}
	zr.RegisterDecompressor(zip.Deflate, p.inflate)
	var declared uint64
	for _, f := range zr.File {
		name, err := entryName(f.Name)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(f.Name, "/") {
			continue // directory
		}
		key := strings.ToLower(name)
		if _, dup := p.files[key]; dup {
			return nil, apperr.New(apperr.Malformed, "the package holds the entry %q twice", name)
		}
		if f.UncompressedSize64 > lim.MaxEntrySize {
			return nil, apperr.New(apperr.TooLarge, "entry %q is %d bytes uncompressed, more than the limit of %d", name, f.UncompressedSize64, lim.MaxEntrySize)
		}
		if f.UncompressedSize64 >= lim.RatioMinBytes {
			if f.CompressedSize64 == 0 || f.UncompressedSize64/f.CompressedSize64 > lim.MaxRatio {
				return nil, apperr.New(apperr.TooLarge, "entry %q compresses %d bytes into %d: a ratio above %d looks like a zip bomb", name, f.UncompressedSize64, f.CompressedSize64, lim.MaxRatio)
			}
		}
		declared += f.UncompressedSize64
		if declared > lim.MaxTotalSize {
			return nil, apperr.New(apperr.TooLarge, "the package expands to more than %d bytes", lim.MaxTotalSize)
		}
		p.files[key] = f
		p.names = append(p.names, name)
	}
	return p, nil
}

// entryName checks a ZIP entry name and returns it cleaned.
func entryName(n string) (string, error) {
	switch {
	case n == "":
		return "", apperr.New(apperr.Malformed, "the package holds an entry without a name")
	case strings.ContainsRune(n, '\\'), strings.ContainsRune(n, 0):
		return "", apperr.New(apperr.Malformed, "entry name %q holds a backslash or NUL", n)
	case strings.HasPrefix(n, "/"), len(n) > 1 && n[1] == ':':
		return "", apperr.New(apperr.Malformed, "entry name %q is an absolute path", n)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", apperr.New(apperr.Malformed, "entry name %q escapes the package (path traversal)", n)
		}
	}
	return path.Clean(n), nil
}

// Names returns the entry names in directory order.
func (p *Package) Names() []string { return append([]string(nil), p.names...) }

// Resolve turns an OFD location into an entry name: absolute locations
// ("/Doc_0/...") are from the package root, relative ones from base (a
// folder); double slashes are normalised. It refuses locations that leave
// the package.
func Resolve(base, loc string) (string, error) {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return "", apperr.New(apperr.Malformed, "empty file location")
	}
	if strings.ContainsRune(loc, '\\') || strings.ContainsRune(loc, 0) {
		return "", apperr.New(apperr.Malformed, "file location %q holds a backslash or NUL", loc)
	}
	var full string
	if strings.HasPrefix(loc, "/") {
		full = loc
	} else {
		full = "/" + base + "/" + loc
	}
	for _, part := range strings.Split(full, "/") {
		if part == ".." {
			return "", apperr.New(apperr.Malformed, "file location %q leaves its folder (path traversal)", loc)
		}
	}
	clean := strings.TrimPrefix(path.Clean(full), "/")
	if clean == "" || clean == "." {
		return "", apperr.New(apperr.Malformed, "file location %q names no file", loc)
	}
	return clean, nil
}

// Has reports whether the entry exists.
func (p *Package) Has(name string) bool {
	_, ok := p.files[strings.ToLower(name)]
	return ok
}

// inflate is the package's DEFLATE decompressor: klauspost/compress's
// decoder (about twice the speed of compress/flate), one per package and
// reset for each entry, since entries are read one after the other.
func (p *Package) inflate(r io.Reader) io.ReadCloser {
	if p.inflater == nil {
		p.inflater = flate.NewReader(r)
	} else if err := p.inflater.(flate.Resetter).Reset(r, nil); err != nil {
		p.inflater = flate.NewReader(r)
	}
	return io.NopCloser(p.inflater)
}

// open returns an entry's reader;
// archive/zip stops it at the size its directory declares, which must be
// within the limits left.
func (p *Package) open(name, key string) (*zip.File, io.ReadCloser, error) {
	f, ok := p.files[key]
	if !ok {
		return nil, nil, apperr.New(apperr.NotFound, "the package has no entry %q", name)
	}
	if f.UncompressedSize64 > min(p.lim.MaxEntrySize, p.lim.MaxTotalSize-p.read) {
		return nil, nil, apperr.New(apperr.TooLarge, "entry %q expands beyond the size limit", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, apperr.Wrap(apperr.Malformed, err, "entry %q cannot be opened", name)
	}
	return f, rc, nil
}

// readErr turns an error from an entry's reader into a client-safe one.
// archive/zip refuses more bytes than the directory declares (ErrFormat),
// fewer (ErrUnexpectedEOF) and a wrong CRC-32 (ErrChecksum).
func readErr(name string, f *zip.File, err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, zip.ErrFormat):
		return apperr.Wrap(apperr.Malformed, err, "entry %q is corrupt or not the %d bytes its directory declares", name, f.UncompressedSize64)
	case errors.Is(err, zip.ErrChecksum):
		return apperr.Wrap(apperr.Malformed, err, "entry %q is corrupt", name)
	}
	return apperr.Wrap(apperr.Malformed, err, "entry %q cannot be read", name)
}

// Read returns an entry's bytes exactly as stored (uncompressed), enforcing
// the size limits on the bytes actually read, whatever the directory says:
// the buffer is the declared size (bounded by the limits) and archive/zip
// refuses an entry that expands to more or fewer bytes or fails its CRC-32.
func (p *Package) Read(name string) ([]byte, error) {
	key := strings.ToLower(name)
	if b, ok := p.cache[key]; ok {
		return b, nil
	}
	f, rc, err := p.open(name, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, readErr(name, f, err)
	}
	var one [1]byte
	if n, err := rc.Read(one[:]); n != 0 || err != io.EOF {
		if err == nil {
			err = zip.ErrFormat
		}
		return nil, readErr(name, f, err)
	}
	p.read += uint64(len(b))
	p.cache[key] = b
	return b, nil
}

// Digest returns SM3(prefix ‖ entry). An entry already read is hashed from
// memory; any other is streamed through SM3 without being kept, within the
// same limits and checks as Read. Digests are remembered, so an entry that
// several signatures reference is inflated and hashed once.
func (p *Package) Digest(name string, prefix []byte) ([sm3.Size]byte, error) {
	key := strings.ToLower(name)
	sumKey := key
	if len(prefix) > 0 {
		sumKey = key + "\x00" + string(prefix)
	}
	if d, ok := p.sums[sumKey]; ok {
		return d, nil
	}
	var d [sm3.Size]byte
	h := sm3.New()
	h.Write(prefix)
	if b, ok := p.cache[key]; ok {
		h.Write(b)
	} else {
		f, rc, err := p.open(name, key)
		if err != nil {
			return d, err
		}
		if p.scratch == nil {
			p.scratch = make([]byte, 32<<10)
		}
		n, err := io.CopyBuffer(h, rc, p.scratch)
		rc.Close()
		if err != nil {
			return d, readErr(name, f, err)
		}
		p.read += uint64(n)
	}
	h.Sum(d[:0])
	p.sums[sumKey] = d
	return d, nil
}
