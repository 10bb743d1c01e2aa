package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/notify"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// notifyInterval is how often the notification worker runs a round.
const notifyInterval = 2 * time.Second

// buildEnforcement builds the post-check service and the notification
// service (webhooks and their delivery worker) over the store. Enforcement
// consequences write into the registry slot; the pledge service must read
// bars through store.CombinedBars to see them. Webhooks reach public
// addresses and those allowed (config webhook-allow).
func buildEnforcement(c *core, sealStore *store.Registry, cal enforce.Calendar, allow []string, log *slog.Logger, clk clock.Clock) (*enforce.Service, *notify.Service, error) {
	prot, err := pii.New(c.mat.DataKeys.Enc, c.mat.DataKeys.Index)
	if err != nil {
		return nil, nil, &StartupError{Step: "personal-data keys", Err: err}
	}
	pledges := store.NewPledgeRepo(c.store, prot)
	enf, err := enforce.New(enforce.Deps{Registry: sealStore, Pledges: pledges, Clock: clk, Calendar: cal,
		Tasks: store.NewTaskRepo(c.store), Policies: pledge.NewCatalogue(store.NewCatalogueRepo(c.store), clk)})
	if err != nil {
		return nil, nil, &StartupError{Step: "enforcement", Err: err}
	}
	hooks := notify.New(store.NewNotifications(c.store), prot, clk, &http.Client{Timeout: 10 * time.Second}, log, notify.Options{Allow: allow, Owners: pledges})
	return enf, hooks, nil
}

// runNotifier runs the webhook delivery worker until ctx ends.
func (a *App) runNotifier(ctx context.Context) {
	if a.Notify != nil {
		go a.Notify.Run(ctx, notifyInterval)
	}
}
