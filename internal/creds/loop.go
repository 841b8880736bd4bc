package creds

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	awsconfig "github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
)

// profileFiles is the config and credentials files, read with s3sso's
// parser, for walking source_profile chains before the SDK does.
type profileFiles struct {
	cfg, cred *awsconfig.File
}

func loadProfileFiles() (profileFiles, bool) {
	cfg, err := awsconfig.Load(configFileName())
	if err != nil {
		return profileFiles{}, false // the SDK reports it
	}
	cred, err := awsconfig.Load(credentialsFileName())
	if err != nil {
		cred = &awsconfig.File{}
	}
	return profileFiles{cfg: cfg, cred: cred}, true
}

func credentialsFileName() string {
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedCredentialsFilename()
}

// credSection returns the credentials file's [name] section (the Go SDK
// ignores [profile name] there).
func (p profileFiles) credSection(name string) *awsconfig.Section {
	var found *awsconfig.Section
	for _, s := range p.cred.Sections {
		if s.Header == name {
			found = s
		}
	}
	return found
}

func (p profileFiles) exists(name string) bool {
	return p.cfg.Profile(name) != nil || p.credSection(name) != nil
}

// get returns a profile's key; the credentials file wins, as in the SDK.
func (p profileFiles) get(name, key string) string {
	if v, ok := p.credSection(name).Get(key); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(p.cfg.Profile(name).Value(key))
}

func (p profileFiles) hasKeys(name string) bool {
	return p.get(name, "aws_access_key_id") != "" && p.get(name, "aws_secret_access_key") != ""
}

// checkSourceLoop finds a source_profile chain that comes back to a
// profile without keys of its own (a -> b -> a, or a -> a). The SDK's
// loader fails on it with "failed to load assume role ..., <nil>"; this
// names the loop. It follows the SDK's rules: a profile reached again (as
// its own source, or further down) must hold static keys, and a source
// profile with static keys ends the chain.
func checkSourceLoop(profile string) error {
	files, ok := loadProfileFiles()
	if !ok {
		return nil
	}
	var path []string
	visited := map[string]bool{}
	name := profile
	for files.exists(name) {
		if visited[name] {
			if files.hasKeys(name) {
				return nil
			}
			path = append(path, name)
			hint := "make the chain end at a profile with credentials (static keys, credential_process, sso_session or web_identity_token_file) that is not already in it"
			if path[0] == name && len(path) == 2 {
				hint = "a profile may name itself as source_profile only when it holds aws_access_key_id and aws_secret_access_key; " + hint
			}
			return &fault.Error{Kind: fault.Config,
				Msg:  fmt.Sprintf("source_profile loop in %s: profile %s", configFileName(), strings.Join(path, " -> ")),
				Hint: hint}
		}
		if len(path) > 0 && files.hasKeys(name) {
			return nil
		}
		visited[name] = true
		path = append(path, name)
		src := files.get(name, "source_profile")
		if src == "" || files.get(name, "role_arn") == "" {
			return nil // the end of the chain, or an error the SDK reports
		}
		name = src
	}
	return nil
}
