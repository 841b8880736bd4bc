package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/s3sso/s3sso/internal/objstore"
)

// The bucket and object management API (issue 15): bucket settings as the
// AWS API's JSON documents, and ACLs (object versions and tags are
// browse.go's). Everything is done by
// the core (internal/objstore); the page only edits documents.
func (s *Server) manageRoutes(api func(string, http.HandlerFunc)) {
	api("GET /api/bucket/settings", s.handleBucketSettings)
	api("POST /api/bucket/setting", s.handleBucketSetting)
	api("GET /api/acl", s.handleACL)
	api("POST /api/acl", s.handleACLSet)
}

// bucketSettings is the Properties dialog's data: the overview and each
// setting's document (null when not set).
type bucketSettings struct {
	Info     objstore.BucketInfo `json:"info"`
	Settings map[string]*string  `json:"settings"`
	// Errors holds the settings that could not be read, with why.
	Errors map[string]apiErr `json:"errors,omitempty"`
}

func (s *Server) handleBucketSettings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bucket := q.Get("bucket")
	err := objstore.ValidateBucketName(bucket)
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), q.Get("acct"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	info, err := store.BucketInfo(r.Context(), bucket)
	if err != nil {
		writeError(w, err)
		return
	}
	out := bucketSettings{Info: info, Settings: map[string]*string{}, Errors: map[string]apiErr{}}
	for _, st := range objstore.Settings() {
		doc, err := store.GetSetting(r.Context(), bucket, st)
		switch {
		case err != nil:
			out.Errors[string(st)] = errorBody(err)
		case doc != nil:
			d := string(doc)
			out.Settings[string(st)] = &d
		default:
			out.Settings[string(st)] = nil
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// settingResult answers a change: with dry_run the diff against the
// current document, else the document now set (null after a delete).
type settingResult struct {
	Changed bool    `json:"changed"`
	Diff    string  `json:"diff,omitempty"`
	Doc     *string `json:"doc"`
}

// docField makes a malformed document's error point at the editor, with
// the line in the message.
func docField(err error) error {
	var de *objstore.DocError
	if errors.As(err, &de) {
		return withField(err, "doc")
	}
	return err
}

func (s *Server) handleBucketSetting(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Acct    string `json:"acct"`
		Bucket  string `json:"bucket"`
		Setting string `json:"setting"`
		Action  string `json:"action"` // set or delete
		Doc     string `json:"doc"`
		DryRun  bool   `json:"dry_run"`
	}
	err := decodeBody(r, &in)
	var st objstore.Setting
	if err == nil {
		err = objstore.ValidateBucketName(in.Bucket)
	}
	if err == nil {
		st, err = objstore.ParseSetting(in.Setting)
	}
	if err == nil && in.Action != "set" && in.Action != "delete" {
		err = badRequest("action must be set or delete, not %q", in.Action)
	}
	var want []byte
	if err == nil && in.Action == "set" {
		want, err = objstore.CheckSetting(st, []byte(in.Doc))
		err = docField(err)
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), in.Acct)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := r.Context()
	cur, err := store.GetSetting(ctx, in.Bucket, st)
	if err != nil && in.DryRun {
		writeError(w, err)
		return
	}
	if cur != nil {
		if n, err := objstore.CheckSetting(st, cur); err == nil {
			cur = n
		}
	}
	res := settingResult{}
	switch {
	case in.Action == "delete":
		res.Changed = cur != nil
		if !in.DryRun {
			err = store.DeleteSetting(ctx, in.Bucket, st)
		}
	default:
		res.Changed = string(cur) != string(want)
		res.Diff = objstore.Diff(string(cur), string(want))
		if !in.DryRun {
			err = docField(store.PutSetting(ctx, in.Bucket, st, []byte(in.Doc)))
		}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if !in.DryRun {
		if doc, err := store.GetSetting(ctx, in.Bucket, st); err == nil && doc != nil {
			d := string(doc)
			res.Doc = &d
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// aclURL is a bucket (key empty) or an object from the page.
func aclURL(bucket, key, version string) (objstore.URL, error) {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return objstore.URL{}, err
	}
	return objstore.URL{Bucket: bucket, Key: key, Literal: true, VersionID: version}, nil
}

func (s *Server) handleACL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u, err := aclURL(q.Get("bucket"), q.Get("key"), q.Get("version"))
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), q.Get("acct"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	acl, err := store.GetACL(r.Context(), u)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"acl": acl, "canned": objstore.CannedACLs()})
}

func (s *Server) handleACLSet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Acct    string        `json:"acct"`
		Bucket  string        `json:"bucket"`
		Key     string        `json:"key"`
		Version string        `json:"version"`
		Canned  string        `json:"canned"`
		ACL     *objstore.ACL `json:"acl"`
	}
	err := decodeBody(r, &in)
	var u objstore.URL
	if err == nil {
		u, err = aclURL(in.Bucket, in.Key, in.Version)
	}
	if err == nil && (in.Canned == "") == (in.ACL == nil) {
		err = badRequest("give a canned ACL or the grants")
	}
	if err == nil && in.ACL != nil {
		// The grid's grants pass the document checks (line-less here).
		if in.ACL.Grants == nil {
			in.ACL.Grants = []objstore.Grant{}
		}
		err = checkGrants(in.ACL.Grants, u.Key == "")
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), in.Acct)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if in.Canned != "" {
		err = store.PutCannedACL(r.Context(), u, in.Canned)
	} else {
		err = store.PutACL(r.Context(), u, *in.ACL)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	acl, err := store.GetACL(r.Context(), u)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"acl": acl})
}

// checkGrants checks the grid's rows: a grantee each, and permissions an
// object (or bucket) takes.
func checkGrants(grants []objstore.Grant, bucket bool) error {
	perms := []string{"FULL_CONTROL", "READ", "READ_ACP", "WRITE_ACP"}
	if bucket {
		perms = append(perms, "WRITE")
	}
	for i, g := range grants {
		ok := false
		for _, p := range perms {
			ok = ok || p == g.Permission
		}
		if !ok {
			return withField(badRequest("grant %d: permission %q is not one of %s", i+1, g.Permission, strings.Join(perms, ", ")), "grants")
		}
		ge := g.Grantee
		switch {
		case ge.Type == "CanonicalUser" && ge.ID != "", ge.Type == "Group" && ge.URI != "", ge.Type == "AmazonCustomerByEmail" && ge.EmailAddress != "":
		default:
			return withField(badRequest("grant %d: the grantee needs a canonical user ID, a group or an e-mail address", i+1), "grants")
		}
	}
	return nil
}
