// Package httpapi is the only importer of gin. It owns routes, request
// decoding and validation, authentication and role checks, and the one place
// where errors become RFC 9457 application/problem+json responses. Domain
// packages never see HTTP; this package never talks to Redis directly.
//
// # Adding routes (the conventions every handler file follows)
//
//   - One file per resource (seals.go, revocations.go, ...) with a method
//     `func (s *Server) xxxRoutes()` that calls s.handle for each route;
//     add that call to registerRoutes in server.go.
//   - s.handle(method, path, roles, handler): path is written in OpenAPI
//     form ("/v1/seals/{id}"); roles lists who may call it (auth.RolePublic
//     means anyone, even without a token). The wrapper authenticates,
//     checks the role (401 without a valid token, 403 with the wrong role)
//     and renders any returned error.
//   - A handler is `func(c *gin.Context, p auth.Principal) error`. Return
//     *apperr.Error values (or errors wrapping them); never write an error
//     response yourself. Write success with c.JSON / c.Data / c.Status.
//   - Decode bodies with decodeJSON(c, &req): strict (unknown fields are a
//     400), size-limited (413), one JSON value only. Request structs have a
//     Validate() error method returning apperr.Malformed errors.
//   - Path parameters: c.Param("id"). Identity and organisation come only
//     from p (the authenticated principal), never from the body.
//   - Scope checks (an agency acting on its own seals) belong in the domain
//     service, which receives the Principal or its fields.
//   - Every route must be described in api/openapi.yaml; TestOpenAPI fails
//     when a route is missing from the spec or the spec has an extra path,
//     and validates the responses recorded by tests against the spec.
//     TestRouteRoleMatrix calls every route with every role.
package httpapi
