package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
)

// accountView is an account as the page lists it. It holds no secrets: an
// oidc client secret and a keys secret are only said to be set.
type accountView struct {
	Name    string `json:"name"` // the account name, or profile:NAME
	Label   string `json:"label"`
	Type    string `json:"type"` // sso, profile, oidc, keys
	Saved   bool   `json:"saved"`
	Default bool   `json:"default"`

	SignedIn  bool   `json:"signed_in"`
	Usable    bool   `json:"usable"`
	Renewable bool   `json:"renewable"`
	Expires   string `json:"expires,omitempty"` // RFC 3339
	State     string `json:"state"`             // in words
	CanSignIn bool   `json:"can_sign_in"`

	Settings *accountSettings `json:"settings,omitempty"`
}

// accountSettings are the dialog's fields (the CLI's flag names, so that
// validation errors point at fields).
type accountSettings struct {
	EndpointURL     string `json:"endpoint-url"`
	Region          string `json:"region"`
	PathStyle       bool   `json:"path-style"`
	DualStack       bool   `json:"dual-stack"`
	ListAllBuckets  bool   `json:"list-all-buckets"`
	CheckCloudFront bool   `json:"check-cloudfront"`
	ExternalBuckets string `json:"external-bucket"` // one per line
	// HeaderRules are the upload header rules, one PATTERN:Header=Value a
	// line (as `account edit --header-rule` takes them).
	HeaderRules string `json:"header-rule"`

	StartURL  string `json:"start-url,omitempty"`
	SSORegion string `json:"sso-region,omitempty"`
	AccountID string `json:"account-id,omitempty"`
	RoleName  string `json:"role-name,omitempty"`

	Profile string `json:"profile,omitempty"`

	Issuer          string `json:"issuer,omitempty"`
	ClientID        string `json:"client-id,omitempty"`
	ClientSecret    string `json:"client-secret,omitempty"` // in: a new secret; out: never
	ClientSecretSet bool   `json:"client-secret-set,omitempty"`
	Scopes          string `json:"scopes,omitempty"`
	STSEndpoint     string `json:"sts-endpoint,omitempty"`
	RoleARN         string `json:"role-arn,omitempty"`

	AccessKeyID     string `json:"access-key-id,omitempty"`
	SecretAccessKey string `json:"secret-access-key,omitempty"` // in only
	SecretStore     string `json:"secret-store,omitempty"`
}

func settingsOf(a *accounts.Account) *accountSettings {
	st := &accountSettings{EndpointURL: a.EndpointURL, Region: a.Region, PathStyle: a.PathStyle, DualStack: a.DualStack,
		ListAllBuckets: a.ListsAllBuckets(), CheckCloudFront: a.CheckCloudFront, ExternalBuckets: strings.Join(a.ExternalBuckets, "\n"),
		HeaderRules: headerRuleLines(a.HeaderRules)}
	switch {
	case a.SSO != nil:
		st.StartURL, st.SSORegion, st.AccountID, st.RoleName = a.SSO.StartURL, a.SSO.Region, a.SSO.AccountID, a.SSO.RoleName
	case a.Profile != nil:
		st.Profile = a.Profile.Name
	case a.OIDC != nil:
		o := a.OIDC
		st.Issuer, st.ClientID, st.ClientSecretSet, st.Scopes = o.Issuer, o.ClientID, o.ClientSecret != "", strings.Join(o.Scopes, " ")
		st.STSEndpoint, st.RoleARN = o.STSEndpoint, o.RoleARN
	case a.Keys != nil:
		st.AccessKeyID, st.SecretStore = a.Keys.AccessKeyID, a.Keys.SecretStore
	}
	return st
}

