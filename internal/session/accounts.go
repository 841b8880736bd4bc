package session

import (
	"context"
	"fmt"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
)

// AccountExistsError means AddAccount would replace an account without
// force.
type AccountExistsError struct{ Account string }

func (e *AccountExistsError) Error() string {
	return fmt.Sprintf("account %q already exists", e.Account)
}

// Accounts returns the saved accounts.
func (m *Manager) Accounts() (*accounts.Store, *accounts.File, error) {
	store, err := accounts.Open()
	if err != nil {
		return nil, nil, err
	}
	f, err := store.Load()
	return store, f, err
}

// AddAccount saves acct (replacing one of the same name only with force)
// with secret, the secret access key of a keys account, in the OS keyring
// or a 0600 file. The first account becomes the default. It returns the
// accounts file's path.
func (m *Manager) AddAccount(ctx context.Context, acct *accounts.Account, secret string, force bool) (string, error) {
	store, err := accounts.Open()
	if err != nil {
		return "", err
	}
	name := acct.Name
	err = store.Update(ctx, func(f *accounts.File) error {
		if _, exists := f.Accounts[name]; exists && !force {
			return &fault.Error{Kind: fault.Conflict, Err: &AccountExistsError{Account: name}}
		}
		if old, exists := f.Accounts[name]; exists && old.Type == accounts.TypeKeys && acct.Type != accounts.TypeKeys {
			_ = store.Secrets().Delete(name)
		}
		if secret != "" {
			where, err := store.Secrets().Put(name, secret)
			if err != nil {
				return err
			}
			acct.Keys.SecretStore = where
		}
		f.Accounts[name] = acct
		if f.Default == "" {
			f.Default = name
		}
		return nil
	})
	m.forget(Ref{Account: name})
	return store.Path, err
}

// EditAccount changes the saved account name with edit, which returns a
// new secret access key to save ("" keeps it). It returns the account as
// saved and the accounts file's path.
func (m *Manager) EditAccount(ctx context.Context, name string, edit func(*accounts.Account) (secret string, err error)) (*accounts.Account, string, error) {
	store, err := accounts.Open()
	if err != nil {
		return nil, "", err
	}
	var changed *accounts.Account
	err = store.Update(ctx, func(f *accounts.File) error {
		acct, err := f.Get(name)
		if err != nil {
			return err
		}
		secret, err := edit(acct)
		if err != nil {
			return err
		}
		if secret != "" {
			where, err := store.Secrets().Put(name, secret)
			if err != nil {
				return err
			}
			acct.Keys.SecretStore = where
		}
		changed = acct
		return nil
	})
	m.forget(Ref{Account: name})
	return changed, store.Path, err
}

// RemoveAccount forgets a saved account: an oidc account's sign-in is
// ended first (see LogoutResult.Warnings), a keys account's secret is
// deleted; an sso account's token is kept, because other accounts and
// legacy profiles of the same start URL share it.
func (m *Manager) RemoveAccount(ctx context.Context, name string) (LogoutResult, error) {
	store, f, err := m.Accounts()
	if err != nil {
		return LogoutResult{}, err
	}
	acct, err := f.Get(name)
	if err != nil {
		return LogoutResult{}, err
	}
	var res LogoutResult
	switch acct.Type {
	case accounts.TypeOIDC:
		if res, err = m.LogoutOIDC(ctx, acct); err != nil {
			return res, err
		}
	case accounts.TypeKeys:
		if err := store.Secrets().Delete(name); err != nil {
			return res, err
		}
	}
	err = store.Update(ctx, func(f *accounts.File) error {
		if _, err := f.Get(name); err != nil {
			return err
		}
		delete(f.Accounts, name)
		if f.Default == name {
			f.Default = ""
		}
		return nil
	})
	m.forget(Ref{Account: name})
	return res, err
}

// UseAccount makes name the default account.
func (m *Manager) UseAccount(ctx context.Context, name string) error {
	store, err := accounts.Open()
	if err != nil {
		return err
	}
	return store.Update(ctx, func(f *accounts.File) error {
		if _, err := f.Get(name); err != nil {
			return err
		}
		f.Default = name
		return nil
	})
}
