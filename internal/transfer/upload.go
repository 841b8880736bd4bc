package transfer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// PutOptions are the object settings of uploads and copies.
type PutOptions struct {
	ContentType  string            // empty: detect from the extension, then the content
	StorageClass string            // e.g. STANDARD_IA; empty: the bucket default
	SSE          string            // AES256 or aws:kms
	SSEKMSKeyID  string            // KMS key for aws:kms
	Metadata     map[string]string // user metadata (x-amz-meta-*)
	CacheControl string

	ContentDisposition string
	ContentEncoding    string
	ContentLanguage    string
	Expires            string         // an HTTP date
	ACL                string         // a canned ACL (objstore.CannedACLs)
	Tags               []objstore.Tag // the object's tags
	// HeaderRules give uploads default headers by key pattern (a saved
	// account's rules); what the options above set wins over them.
	HeaderRules []objstore.HeaderRule
}

// ForKey returns the options for an upload to key: the header rules'
// defaults filled in where the options leave a header unset (user
// metadata key by key). Content-Type detection comes after it.
func (o PutOptions) ForKey(key string) PutOptions {
	defs := objstore.RuleDefaults(o.HeaderRules, key)
	fill := func(p *string, h string) {
		if v, ok := defs[h]; ok && *p == "" {
			*p = v
		}
	}
	fill(&o.CacheControl, "Cache-Control")
	fill(&o.ContentType, "Content-Type")
	fill(&o.ContentDisposition, "Content-Disposition")
	fill(&o.ContentEncoding, "Content-Encoding")
	fill(&o.ContentLanguage, "Content-Language")
	fill(&o.Expires, "Expires")
	for h, v := range defs {
		name, ok := strings.CutPrefix(h, "x-amz-meta-")
		if !ok {
			continue
		}
		if _, set := o.Metadata[name]; set {
			continue
		}
		m := make(map[string]string, len(o.Metadata)+1)
		maps.Copy(m, o.Metadata)
		m[name] = v
		o.Metadata = m
	}
	o.HeaderRules = nil
	return o
}

// Validate checks values S3 would reject, so the user learns before any
// transfer starts.
func (o PutOptions) Validate() error {
	if o.StorageClass != "" {
		ok := false
		for _, v := range types.StorageClass("").Values() {
			if string(v) == o.StorageClass {
				ok = true
			}
		}
		if !ok {
			return fault.Newf(fault.Usage, "unknown storage class %q (valid: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, GLACIER_IR, DEEP_ARCHIVE, REDUCED_REDUNDANCY, ...)", o.StorageClass)
		}
	}
	switch o.SSE {
	case "", "AES256", "aws:kms", "aws:kms:dsse":
	default:
		return fault.Newf(fault.Usage, "--sse must be AES256, aws:kms or aws:kms:dsse, not %q", o.SSE)
	}
	if o.SSEKMSKeyID != "" && !strings.HasPrefix(o.SSE, "aws:kms") {
		return fault.Newf(fault.Usage, "--sse-kms-key-id needs --sse aws:kms")
	}
	if o.ACL != "" {
		if err := objstore.CheckCannedACL(o.ACL); err != nil {
			return err
		}
	}
	if o.Expires != "" {
		if _, err := http.ParseTime(o.Expires); err != nil {
			return fault.Newf(fault.Usage, "Expires %q is not an HTTP date (Mon, 02 Jan 2006 15:04:05 GMT)", o.Expires)
		}
	}
	if err := objstore.ValidateTags(o.Tags, false); err != nil {
		return err
	}
	for _, r := range o.HeaderRules {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// unsignedPayload skips SigV4's SHA-256 of the body; integrity comes from
// the CRC32C checksum that every upload carries instead. The payload hash
// is set before the checksum middleware runs: over plain HTTP (no
// trailing checksums) that middleware otherwise computes a SHA-256 of the
// body beside the CRC32C, which cost more CPU than the CRC itself.
var unsignedPayload = s3.WithAPIOptions(
	v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware,
	func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("s3sso:UnsignedPayloadHash",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD"), in)
			}), middleware.Before)
	},
)

