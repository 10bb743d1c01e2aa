// Package browsertest holds the browser tests of the web pages: a real
// pledged HTTP server (real Redis, the real pledge, verification and
// enforcement services) driven by a real headless Chromium through
// chromedp. It has no code of its own outside tests and must not be
// imported.
package browsertest
