// Package queue holds the records of the webhook delivery queue that
// internal/notify runs and internal/store keeps in Redis: the events read
// from the notification stream and the deliveries fanned out from them. It
// holds no logic and imports nothing, so that store can implement
// notify.Queue without importing notify.
package queue

// Event is one stream entry: an audit entry (Seq set) or a pledge
// workflow event (Source the shard tag, Ref its outbox entry ID).
type Event struct {
	ID          string
	Seq         uint64
	Source, Ref string
	Body        string
}

// NewDelivery is one delivery a fan-out creates.
type NewDelivery struct {
	ID, Hook, Body string
}

// Delivery is a stored delivery.
type Delivery struct {
	ID, Hook, Body, State, LastError string
	Attempts                         int
	Next                             int64
}

// HookRef is what the transparency log records of a hook registration
// (store commits to the URL by its digest and never logs the secret).
type HookRef struct {
	ID, Agency, URL string
}
