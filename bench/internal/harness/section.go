package harness

import (
	"os"
	"strings"
)

// WriteSection replaces the text between the markers begin and end in the
// markdown file path with md, so that hand-written parts of the file
// survive a run; the section is appended when the file lacks the markers,
// and a new file holds a title and the section.
func WriteSection(path, begin, end, md string) error {
	section := begin + "\n\n" + md + "\n" + end
	old, err := os.ReadFile(path)
	var text string
	switch {
	case err == nil && strings.Contains(string(old), begin) && strings.Contains(string(old), end):
		s := string(old)
		i := strings.Index(s, begin)
		j := strings.Index(s, end) + len(end)
		text = s[:i] + section + s[j:]
	case err == nil || os.IsNotExist(err):
		text = "# Benchmarks\n\n" + section + "\n"
		if err == nil {
			text = string(old) + "\n" + section + "\n"
		}
	default:
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
