package httpapi

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// sealsProxy lets a test give the server a seal registry built after the
// harness (which owns the store) exists.
type sealsProxy struct{ SealService }

// sealHarness is a harness whose seal registry has a seal-maker key and a
// trusted maker root.
type sealHarness struct {
	*harness
	signerDER []byte
	maker     ses.Maker
	trust     *pki.TrustStore
}

func newSealHarness(t *testing.T) *sealHarness {
	t.Helper()
	proxy := &sealsProxy{}
	h := newHarness(t, func(d *Deps) { d.Seals = proxy })
	now := h.clock.Now()
	ca := pkitest.NewCA(t, "HTTP Test Root", now.AddDate(-1, 0, 0), now.AddDate(10, 0, 0), 0)
	root := ca.Cert
	leaf := func(cn string) ([]byte, pki.Signer) {
		l := ca.Leaf(t, cn, now.AddDate(0, -1, 0), now.AddDate(3, 0, 0))
		return l.DER, l.Signer()
	}
	mDER, mSigner := leaf("HTTP Test Seal Maker")
	sDER, _ := leaf("HTTP Test Agency Signer")
	sh := &sealHarness{harness: h, signerDER: sDER, maker: ses.Maker{Signer: mSigner, Cert: mDER},
		trust: pki.NewTrustStore([]*smx509.Certificate{root}, nil)}
	proxy.SealService = seal.NewRegistry(store.NewRegistry(h.store), seal.Config{Maker: &sh.maker, MakerTrust: sh.trust}, h.clock)
	return sh
}

func (h *sealHarness) makeBody(esID string) map[string]any {
	now := h.clock.Now()
	return map[string]any{
		"esId": esID, "name": "北京市朝阳区市场监督管理局", "agency": testAgency, "category": "statutory_name", "typeCode": "01",
		"documentNo": "朝市监印备〔2026〕12号", "signerCerts": []string{base64.StdEncoding.EncodeToString(h.signerDER)},
		"validStart": now.Format(time.RFC3339), "validEnd": now.AddDate(2, 0, 0).Format(time.RFC3339),
		"picture": map[string]any{"type": "PNG", "data": base64.StdEncoding.EncodeToString([]byte("\x89PNG fake")), "width": 42, "height": 42},
	}
}

