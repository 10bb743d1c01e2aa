package app

import (
	"context"
	"time"
)

// notifyInterval is how often the notification worker runs a round.
const notifyInterval = 2 * time.Second

// runNotifier runs the webhook delivery worker until ctx ends.
func (a *App) runNotifier(ctx context.Context) {
	if a.Notify != nil {
		go a.Notify.Run(ctx, notifyInterval)
	}
}
