package httpadapter

import (
	"bytes"
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.0.3 document of the adapter's routes.
// The package's tests validate requests to every route and their
// responses against it, and fail when a route is missing from it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.0.3 document, as JSON, that describes the
// adapter's routes, parameters, bodies and error responses. Its server URL
// is /api, the prefix of the example server, so a host that mounts the
// routes elsewhere replaces it. Each call returns a new copy.
func OpenAPI() []byte {
	return bytes.Clone(openAPIDocument)
}

// GET /openapi.json needs no credential, because the document holds no
// data of any company.
func (h *Handler) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		h.methodNotAllowed(w, r, http.MethodGet)
		return
	}
	if err := noQuery(r); err != nil {
		h.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	// A write error means the client went away.
	_, _ = w.Write(openAPIDocument)
}
