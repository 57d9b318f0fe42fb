package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "re-render plugins/mlpipe.yaml from krew.yaml, keeping its tag and sha256 values")

const (
	goreleaserFile = "../../.goreleaser.yaml"
	templateFile   = "../../krew.yaml"
	indexFile      = "../../plugins/mlpipe.yaml"
)

// goreleaser is the part of .goreleaser.yaml the krew manifest depends on.
type goreleaser struct {
	Builds []struct {
		ID     string   `yaml:"id"`
		Goos   []string `yaml:"goos"`
		Goarch []string `yaml:"goarch"`
		Ignore []struct {
			Goos, Goarch string
		} `yaml:"ignore"`
		Binary string `yaml:"binary"`
	} `yaml:"builds"`
	Archives []struct {
		NameTemplate    string   `yaml:"name_template"`
		Formats         []string `yaml:"formats"`
		WrapInDirectory string   `yaml:"wrap_in_directory"`
		Files           []struct {
			Src string `yaml:"src"`
		} `yaml:"files"`
	} `yaml:"archives"`
}

// manifest is the part of a krew plugin manifest (sigs.k8s.io/krew/pkg/index)
// these tests read.
type manifest struct {
	Metadata struct{ Name string }
	Spec     struct {
		Version   string
		Platforms []struct {
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			}
			URI    string `yaml:"uri"`
			Sha256 string `yaml:"sha256"`
			Bin    string `yaml:"bin"`
		}
	}
}

// platform is an os/arch pair goreleaser builds, and the archive it makes.
type platform struct{ os, arch, archive string }

// built returns what .goreleaser.yaml builds for tag, in the build order.
func built(t *testing.T, tag string) []platform {
	t.Helper()
	b, err := os.ReadFile(goreleaserFile)
	if err != nil {
		t.Fatal(err)
	}
	var g goreleaser
	if err := yaml.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Archives) != 1 {
		t.Fatalf("want one archive config, got %d", len(g.Archives))
	}
	a := g.Archives[0]
	if !slices.Equal(a.Formats, []string{"tar.gz"}) || a.WrapInDirectory != "false" {
		t.Errorf("archives: want formats [tar.gz] and wrap_in_directory false (krew's bin: is relative to the archive root), got %v and %q", a.Formats, a.WrapInDirectory)
	}
	var files []string
	for _, f := range a.Files {
		files = append(files, f.Src)
	}
	for _, want := range []string{"LICENSE", "README.md", "kubectl_complete-mlpipe"} {
		if !slices.Contains(files, want) {
			t.Errorf("archives: %s is not in files %v (validate-krew-manifest needs the LICENSE; the shim is what completion needs)", want, files)
		}
	}
	name, err := template.New("name_template").Option("missingkey=error").Parse(a.NameTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var out []platform
	for _, bld := range g.Builds {
		if bld.Binary != "kubectl-mlpipe" {
			t.Errorf("build %s: binary %q, want kubectl-mlpipe", bld.ID, bld.Binary)
		}
		for _, goos := range bld.Goos {
			for _, goarch := range bld.Goarch {
				if slices.ContainsFunc(bld.Ignore, func(i struct{ Goos, Goarch string }) bool { return i.Goos == goos && i.Goarch == goarch }) {
					continue
				}
				var n bytes.Buffer
				err := name.Execute(&n, map[string]string{"ProjectName": "kubectl-mlpipe", "Tag": tag, "Version": strings.TrimPrefix(tag, "v"), "Os": goos, "Arch": goarch})
				if err != nil {
					t.Fatalf("name_template %q: %v (this test knows .ProjectName, .Tag, .Version, .Os and .Arch)", a.NameTemplate, err)
				}
				out = append(out, platform{goos, goarch, n.String() + ".tar.gz"})
			}
		}
	}
	return out
}

func fakeSums(ps []platform) map[string]string {
	sums := map[string]string{"checksums.txt.sig": fmt.Sprintf("%x", sha256.Sum256(nil))}
	for _, p := range ps {
		sums[p.archive] = fmt.Sprintf("%x", sha256.Sum256([]byte(p.archive)))
	}
	return sums
}

func renderTemplate(t *testing.T, tag string, sums map[string]string, skipMissing bool) ([]byte, []string, error) {
	t.Helper()
	text, err := os.ReadFile(templateFile)
	if err != nil {
		t.Fatal(err)
	}
	return render(string(text), tag, sums, skipMissing)
}

func parse(t *testing.T, b []byte) manifest {
	t.Helper()
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return m
}

