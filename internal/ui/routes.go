package ui

import (
	"io/fs"
	"net/http"
	"strings"
)

// routes is the API (docs/ui.md lists it) and the app's static files
// behind the security checks. Every path that is not an API or asset path
// serves the app's page, so deep links (/a/work/b/photos/p/2024/) load it.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { mux.HandleFunc(pattern, h) }
	api("GET /api/events", s.handleEvents)
	api("GET /api/accounts", s.handleAccounts)
	api("POST /api/accounts", s.handleAccountAdd)
	api("PUT /api/accounts/{name}", s.handleAccountEdit)
	api("DELETE /api/accounts/{name}", s.handleAccountDelete)
	api("POST /api/accounts/{name}/default", s.handleAccountDefault)
	api("POST /api/accounts/{name}/login", s.handleLogin)
	api("POST /api/accounts/{name}/login/cancel", s.handleLoginCancel)
	api("POST /api/accounts/{name}/logout", s.handleLogout)
	api("POST /api/prompts/{id}", s.handlePrompt)
	api("GET /api/buckets", s.handleBuckets)
	api("GET /api/list", s.handleList)
	api("GET /api/search", s.handleSearch)
	api("GET /api/object", s.handleObject)
	api("GET /api/download", s.handleDownload)
	api("GET /api/zip", s.handleZip)
	api("PUT /api/upload", s.handleUpload)
	api("POST /api/uploads", s.handleUploadStart)
	api("PUT /api/uploads/{id}/parts/{n}", s.handleUploadPart)
	api("POST /api/uploads/{id}/complete", s.handleUploadComplete)
	api("DELETE /api/uploads/{id}", s.handleUploadAbort)
	api("POST /api/delete", s.handleDelete)
	api("POST /api/mkdir", s.handleMkdir)
	api("POST /api/copy", s.handleCopy)
	api("POST /api/presign", s.handlePresign)
	api("POST /api/metadata", s.handleMetadata)
	api("GET /api/versions", s.handleVersions)
	api("POST /api/versions/restore", s.handleVersionRestore)
	api("POST /api/versions/delete", s.handleVersionDelete)
	api("GET /api/tags", s.handleTags)
	api("PUT /api/tags", s.handleTagsPut)
	s.manageRoutes(api)
	api("GET /api/transfers", s.handleTransfers)
	api("POST /api/transfers/clear", s.handleTransfersClear)
	api("POST /api/transfers/{id}/{action}", s.handleTransferAction)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErrorMsg(w, http.StatusNotFound, "no such API route", "")
	})
	static := staticFS()
	files := http.FileServerFS(static)
	mux.HandleFunc("GET /assets/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		panic(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeErrorMsg(w, http.StatusMethodNotAllowed, "method not allowed", "")
			return
		}
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(index)
	})
	return s.secure(mux)
}