// stateOf describes an account's sign-in state in words.
func stateOf(st session.AccountStatus) (string, *session.TokenState) {
	t := st.Token
	switch {
	case st.Problem != nil:
		return "settings problem: " + session.Scrub(st.Problem.Error()), nil
	case st.SecretMissing:
		return "secret key missing", nil
	case st.ProfileMissing != "":
		return "profile not found in " + st.ProfileMissing, nil
	case st.Account.Type == accounts.TypeKeys:
		return "access key", nil
	case st.Account.Type == accounts.TypeProfile && !st.SSOProfile:
		return "credentials of the profile", nil
	case t == nil:
		return "unknown", nil
	case t.WrongRegion != "":
		return "needs sign-in", t
	case !t.SignedIn:
		return "needs sign-in", t
	case !t.Expires.IsZero() && t.Expires.After(time.Now()):
		s := "signed in until " + t.Expires.Local().Format("15:04")
		if time.Until(t.Expires) > 20*time.Hour {
			s = "signed in until " + t.Expires.Local().Format("Jan 2 15:04")
		}
		if t.Renewable {
			s += ", renews itself"
		}
		return s, t
	case t.Renewable:
		return "signed in, renews itself", t
	}
	return "needs sign-in", t
}

func (s *Server) viewOf(store *accounts.Store, a *accounts.Account, name string, saved bool) accountView {
	st := s.mgr.AccountStatus(store, a)
	v := accountView{Name: name, Label: a.Name, Type: string(a.Type), Saved: saved, Usable: st.Usable}
	v.State, _ = stateOf(st)
	if t := st.Token; t != nil {
		v.SignedIn, v.Renewable = t.SignedIn && st.Usable, t.Renewable
		if !t.Expires.IsZero() {
			v.Expires = t.Expires.UTC().Format(time.RFC3339)
		}
	}
	v.CanSignIn = a.Type == accounts.TypeSSO || a.Type == accounts.TypeOIDC || (a.Type == accounts.TypeProfile && st.SSOProfile)
	if saved {
		v.Settings = settingsOf(a)
	}
	return v
}

type accountList struct {
	Default  string        `json:"default"`
	Accounts []accountView `json:"accounts"`
	Profiles []accountView `json:"profiles"`
	Problem  *apiErr       `json:"problem,omitempty"`
	Start    string        `json:"start,omitempty"` // the account to open first
}

func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	store, f, err := s.mgr.Accounts()
	out := accountList{Accounts: []accountView{}, Profiles: []accountView{}, Start: s.opts.Account}
	if err != nil {
		e := errorBody(err)
		out.Problem = &e
	} else {
		out.Default = f.Default
		for _, n := range f.Names() {
			v := s.viewOf(store, f.Accounts[n], n, true)
			v.Default = n == f.Default
			out.Accounts = append(out.Accounts, v)
		}
	}
	if cf, err := session.LoadAWSConfig(); err == nil {
		names := cf.Names("profile")
		sort.Strings(names)
		for _, p := range names {
			a := &accounts.Account{Name: p, Type: accounts.TypeProfile, Profile: &accounts.Profile{Name: p}}
			out.Profiles = append(out.Profiles, s.viewOf(store, a, "profile:"+p, false))
		}
	} else if out.Problem == nil {
		e := errorBody(err)
		out.Problem = &e
	}
	writeJSON(w, http.StatusOK, out)
}

// accountForm is the Add/Edit dialog's request.
type accountForm struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"`
	Force    bool            `json:"force"`
	Settings accountSettings `json:"settings"`
}

