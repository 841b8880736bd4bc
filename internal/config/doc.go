// Package config reads and edits the AWS shared config file (~/.aws/config)
// with the AWS CLI's (botocore's) semantics, which s3sso must match so that a
// login made by either tool works for the other:
//
//   - comments are whole lines starting with '#' or ';' (there are no inline
//     comments: "a = x # y" has the value "x # y");
//   - '=' and ':' are delimiters, the first one on the line wins;
//   - keys are lower-cased, section names are case-sensitive;
//   - section headers "[profile NAME]", "[sso-session NAME]" and
//     "[services NAME]" are split like shlex.split and must have exactly two
//     parts (so "[profile 'my name']" works and "[profile a b]" is ignored);
//   - an indented line continues the previous key, which gives the nested
//     blocks of [services] sections;
//   - a section or key repeated in one file is a parse error.
//
// It validates IAM Identity Center profiles the way botocore's SSO provider
// does (see SSO), resolves the sso and sso_oidc endpoint overrides, and
// edits the file (Editor) keeping every comment, section and key it does not
// change.
package config