// checksumAlgo is the checksum every upload carries.
const checksumAlgo = types.ChecksumAlgorithmCrc32c

// UploadFile uploads the local file path to dst, as one PutObject or, above
// the multipart threshold, as parallel parts.
func (e *Engine) UploadFile(ctx context.Context, path string, dst objstore.URL, po PutOptions) error {
	f, fi, err := openRegular("upload", path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi.IsDir() {
		return fault.New(fault.Usage, fmt.Sprintf("upload %s: is a directory", path), "pass -r/--recursive to upload a directory")
	}
	size := fi.Size()
	po = po.ForKey(dst.Key)
	if po.ContentType == "" {
		po.ContentType = detectContentType(path, f)
	}
	if size >= e.opts.MultipartThreshold {
		return e.uploadMultipart(ctx, f, fi, size, dst, po)
	}
	body := &countingSection{r: io.NewSectionReader(f, 0, size), stats: &e.Stats}
	in := e.putInput(dst, po)
	in.Body = body
	in.ContentLength = aws.Int64(size)
	if _, err := e.s3.Client().PutObject(ctx, in, unsignedPayload); err != nil {
		body.unwind()
		return e.s3.Translate("upload", dst.String(), err)
	}
	body.finish()
	return nil
}

// UploadStream uploads r (stdin) of unknown length to dst, buffering at most
// PartConcurrency+2 parts in memory. Reading happens on its own goroutine so
// that cancelling ctx (Ctrl-C) ends the upload, and aborts it on the server,
// even while r blocks.
func (e *Engine) UploadStream(ctx context.Context, r io.Reader, dst objstore.URL, po PutOptions) error {
	chunks := readChunks(ctx, r, int(e.opts.PartSize))
	next := func() (chunk, error) {
		select {
		case <-ctx.Done():
			return chunk{}, fault.Wrap(fault.Interrupted, ctx.Err(), "")
		case c := <-chunks:
			if c.err != nil {
				return c, fault.Wrap(fault.Local, fmt.Errorf("upload from stdin: %w", c.err), "")
			}
			return c, nil
		}
	}
	first, err := next()
	if err != nil {
		return err
	}
	po = po.ForKey(dst.Key)
	if po.ContentType == "" {
		po.ContentType = http.DetectContentType(first.data)
	}
	if first.last {
		in := e.putInput(dst, po)
		in.Body = bytes.NewReader(first.data)
		in.ContentLength = aws.Int64(int64(len(first.data)))
		if _, err := e.s3.Client().PutObject(ctx, in, unsignedPayload); err != nil {
			return e.s3.Translate("upload", dst.String(), err)
		}
		e.Stats.BytesDone.Add(int64(len(first.data)))
		return nil
	}
	mu, err := e.startMultipart(ctx, dst, po, true)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.PartConcurrency)
	c := first
	for part := int32(1); ; part++ {
		if part > maxParts {
			_ = g.Wait()
			mu.abort()
			return fmt.Errorf("upload %s: input exceeds %d parts of %d bytes", dst, maxParts, e.opts.PartSize)
		}
		data, pn := c.data, part
		if len(data) > 0 || part == 1 {
			g.Go(func() error {
				return mu.uploadPart(gctx, pn, bytes.NewReader(data), int64(len(data)))
			})
		}
		if c.last {
			break
		}
		if c, err = next(); err != nil {
			_ = g.Wait()
			mu.abort()
			return err
		}
	}
	if err := g.Wait(); err != nil {
		mu.abort()
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return err
	}
	if err := mu.complete(ctx); err != nil {
		mu.abort()
		return err
	}
	return nil
}

// chunk is one part-sized piece of a stream; last marks the final one
// (possibly empty).
type chunk struct {
	data []byte
	last bool
	err  error
}

