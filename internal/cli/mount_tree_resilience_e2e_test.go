//go:build linux

package cli_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// resTreeFile is one file of the mixed tree: its path and size.
type resTreeFile struct {
	path string
	size int64
}

// resMixedTree lists 1,000 files of mixed sizes in nested directories: a few
// large files (the largest 300 MiB, or 16 MiB under -race so that make test
// stays short), some around the multipart part size, many small ones, an
// empty file, and names with spaces and non-ASCII letters.
func resMixedTree() []resTreeFile {
	large := []int64{300 << 20, 64<<20 + 1, 64<<20 - 1, 16 << 20, 16 << 20, 8<<20 + 1, 8 << 20, 5<<20 + 3}
	if testenv.Race() {
		large = []int64{16 << 20, 8<<20 + 1, 5<<20 + 3}
	}
	rng := rand.New(rand.NewPCG(11, 11))
	var files []resTreeFile
	for i := range 1000 {
		dir := fmt.Sprintf("d%d/s%d", i%10, (i/10)%5)
		name := fmt.Sprintf("f%04d.bin", i)
		switch i % 97 {
		case 3:
			name = fmt.Sprintf("file with spaces %04d.txt", i)
		case 5:
			name = fmt.Sprintf("ünïcødé-%04d", i)
		}
		var size int64
		switch {
		case i < len(large):
			size = large[i]
		case i == len(large):
			size = 0
		case i%50 == 7:
			size = 256<<10 + rng.Int64N(768<<10) // 256 KiB to 1 MiB
		default:
			size = rng.Int64N(64 << 10)
		}
		files = append(files, resTreeFile{path: filepath.Join(dir, name), size: size})
	}
	return files
}

// resWriteTree writes files under root with pseudo-random content.
func resWriteTree(t *testing.T, root string, files []resTreeFile) int64 {
	t.Helper()
	var total int64
	buf := make([]byte, 1<<20)
	for i, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		src := rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), 42})
		for left := f.size; left > 0; {
			n := min(left, int64(len(buf)))
			_, _ = src.Read(buf[:n])
			if _, err := out.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
			left -= n
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		total += f.size
	}
	return total
}

// TestMountResilienceTreeRoundTrip copies a tree of 1,000 files of mixed
// sizes into the mount with cp -r, unmounts (s3sso unmount uploads what is
// pending first), checks the objects with the s3sso CLI (cp -r of the
// prefix to a local directory: same paths, same sha256), mounts again with
// an empty cache and copies the tree back out with cp -r: same sha256
// again. The mount is of a prefix of the bucket, with static keys.
func TestMountResilienceTreeRoundTrip(t *testing.T) {
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	env := []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey, "AWS_REGION=" + m.Region}
	global := []string{"--endpoint-url", m.Endpoint}
	src := filepath.Join(home, "src")
	files := resMixedTree()
	total := resWriteTree(t, src, files)
	want := resTreeSums(t, src)
	if len(want) != len(files) {
		t.Fatalf("wrote %d files, hashed %d", len(files), len(want))
	}
	source := "s3://" + bucket + "/data"

	mnt := filepath.Join(home, "mnt")
	mt := startResMount(t, env, global, []string{"--cache-dir", filepath.Join(home, "cache1")}, source, mnt)
	if out, err := exec.Command("cp", "-r", src, filepath.Join(mnt, "tree")).CombinedOutput(); err != nil {
		t.Fatalf("cp -r into the mount: %v: %s", err, out)
	}
	mt.unmount()

	// The objects, read back by the s3sso CLI.
	check := filepath.Join(home, "check")
	if r := testenv.Run(t, env, "", append(global, "--no-progress", "-q", "cp", "-r", source+"/tree/", check+"/")...); r.Code != 0 {
		t.Fatalf("s3sso cp -r of the uploaded tree: %s", r)
	}
	if d := resDiffSums(want, resTreeSums(t, check)); len(d) > 0 {
		t.Fatalf("the objects written through the mount differ from the files (%d differences), e.g. %v", len(d), d[:min(5, len(d))])
	}

	// A new mount, empty cache: every byte comes from S3.
	mt = startResMount(t, env, global, []string{"--cache-dir", filepath.Join(home, "cache2")}, source, mnt)
	out := filepath.Join(home, "out")
	if b, err := exec.Command("cp", "-r", filepath.Join(mnt, "tree"), out).CombinedOutput(); err != nil {
		t.Fatalf("cp -r out of the mount: %v: %s", err, b)
	}
	if d := resDiffSums(want, resTreeSums(t, out)); len(d) > 0 {
		t.Fatalf("the tree read back through the mount differs (%d differences), e.g. %v", len(d), d[:min(5, len(d))])
	}
	mt.unmount()
	t.Logf("%d files, %d bytes, in and out of the mount intact", len(files), total)
}