func TestSealLifecycleOverHTTP(t *testing.T) {
	h := newSealHarness(t)
	rec := h.do(http.MethodPost, "/v1/seals", auth.RoleSealMaker, h.makeBody("11010500000001"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("make: %d %s", rec.Code, rec.Body)
	}
	made := decode[sealView](t, rec)
	if made.Status.Code != "ACTIVE" || made.Origin != "made" || rec.Header().Get("Location") != "/v1/seals/11010500000001" {
		t.Fatalf("made: %+v", made)
	}
	der, err := base64.StdEncoding.DecodeString(made.Seal)
	if err != nil {
		t.Fatal(err)
	}
	if d := pki.Digest(der); hex.EncodeToString(d[:]) != made.Digest {
		t.Fatal("digest does not match the seal bytes")
	}

	cases := []struct {
		name   string
		method string
		path   string
		role   auth.Role
		body   any
		want   int
	}{
		{"409/make again", http.MethodPost, "/v1/seals", auth.RoleSealMaker, h.makeBody("11010500000001"), http.StatusConflict},
		{"400/bad type code", http.MethodPost, "/v1/seals", auth.RoleSealMaker, func() any { b := h.makeBody("x1"); b["typeCode"] = "07"; return b }(), http.StatusBadRequest},
		{"400/unknown field", http.MethodPost, "/v1/seals", auth.RoleSealMaker, func() any { b := h.makeBody("x2"); b["owner"] = "me"; return b }(), http.StatusBadRequest},
		{"400/bad base64", http.MethodPost, "/v1/seals", auth.RoleSealMaker, func() any { b := h.makeBody("x3"); b["signerCerts"] = []string{"%%%"}; return b }(), http.StatusBadRequest},
		{"400/bad time", http.MethodPost, "/v1/seals", auth.RoleSealMaker, func() any { b := h.makeBody("x4"); b["validEnd"] = "tomorrow"; return b }(), http.StatusBadRequest},
		{"403/agency may not make", http.MethodPost, "/v1/seals", auth.RoleAgency, h.makeBody("x5"), http.StatusForbidden},
		{"200/public reads", http.MethodGet, "/v1/seals/11010500000001", auth.RolePublic, nil, http.StatusOK},
		{"404/unknown seal", http.MethodGet, "/v1/seals/nope", auth.RolePublic, nil, http.StatusNotFound},
		{"200/agency suspends its own", http.MethodPost, "/v1/seals/11010500000001/status", auth.RoleAgency,
			map[string]any{"action": "suspend", "reason": "印章更换", "documentNo": "A-1"}, http.StatusOK},
		{"409/suspend twice", http.MethodPost, "/v1/seals/11010500000001/status", auth.RoleAgency,
			map[string]any{"action": "suspend", "reason": "r", "documentNo": "A-2"}, http.StatusConflict},
		{"403/agency may not cancel", http.MethodPost, "/v1/seals/11010500000001/status", auth.RoleAgency,
			map[string]any{"action": "cancel", "reason": "r", "documentNo": "A-3"}, http.StatusForbidden},
		{"400/unknown action", http.MethodPost, "/v1/seals/11010500000001/status", auth.RoleSealMaker,
			map[string]any{"action": "burn", "reason": "r", "documentNo": "A-4"}, http.StatusBadRequest},
		{"400/no reason", http.MethodPost, "/v1/seals/11010500000001/status", auth.RoleSealMaker,
			map[string]any{"action": "restore", "documentNo": "A-4"}, http.StatusBadRequest},
		{"200/maker restores", http.MethodPost, "/v1/seals/11010500000001/status", auth.RoleSealMaker,
			map[string]any{"action": "restore", "reason": "换章完成", "documentNo": "A-5"}, http.StatusOK},
		{"200/history", http.MethodGet, "/v1/seals/11010500000001/history", auth.RolePublic, nil, http.StatusOK},
		{"200/status now", http.MethodGet, "/v1/seals/11010500000001/status", auth.RolePublic, nil, http.StatusOK},
		{"400/status bad time", http.MethodGet, "/v1/seals/11010500000001/status?at=yesterday", auth.RolePublic, nil, http.StatusBadRequest},
		{"200/list as maker", http.MethodGet, "/v1/seals?limit=10", auth.RoleSealMaker, nil, http.StatusOK},
		{"403/agency lists another", http.MethodGet, "/v1/seals?agency=other", auth.RoleAgency, nil, http.StatusForbidden},
		{"400/bad signer digest", http.MethodGet, "/v1/seals?signerCert=zz", auth.RoleSealMaker, nil, http.StatusBadRequest},
		{"400/import garbage", http.MethodPost, "/v1/seals/import", auth.RoleSealMaker,
			map[string]any{"seal": base64.StdEncoding.EncodeToString([]byte("junk")), "agency": testAgency, "category": "branch", "typeCode": "99", "documentNo": "I-1"}, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.clock.Advance(time.Minute)
			rec := h.do(c.method, c.path, c.role, c.body)
			if rec.Code != c.want {
				t.Fatalf("got %d, want %d: %s", rec.Code, c.want, rec.Body)
			}
		})
	}

	hist := decode[struct {
		Events []eventView `json:"events"`
	}](t, h.do(http.MethodGet, "/v1/seals/11010500000001/history", auth.RolePublic, nil))
	if len(hist.Events) != 3 || hist.Events[1].Code != "SUSPENDED" || hist.Events[1].Actor.ID != "" || hist.Events[1].DocumentNo != "A-1" {
		t.Fatalf("public history: %+v", hist.Events)
	}
	hist = decode[struct {
		Events []eventView `json:"events"`
	}](t, h.do(http.MethodGet, "/v1/seals/11010500000001/history", auth.RoleAdmin, nil))
	if hist.Events[1].Actor.ID == "" {
		t.Fatal("authenticated callers should see the acting token")
	}
	at := hist.Events[1].Effective.Add(time.Second).Format(time.RFC3339) // during the suspension
	st := decode[sealStatusView](t, h.do(http.MethodGet, "/v1/seals/11010500000001/status?at="+at, auth.RolePublic, nil))
	if st.At.Code != "SUSPENDED" || st.UsableAt || st.Now.Code != "ACTIVE" {
		t.Fatalf("status at %s: %+v", at, st)
	}
	list := decode[struct {
		Seals []string `json:"seals"`
	}](t, h.do(http.MethodGet, "/v1/seals", auth.RoleAgency, nil))
	if len(list.Seals) != 1 {
		t.Fatalf("agency list: %v", list.Seals)
	}

	// Import: a seal made by a trusted maker elsewhere.
	other, err := ses.MakeSeal(ses.SealRequest{ESID: "EXT-9", Type: 4, Name: "合同专用章", SignerCerts: [][]byte{h.signerDER},
		ValidStart: h.clock.Now(), ValidEnd: h.clock.Now().AddDate(1, 0, 0), Picture: ses.Picture{Type: "PNG", Data: []byte("p"), Width: 40, Height: 40}},
		h.maker, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	rec = h.do(http.MethodPost, "/v1/seals/import", auth.RoleAdmin, map[string]any{"seal": base64.StdEncoding.EncodeToString(other.Raw),
		"agency": "310000-AMR", "category": "special_business", "typeCode": "04", "documentNo": "沪印备〔2026〕1号"})
	if rec.Code != http.StatusCreated || decode[sealView](t, rec).Origin != "imported" {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
}
