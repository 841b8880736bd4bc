package transfer

import (
	"context"
	"fmt"
	"iter"
	"os"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// CopyPlan is a cp or mv of many objects: what a front end asks for, the
// engine turns into jobs (CopyJobs).
type CopyPlan struct {
	Src, Dst  Location
	Recursive bool
	Move      bool // delete each source once its copy succeeded
	Put       PutOptions
	// Skipped, when set, is told about local entries that are not
	// transferred (not regular files); nil ignores them.
	Skipped func(path, reason string)
}

// Op is the name of the plan's jobs: upload, download, copy or move.
func (p CopyPlan) Op() string {
	switch {
	case p.Move:
		return "move"
	case p.Src.S3 == nil:
		return "upload"
	case p.Dst.S3 == nil:
		return "download"
	}
	return "copy"
}

// CopyJobs plans a cp or mv while the source is listed: one job per object
// (an upload, download or server-side copy, then the source's deletion for a
// move). A per-object problem (an unsafe key, an unreadable directory) is a
// job that fails, so the rest goes on; a failed listing ends the sequence
// with its error. Run the jobs with Run or RunEvents, or show them (dry run).
// Sources and destinations on standard streams are not planned here
// (UploadStream, Stream).
func (e *Engine) CopyJobs(ctx context.Context, p CopyPlan) iter.Seq2[Job, error] {
	src, dst := p.Src, p.Dst
	multi := p.Recursive || (src.S3 != nil && src.S3.HasWildcard()) || (src.S3 == nil && src.HasWildcard() && !fileExists(src.Local))
	dstIsDir := multi || dst.IsDirLike()
	op := p.Op()
	return func(yield func(Job, error) bool) {
		for en, err := range e.Expand(ctx, src, p.Recursive) {
			if err != nil {
				yield(Job{}, err)
				return
			}
			switch {
			case en.Skip != "":
				if p.Skipped != nil {
					p.Skipped(en.Path, en.Skip)
				}
				continue
			case en.Err != nil:
				// An unreadable directory: one failed entry, the rest goes on.
				if !yield(Job{Op: "read", Src: en.Path, Run: func(context.Context) error { return en.Err }}, nil) {
					return
				}
				continue
			}
			job, jerr := e.copyJob(op, en, src, dst, dstIsDir, p.Put, p.Move)
			if jerr != nil {
				job = Job{Op: op, Src: en.URL.String(), Run: func(context.Context) error { return jerr }}
			}
			if !yield(job, nil) {
				return
			}
		}
	}
}

func (e *Engine) copyJob(op string, en Entry, src, dst Location, dstIsDir bool, po PutOptions, move bool) (Job, error) {
	j := Job{Op: op, Size: en.Size}
	switch {
	case src.S3 == nil: // upload
		d := *dst.S3
		if dstIsDir {
			d = d.Join(en.Rel)
		}
		j.Src, j.Dst = en.Path, d.String()
		path := en.Path
		j.Run = func(ctx context.Context) error {
			if err := e.UploadFile(ctx, path, d, po); err != nil {
				return err
			}
			if move {
				return removeLocal(path)
			}
			return nil
		}
	case dst.S3 == nil: // download
		target := dst.Local
		if dstIsDir {
			t, err := LocalTarget(dst.Local, en.Rel, en.URL.Key)
			if err != nil {
				return j, err
			}
			target = t
		}
		j.Src, j.Dst = en.URL.String(), target
		remote := en.Remote()
		j.Run = func(ctx context.Context) error {
			if err := e.Download(ctx, remote, target); err != nil {
				return err
			}
			if move {
				return e.Delete(ctx, remote.URL)
			}
			return nil
		}
	default: // S3 to S3
		d := *dst.S3
		if dstIsDir {
			d = d.Join(en.Rel)
		}
		if d.Same(en.URL) && !move && po.IsZero() {
			return j, fault.New(fault.Usage, fmt.Sprintf("copy %s onto itself", d), "give another destination, or change a setting such as --storage-class")
		}
		j.Src, j.Dst = en.URL.String(), d.String()
		remote := en.Remote()
		j.Run = func(ctx context.Context) error {
			if err := e.Copy(ctx, remote, d, po); err != nil {
				return err
			}
			if move && !d.Same(remote.URL) {
				return e.Delete(ctx, remote.URL)
			}
			return nil
		}
	}
	return j, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// removeLocal deletes a moved file.
func removeLocal(p string) error {
	if err := os.Remove(p); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("remove %s after moving it: %w", p, err), "")
	}
	return nil
}

// Matching streams the objects an rm of u deletes: the one key, every key
// under the prefix (recursive), or the matches of a wildcard. Listing errors
// end the sequence.
func (e *Engine) Matching(ctx context.Context, u objstore.URL, recursive bool) iter.Seq2[objstore.Object, error] {
	return func(yield func(objstore.Object, error) bool) {
		prefix := u.Key
		if u.HasWildcard() {
			prefix = objstore.WildcardPrefix(u.Key)
		} else if recursive && prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		for obj, err := range e.s3.List(ctx, u.Bucket, prefix, false) {
			if err != nil {
				yield(obj, err)
				return
			}
			if u.HasWildcard() && !objstore.MatchKey(u.Key, obj.Key) {
				continue
			}
			if !yield(obj, nil) {
				return
			}
		}
	}
}

// DeleteOne deletes the object u names, after a HEAD so that a missing key
// is an error, as users expect (S3's DeleteObject succeeds on missing keys).
// With dryRun it only checks that the object exists.
func (e *Engine) DeleteOne(ctx context.Context, u objstore.URL, dryRun bool) error {
	// A delete marker has no HEAD (405): deleting it brings the object
	// back, so a version is deleted whatever HEAD says but "missing".
	if _, err := e.s3.Head(ctx, u); err != nil && !(u.VersionID != "" && (objstore.IsCode(err, "MethodNotAllowed") || objstore.IsCode(err, "405"))) {
		return err
	}
	if dryRun {
		return nil
	}
	return e.s3.DeleteObject(ctx, u)
}
