package transfer

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

// TestStreamReadsRangesInParallel: a Stream of an object of several part
// sizes reads its later ranges as separate GETs (a few in flight) and
// delivers the bytes in order, verified as a whole: a byte flipped in a
// later range still fails with an integrity error.
func TestStreamReadsRangesInParallel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	data := randomData(t, 23<<20+11) // 5 MiB parts: the GET's first part, then 4 ranges
	if err := w.engine(w.m.Endpoint, false).UploadFile(ctx, writeTemp(t, "s", data), w.url("big"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, w.m.Endpoint)
	e := w.engine(p.URL, false)
	var sb bytes.Buffer
	if err := e.Stream(ctx, w.url("big"), &sb); err != nil || !bytes.Equal(sb.Bytes(), data) {
		t.Fatalf("stream: %v (same bytes: %v, %d of %d)", err, bytes.Equal(sb.Bytes(), data), sb.Len(), len(data))
	}
	if got := p.Started("get-range"); got != 4 {
		t.Errorf("%d ranged GETs, want 4 (one per part after the first)", got)
	}
	if e.Stats.BytesDone.Load() != int64(len(data)) {
		t.Errorf("progress: %d bytes, want %d", e.Stats.BytesDone.Load(), len(data))
	}
	for _, off := range []int64{3 << 20, 17<<20 + 5, int64(len(data) - 1)} {
		tamperAt(p, "big", off)
		if err := e.Stream(ctx, w.url("big"), io.Discard); fault.KindOf(err) != fault.Integrity {
			t.Errorf("byte %d flipped: stream: err %v, want an integrity error", off, err)
		}
		p.Clear()
	}
}
