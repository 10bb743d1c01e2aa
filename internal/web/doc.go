// Package web owns the PledgeSeal web pages: the applicant's signing flow,
// the public verification page, the agency officer's queue and the
// enforcement console. Pages are html/template documents with a message
// catalogue per language (Simplified Chinese by default, English on
// request), plus hand-written CSS and JavaScript, all embedded in the
// binary and served by pledged itself: nothing is fetched from elsewhere.
//
// The pages hold no domain logic and never talk to Redis or to the domain
// services: the browser calls the JSON API (/v1/...) with the bearer token
// the user pasted. This package must not import gin or any domain package;
// internal/httpapi mounts its http.Handler.
package web
