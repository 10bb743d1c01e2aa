package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// webRoutes mounts the web pages (Deps.Web, internal/web) at /, /app/ and
// /assets/. They are not JSON API routes: they bypass s.handle, the
// OpenAPI route list and the role matrix, and the pages authenticate by
// calling the API from the browser.
func (s *Server) webRoutes() {
	if s.deps.Web == nil {
		return
	}
	h := gin.WrapH(s.deps.Web)
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		s.engine.Handle(m, "/", h)
		s.engine.Handle(m, "/app", h)
		s.engine.Handle(m, "/app/*path", h)
		s.engine.Handle(m, "/assets/*path", h)
	}
}
