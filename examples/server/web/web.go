// Package web serves the example server's admin page: one HTML page with
// its stylesheet and script, which sign an admin in with POST /login and
// then use only the public routes under /api. The assets are plain files
// embedded in the binary, with no build step, no framework and nothing
// loaded from other hosts, so the page works offline.
package web

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy lets the page load its own script, stylesheet
// and API responses only.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// modTime is when the process started. The embedded files carry no time
// of their own, and a restart may serve new files.
var modTime = time.Now()

// Handler returns a handler that serves the admin page at / and its
// assets under /static/, such as /static/app.js, for GET and HEAD. It
// responds with 404 to other paths and with 405 to other methods, so a
// host mounts it only on the paths it serves.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed; the admin page accepts GET and HEAD.", http.StatusMethodNotAllowed)
		return
	}
	name, ok := assetName(r.URL.Path)
	if !ok {
		http.Error(w, "Not found; the admin page is at /.", http.StatusNotFound)
		return
	}
	data, err := fs.ReadFile(static, name)
	if err != nil {
		http.Error(w, "Not found; the admin page is at /.", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Revalidate on every load, so that a new binary's assets show at once.
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, modTime, bytes.NewReader(data))
}

// assetName maps a request path to a file of the embedded static folder:
// / is the page, /static/NAME a file of it. Folders are never listed.
func assetName(urlPath string) (string, bool) {
	if urlPath == "/" {
		return "static/index.html", true
	}
	rest, ok := strings.CutPrefix(urlPath, "/static/")
	if !ok || rest == "" || strings.Contains(rest, "/") || path.Clean(rest) != rest {
		return "", false
	}
	return "static/" + rest, true
}
