// Package mount is s3sso's mounted drive: a FUSE file system over one S3
// bucket (and prefix), a front end over the core like the CLI.
//
// Sessions come from session.Manager.Open with the mount's own Prompter,
// which makes the core wait for a sign-in made elsewhere instead of
// failing (session.SignInWaiter); objects are read with ranged GETs and an
// adaptive read-ahead shared by every reader of a file; files written are
// staged in an on-disk write-back cache, recorded in an fsync'd journal and
// uploaded by the transfer engine on close, fsync or after an idle delay.
// A killed mount's journal is uploaded by the next mount of the same bucket
// before it accepts writes. docs/mount.md describes the semantics.
//
// The file system itself is built on Linux and macOS (go-fuse); elsewhere
// Run returns an error saying the platform is not supported yet.
package mount