// TestTemplateMatchesGoreleaser is the drift check: krew.yaml's URLs name exactly
// the archives goreleaser builds, one platform entry per os/arch, with the
// selector of that archive's os/arch and the binary that is in it.
func TestTemplateMatchesGoreleaser(t *testing.T) {
	const tag = "v1.2.3"
	ps := built(t, tag)
	if len(ps) != 5 {
		t.Errorf("goreleaser builds %d platforms, want the 5 of the issue: %v", len(ps), ps)
	}
	out, skipped, err := renderTemplate(t, tag, fakeSums(ps), false)
	if err != nil {
		t.Fatalf("krew.yaml names an archive goreleaser does not build: %v", err)
	}
	if len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	m := parse(t, out)
	if m.Metadata.Name != "mlpipe" || m.Spec.Version != tag {
		t.Errorf("name %q version %q, want mlpipe %s", m.Metadata.Name, m.Spec.Version, tag)
	}
	var named []string
	for _, p := range m.Spec.Platforms {
		archive := path.Base(p.URI)
		named = append(named, archive)
		i := slices.IndexFunc(ps, func(b platform) bool { return b.archive == archive })
		if i < 0 {
			t.Errorf("%s is not built by goreleaser", p.URI)
			continue
		}
		b := ps[i]
		if want := map[string]string{"os": b.os, "arch": b.arch}; !equalMaps(p.Selector.MatchLabels, want) {
			t.Errorf("%s: selector %v, want %v", archive, p.Selector.MatchLabels, want)
		}
		wantBin := "kubectl-mlpipe"
		if b.os == "windows" {
			wantBin += ".exe"
		}
		if p.Bin != wantBin {
			t.Errorf("%s: bin %q, want %q", archive, p.Bin, wantBin)
		}
		if want := "https://github.com/mlpipe/kubectl-mlpipe/releases/download/" + tag + "/" + archive; p.URI != want {
			t.Errorf("uri %s, want %s", p.URI, want)
		}
		if p.Sha256 != fakeSums(ps)[archive] {
			t.Errorf("%s: sha256 %s is not the one in checksums.txt", archive, p.Sha256)
		}
	}
	for _, b := range ps {
		if c := countOf(named, b.archive); c != 1 {
			t.Errorf("goreleaser builds %s; the manifest names it %d times, want once", b.archive, c)
		}
	}
}

func TestRenderFailsOnArchiveNotBuilt(t *testing.T) {
	ps := built(t, "v1.2.3")
	sums := fakeSums(ps)
	delete(sums, ps[1].archive)
	_, _, err := renderTemplate(t, "v1.2.3", sums, false)
	if err == nil || !strings.Contains(err.Error(), ps[1].archive+", which goreleaser did not build") {
		t.Fatalf("want an error naming %s, got %v", ps[1].archive, err)
	}
}

// TestRenderSkipMissing is the single-target snapshot: only the platforms that
// were built stay in the manifest.
func TestRenderSkipMissing(t *testing.T) {
	ps := built(t, "v1.2.3")
	sums := map[string]string{ps[0].archive: fakeSums(ps)[ps[0].archive]}
	out, skipped, err := renderTemplate(t, "v1.2.3", sums, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != len(ps)-1 {
		t.Errorf("skipped %v, want the %d others", skipped, len(ps)-1)
	}
	m := parse(t, out)
	if len(m.Spec.Platforms) != 1 || path.Base(m.Spec.Platforms[0].URI) != ps[0].archive || m.Spec.Platforms[0].Sha256 != sums[ps[0].archive] {
		t.Fatalf("want only %s, got %+v", ps[0].archive, m.Spec.Platforms)
	}
	if !strings.Contains(string(out), "description: |\n") {
		t.Errorf("the description lost its block style:\n%s", out)
	}
	if _, _, err := renderTemplate(t, "v1.2.3", map[string]string{}, true); err == nil {
		t.Error("want an error when nothing was built")
	}
}

func TestReadChecksums(t *testing.T) {
	dir := t.TempDir()
	sha := fmt.Sprintf("%x", sha256.Sum256(nil))
	good := dir + "/good.txt"
	os.WriteFile(good, []byte(sha+"  a.tar.gz\n\n"+sha+"  b.tar.gz\n"), 0o644)
	got, err := readChecksums(good)
	if err != nil || len(got) != 2 || got["a.tar.gz"] != sha {
		t.Fatalf("got %v, %v", got, err)
	}
	bad := dir + "/bad.txt"
	os.WriteFile(bad, []byte(strings.ToUpper(sha)+"  a.tar.gz\n"), 0o644)
	if _, err := readChecksums(bad); err == nil {
		t.Error("want an error for an upper-case sha256 (krew wants lower case)")
	}
}

// TestIndexManifestIsRenderedTemplate: plugins/mlpipe.yaml is krew.yaml rendered
// for its version with its sha256 values, names goreleaser's archives, and
// covers every platform goreleaser builds. After editing krew.yaml, run
// `go test ./hack/krew-render -run TestIndexManifest -update` (keeps the
// sha256 values) or `make krew-index` (after a full `make dist`: new ones).
func TestIndexManifestIsRenderedTemplate(t *testing.T) {
	b, err := os.ReadFile(indexFile)
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, b)
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m.Spec.Version) {
		t.Errorf("plugins/mlpipe.yaml: version %q is not a release tag", m.Spec.Version)
	}
	sums := map[string]string{}
	for _, p := range m.Spec.Platforms {
		sums[path.Base(p.URI)] = p.Sha256
	}
	for _, p := range built(t, m.Spec.Version) {
		if _, ok := sums[p.archive]; !ok {
			t.Errorf("plugins/mlpipe.yaml has no platform for %s", p.archive)
		}
	}
	want, _, err := renderTemplate(t, m.Spec.Version, sums, false)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := bytes.Cut(b, []byte("\napiVersion:"))
	body = append([]byte("apiVersion:"), body...)
	if *update {
		if err := os.WriteFile(indexFile, append(append(header, '\n'), want...), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(body, want) {
		t.Errorf("plugins/mlpipe.yaml is not krew.yaml rendered for %s: run go test ./hack/krew-render -run TestIndexManifest -update\n--- want\n%s", m.Spec.Version, want)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
