package objstore

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3sso/s3sso/internal/fault"
)

// RenewFunc replaces credentials that the server refused (cause), by a new
// sign-in if need be; it returns nil when requests may be sent again.
type RenewFunc func(ctx context.Context, cause error) error

type batchKey struct{}

// InBatch marks ctx as belonging to a batch job (a transfer of many
// objects), which a RenewFunc may treat differently from a single request:
// pause the job and sign in again rather than ask first.
func InBatch(ctx context.Context) context.Context { return context.WithValue(ctx, batchKey{}, true) }

// IsBatch reports whether ctx was marked by InBatch.
func IsBatch(ctx context.Context) bool { b, _ := ctx.Value(batchKey{}).(bool); return b }

// maxRenewals bounds the renewals one request waits for.
const maxRenewals = 3

// renewGate pauses a client's requests while refused credentials are
// renewed. A request refused for its credentials (ExpiredToken,
// InvalidToken, or a sign-in the credential provider asks for) calls renew
// once for all requests refused at the same time; meanwhile new requests
// wait before they are sent, and afterwards every refused request is sent
// again (its body rewound), so nothing that was already accepted is sent
// twice.
type renewGate struct {
	renew RenewFunc

	mu       sync.Mutex
	gen      uint64        // renewals so far
	renewing chan struct{} // closed when the current renewal ends; nil if none
	err      error         // the last renewal's error
}

func (g *renewGate) ID() string { return "s3sso:RenewCredentials" }

// wait blocks while a renewal is running and returns the generation.
func (g *renewGate) wait(ctx context.Context) (uint64, error) {
	for {
		g.mu.Lock()
		ch, gen := g.renewing, g.gen
		g.mu.Unlock()
		if ch == nil {
			return gen, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// renewAfter renews unless another request already did since gen.
func (g *renewGate) renewAfter(ctx context.Context, gen uint64, cause error) error {
	g.mu.Lock()
	if g.gen != gen {
		g.mu.Unlock()
		return nil
	}
	if ch := g.renewing; ch != nil {
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.gen != gen {
			return nil
		}
		return g.err
	}
	ch := make(chan struct{})
	g.renewing = ch
	g.mu.Unlock()
	err := g.renew(ctx, cause)
	g.mu.Lock()
	g.renewing, g.err = nil, err
	if err == nil {
		g.gen++
	}
	close(ch)
	g.mu.Unlock()
	return err
}

// HandleFinalize wraps the SDK's retry loop.
func (g *renewGate) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error) {
	for n := 0; ; n++ {
		gen, err := g.wait(ctx)
		if err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		out, md, err := next.HandleFinalize(ctx, in)
		if err == nil || n >= maxRenewals || !renewable(err) || ctx.Err() != nil {
			return out, md, err
		}
		// A request without a body (GET, HEAD, a listing) is sent again as
		// it is; one whose body cannot be rewound is not.
		req, ok := in.Request.(*smithyhttp.Request)
		if !ok || req.GetStream() != nil && !req.IsStreamSeekable() {
			return out, md, err
		}
		if rerr := g.renewAfter(ctx, gen, err); rerr != nil {
			return out, md, rerr
		}
		if rerr := req.RewindStream(); rerr != nil {
			return out, md, err
		}
	}
}

// renewable reports whether err means the credentials expired, were
// revoked or need a new sign-in, which a renewal can fix (see
// credentialsRefused; a missing permission cannot be fixed this way).
func renewable(err error) bool {
	if _, ok := fault.LoginRequired(err); ok {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "TokenRefreshRequired" {
		return true
	}
	return credentialsRefused(err)
}

// addRenewGate installs g around the retry loop of every operation.
func addRenewGate(g *renewGate) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		if err := st.Finalize.Insert(g, "Retry", middleware.Before); err == nil {
			return nil
		}
		return st.Finalize.Add(g, middleware.Before)
	}
}