// apply sets acct from the form and returns the new secret access key of a
// keys account ("" when unchanged). It makes the CLI's checks (the shared
// ones in internal/accounts) and then acct.Validate.
func (fm *accountForm) apply(acct *accounts.Account, add bool) (string, error) {
	in := fm.Settings
	if err := accounts.CheckURLs(map[string]string{"--endpoint-url": in.EndpointURL}); err != nil {
		return "", err
	}
	acct.EndpointURL, acct.Region, acct.PathStyle = strings.TrimSpace(in.EndpointURL), strings.TrimSpace(in.Region), in.PathStyle
	acct.DualStack, acct.CheckCloudFront = in.DualStack, in.CheckCloudFront
	acct.ListAllBuckets = nil
	if !in.ListAllBuckets {
		f := false
		acct.ListAllBuckets = &f
	}
	var ext []string
	for _, l := range strings.Split(in.ExternalBuckets, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ext = append(ext, l)
		}
	}
	var err error
	if acct.ExternalBuckets, err = accounts.AddExternalBuckets(nil, ext); err != nil {
		return "", err
	}
	if acct.HeaderRules, err = parseHeaderRuleLines(in.HeaderRules); err != nil {
		return "", withField(err, "header-rule")
	}
	secret := ""
	switch acct.Type {
	case accounts.TypeSSO:
		acct.SSO = &accounts.SSO{StartURL: strings.TrimSpace(in.StartURL), Region: strings.TrimSpace(in.SSORegion),
			AccountID: strings.TrimSpace(in.AccountID), RoleName: strings.TrimSpace(in.RoleName)}
	case accounts.TypeProfile:
		acct.Profile = &accounts.Profile{Name: strings.TrimSpace(in.Profile)}
	case accounts.TypeOIDC:
		if err := accounts.CheckURLs(map[string]string{"--issuer": in.Issuer, "--sts-endpoint": in.STSEndpoint}); err != nil {
			return "", err
		}
		if err := accounts.CheckRoleARN(strings.TrimSpace(in.RoleARN)); err != nil {
			return "", err
		}
		if acct.OIDC == nil {
			acct.OIDC = &accounts.OIDC{}
		}
		o := acct.OIDC
		o.Issuer, o.ClientID = strings.TrimSpace(in.Issuer), strings.TrimSpace(in.ClientID)
		o.STSEndpoint, o.RoleARN = strings.TrimSpace(in.STSEndpoint), strings.TrimSpace(in.RoleARN)
		o.Scopes = strings.FieldsFunc(in.Scopes, func(r rune) bool { return r == ' ' || r == ',' })
		if in.ClientSecret != "" {
			o.ClientSecret = in.ClientSecret
		}
	case accounts.TypeKeys:
		if acct.Keys == nil {
			acct.Keys = &accounts.Keys{}
		}
		acct.Keys.AccessKeyID = strings.TrimSpace(in.AccessKeyID)
		secret = strings.TrimSpace(in.SecretAccessKey)
		if add && secret == "" {
			return "", fault.Newf(fault.Usage, "account %q: --secret-access-key is required for --type keys", acct.Name)
		}
	}
	return secret, acct.Validate()
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return badRequest("read the request: %v", err)
	}
	return nil
}