// readChunks reads r into size-byte chunks on its own goroutine until EOF,
// an error or ctx's end.
func readChunks(ctx context.Context, r io.Reader, size int) <-chan chunk {
	ch := make(chan chunk, 1)
	go func() {
		for {
			buf := make([]byte, size)
			n, err := io.ReadFull(r, buf)
			c := chunk{data: buf[:n]}
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				c.last = true
			case err != nil:
				c.err = err
			}
			select {
			case ch <- c:
			case <-ctx.Done():
				return
			}
			if c.last || c.err != nil {
				return
			}
		}
	}()
	return ch
}

func (e *Engine) putInput(dst objstore.URL, po PutOptions) *s3.PutObjectInput {
	in := &s3.PutObjectInput{
		Bucket: aws.String(dst.Bucket), Key: aws.String(dst.Key),
		ChecksumAlgorithm: checksumAlgo,
		Metadata:          po.Metadata,
	}
	if po.ContentType != "" {
		in.ContentType = aws.String(po.ContentType)
	}
	if po.StorageClass != "" {
		in.StorageClass = types.StorageClass(po.StorageClass)
	}
	if po.SSE != "" {
		in.ServerSideEncryption = types.ServerSideEncryption(po.SSE)
	}
	if po.SSEKMSKeyID != "" {
		in.SSEKMSKeyId = aws.String(po.SSEKMSKeyID)
	}
	if po.CacheControl != "" {
		in.CacheControl = aws.String(po.CacheControl)
	}
	in.ContentDisposition = optString(po.ContentDisposition)
	in.ContentEncoding = optString(po.ContentEncoding)
	in.ContentLanguage = optString(po.ContentLanguage)
	if t, err := http.ParseTime(po.Expires); err == nil {
		in.Expires = aws.Time(t)
	}
	if po.ACL != "" {
		in.ACL = types.ObjectCannedACL(po.ACL)
	}
	if len(po.Tags) > 0 {
		in.Tagging = aws.String(objstore.EncodeTags(po.Tags))
	}
	return in
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// multipart is one multipart upload in progress.
type multipart struct {
	e     *Engine
	dst   objstore.URL
	id    string
	full  bool // created with a full-object checksum
	mu    sync.Mutex
	parts []journalPart
	// journal, when set, is rewritten at jpath as parts finish.
	journal *uploadJournal
	jpath   string
	written time.Time // of the journal
}

// startMultipart creates a multipart upload. With full it asks for a
// full-object CRC32C (the checksum of the whole object, as a single PUT
// has); servers that do not know full-object checksums get per-part ones.
func (e *Engine) startMultipart(ctx context.Context, dst objstore.URL, po PutOptions, full bool) (*multipart, error) {
	put := e.putInput(dst, po)
	in := &s3.CreateMultipartUploadInput{
		Bucket: put.Bucket, Key: put.Key, ChecksumAlgorithm: checksumAlgo,
		ContentType: put.ContentType, StorageClass: put.StorageClass, Metadata: put.Metadata,
		ServerSideEncryption: put.ServerSideEncryption, SSEKMSKeyId: put.SSEKMSKeyId, CacheControl: put.CacheControl,
		ContentDisposition: put.ContentDisposition, ContentEncoding: put.ContentEncoding, ContentLanguage: put.ContentLanguage,
		Expires: put.Expires, ACL: put.ACL, Tagging: put.Tagging,
	}
	if full {
		in.ChecksumType = types.ChecksumTypeFullObject
	}
	out, err := e.s3.Client().CreateMultipartUpload(ctx, in)
	if err != nil && full && (objstore.IsCode(err, "InvalidArgument") || objstore.IsCode(err, "InvalidRequest") || objstore.IsCode(err, "NotImplemented")) {
		in.ChecksumType, full = "", false
		out, err = e.s3.Client().CreateMultipartUpload(ctx, in)
	}
	if err != nil {
		return nil, e.s3.Translate("start multipart upload", dst.String(), err)
	}
	return &multipart{e: e, dst: dst, id: aws.ToString(out.UploadId), full: full}, nil
}

func (m *multipart) uploadPart(ctx context.Context, n int32, r io.ReadSeeker, size int64) error {
	return m.sendPart(ctx, n, r, size, "")
}

// sendPart uploads part n; crc32c, when set, is the part's CRC32C (base64)
// already computed, which the SDK then sends instead of reading the body
// once more to compute it.
func (m *multipart) sendPart(ctx context.Context, n int32, r io.ReadSeeker, size int64, crc32c string) error {
	body := &countingSection{r: r, stats: &m.e.Stats}
	out, err := m.e.s3.Client().UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(m.dst.Bucket), Key: aws.String(m.dst.Key), UploadId: aws.String(m.id),
		PartNumber: aws.Int32(n), Body: body, ContentLength: aws.Int64(size), ChecksumAlgorithm: checksumAlgo,
		ChecksumCRC32C: optString(crc32c),
	}, unsignedPayload)
	if err != nil {
		body.unwind()
		return m.e.s3.Translate(fmt.Sprintf("upload part %d of", n), m.dst.String(), err)
	}
	body.finish()
	m.addPart(journalPart{N: n, Size: size, ETag: aws.ToString(out.ETag), CRC32C: aws.ToString(out.ChecksumCRC32C)})
	return nil
}

