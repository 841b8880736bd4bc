package sso

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

// Token cache files as the AWS CLI, the Go SDK and older CLIs write them.
var tokenSeeds = []string{
	`{"startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1", "accessToken": "aoaA", "expiresAt": "2026-07-23T19:04:05Z", "clientId": "Abc", "clientSecret": "eyJ", "registrationExpiresAt": "2026-10-21T18:04:05Z", "refreshToken": "aorv"}`,
	`{"accessToken":"at","clientId":"c","clientSecret":"s","expiresAt":"2026-07-23T19:04:05.123456Z","refreshToken":"r","region":"us-east-1","registrationExpiresAt":"2026-10-21T18:04:05Z","startUrl":"https://x/start"}` + "\n",
	`{"startUrl": "https://x/start", "region": "us-east-1", "accessToken": "at", "expiresAt": "2019-07-23T19:04:05UTC"}`,
	`{"accessToken": "at", "expiresAt": "2026-07-23T21:04:05+02:00", "extra": {"nested": [1, 2.5e3, true, null, "\u00e9\ud83d\ude00"]}, "z": -0}`,
	`{"accessToken": "", "expiresAt": "2026-07-23T19:04:05Z"}`,
	`{"accessToken": "at", "expiresAt": 1784829845}`,
	`{"accessToken": "at", "accessToken": "at2", "expiresAt": "2026-07-23 19:04:05Z"}`,
	`[1, 2]`,
	`{"accessToken": "at", "expiresAt": "2026-07-23T19:04:05Z"} trailing`,
	``,
}

// FuzzParseToken checks the token cache reader: a file it refuses is
// ErrNoToken; a token it accepts has an access token and an expiry, is
// written back as one ASCII line of valid JSON (Python's json.dumps layout)
// that reads back to the same token, unknown members included, and writing
// that again gives the same bytes.
func FuzzParseToken(f *testing.F) {
	for _, s := range tokenSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ParseToken(data)
		if err != nil {
			if !errors.Is(err, ErrNoToken) {
				t.Fatalf("a refused file is not ErrNoToken: %v", err)
			}
			return
		}
		if tok.AccessToken == "" || tok.ExpiresAt.IsZero() || tok.ExpiresAt.Location() != time.UTC {
			t.Fatalf("accepted token without access token or UTC expiry: %+v", tok)
		}
		out, err := tok.Marshal()
		if err != nil {
			t.Fatalf("marshal an accepted token: %v", err)
		}
		checkPyJSON(t, out)
		back, err := ParseToken(out)
		if err != nil {
			t.Fatalf("the written token does not read back: %v\n%s", err, out)
		}
		// Times are written as read when RFC 3339 (kept in raw), else in the
		// CLI's format, whole seconds.
		want := *tok
		if _, kept := tok.raw["expiresAt"]; !kept {
			want.ExpiresAt = tok.ExpiresAt.Truncate(time.Second)
		}
		if _, kept := tok.raw["registrationExpiresAt"]; !kept {
			want.RegistrationExpiresAt = tok.RegistrationExpiresAt.Truncate(time.Second)
		}
		got := *back
		got.raw, want.raw = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read back differs:\ngot  %+v\nwant %+v", *back, want)
		}
		again, err := back.Marshal()
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("writing the token read back changes it: %v\n%s\n%s", err, out, again)
		}
	})
}

// FuzzReadRegistration checks the client-registration cache reader
// (ReadRegistration's parser): invalid content is a cache miss (nil); a
// registration it reads is written in the CLI's layout and reads back the
// same (unknown members included, times to the second) and equally usable,
// and writing it again gives the same bytes.
func FuzzReadRegistration(f *testing.F) {
	for _, s := range []string{
		`{"clientId": "c", "clientSecret": "s", "expiresAt": "2026-10-21T18:04:05Z", "scopes": ["sso:account:access"]}`,
		`{"clientId": "c", "clientSecret": "s", "expiresAt": "2026-10-21T18:04:05Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}`,
		`{"clientId": "c", "clientSecret": "s", "expiresAt": "2026-10-21T18:04:05.5+01:00", "x-tool": {"v": [1, "\u2603"]}}`,
		`{"clientId": 5}`,
		`{"scopes": [], "grantTypes": null}`,
		`null`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 7, 23, 19, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := parseRegistration(data)
		if r == nil {
			return
		}
		out, err := r.marshal()
		if err != nil {
			t.Fatalf("write a registration that was read: %v", err)
		}
		checkPyJSON(t, out)
		back := parseRegistration(out)
		if back == nil {
			t.Fatalf("the written registration does not read back:\n%s", out)
		}
		if back.ClientID != r.ClientID || back.ClientSecret != r.ClientSecret || !back.ExpiresAt.Equal(r.ExpiresAt.Truncate(time.Second)) ||
			!slices.Equal(back.Scopes, r.Scopes) && (len(back.Scopes) > 0 || len(r.Scopes) > 0) ||
			!slices.Equal(back.GrantTypes, r.GrantTypes) && (len(back.GrantTypes) > 0 || len(r.GrantTypes) > 0) ||
			!reflect.DeepEqual(back.unknown, r.unknown) && (len(back.unknown) > 0 || len(r.unknown) > 0) {
			t.Fatalf("read back differs:\ngot  %+v\nwant %+v\nfile %s", back, r, out)
		}
		for _, pkce := range []bool{false, true} {
			if back.usable(now, pkce) != r.usable(now, pkce) {
				t.Fatalf("usable(pkce=%v) changed by a rewrite: %+v", pkce, r)
			}
		}
		if again, err := back.marshal(); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("writing the registration read back changes it: %v\n%s\n%s", err, out, again)
		}
	})
}

// checkPyJSON checks the AWS CLI's layout: valid JSON on one line, ASCII
// only (ensure_ascii), no trailing newline.
func checkPyJSON(t *testing.T, b []byte) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not valid JSON: %s", b)
	}
	for _, c := range b {
		if c == '\n' || c >= 0x80 {
			t.Fatalf("not one ASCII line: %q", b)
		}
	}
}
