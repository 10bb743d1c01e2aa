package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/bench"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// sm3Rate measures gmsm SM3 over 64 kB writes on GOMAXPROCS goroutines for
// d: bytes per wall-clock second and per CPU-second of this process.
func sm3Rate(clk clock.Clock, d time.Duration) (perSec, perCPUSec float64) {
	buf := make([]byte, 64<<10)
	_, _ = rand.Read(buf)
	var total atomic.Int64
	var wg sync.WaitGroup
	cpu0, start := selfCPU(), clk.Now()
	deadline := start.Add(d)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sm3.New()
			for clk.Now().Before(deadline) {
				h.Write(buf)
				total.Add(int64(len(buf)))
			}
			h.Sum(nil)
		}()
	}
	wg.Wait()
	wall, cpu := clk.Now().Sub(start), selfCPU()-cpu0
	perSec = float64(total.Load()) / wall.Seconds()
	if cpu > 0 {
		perCPUSec = float64(total.Load()) / cpu.Seconds()
	}
	return perSec, perCPUSec
}

// ofdFile is one sealed OFD the harness verifies.
type ofdFile struct {
	name string
	data []byte
}

// ofdFiles reads the *.ofd files of dir and adds the synthetic
// multi-signature package built from base (a file of dir).
func ofdFiles(dir, base string, copies int) ([]ofdFile, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.ofd"))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no *.ofd files in %s", dir)
	}
	sort.Strings(names)
	var out []ofdFile
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, ofdFile{name: filepath.Base(n), data: b})
		if filepath.Base(n) == base {
			multi, err := multiSignature(b, copies)
			if err != nil {
				return nil, fmt.Errorf("synthetic package from %s: %w", base, err)
			}
			out = append(out, ofdFile{name: fmt.Sprintf("%s ×%d signatures (synthetic)", strings.TrimSuffix(base, ".ofd"), copies+1), data: multi})
		}
	}
	return out, nil
}

