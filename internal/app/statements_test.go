package app

import (
	"context"
	"crypto/ecdsa"
	"net/http"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// checkStatementWiring (from TestPledgeWiring, on an accepted pledge of
// the real application over dev material): the statement route signs with
// the dev status key under PLEDGESEAL_STATUS_KEY_NAME, and carries the
// log's checkpoint, which opens with the log key (never the status key).
func checkStatementWiring(t *testing.T, a *App, c *appClient, pledgeID string) {
	t.Helper()
	if a.Material.Status == nil {
		t.Fatal("dev material has no status identity")
	}
	if _, err := a.TransLog.SignNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := c.must(c.do("GET", "/v1/pledges/"+pledgeID+"/status-statement", "", "", nil), http.StatusOK)
	pub := a.Material.Status.Cert.PublicKey.(*ecdsa.PublicKey)
	st, err := statement.Open(rec.Body.Bytes(), pub)
	if err != nil {
		t.Fatalf("the statement does not open with the dev status certificate: %v\n%s", err, rec.Body)
	}
	if st.State != status.Active || st.PledgeID != pledgeID || st.Issuer != a.Config.StatusKeyName ||
		st.NextUpdate.Sub(st.ThisUpdate) != a.Config.StatusValidity {
		t.Fatalf("statement %+v", st)
	}
	if len(st.Checkpoint) == 0 {
		t.Fatal("the statement carries no checkpoint although the log has one")
	}
	if _, err := st.OpenCheckpoint(&a.Material.Log.Key.PublicKey); err != nil {
		t.Fatalf("the carried checkpoint does not open with the log key: %v", err)
	}
	// The statement names the accept's entry, which the checkpoint signed
	// now covers.
	if st.LogIndex == nil {
		t.Fatal("the log indexes pledges but the statement carries no log index")
	}
	if _, err := statement.Open(rec.Body.Bytes(), &a.Material.Log.Key.PublicKey); err == nil {
		t.Fatal("the statement opens with the log key")
	}
}
