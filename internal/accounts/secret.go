package accounts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/s3sso/s3sso/internal/fault"
)

// Where a secret key is kept.
const (
	SecretInKeyring = "keyring"
	SecretInFile    = "file"
)

// keyringService is the service name of s3sso's OS keyring entries; the
// account name is the user.
const keyringService = "s3sso"

// keyringTimeout bounds a keyring call (a locked keyring may wait for a
// password prompt nobody answers).
const keyringTimeout = 5 * time.Second

// Secrets keeps the secret keys of keys accounts: in the OS keyring (Secret
// Service, macOS Keychain, Windows Credential Manager) when one answers,
// else in Dir/NAME.secret, mode 0600 in a 0700 directory. S3SSO_KEYRING=off
// skips the keyring.
type Secrets struct {
	Dir       string
	NoKeyring bool
}

// Secrets returns the secret store beside the accounts file.
func (s *Store) Secrets() Secrets {
	off := strings.EqualFold(os.Getenv("S3SSO_KEYRING"), "off") || strings.EqualFold(os.Getenv("S3SSO_KEYRING"), "file")
	return Secrets{Dir: filepath.Join(filepath.Dir(s.Path), "secrets"), NoKeyring: off}
}

func withTimeout(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(keyringTimeout):
		return errors.New("the OS keyring did not answer")
	}
}

// Put stores the secret of account and returns where it went
// (SecretInKeyring or SecretInFile).
func (s Secrets) Put(account, secret string) (string, error) {
	if !s.NoKeyring {
		err := withTimeout(func() error { return keyring.Set(keyringService, account, secret) })
		if err == nil {
			_ = os.Remove(s.file(account))
			return SecretInKeyring, nil
		}
	}
	if err := WriteFileAtomic(s.file(account), []byte(secret+"\n")); err != nil {
		return "", fault.Wrap(fault.Local, fmt.Errorf("store the secret key of account %q: %w", account, err), "")
	}
	return SecretInFile, nil
}

// Get returns the secret of account from where Put stored it.
func (s Secrets) Get(account, where string) (string, error) {
	hint := fmt.Sprintf("save it again with `s3sso account edit %s --secret-access-key -`", account)
	if where == SecretInKeyring {
		var v string
		err := withTimeout(func() (err error) { v, err = keyring.Get(keyringService, account); return err })
		if err != nil {
			return "", fault.Wrap(fault.Config, fmt.Errorf("read the secret key of account %q from the OS keyring: %w", account, err), hint)
		}
		return v, nil
	}
	b, err := os.ReadFile(s.file(account))
	if err != nil {
		return "", fault.Wrap(fault.Config, fmt.Errorf("read the secret key of account %q: %w", account, err), hint)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Delete forgets the secret of account (wherever it is).
func (s Secrets) Delete(account string) error {
	if !s.NoKeyring {
		_ = withTimeout(func() error { return keyring.Delete(keyringService, account) })
	}
	if err := os.Remove(s.file(account)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fault.Wrap(fault.Local, fmt.Errorf("remove the secret key of account %q: %w", account, err), "")
	}
	return nil
}

// File returns the fallback file of account's secret.
func (s Secrets) file(account string) string { return filepath.Join(s.Dir, account+".secret") }
