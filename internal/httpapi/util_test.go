package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func mustReq(t *testing.T, method, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, path, nil)
}

func serve(h *harness, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	h.validate(req, rec)
	return rec
}
