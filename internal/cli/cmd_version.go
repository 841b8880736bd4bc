package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/buildinfo"
	"github.com/s3sso/s3sso/internal/fault"
)

type versionMsg struct{ buildinfo.Info }

func (m versionMsg) String() string {
	s := fmt.Sprintf("s3sso %s (%s, %s)", m.Version, m.GoVersion, m.Platform)
	if m.Commit != "" {
		s += " commit " + m.Commit
	}
	return s
}
func (m versionMsg) JSON() any { return m.Info }

func (a *app) newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  argsRange(0, 0),
		RunE: func(*cobra.Command, []string) error {
			a.out.Print(versionMsg{buildinfo.Get()})
			return nil
		},
	}
}

func newCompletionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script.

  bash:  source <(s3sso completion bash)
  zsh:   s3sso completion zsh > "${fpath[1]}/_s3sso"
  fish:  s3sso completion fish > ~/.config/fish/completions/s3sso.fish`,
		Args:      argsRange(1, 1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return usageError("unknown shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
}

// withHint attaches a hint to err, keeping its kind.
func withHint(err error, hint string) error { return fault.WithHint(err, hint) }
