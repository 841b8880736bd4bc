package ui

import (
	"errors"
	"net/http"

	"github.com/s3sso/s3sso/internal/objstore"
)

// The Properties panel's Versions and Tags tabs, over the objstore methods
// of the management work (ListVersions, RestoreVersion, DeleteVersion,
// ObjectTags, PutObjectTags, DeleteObjectTags).

// maxVersions bounds the versions listed for one object.
const maxVersions = 1000

var errEnough = errors.New("enough versions")

// handleVersions lists the versions (and delete markers) of one object,
// newest first.
func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	u, err := objectURL(qv.Get("bucket"), qv.Get("key"))
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), qv.Get("acct"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	out := []objstore.Version{}
	truncated := false
	err = store.ListVersions(r.Context(), u.Bucket, u.Key, func(v objstore.Version) error {
		switch {
		case v.Key > u.Key:
			return errEnough // keys come in order: past this one
		case v.Key != u.Key:
			return nil
		case len(out) == maxVersions:
			truncated = true
			return errEnough
		}
		out = append(out, v)
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out, "truncated": truncated})
}

type versionRequest struct {
	Acct      string `json:"acct"`
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"version_id"`
}

func (s *Server) versionTarget(r *http.Request) (*objstore.S3, versionRequest, error) {
	var in versionRequest
	err := decodeBody(r, &in)
	if err == nil {
		_, err = objectURL(in.Bucket, in.Key)
	}
	if err == nil && in.VersionID == "" {
		err = badRequest("no version named")
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), in.Acct)
	}
	return store, in, err
}

// handleVersionRestore makes an older version the current one (a
// server-side copy on top).
func (s *Server) handleVersionRestore(w http.ResponseWriter, r *http.Request) {
	store, in, err := s.versionTarget(r)
	var id string
	if err == nil {
		id, err = store.RestoreVersion(r.Context(), in.Bucket, in.Key, in.VersionID)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("changed", map[string]string{"acct": in.Acct, "bucket": in.Bucket, "prefix": parentPrefix(in.Key)})
	writeJSON(w, http.StatusOK, map[string]string{"version_id": id})
}

// handleVersionDelete deletes one version (or delete marker) for good.
func (s *Server) handleVersionDelete(w http.ResponseWriter, r *http.Request) {
	store, in, err := s.versionTarget(r)
	if err == nil {
		err = store.DeleteVersion(r.Context(), in.Bucket, in.Key, in.VersionID)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("changed", map[string]string{"acct": in.Acct, "bucket": in.Bucket, "prefix": parentPrefix(in.Key)})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// handleTags returns an object's tags.
func (s *Server) handleTags(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	u, err := objectURL(qv.Get("bucket"), qv.Get("key"))
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), qv.Get("acct"))
	}
	var tags []objstore.Tag
	if err == nil {
		tags, err = store.ObjectTags(r.Context(), u.Bucket, u.Key, qv.Get("version"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
}

// handleTagsPut replaces an object's tags (none: removes them).
func (s *Server) handleTagsPut(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Acct   string         `json:"acct"`
		Bucket string         `json:"bucket"`
		Key    string         `json:"key"`
		Tags   []objstore.Tag `json:"tags"`
	}
	err := decodeBody(r, &in)
	var u objstore.URL
	if err == nil {
		u, err = objectURL(in.Bucket, in.Key)
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), in.Acct)
	}
	if err == nil {
		if len(in.Tags) == 0 {
			err = store.DeleteObjectTags(r.Context(), u.Bucket, u.Key, "")
		} else {
			err = store.PutObjectTags(r.Context(), u.Bucket, u.Key, "", in.Tags)
		}
	}
	if err != nil {
		writeError(w, withField(err, "tags"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": in.Tags})
}