func (s *Server) handleAccountAdd(w http.ResponseWriter, r *http.Request) {
	var fm accountForm
	if err := decodeBody(r, &fm); err != nil {
		writeError(w, err)
		return
	}
	if err := accounts.CheckType(fm.Type); err != nil {
		writeError(w, withField(err, "type"))
		return
	}
	if err := accounts.CheckName(fm.Name); err != nil {
		writeError(w, withField(err, "name"))
		return
	}
	acct := &accounts.Account{Name: fm.Name, Type: accounts.Type(fm.Type), Created: time.Now().UTC().Truncate(time.Second)}
	secret, err := fm.apply(acct, true)
	if err == nil {
		_, err = s.mgr.AddAccount(r.Context(), acct, secret, fm.Force)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("accounts", nil)
	writeJSON(w, http.StatusCreated, map[string]string{"name": acct.Name})
}

// fieldErr names the form field an error is about.
type fieldErr struct {
	error
	field string
}

func (e fieldErr) Unwrap() error { return e.error }

func withField(err error, field string) error { return fieldErr{err, field} }

func (s *Server) handleAccountEdit(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var fm accountForm
	if err := decodeBody(r, &fm); err != nil {
		writeError(w, err)
		return
	}
	_, _, err := s.mgr.EditAccount(r.Context(), name, func(acct *accounts.Account) (string, error) {
		return fm.apply(acct, false)
	})
	if err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("accounts", nil)
	writeJSON(w, http.StatusOK, map[string]string{"name": name})
}

func (s *Server) handleAccountDelete(w http.ResponseWriter, r *http.Request) {
	res, err := s.mgr.RemoveAccount(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("accounts", nil)
	writeJSON(w, http.StatusOK, map[string]any{"warnings": res.Warnings})
}

func (s *Server) handleAccountDefault(w http.ResponseWriter, r *http.Request) {
	if err := s.mgr.UseAccount(r.Context(), r.PathValue("name")); err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("accounts", nil)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// parseRef turns the page's account name ("work", "profile:dev") into a
// session reference.
func parseRef(name string) (session.Ref, error) {
	if p, ok := strings.CutPrefix(name, "profile:"); ok {
		if p == "" {
			return session.Ref{}, badRequest("no profile named")
		}
		return session.Ref{Profile: p}, nil
	}
	if name == "" || !accounts.ValidName(name) {
		return session.Ref{}, badRequest("no account %q", name)
	}
	return session.Ref{Account: name}, nil
}

// loginState is a sign-in started from the page.
type loginState struct {
	Ref     string `json:"ref"`
	State   string `json:"state"` // running, done, failed, cancelled
	Error   *apiErr
	Expires string `json:"expires,omitempty"`
	Account string `json:"account_id,omitempty"`
	Role    string `json:"role,omitempty"`
}

// handleLogin starts a sign-in in the background; its end is an event
// ("login"). A running sign-in of the same account is cancelled first.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ref, err := parseRef(name)
	if err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		DeviceCode bool `json:"device_code"`
	}
	if r.ContentLength > 0 {
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(withSignInRef(s.ctx, name), 15*time.Minute)
	id := s.logins.start(name, cancel)
	go func() {
		defer cancel()
		res, err := s.mgr.Login(ctx, ref, session.LoginOptions{UseDeviceCode: body.DeviceCode})
		s.prompter.clearSignIns(name)
		st := loginState{Ref: name, State: "done"}
		switch {
		case ctx.Err() != nil && err != nil:
			st.State = "cancelled"
		case err != nil:
			st.State = "failed"
			e := errorBody(err)
			st.Error = &e
		default:
			if !res.Expires.IsZero() {
				st.Expires = res.Expires.UTC().Format(time.RFC3339)
			}
			st.Account, st.Role = res.AccountID, res.RoleName
		}
		s.logins.end(name, id)
		s.hub.send("login", st)
		s.hub.send("accounts", nil)
	}()
	writeJSON(w, http.StatusAccepted, map[string]string{"ref": name, "state": "running"})
}

func (s *Server) handleLoginCancel(w http.ResponseWriter, r *http.Request) {
	s.logins.cancel(r.PathValue("name"))
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	ref, err := parseRef(r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.mgr.Logout(r.Context(), ref, false)
	if err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("accounts", nil)
	writeJSON(w, http.StatusOK, map[string]any{"warnings": res.Warnings})
}

// handlePrompt answers a question the core asked (choose, ask, confirm).
func (s *Server) handlePrompt(w http.ResponseWriter, r *http.Request) {
	var a answer
	if err := decodeBody(r, &a); err != nil {
		writeError(w, err)
		return
	}
	if err := s.prompter.Answer(r.PathValue("id"), a); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// headerRuleLines writes header rules one PATTERN:Header=Value a line,
// headers of a rule in name order.
func headerRuleLines(rules []objstore.HeaderRule) string {
	var lines []string
	for _, r := range rules {
		names := make([]string, 0, len(r.Headers))
		for h := range r.Headers {
			names = append(names, h)
		}
		sort.Strings(names)
		for _, h := range names {
			lines = append(lines, r.Pattern+":"+h+"="+r.Headers[h])
		}
	}
	return strings.Join(lines, "\n")
}

// parseHeaderRuleLines reads the dialog's header rules, one a line.
func parseHeaderRuleLines(text string) ([]objstore.HeaderRule, error) {
	var rules []objstore.HeaderRule
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		p, h, v, err := objstore.ParseHeaderRule(l)
		if err != nil {
			return nil, err
		}
		rules = objstore.SetRuleHeader(rules, p, h, v)
	}
	return rules, nil
}
