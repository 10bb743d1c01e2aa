package auth_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

func key(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func setup(t *testing.T) (*auth.Tokens, *store.Store, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t)}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	prot, err := pii.New(key(t, 16), key(t, 32))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewTokens(st, key(t, 32), prot, clk)
	if err != nil {
		t.Fatal(err)
	}
	return tok, st, clk
}

func TestCreateAuthenticateRevoke(t *testing.T) {
	tok, st, clk := setup(t)
	ctx := context.Background()
	id := &auth.Identity{Name: "张三", IDType: "RESIDENT_ID", IDNumber: "110101199001061234"}
	iss, err := tok.Create(ctx, auth.CreateRequest{Role: auth.RoleApplicant, Identity: id, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(iss.Secret, auth.TokenPrefix) || len(iss.Secret) != len(auth.TokenPrefix)+43 {
		t.Fatalf("secret shape %q", iss.Secret)
	}
	p, err := tok.Authenticate(ctx, iss.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != auth.RoleApplicant || p.Identity == nil || *p.Identity != *id || p.TokenID != iss.ID {
		t.Fatalf("principal %+v", p)
	}
	// The store holds neither the secret nor the identity in clear.
	rec, err := st.GetToken(ctx, iss.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.IdentityCT), "110101199001061234") || strings.Contains(string(rec.IdentityCT), "张三") {
		t.Fatal("identity stored in clear")
	}
	// A token differing in one character is refused.
	last := "A"
	if strings.HasSuffix(iss.Secret, "A") {
		last = "B"
	}
	bad := iss.Secret[:len(iss.Secret)-1] + last
	if _, err := tok.Authenticate(ctx, bad); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("altered token: %v", err)
	}
	if err := tok.Revoke(ctx, iss.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Authenticate(ctx, iss.Secret); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := tok.Revoke(ctx, "0123456789abcdef0123"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	// Expiry.
	iss2, _ := tok.Create(ctx, auth.CreateRequest{Role: auth.RoleAdmin, TTL: time.Minute})
	if _, err := tok.Authenticate(ctx, iss2.Secret); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, err := tok.Authenticate(ctx, iss2.Secret); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("expired token: %v", err)
	}
	list, err := tok.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %d", err, len(list))
	}
}

func TestCreateValidation(t *testing.T) {
	tok, _, _ := setup(t)
	id := &auth.Identity{Name: "张三", IDType: "RESIDENT_ID", IDNumber: "110101199001061234"}
	bad := []auth.CreateRequest{
		{Role: "king", TTL: time.Hour},
		{Role: auth.RolePublic, TTL: time.Hour},
		{Role: auth.RoleAgency, TTL: time.Hour},
		{Role: auth.RoleAgency, Org: "bad code!", TTL: time.Hour},
		{Role: auth.RoleAdmin, Org: "x", TTL: time.Hour},
		{Role: auth.RoleApplicant, TTL: time.Hour},
		{Role: auth.RoleAdmin, Identity: id, TTL: time.Hour},
		{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "x", IDType: "lower", IDNumber: "1234"}, TTL: time.Hour},
		{Role: auth.RoleAdmin, TTL: 0},
		{Role: auth.RoleAdmin, TTL: auth.MaxTTL + time.Second},
	}
	for i, req := range bad {
		if _, err := tok.Create(context.Background(), req); !apperr.Is(err, apperr.Malformed) {
			t.Errorf("case %d accepted or wrong error: %v", i, err)
		}
	}
}

func TestAuthenticateFailsClosed(t *testing.T) {
	clk := clock.NewFake(time.Now())
	dead, err := store.New(store.Options{Addrs: []string{"127.0.0.1:1"}, Timeout: 100 * time.Millisecond}, clk)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewTokens(dead, key(t, 32), nil, clk)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tok.Authenticate(context.Background(), auth.TokenPrefix+strings.Repeat("A", 43))
	if !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("want Unavailable, got %v", err)
	}
	if _, err := auth.NewTokens(dead, key(t, 16), nil, clk); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestActorHasNoPersonalData(t *testing.T) {
	p := auth.Principal{Role: auth.RoleApplicant, TokenID: "abc", Identity: &auth.Identity{Name: "张三", IDNumber: "110101199001061234"}}
	if a := p.Actor(); strings.Contains(a, "张三") || strings.Contains(a, "1101") {
		t.Fatalf("actor %q", a)
	}
	if auth.Public().Actor() != "public" {
		t.Fatal("public actor")
	}
}
