package ofd

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"path"
	"strings"

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
	p := &Package{files: make(map[string]*zip.File, len(zr.File)), lim: lim, cache: map[string][]byte{}}
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

// Read returns an entry's bytes exactly as stored (uncompressed), enforcing
// the size limits on the bytes actually read, whatever the directory says.
func (p *Package) Read(name string) ([]byte, error) {
	key := strings.ToLower(name)
	if b, ok := p.cache[key]; ok {
		return b, nil
	}
	f, ok := p.files[key]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "the package has no entry %q", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "entry %q cannot be opened", name)
	}
	defer rc.Close()
	limit := min(p.lim.MaxEntrySize, p.lim.MaxTotalSize-p.read)
	b, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, apperr.Wrap(apperr.Malformed, err, "entry %q is corrupt", name)
		}
		return nil, apperr.Wrap(apperr.Malformed, err, "entry %q cannot be read", name)
	}
	if uint64(len(b)) > limit {
		return nil, apperr.New(apperr.TooLarge, "entry %q expands beyond the size limit", name)
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, apperr.New(apperr.Malformed, "entry %q is %d bytes, not the %d its directory declares", name, len(b), f.UncompressedSize64)
	}
	p.read += uint64(len(b))
	p.cache[key] = b
	return b, nil
}