// addPart records a finished part, in the journal too.
func (m *multipart) addPart(p journalPart) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.parts = append(m.parts, p)
	if m.journal != nil {
		m.journal.Parts = append(m.journal.Parts, p)
		// At most once a second: with thousands of parts, rewriting the
		// journal after each would be quadratic. The server's part list
		// is what a resume trusts; the journal's list is informational.
		if time.Since(m.written) >= time.Second {
			m.saveJournal()
		}
	}
}

// saveJournal rewrites the journal; the caller holds m.mu.
func (m *multipart) saveJournal() {
	m.written = time.Now()
	if err := writeJournal(m.jpath, m.journal, false, false); err != nil {
		m.e.opts.Logger.Warn("update upload journal", "url", m.dst.String(), "err", err)
	}
}

func (m *multipart) complete(ctx context.Context) error {
	sort.Slice(m.parts, func(i, j int) bool { return m.parts[i].N < m.parts[j].N })
	in := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(m.dst.Bucket), Key: aws.String(m.dst.Key), UploadId: aws.String(m.id),
		MultipartUpload: &types.CompletedMultipartUpload{},
	}
	var whole []byte
	haveAll := true
	for _, p := range m.parts {
		cp := types.CompletedPart{PartNumber: aws.Int32(p.N), ETag: aws.String(p.ETag)}
		if p.CRC32C != "" {
			cp.ChecksumCRC32C = aws.String(p.CRC32C)
		}
		in.MultipartUpload.Parts = append(in.MultipartUpload.Parts, cp)
		raw, err := base64.StdEncoding.DecodeString(p.CRC32C)
		if err != nil || len(raw) != 4 {
			haveAll = false
			continue
		}
		if whole == nil {
			whole = raw
		} else {
			whole = algoCRC32C.combine(whole, raw, p.Size)
		}
	}
	if m.full {
		in.ChecksumType = types.ChecksumTypeFullObject
		if haveAll && whole != nil {
			in.ChecksumCRC32C = aws.String(b64(whole))
		}
	}
	if _, err := m.e.s3.Client().CompleteMultipartUpload(ctx, in); err != nil {
		if objstore.IsCode(err, "NoSuchUpload") && m.completedAnyway(ctx, whole, haveAll) {
			return nil
		}
		return m.e.s3.Translate("complete multipart upload", m.dst.String(), err)
	}
	return nil
}

