package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/logthrottle"
	"github.com/pledgeseal/pledgeseal/internal/notify/queue"
)

// Sealer protects webhook secrets at rest (pii.Protector implements it).
type Sealer interface {
	Seal(recordID, field string, plaintext []byte) ([]byte, error)
	Open(recordID, field string, sealed []byte) ([]byte, error)
}

// Options configure the service and its worker.
type Options struct {
	// MaxAttempts is how many tries a delivery gets before it is
	// dead-lettered (default 8).
	MaxAttempts int
	// BaseBackoff is the wait after the first failure; it doubles after
	// each further one, up to MaxBackoff (defaults 10 s and 1 h).
	BaseBackoff, MaxBackoff time.Duration
	// AllowHTTP permits http:// hook URLs (tests with loopback receivers);
	// otherwise only https:// is accepted.
	AllowHTTP bool
	// Consumer names this worker in the consumer group (default "w1").
	Consumer string
	// Allow lists CIDRs, addresses and host names hooks may target
	// although they are internal (loopback, private, link-local…); by
	// default only public addresses are reachable (target.go).
	Allow []string
	// Resolver looks hook hosts up at registration (default
	// net.DefaultResolver).
	Resolver Resolver
	// Owners names the agency owning a pledge, so that an event about a
	// pledge reaches that agency's hooks whoever caused it (an
	// enforcement revocation names only the pledge); nil routes by the
	// event's own data only.
	Owners Owners
	// LogInterval is the least time between two log lines about one
	// failing hook (default 5 min): its first failure is logged, then one
	// summary line an interval with the count of failures held back.
	LogInterval time.Duration
}

// Queue keeps hooks, the notification stream and the deliveries
// (*store.Notifications implements it).
type Queue interface {
	// Outbox copies new audit entries into the stream; RelayPledgeEvents
	// copies pledge workflow events from the pledge shards' outboxes.
	Outbox(ctx context.Context, max int) (int, error)
	RelayPledgeEvents(ctx context.Context, max int) (int, error)
	EnsureGroup(ctx context.Context, group string) error
	Read(ctx context.Context, group, consumer string, count int64) ([]queue.Event, error)
	// FanOut records the deliveries of a stream entry and acknowledges it
	// in one step; a repeat creates nothing new.
	FanOut(ctx context.Context, group, entryID string, dueMs int64, ds []queue.NewDelivery) error
	// Claim returns the deliveries due at nowMs (at most count) and leases
	// them to the caller until leaseMs, so workers of several instances
	// never attempt one delivery twice.
	Claim(ctx context.Context, nowMs, leaseMs int64, count int64) ([]queue.Delivery, error)
	Get(ctx context.Context, id string) (queue.Delivery, error)
	Settle(ctx context.Context, id, state string, attempts int, nextMs int64, lastErr string, nowMs int64) error
	Replay(ctx context.Context, id string, nowMs int64) error
	Dead(ctx context.Context, limit int64) ([]string, error)
	// PutHook and DeleteHook change the hooks and log the change in one step.
	PutHook(ctx context.Context, h queue.HookRef, body []byte) error
	Hooks(ctx context.Context) (map[string]string, error)
	Hook(ctx context.Context, id string) (string, error)
	DeleteHook(ctx context.Context, id string) (bool, error)
}

// Service registers hooks and runs deliveries. It is safe for concurrent use.
type Service struct {
	st     Queue
	sealer Sealer
	clk    clock.Clock
	client *http.Client
	log    *slog.Logger
	o      Options
	allow  targets
	// logs throttles the warnings of failing hooks (by hook ID) and of
	// failing rounds.
	logs *logthrottle.Throttle
}

// Group is the consumer group of the dispatcher.
const Group = "dispatch"

