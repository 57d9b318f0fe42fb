// Command mkimage builds a single-layer linux/amd64 image from local files and
// writes it as an image tarball that `ctr images import` loads: the local
// cluster's real nodes get Tekton's step images, busybox and the pause image
// without a registry. Files, modes and times are fixed, so a rebuild from the
// same inputs gives the same image.
//
//	mkimage -tag REF -o OUT.tar [-entrypoint a,b] [-env K=V]... [-busybox BIN] [-file SRC=DEST]...
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// entry is one file, symlink or folder of the layer.
type entry struct {
	dest, link string
	data       []byte
	mode       int64
	dir        bool
}

func main() {
	var files, envs multi
	tag := flag.String("tag", "", "image reference to tag the image with (required)")
	out := flag.String("o", "", "output tarball (required)")
	entrypoint := flag.String("entrypoint", "", "comma-separated entrypoint")
	busybox := flag.String("busybox", "", "a static busybox: installed as /bin/busybox with a symlink per applet")
	flag.Var(&files, "file", "SRC=DEST: add a local file (its mode kept)")
	flag.Var(&envs, "env", "K=V: an environment variable of the image")
	flag.Parse()
	if *tag == "" || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := build(*tag, *out, *entrypoint, *busybox, files, envs); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func build(tag, out, entrypoint, busybox string, files, envs []string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	entries := []entry{
		{dest: "tmp", dir: true, mode: 0o1777},
		{dest: "etc", dir: true, mode: 0o755},
		{dest: "etc/passwd", data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"), mode: 0o644},
		{dest: "etc/group", data: []byte("root:x:0:\nnogroup:x:65534:\n"), mode: 0o644},
	}
	if busybox != "" {
		bb, err := busyboxEntries(busybox)
		if err != nil {
			return err
		}
		entries = append(entries, bb...)
	}
	for _, f := range files {
		src, dest, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("-file %q: want SRC=DEST", f)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		entries = append(entries, entry{dest: strings.TrimPrefix(dest, "/"), data: data, mode: int64(st.Mode().Perm())})
	}
	layerTar, err := tarLayer(entries)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cfg.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, envs...)
	if entrypoint != "" {
		cfg.Config.Entrypoint = strings.Split(entrypoint, ",")
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// busyboxEntries installs a static busybox with one symlink per applet it lists.
func busyboxEntries(bin string) ([]entry, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	list, err := exec.Command(bin, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %w", bin, err)
	}
	es := []entry{{dest: "bin/busybox", data: data, mode: 0o755}}
	dirs := map[string]bool{"bin": true}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "bin/busybox" {
			continue
		}
		dirs[path.Dir(applet)] = true
		es = append(es, entry{dest: applet, link: "/bin/busybox"})
	}
	for d := range dirs {
		for ; d != "." && d != "/"; d = path.Dir(d) {
			es = append(es, entry{dest: d, dir: true, mode: 0o755})
		}
	}
	return es, nil
}

// tarLayer writes entries sorted by path, parents first, each folder once.
func tarLayer(entries []entry) ([]byte, error) {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].dest < entries[j].dest })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	epoch := time.Unix(0, 0).UTC()
	var add func(e entry) error
	add = func(e entry) error {
		if seen[e.dest] {
			return nil
		}
		if p := path.Dir(e.dest); p != "." && !seen[p] {
			if err := add(entry{dest: p, dir: true, mode: 0o755}); err != nil {
				return err
			}
		}
		seen[e.dest] = true
		h := &tar.Header{Name: e.dest, Mode: e.mode, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.dir:
			h.Typeflag, h.Name = tar.TypeDir, e.dest+"/"
		case e.link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.link, 0o777
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(e.data)
		return err
	}
	for _, e := range entries {
		if err := add(e); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
