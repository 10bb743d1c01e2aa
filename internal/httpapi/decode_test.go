package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
)

// TestJSONDuplicateAndCaseFoldedNamesAreRefused is the attack on the
// request decoder: a body that names a member twice, or names it only
// case-insensitively, used to be read (the last duplicate, or the folded
// name, won), so `{"package":A,"package":B}` verified B. Every JSON body,
// on every route, at every depth, is now refused with 400 and a code.
func TestJSONDuplicateAndCaseFoldedNamesAreRefused(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name   string
		method string
		path   string
		role   auth.Role
		body   string
		code   apperr.Code
	}{
		{"two packages", "POST", "/v1/verifications", auth.RolePublic, `{"package":{"a":1},"package":{"b":2}}`, "JSON_DUPLICATE_NAME"},
		{"two packages, one by escape", "POST", "/v1/verifications", auth.RolePublic, `{"package":{"a":1},"\u0070ackage":{"b":2}}`, "JSON_DUPLICATE_NAME"},
		{"case-folded envelope", "POST", "/v1/verifications", auth.RolePublic, `{"Package":{"a":1}}`, "JSON_UNKNOWN_NAME"},
		{"case-folded batch", "POST", "/v1/verifications", auth.RolePublic, `{"PACKAGES":[{"a":1}]}`, "JSON_UNKNOWN_NAME"},
		{"duplicate inside a single package", "POST", "/v1/verifications", auth.RolePublic, `{"package":{"format":"x","format":"y"}}`, "JSON_DUPLICATE_NAME"},
		{"duplicate by escape inside a single package", "POST", "/v1/verifications", auth.RolePublic, `{"package":{"a":{"b":1,"\u0062":2}}}`, "JSON_DUPLICATE_NAME"},
		{"duplicate inside a batch package", "POST", "/v1/verifications", auth.RolePublic, `{"packages":[{"a":1},{"a":1,"a":2}]}`, "JSON_DUPLICATE_NAME"},
		{"token role twice", "POST", "/v1/tokens", auth.RoleAdmin, `{"role":"applicant","role":"admin"}`, "JSON_DUPLICATE_NAME"},
		{"token role case-folded", "POST", "/v1/tokens", auth.RoleAdmin, `{"ROLE":"admin"}`, "JSON_UNKNOWN_NAME"},
		{"webhook url twice", "POST", "/v1/webhooks", auth.RoleAgency, `{"url":"https://a.example/x","secret":"0123456789abcdef","url":"https://b.example/x"}`, "JSON_DUPLICATE_NAME"},
		{"revocation nested duplicate", "POST", "/v1/revocations", auth.RoleEnforcement, `{"subjects":[{"kind":"pledge","id":"P1","id":"P2"}],"reason":"FALSE_PLEDGE","documentNo":"X"}`, "JSON_DUPLICATE_NAME"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.do(tc.method, tc.path, tc.role, tc.body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("%s %s %s → %d, want 400\n%s", tc.method, tc.path, tc.body, rec.Code, rec.Body.String())
			}
			p := decode[Problem](t, rec)
			if p.Code != tc.code || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("problem %+v (%s), want code %s", p, rec.Header().Get("Content-Type"), tc.code)
			}
		})
	}
}

// TestJSONExactNamesStillDecode: the strict decoder still reads ordinary
// bodies, including a verification body through the decoder path.
func TestJSONExactNamesStillDecode(t *testing.T) {
	var req verifyRequest
	if err := decodeJSONFrom(strings.NewReader(` {"packages":[{"a":"\u00e9"},{"b":[1,2]}]} `), &req); err != nil {
		t.Fatal(err)
	}
	if len(req.Packages) != 2 || string(req.Packages[1]) != `{"b":[1,2]}` {
		t.Fatalf("decoded %q", req.Packages)
	}
	var tb struct {
		Role  string `json:"role"`
		Label string `json:"label,omitempty"`
	}
	if err := decodeJSONFrom(strings.NewReader(`{"role":"admin","label":null}`), &tb); err != nil || tb.Role != "admin" {
		t.Fatalf("%+v %v", tb, err)
	}
}