// multiSignature returns data (a sealed OFD with one signature) with
// copies more signatures that share its References: the first Signature
// entry of Signatures.xml is repeated with new IDs, each pointing at its
// own copy of the Signature.xml (byte-identical, so each still verifies;
// the SignedValue and the referenced parts are shared). This stands for
// a document sealed by several agencies until the OFD writer can make one.
func multiSignature(data []byte, copies int) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	var order []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		files[f.Name] = b
		order = append(order, f.Name)
	}
	locs, err := ofd.ParseOFDXML(files["OFD.xml"])
	if err != nil || len(locs) == 0 {
		return nil, fmt.Errorf("OFD.xml names no Signatures.xml (%v)", err)
	}
	listName, err := ofd.Resolve("", locs[0])
	if err != nil {
		return nil, err
	}
	list := files[listName]
	m := regexp.MustCompile(`<(\w+:)?Signature\s[^>]*BaseLoc="([^"]+)"[^>]*/>`).FindSubmatchIndex(list)
	if m == nil {
		return nil, fmt.Errorf("%s lists no Signature", listName)
	}
	elem, loc := string(list[m[0]:m[1]]), string(list[m[4]:m[5]])
	sigName, err := ofd.Resolve(path.Dir(listName), loc)
	if err != nil || files[sigName] == nil {
		return nil, fmt.Errorf("signature file %q not found (%v)", loc, err)
	}
	idAttr := regexp.MustCompile(`\sID="[^"]*"`)
	var extra strings.Builder
	for i := 1; i <= copies; i++ {
		copyName := path.Join(path.Dir(path.Dir(sigName)), fmt.Sprintf("SynthSign_%d", i), "Signature.xml")
		files[copyName] = files[sigName]
		order = append(order, copyName)
		e := strings.Replace(elem, `BaseLoc="`+loc+`"`, `BaseLoc="/`+copyName+`"`, 1)
		extra.WriteString(idAttr.ReplaceAllString(e, fmt.Sprintf(` ID="synth-%d"`, i)))
	}
	files[listName] = append(append(append([]byte(nil), list[:m[1]]...), extra.String()...), list[m[1]:]...)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range order {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ofdWork is what the standard makes a verifier of data hash, given which
// signatures' maker (seal) signatures it verifies (cold: all): every
// distinct referenced part once per digest method and key (an SM3-with-ZA
// digest depends on the signer's key), each seal signature's Signature.xml
// (its dataHash) and TBS_Sign (the signer's SM2 message), the seal's
// signed info when the maker signature is checked, and the Signature.xml
// of each CMS signature. cms counts the CMS signatures (one SM2 each).
func ofdWork(data []byte, cold bool) (hashed int64, cms int, err error) {
	p, err := ofd.Open(data, ofd.Limits{})
	if err != nil {
		return 0, 0, err
	}
	root, err := p.Read("OFD.xml")
	if err != nil {
		return 0, 0, err
	}
	locs, err := ofd.ParseOFDXML(root)
	if err != nil {
		return 0, 0, err
	}
	seen := map[string]bool{}
	size := func(name string) int64 {
		b, err := p.Read(name)
		if err != nil {
			return 0
		}
		return int64(len(b))
	}
	for _, loc := range locs {
		listName, err := ofd.Resolve("", loc)
		if err != nil {
			continue
		}
		lb, err := p.Read(listName)
		if err != nil {
			continue
		}
		entries, err := ofd.ParseSignaturesXML(lb)
		if err != nil {
			continue
		}
		for _, e := range entries {
			sigName, err := ofd.Resolve(path.Dir(listName), e.BaseLoc)
			if err != nil {
				continue
			}
			sigXML, err := p.Read(sigName)
			if err != nil {
				continue
			}
			sx, err := ofd.ParseSignatureXML(sigXML)
			if err != nil {
				continue
			}
			hashed += int64(len(sigXML))
			dir := path.Dir(sigName)
			isCMS := strings.EqualFold(strings.TrimSpace(e.Type), "Sign")
			var keyID string
			if svName, err := ofd.Resolve(dir, sx.SignedValue); err == nil {
				if sv, err := p.Read(svName); err == nil {
					if isCMS {
						cms++
						keyID = svName
					} else if sig, err := ses.ParseSignature(sv); err == nil {
						hashed += int64(len(sig.RawTBS))
						if cold {
							hashed += int64(len(sig.TBS.Seal.MakerSignedMessage()))
						}
						keyID = string(sig.Cert)
					}
				}
			}
			method := strings.TrimSpace(sx.SignedInfo.References.CheckMethod)
			za := method == "1.2.156.10197.1.401.2"
			for _, ref := range sx.SignedInfo.References.Items {
				name, err := ofd.Resolve(dir, ref.FileRef)
				if err != nil {
					continue
				}
				key := strings.ToLower(name)
				if za {
					key += "\x00" + keyID
				}
				if seen[key] {
					continue
				}
				seen[key] = true
				hashed += size(name)
				if za {
					hashed += 32 // the ZA in front
				}
			}
		}
	}
	return hashed, cms, nil
}

// cmsSM2 counts the CMS signatures whose SM2 check ran (passed or failed
// on the signature itself).
func cmsSM2(res *ofd.Result) int {
	n := 0
	for _, r := range res.Signatures {
		c, ok := r.Find(ofd.CheckCMSSignature)
		if ok && (c.Result == outcome.Passed || c.SubIndication == outcome.SigCryptoFailure) {
			n++
		}
	}
	return n
}

// ofdWorkloads verifies every file in process, first with one warm
// ses.Verifier (its seal and certificate caches filled by a first
// verification), then with a new Verifier per verification (cold), each
// for about d, and returns the CPU per verification with its work.
func ofdWorkloads(ctx context.Context, clk clock.Clock, files []ofdFile, d time.Duration) ([]bench.Workload, error) {
	var out []bench.Workload
	for _, f := range files {
		for _, cold := range []bool{false, true} {
			w, err := ofdWorkload(ctx, clk, f, cold, d)
			if err != nil {
				return out, fmt.Errorf("%s: %w", f.name, err)
			}
			out = append(out, w)
		}
	}
	return out, nil
}

func ofdWorkload(ctx context.Context, clk clock.Clock, f ofdFile, cold bool, d time.Duration) (bench.Workload, error) {
	kind, how := bench.WorkloadOFDWarm, "warm ses.Verifier"
	if cold {
		kind, how = bench.WorkloadOFDCold, "a new ses.Verifier per verification"
	}
	hashed, _, err := ofdWork(f.data, cold)
	if err != nil {
		return bench.Workload{}, err
	}
	warm := ses.NewVerifier(ses.Options{})
	verifier := func() *ses.Verifier {
		if cold {
			return ses.NewVerifier(ses.Options{})
		}
		return warm
	}
	first, err := ofd.Verify(ctx, f.data, ofd.Options{SES: warm}) // fills the warm caches
	if err != nil {
		return bench.Workload{}, err
	}
	cmsPer := cmsSM2(first)
	var sesSM2 uint64
	n := 0
	cpu0 := selfCPU()
	deadline := clk.Now().Add(d)
	for n < 5 || clk.Now().Before(deadline) {
		v := verifier()
		s0 := v.Stats().SM2Performed
		if _, err := ofd.Verify(ctx, f.data, ofd.Options{SES: v}); err != nil {
			return bench.Workload{}, err
		}
		sesSM2 += v.Stats().SM2Performed - s0
		n++
	}
	cpu := selfCPU() - cpu0
	return bench.Workload{
		Name: f.name, Kind: kind, CPUNsPerOp: float64(cpu.Nanoseconds()) / float64(n),
		Work: bench.Work{
			SM2Verify:   float64(sesSM2)/float64(n) + float64(cmsPer),
			HashedBytes: float64(hashed),
			How: fmt.Sprintf("%s, no trust anchors (chains INDETERMINATE, no chain SM2), %d verifications; SM2: ses Verifier Stats().SM2Performed + %d CMS; hashed: distinct referenced parts per digest key, Signature.xml and TBS_Sign per signature%s",
				how, n, cmsPer, map[bool]string{true: ", the seal's signed info (maker signature)", false: ""}[cold]),
		},
	}, nil
}

// ofdStep measures the SM3 rate, the size of a pledge package (the bytes
// the pledge workloads hash) and the sealed-OFD workloads into r.
func ofdStep(ctx context.Context, clk clock.Clock, o options, r *bench.Result, pr *progress, d *domain) error {
	r.Ceilings.SM3BytesPerSec, r.Ceilings.SM3BytesPerCPUSec = sm3Rate(clk, o.ceiling)
	pr.step("ceilings: SM3 %.0f MB/s, %.0f MB per CPU-second", r.Ceilings.SM3BytesPerSec/1e6, r.Ceilings.SM3BytesPerCPUSec/1e6)
	_, pkg, err := d.accepted(ctx)
	if err != nil {
		return err
	}
	r.PackageBytes = float64(len(pkg))
	files, err := ofdFiles(o.ofdDir, "antchain-v4.ofd", 3)
	if err != nil {
		return err
	}
	pr.step("sealed OFD: %d files, warm and cold ses.Verifier, %s each", len(files), o.ofdTime)
	w, err := ofdWorkloads(ctx, clk, files, o.ofdTime)
	r.Workloads = append(r.Workloads, w...)
	return err
}