// completedAnyway reports whether the object at the destination is the one
// this upload creates. CompleteMultipartUpload answers NoSuchUpload when the
// server completed the upload but its reply was lost (a 503 or a broken
// connection after the work) and the SDK retried: the upload is gone
// because it became the object. The object counts as this upload's when it
// has the parts' total size, an ETag of as many parts, and the content
// sent: the CRC32C (full-object, whole, or the composite of the parts'
// CRC32Cs) when the server reports one, else the multipart ETag (the MD5 of
// the parts' MD5 ETags). When neither can be checked it does not count.
func (m *multipart) completedAnyway(ctx context.Context, whole []byte, haveAll bool) bool {
	log := m.e.opts.Logger.With("url", m.dst.String(), "upload_id", m.id)
	head, err := m.e.s3.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(m.dst.Bucket), Key: aws.String(m.dst.Key),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		log.Debug("NoSuchUpload completing the upload, and no object", "err", err)
		return false
	}
	var size int64
	var crcs, md5s []byte
	allMD5 := len(m.parts) > 0
	for _, p := range m.parts {
		size += p.Size
		raw, err := base64.StdEncoding.DecodeString(p.CRC32C)
		if err != nil || len(raw) != 4 {
			haveAll = false
		}
		crcs = append(crcs, raw...)
		sum, ok := plainMD5(p.ETag)
		allMD5 = allMD5 && ok
		b, _ := hex.DecodeString(sum)
		md5s = append(md5s, b...)
	}
	suffix := fmt.Sprintf("-%d", len(m.parts))
	etag := strings.Trim(aws.ToString(head.ETag), `"`)
	if aws.ToInt64(head.ContentLength) != size || !strings.HasSuffix(etag, suffix) {
		log.Debug("NoSuchUpload completing the upload, and the object is another one", "size", aws.ToInt64(head.ContentLength), "etag", etag)
		return false
	}
	var got, want string
	switch stored := aws.ToString(head.ChecksumCRC32C); {
	case stored != "" && !strings.Contains(stored, "-") && whole != nil && haveAll:
		got, want = stored, b64(whole)
	case stored != "" && strings.HasSuffix(stored, suffix) && haveAll:
		got, want = stored, b64(sumOfBytes(algoCRC32C, crcs))+suffix
	case allMD5:
		got, want = etag, hex.EncodeToString(sumOfBytes(algoMD5, md5s))+suffix
	default:
		log.Debug("NoSuchUpload completing the upload, and the object cannot be checked (no CRC32C, no MD5 part ETags)")
		return false
	}
	if got != want {
		log.Debug("NoSuchUpload completing the upload, and the object's content differs", "got", got, "want", want)
		return false
	}
	log.Info("the upload was completed although CompleteMultipartUpload answered NoSuchUpload (its first reply was lost); the object checks out", "checked", got)
	return true
}

// sumOfBytes returns the checksum a of b.
func sumOfBytes(a algo, b []byte) []byte {
	h := a.new()
	h.Write(b)
	return h.Sum(nil)
}

// abort cancels the upload on the server so no parts are left behind. It runs
// even when ctx was cancelled (Ctrl-C).
func (m *multipart) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := m.e.s3.Client().AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(m.dst.Bucket), Key: aws.String(m.dst.Key), UploadId: aws.String(m.id),
	})
	if err != nil && !objstore.IsNotFound(err) {
		m.e.opts.Logger.Warn("abort multipart upload", "url", m.dst.String(), "upload_id", m.id, "err", err)
	}
	if m.jpath != "" {
		os.Remove(m.jpath)
	}
}

// ResumeHint is the hint of an interrupted or failed upload whose multipart
// upload was kept for --resume.
const ResumeHint = "run the same command again with --resume to continue where it stopped"