// hasDuplicateNameReference is the reference detector: encoding/json's
// token stream with a set of (unescaped) names per open object. It is
// slow and obviously right.
func hasDuplicateNameReference(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj     bool
		names   map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if s, ok := tok.(string); ok {
				if top.names[s] {
					return true
				}
				top.names[s] = true
				top.wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			if top != nil && top.obj {
				top.wantKey = true
			}
			stack = append(stack, &frame{obj: true, names: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			if top != nil && top.obj {
				top.wantKey = true
			}
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].obj {
				stack[len(stack)-1].wantKey = true
			}
			if len(stack) == 0 {
				return false
			}
			continue
		}
		if top != nil && top.obj {
			top.wantKey = true
		}
		if len(stack) == 0 {
			return false
		}
	}
}

// envelopeSeeds are bodies of POST /v1/verifications.
var envelopeSeeds = []string{
	`{"package":{"format":"x"}}`,
	" \n{ \"package\" :\t{\"a\":[1,2,{\"b\":null}]} }\r\n",
	`{"package":null}`,
	`{"package":{"a":1},"package":{"b":2}}`,
	`{"package":{"a":1}} {}`,
	`{"package":{"a":1}`,
	`{"Package":{"a":1}}`,
	`{"packages":[{"a":1}]}`,
	`{"package":{"a":"}"}}`,
	`{"package":{}, "x":1}`,
	`{"\u0070ackage":{"a":1}}`,
	``,
	`{}`,
	`{"package":{"a":tru}}`,
	`{"package":{"a":"x\"}"}}`,
	`{"package":{"a":[1}]}}`,
	`{"package":{"a\`,
	`{"package":{"a\"`,
	`{"package":{"a":"\\"}}`,
}

// FuzzDecodeRefusesDuplicateNames holds the request decoder to the
// reference detector: valid JSON with a
// duplicate name anywhere is refused with JSON_DUPLICATE_NAME; valid UTF-8
// JSON without one decodes (into any) without that code.
func FuzzDecodeRefusesDuplicateNames(f *testing.F) {
	for _, s := range append(envelopeSeeds,
		`{"a":{"b":1,"c":{"b":2}},"b":3}`, `[{"a":1},{"a":2}]`, `{"a":[{"x":1,"x":2}]}`,
		`{"a":1,"\u0061":2}`, `{"\ud83d\ude00":1,"😀":2}`, `{"a":{},"b":{},"a":[]}`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		dup := hasDuplicateNameReference(data)
		var v any
		err := decodeJSONFrom(bytes.NewReader(data), &v)
		gotDup := apperr.As(err) != nil && apperr.As(err).Code == "JSON_DUPLICATE_NAME"
		if dup && !gotDup {
			t.Fatalf("%q has a duplicate name; the decoder said %v", data, err)
		}
		if !dup && utf8.Valid(data) && err != nil {
			t.Fatalf("%q has no duplicate name; the decoder refused it: %v", data, err)
		}
	})
}

func TestReferenceDetector(t *testing.T) {
	for s, want := range map[string]bool{
		`{"a":1,"a":2}`: true, `{"a":{"a":1}}`: false, `[{"a":1},{"a":1}]`: false, `{"a":[1,{"b":1,"b":1}]}`: true,
		`{"a":1,"\u0061":1}`: true, `{"a":{"b":1},"c":{"b":1}}`: false, `{"a":{},"a":[]}`: true, `1`: false,
	} {
		if got := hasDuplicateNameReference([]byte(s)); got != want {
			t.Errorf("%s: %v, want %v", s, got, want)
		}
	}
}

// TestVerificationBodyThatIsNotJSONIsRefused: a single package goes through
// the decoder like a batch (the hand-written envelope cut is gone), so a
// package that is not JSON is a 400 in both forms, as docs/verification.md
// says for a request that is not JSON. The cut made the single form a
// FORMAT_FAILURE report instead.
func TestVerificationBodyThatIsNotJSONIsRefused(t *testing.T) {
	h := newHarness(t)
	for _, body := range []string{`{"package":{"a":tru}}`, `{"packages":[{"a":tru}]}`, `{"package":{"a":[1}]}}`, `{"package":{"a":"x\"}"}`} {
		wantProblem(t, h.do("POST", "/v1/verifications", auth.RolePublic, body), http.StatusBadRequest, "")
	}
}
