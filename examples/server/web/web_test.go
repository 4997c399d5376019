package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandlerServesPageAndAssets(t *testing.T) {
	tests := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", "<title>Roster admin</title>"},
		{"/static/app.css", "text/css; charset=utf-8", ".data-table"},
		{"/static/app.js", "text/javascript; charset=utf-8", "'/api/users/columns'"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))

			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: status = %d, want 200", tt.path, rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("GET %s: Content-Type = %q, want %q", tt.path, got, tt.contentType)
			}
			if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
				t.Errorf("GET %s: Content-Security-Policy = %q, want one that starts from default-src 'none'", tt.path, got)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("GET %s: body does not contain %q", tt.path, tt.contains)
			}
		})
	}
}

func TestHandlerRejectsOtherPaths(t *testing.T) {
	for _, path := range []string{"/index.html", "/static/", "/static/missing.js", "/static/../web.go", "/static/a/b.js", "/app.js", "/api/users"} {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))

		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", path, rec.Code)
		}
	}
}

func TestHandlerRejectsOtherMethods(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))

	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /: status = %d, want 405", rec.Code)
	}
	if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("POST /: Allow = %q, want %q", got, "GET, HEAD")
	}
}

func TestHandlerServesHead(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/static/app.js", nil))

	if rec.Code != http.StatusOK {
		t.Fatalf("HEAD /static/app.js: status = %d, want 200", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD /static/app.js: body has %d bytes, want none", rec.Body.Len())
	}
}

// The page must work offline, so no asset may load anything from another
// host.
func TestAssetsLoadNothingFromOtherHosts(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//|fetch\(\s*["']https?:`)
	err := fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		if m := external.Find(data); m != nil {
			t.Errorf("%s loads from another host: %q", name, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