// New returns the service.
func New(st Queue, sealer Sealer, clk clock.Clock, client *http.Client, log *slog.Logger, o Options) *Service {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 10 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.Consumer == "" {
		o.Consumer = "w1"
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.LogInterval <= 0 {
		o.LogInterval = 5 * time.Minute
	}
	allow, err := newTargets(o.Allow)
	if err != nil {
		log.Error("webhook allow list refused; allowing public addresses only", "err", err.Error())
		allow, _ = newTargets(nil)
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Service{st: st, sealer: sealer, clk: clk, client: allow.guard(client), log: log, o: o, allow: allow,
		logs: logthrottle.New(clk, o.LogInterval)}
}

// Hook is a registered webhook. Agency "" (registered by an admin)
// receives every event; an agency's hook receives the events that name it.
type Hook struct {
	ID      string    `json:"id"`
	Agency  string    `json:"agency"`
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
	Secret  []byte    `json:"secret"` // sealed
}

// Register adds a hook for the principal's agency (admin: for all events).
func (s *Service) Register(ctx context.Context, p auth.Principal, rawURL string, secret []byte) (Hook, error) {
	var agency string
	switch p.Role {
	case auth.RoleAgency:
		agency = p.Org
	case auth.RoleAdmin:
	default:
		return Hook{}, apperr.New(apperr.Forbidden, "only agencies and admins register webhooks / 无权注册").WithCode(apperr.CodeForbidden)
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || len(rawURL) > 2048 || (u.Scheme != "https" && !(s.o.AllowHTTP && u.Scheme == "http")) || u.User != nil {
		return Hook{}, apperr.New(apperr.Malformed, "the webhook URL must be an absolute https URL without credentials").WithCode(apperr.CodeHookInvalid)
	}
	if len(secret) < 16 || len(secret) > 256 {
		return Hook{}, apperr.New(apperr.Malformed, "the webhook secret must be 16 to 256 bytes").WithCode(apperr.CodeHookInvalid)
	}
	if err := s.allow.check(ctx, s.o.Resolver, u.Hostname()); err != nil {
		return Hook{}, err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return Hook{}, apperr.Wrap(apperr.Internal, err, "cannot make an id")
	}
	h := Hook{ID: "H" + hex.EncodeToString(b), Agency: agency, URL: u.String(), Created: s.clk.Now().UTC()}
	if h.Secret, err = s.sealer.Seal(h.ID, "webhook-secret", secret); err != nil {
		return Hook{}, err
	}
	body, err := json.Marshal(h)
	if err != nil {
		return Hook{}, apperr.Wrap(apperr.Internal, err, "cannot encode a hook")
	}
	if err := s.st.PutHook(ctx, queue.HookRef{ID: h.ID, Agency: h.Agency, URL: h.URL}, body); err != nil {
		return Hook{}, err
	}
	h.Secret = nil
	return h, nil
}

func (s *Service) hooks(ctx context.Context) ([]Hook, error) {
	m, err := s.st.Hooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Hook, 0, len(m))
	for _, v := range m {
		var h Hook
		if err := json.Unmarshal([]byte(v), &h); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored hook does not decode")
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Hooks lists the hooks p may see (agency: its own; admin: all), secrets omitted.
func (s *Service) Hooks(ctx context.Context, p auth.Principal) ([]Hook, error) {
	if p.Role != auth.RoleAgency && p.Role != auth.RoleAdmin {
		return nil, apperr.New(apperr.Forbidden, "only agencies and admins list webhooks").WithCode(apperr.CodeForbidden)
	}
	all, err := s.hooks(ctx)
	if err != nil {
		return nil, err
	}
	out := []Hook{}
	for _, h := range all {
		if p.Role == auth.RoleAdmin || h.Agency == p.Org {
			h.Secret = nil
			out = append(out, h)
		}
	}
	return out, nil
}

// Delete removes a hook: an agency its own, an admin any. A hook that does
// not exist, or that belongs to another agency, is NotFound (an agency
// learns nothing of other agencies' hooks), so a repeated delete is
// NotFound too. Deliveries still due for it are dead-lettered at their
// next attempt, without retries.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id string) error {
	if p.Role != auth.RoleAgency && p.Role != auth.RoleAdmin {
		return apperr.New(apperr.Forbidden, "only agencies and admins delete webhooks").WithCode(apperr.CodeForbidden)
	}
	notFound := apperr.New(apperr.NotFound, "no webhook %s / 未找到 Webhook", id).WithCode(apperr.CodeHookNotFound)
	if p.Role == auth.RoleAgency {
		raw, err := s.st.Hook(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			return notFound
		}
		if err != nil {
			return err
		}
		var h Hook
		if err := json.Unmarshal([]byte(raw), &h); err != nil {
			return apperr.Wrap(apperr.Internal, err, "a stored hook does not decode")
		}
		if h.Agency != p.Org {
			return notFound
		}
	}
	gone, err := s.st.DeleteHook(ctx, id)
	if err != nil {
		return err
	}
	if !gone {
		return notFound
	}
	s.logs.Forget(id)
	return nil
}

// Replay puts a dead-lettered delivery back in the queue (admin only).
func (s *Service) Replay(ctx context.Context, p auth.Principal, deliveryID string) error {
	if p.Role != auth.RoleAdmin {
		return apperr.New(apperr.Forbidden, "only admins replay deliveries").WithCode(apperr.CodeForbidden)
	}
	return s.st.Replay(ctx, deliveryID, s.clk.Now().UnixMilli())
}

// DeadLetter is a dead-lettered delivery (its body omitted).
type DeadLetter struct {
	ID, Hook, State, LastError string
	Attempts                   int
}

// Dead lists dead-lettered deliveries (admin only).
func (s *Service) Dead(ctx context.Context, p auth.Principal) ([]DeadLetter, error) {
	if p.Role != auth.RoleAdmin {
		return nil, apperr.New(apperr.Forbidden, "only admins list dead-lettered deliveries").WithCode(apperr.CodeForbidden)
	}
	ids, err := s.st.Dead(ctx, 1000)
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(ids))
	for _, id := range ids {
		d, err := s.st.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, DeadLetter{ID: d.ID, Hook: d.Hook, State: d.State, LastError: d.LastError, Attempts: d.Attempts})
	}
	return out, nil
}

// Owners names the agency that owns a pledge (store.PledgeRepo
// implements it); NotFound when there is no such pledge.
type Owners interface {
	PledgeAgency(ctx context.Context, id string) (string, error)
}

// event is the part of an audit entry routing needs.
type event struct {
	Action   string               `json:"action"`
	Actor    struct{ Org string } `json:"actor"`
	Data     map[string]string    `json:"data"`
	Subjects []struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"subjects"`
}

// concerns reports whether a hook of agency ("" = every event) receives
// the event: the agency named in its data, the acting organisation, or the
// owner of a pledge it is about.
func (e event) concerns(agency string, owners map[string]bool) bool {
	return agency == "" || e.Data["agency"] == agency || e.Actor.Org == agency || owners[agency]
}

// ownersOf returns the agencies owning the pledges e is about, reading
// each pledge once per round (known caches them). A pledge that does not
// exist has no owner; any other error ends the round before the entry is
// acknowledged, so it is routed again, never routed short.
func (s *Service) ownersOf(ctx context.Context, e event, known map[string]string) (map[string]bool, error) {
	if s.o.Owners == nil {
		return nil, nil
	}
	var out map[string]bool
	for _, sub := range e.Subjects {
		if sub.Kind != "pledge" || sub.ID == "" {
			continue
		}
		ag, ok := known[sub.ID]
		if !ok {
			var err error
			ag, err = s.o.Owners.PledgeAgency(ctx, sub.ID)
			if err != nil && !apperr.Is(err, apperr.NotFound) {
				return nil, err
			}
			known[sub.ID] = ag
		}
		if ag != "" {
			if out == nil {
				out = map[string]bool{}
			}
			out[ag] = true
		}
	}
	return out, nil
}

// deliveryID derives a delivery's ID from its event and hook, so a repeated
// fan-out creates nothing new: an audit entry by its sequence number, a
// pledge event by its shard and outbox entry ID.
func deliveryID(ev queue.Event, hook string) string {
	key := fmt.Sprintf("%d|%s", ev.Seq, hook)
	if ev.Source != "" {
		key = fmt.Sprintf("%s|%s|%s", ev.Source, ev.Ref, hook)
	}
	h := sm3.Sum([]byte(key))
	return "d" + hex.EncodeToString(h[:12])
}

// deliveryBody is what a hook receives. Seq is the audit sequence number
// of a registry event (absent for a pledge event, which carries its
// record's revision in event.data.rev instead); Source says which ("audit"
// or "pledge") and Ref names a pledge event's outbox entry.
type deliveryBody struct {
	DeliveryID string          `json:"deliveryId"`
	Hook       string          `json:"hook"`
	Source     string          `json:"source"`
	Seq        uint64          `json:"seq,omitempty"`
	Ref        string          `json:"ref,omitempty"`
	Event      json.RawMessage `json:"event"`
}

// Step runs one round of the worker: copy new audit entries and pledge
// workflow events into the stream, fan stream entries out into deliveries, attempt due deliveries.
// It returns how many attempts it made.
func (s *Service) Step(ctx context.Context) (int, error) {
	if err := s.st.EnsureGroup(ctx, Group); err != nil {
		return 0, err
	}
	for {
		n, err := s.st.Outbox(ctx, 500)
		if err != nil {
			return 0, err
		}
		m, err := s.st.RelayPledgeEvents(ctx, 500)
		if err != nil {
			return 0, err
		}
		if n+m == 0 {
			break
		}
	}
	hooks, err := s.hooks(ctx)
	if err != nil {
		return 0, err
	}
	known := map[string]string{} // pledge → owning agency, for this round
	for {
		evs, err := s.st.Read(ctx, Group, s.o.Consumer, 100)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			var e event
			_ = json.Unmarshal([]byte(ev.Body), &e) // an undecodable entry still goes to catch-all hooks
			owners, err := s.ownersOf(ctx, e, known)
			if err != nil {
				return 0, err
			}
			var ds []queue.NewDelivery
			for _, h := range hooks {
				if !e.concerns(h.Agency, owners) {
					continue
				}
				id := deliveryID(ev, h.ID)
				db := deliveryBody{DeliveryID: id, Hook: h.ID, Source: "audit", Seq: ev.Seq, Event: json.RawMessage(ev.Body)}
				if ev.Source != "" {
					db.Source, db.Seq, db.Ref = "pledge", 0, ev.Source+"/"+ev.Ref
				}
				if !json.Valid(db.Event) {
					db.Event = json.RawMessage("null")
				}
				body, err := json.Marshal(db)
				if err != nil {
					return 0, apperr.Wrap(apperr.Internal, err, "cannot encode a delivery")
				}
				ds = append(ds, queue.NewDelivery{ID: id, Hook: h.ID, Body: string(body)})
			}
			if err := s.st.FanOut(ctx, Group, ev.ID, s.clk.Now().UnixMilli(), ds); err != nil {
				return 0, err
			}
		}
	}
	byID := map[string]Hook{}
	for _, h := range hooks {
		byID[h.ID] = h
	}
	// One delivery at a time is claimed (leased to this worker) and
	// attempted: the workers of all instances share the due set, and none
	// attempts a delivery another holds.
	attempts := 0
	for attempts < maxAttemptsPerRound {
		now := s.clk.Now()
		due, err := s.st.Claim(ctx, now.UnixMilli(), now.Add(claimLease).UnixMilli(), 1)
		if err != nil {
			return attempts, err
		}
		if len(due) == 0 {
			break
		}
		if err := s.attempt(ctx, due[0], byID[due[0].Hook]); err != nil {
			return attempts, err
		}
		attempts++
	}
	return attempts, nil
}

// maxAttemptsPerRound bounds the attempts of one round of the worker.
const maxAttemptsPerRound = 200

// claimLease is how long a claimed delivery is held by the worker that
// claimed it: longer than one attempt can take (the hook client's 10 s
// timeout, then Settle). If the worker dies, another instance's worker
// attempts the delivery when the lease ends.
const claimLease = 30 * time.Second

// Backoff is the wait after the n-th failed attempt (n ≥ 1).
func (s *Service) Backoff(n int) time.Duration {
	d := s.o.BaseBackoff
	for i := 1; i < n && d < s.o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.o.MaxBackoff)
}

func (s *Service) attempt(ctx context.Context, d queue.Delivery, h Hook) error {
	now := s.clk.Now()
	n := d.Attempts + 1
	fail := func(reason string) error {
		s.logFailure(d, n, reason)
		if n >= s.o.MaxAttempts {
			return s.st.Settle(ctx, d.ID, "DEAD", n, 0, reason, now.UnixMilli())
		}
		return s.st.Settle(ctx, d.ID, "RETRY", n, now.Add(s.Backoff(n)).UnixMilli(), reason, now.UnixMilli())
	}
	if h.ID == "" {
		// Deleted: nothing will ever receive it.
		return s.st.Settle(ctx, d.ID, "DEAD", n, 0, "the hook no longer exists", now.UnixMilli())
	}
	secret, err := s.sealer.Open(h.ID, "webhook-secret", h.Secret)
	if err != nil {
		return fail("the hook secret cannot be opened")
	}
	body := []byte(d.Body)
	ts := now.Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return fail("bad request")
	}
	var e event
	_ = json.Unmarshal([]byte(d.Body), &struct {
		Event *event `json:"event"`
	}{&e})
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderTimestamp, fmt.Sprint(ts))
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	req.Header.Set(HeaderAttempt, fmt.Sprint(n))
	req.Header.Set(HeaderEvent, e.Action)
	resp, err := s.client.Do(req)
	if err != nil {
		return fail("transport error")
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail(fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	if held := s.logs.Forget(d.Hook); held > 0 {
		s.log.Info("webhook delivers again", "hook", d.Hook, "suppressed", held)
	}
	return s.st.Settle(ctx, d.ID, "DELIVERED", n, 0, "", now.UnixMilli())
}

// logFailure logs a failed attempt of a hook's delivery: the first of a
// run of failures, then at most one line per LogInterval that counts the
// failures held back (a dead hook with a busy stream would otherwise write
// a line per delivery per round).
func (s *Service) logFailure(d queue.Delivery, attempt int, reason string) {
	ok, held := s.logs.Allow(d.Hook)
	switch {
	case !ok:
	case held == 0:
		s.log.Warn("webhook delivery failed", "delivery", d.ID, "hook", d.Hook, "attempt", attempt, "reason", reason)
	default:
		s.log.Warn("webhook deliveries still failing", "hook", d.Hook, "suppressed", held,
			"interval", s.o.LogInterval.String(), "delivery", d.ID, "attempt", attempt, "reason", reason)
	}
}

// Run calls Step every interval until ctx ends; errors are logged and the
// next round retries.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Step(ctx); err != nil && ctx.Err() == nil {
			if ok, held := s.logs.Allow(" round"); ok {
				s.log.Warn("notification round failed", "err", err.Error(), "suppressed", held)
			}
		} else if err == nil {
			s.logs.Forget(" round")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