// uploadMultipart uploads a file as parallel parts. Every multipart upload
// of a file has a journal (upload ID, parts, source size and mtime) in the
// journal directory, removed when the upload completes or is aborted. With
// Options.Resume, a journal left by an interrupted run is picked up: the
// parts the server lists (ListParts) are kept and only the missing ones are
// sent; and a failure or interruption keeps the upload open for the next
// --resume instead of aborting it.
func (e *Engine) uploadMultipart(ctx context.Context, f *os.File, fi os.FileInfo, size int64, dst objstore.URL, po PutOptions) error {
	ps := e.partSizeFor(size)
	jpath := ""
	if e.journalDir != "" {
		abs, err := filepath.Abs(f.Name())
		if err == nil {
			jpath = uploadJournalPath(e.journalDir, e.s3.Endpoint(), dst.Bucket, dst.Key, abs)
		}
	}
	var mu *multipart
	done := map[int32]bool{}
	if jpath != "" {
		var err error
		mu, err = e.resumeUpload(ctx, jpath, fi, size, dst)
		if err != nil {
			return err
		}
	}
	if mu != nil {
		ps = mu.journal.PartSize
		for _, p := range mu.parts {
			done[p.N] = true
			e.Stats.BytesDone.Add(p.Size)
		}
		e.opts.Logger.Info("resuming multipart upload", "url", dst.String(), "upload_id", mu.id, "parts_done", len(done))
	} else {
		var err error
		if mu, err = e.startMultipart(ctx, dst, po, true); err != nil {
			return err
		}
		if jpath != "" {
			abs, _ := filepath.Abs(f.Name())
			mu.jpath = jpath
			mu.journal = &uploadJournal{Version: 1, Endpoint: e.s3.Endpoint(), Bucket: dst.Bucket, Key: dst.Key, UploadID: mu.id,
				Source: abs, Size: size, ModTime: fi.ModTime(), PartSize: ps, Started: time.Now().UTC()}
			if mu.full {
				mu.journal.Checksum = string(types.ChecksumTypeFullObject)
			}
			mu.written = time.Now()
			if err := writeJSON(jpath, mu.journal, true); err != nil {
				e.opts.Logger.Warn("write upload journal", "url", dst.String(), "err", err)
				mu.jpath, mu.journal = "", nil
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.PartConcurrency)
	for off, n := int64(0), int32(1); off < size; off, n = off+ps, n+1 {
		if done[n] {
			continue
		}
		l := min(ps, size-off)
		sec := io.NewSectionReader(f, off, l)
		pn := n
		g.Go(func() error {
			release, err := e.partSlot(gctx)
			if err != nil {
				return fault.Wrap(fault.Interrupted, err, "")
			}
			defer release()
			return mu.uploadPart(gctx, pn, sec, l)
		})
	}
	err := g.Wait()
	if err == nil {
		err = mu.complete(ctx)
	}
	if err != nil {
		if e.opts.Resume && mu.jpath != "" {
			mu.mu.Lock()
			mu.saveJournal()
			mu.mu.Unlock()
			if ctx.Err() != nil {
				err = fault.Wrap(fault.Interrupted, err, ResumeHint)
			} else {
				err = fault.WithHint(err, ResumeHint)
			}
			return err
		}
		mu.abort()
		return err
	}
	if mu.jpath != "" {
		os.Remove(mu.jpath)
	}
	return nil
}

// resumeUpload returns the multipart upload a journal at jpath records, with
// the parts the server has, when Options.Resume is set and the source is
// unchanged; nil when there is nothing to resume.
func (e *Engine) resumeUpload(ctx context.Context, jpath string, fi os.FileInfo, size int64, dst objstore.URL) (*multipart, error) {
	var j uploadJournal
	ok, err := readJSON(jpath, &j)
	if err != nil || !ok {
		return nil, err
	}
	if !e.opts.Resume {
		e.opts.Logger.Warn("an earlier upload of this file was interrupted; starting a new one (pass --resume to continue it, `s3sso mpu ls` lists unfinished uploads)",
			"url", dst.String(), "upload_id", j.UploadID)
		return nil, nil
	}
	if j.Size != size || !j.ModTime.Equal(fi.ModTime()) || j.Bucket != dst.Bucket || j.Key != dst.Key || j.PartSize < minPartSize {
		e.opts.Logger.Warn("the file changed since the interrupted upload; starting a new upload", "url", dst.String(), "upload_id", j.UploadID)
		m := &multipart{e: e, dst: dst, id: j.UploadID}
		m.abort()
		return nil, nil
	}
	listed, err := e.listParts(ctx, dst, j.UploadID)
	if objstore.IsNotFound(err) {
		e.opts.Logger.Warn("the interrupted upload no longer exists on the server; starting a new one", "url", dst.String(), "upload_id", j.UploadID)
		return nil, nil
	}
	if err != nil {
		return nil, e.s3.Translate("list parts of", dst.String(), err)
	}
	m := &multipart{e: e, dst: dst, id: j.UploadID, full: j.Checksum == string(types.ChecksumTypeFullObject), journal: &j, jpath: jpath}
	j.Parts = nil
	for _, p := range listed {
		off := int64(p.N-1) * j.PartSize
		if off >= size || p.Size != min(j.PartSize, size-off) || p.ETag == "" || p.CRC32C == "" {
			continue // upload it again
		}
		m.parts = append(m.parts, p)
		j.Parts = append(j.Parts, p)
	}
	return m, nil
}

// listParts lists the parts of a multipart upload.
func (e *Engine) listParts(ctx context.Context, dst objstore.URL, id string) ([]journalPart, error) {
	var out []journalPart
	p := s3.NewListPartsPaginator(e.s3.Client(), &s3.ListPartsInput{Bucket: aws.String(dst.Bucket), Key: aws.String(dst.Key), UploadId: aws.String(id)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, pt := range page.Parts {
			out = append(out, journalPart{N: aws.ToInt32(pt.PartNumber), Size: aws.ToInt64(pt.Size), ETag: aws.ToString(pt.ETag), CRC32C: aws.ToString(pt.ChecksumCRC32C)})
		}
	}
	return out, nil
}

// countingSection counts bytes into Stats once, even when the SDK reads the
// body twice (checksum, then send) or rewinds it for a retry.
type countingSection struct {
	r       io.ReadSeeker
	stats   *Stats
	pos     int64
	counted int64
}

func (c *countingSection) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.pos += int64(n)
	if c.pos > c.counted {
		c.stats.BytesDone.Add(c.pos - c.counted)
		c.counted = c.pos
	}
	return n, err
}

func (c *countingSection) Seek(off int64, whence int) (int64, error) {
	p, err := c.r.Seek(off, whence)
	if err == nil {
		c.pos = p
	}
	return p, err
}

// unwind takes back the bytes a failed request counted, so a retried
// object is not counted twice.
func (c *countingSection) unwind() {
	c.stats.BytesDone.Add(-c.counted)
	c.counted = 0
}

// finish counts whatever the SDK did not read through Read (it may use
// ReadAt or send the bytes another way).
func (c *countingSection) finish() {
	end, err := c.r.Seek(0, io.SeekEnd)
	if err == nil && end > c.counted {
		c.stats.BytesDone.Add(end - c.counted)
		c.counted = end
	}
}

// detectContentType guesses the MIME type from the extension, then from the
// first 512 bytes.
func detectContentType(path string, f *os.File) string {
	if t := mime.TypeByExtension(filepath.Ext(path)); t != "" {
		return t
	}
	buf := make([]byte, 512)
	n, _ := f.ReadAt(buf, 0)
	if n == 0 {
		return "application/octet-stream"
	}
	return http.DetectContentType(buf[:n])
}

// IsZero reports whether no option is set (a copy then keeps the source's
// metadata and settings).
func (o PutOptions) IsZero() bool {
	return o.ContentType == "" && o.StorageClass == "" && o.SSE == "" && o.SSEKMSKeyID == "" &&
		len(o.Metadata) == 0 && o.CacheControl == "" && o.ContentDisposition == "" && o.ContentEncoding == "" &&
		o.ContentLanguage == "" && o.Expires == "" && o.ACL == "" && len(o.Tags) == 0
}
