// Package notify owns notifications of status changes: the audit entries are
// the outbox of registry changes and each pledge shard's outbox stream that
// of pledge workflow changes (sign, accept, return, withdraw); every entry
// is copied in order, exactly once, into a Redis Stream, and
// agencies' webhooks receive each entry that concerns them as a signed
// delivery (HMAC-SM3 over timestamp and body, in headers), retried with
// exponential backoff and dead-lettered after a configurable number of
// tries; an admin can replay a dead-lettered delivery. All delivery state
// is in Redis (consumer group, pending entries, delivery records), so a
// restart loses nothing.
//
// It must not change registry state, must not import go-redis or
// internal/store (it defines Queue over the records of internal/notify/queue;
// store.Notifications implements it), never logs secrets or bodies, and takes
// its clock and its *http.Client from the caller.
package notify
