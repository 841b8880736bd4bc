package federation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

// The device flow's ends that the real Dex cannot produce through s3sso
// (device_dex_test.go covers the rest): the provider's own expired_token
// and access_denied answers. Also: a confidential client's secret goes to
// the device endpoint as a form parameter, and polls are never repeated
// with another client authentication style.
func TestDeviceFlowProviderErrors(t *testing.T) {
	for _, answer := range []string{"expired_token", "access_denied"} {
		t.Run(answer, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var deviceForm url.Values
			polls := 0
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			defer srv.Close()
			mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
				_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize",
					"token_endpoint": srv.URL + "/token", "device_authorization_endpoint": srv.URL + "/device"})
			})
			mux.HandleFunc("/device", func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				mu.Lock()
				deviceForm = r.PostForm
				mu.Unlock()
				_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "dc", "user_code": "WXYZ-1234",
					"verification_uri": srv.URL + "/activate", "expires_in": 600, "interval": 1})
			})
			mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				polls++
				n := polls
				mu.Unlock()
				if _, _, basic := r.BasicAuth(); basic {
					t.Errorf("poll %d with HTTP basic authentication", n)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				code := "authorization_pending"
				if n > 1 {
					code = answer
				}
				fmt.Fprintf(w, `{"error":%q}`, code)
			})
			c := &Client{Config: Config{Issuer: srv.URL, ClientID: "cid", ClientSecret: "s3cret-value"}}
			_, err := c.Login(t.Context(), LoginOptions{UseDeviceCode: true})
			if err == nil {
				t.Fatal("device login succeeded")
			}
			want, sentinel := "expired", ErrDeviceCodeExpired
			if answer == "access_denied" {
				want, sentinel = "declined", ErrDeviceDenied
			}
			if !errors.Is(err, sentinel) || fault.KindOf(err) != fault.Auth || !strings.Contains(err.Error(), want) ||
				!loginAgainWithDeviceCode(err) {
				t.Errorf("error %q (kind %v, hint %q)", err, fault.KindOf(err), fault.HintOf(err))
			}
			if strings.Contains(err.Error()+fault.HintOf(err), "s3cret-value") {
				t.Error("the client secret appears in the error")
			}
			mu.Lock()
			defer mu.Unlock()
			if polls != 2 {
				t.Errorf("%d polls, want 2 (authorization_pending, then %s)", polls, answer)
			}
			if deviceForm.Get("client_id") != "cid" || deviceForm.Get("client_secret") != "s3cret-value" {
				t.Errorf("device authorization request without the client credentials: client_id %q, secret sent %v",
					deviceForm.Get("client_id"), deviceForm.Get("client_secret") != "")
			}
		})
	}
}

// loginAgainWithDeviceCode reports whether err asks for a new sign-in with
// the device flow.
func loginAgainWithDeviceCode(err error) bool {
	le, ok := fault.LoginRequired(err)
	return ok && le.DeviceCode
}
