// Command krew-render renders krew.yaml, the krew-release-bot template, into a
// krew plugin manifest for goreleaser's output in dist/, with no network:
// addURIAndSha takes the sha256 from goreleaser's checksums.txt instead of
// downloading the release asset, and fails when a URL names an archive that
// goreleaser did not build.
//
//	go run ./hack/krew-render -checksums dist/checksums.txt -o dist/krew/mlpipe.yaml
//
// The tag defaults to the one in goreleaser's metadata.json next to the
// checksums; when that build was a snapshot, the header comment says so.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"
)

func main() {
	tmpl := flag.String("template", "krew.yaml", "the krew-release-bot template")
	tag := flag.String("tag", "", "the release tag ({{ .TagName }}), e.g. v0.1.0 (default: the tag in metadata.json next to -checksums)")
	sums := flag.String("checksums", "dist/checksums.txt", "goreleaser's checksums file")
	out := flag.String("o", "-", "where to write the manifest (- for stdout)")
	skipMissing := flag.Bool("skip-missing", false, "leave out platforms whose archive was not built (single-target snapshots) instead of failing")
	flag.Parse()
	if err := run(*tmpl, *tag, *sums, *out, *skipMissing); err != nil {
		fmt.Fprintln(os.Stderr, "error: "+err.Error())
		os.Exit(1)
	}
}

func run(tmplFile, tag, sumsFile, out string, skipMissing bool) error {
	// goreleaser writes {"tag":"v0.1.0","version":"0.1.0-snapshot+abc1234",...}.
	var meta struct{ Tag, Version string }
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(sumsFile), "metadata.json")); err == nil {
		if err := json.Unmarshal(b, &meta); err != nil {
			return err
		}
		if tag == "" {
			tag = meta.Tag
		} else if meta.Tag != "" && meta.Tag != tag {
			return fmt.Errorf("-tag %s, but %s was built for %s", tag, sumsFile, meta.Tag)
		}
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+`).MatchString(tag) {
		return fmt.Errorf("-tag %q: want a semver tag with its v, e.g. v0.1.0", tag)
	}
	text, err := os.ReadFile(tmplFile)
	if err != nil {
		return err
	}
	sums, err := readChecksums(sumsFile)
	if err != nil {
		return err
	}
	manifest, skipped, err := render(string(text), tag, sums, skipMissing)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(os.Stderr, "krew-render: %s was not built: its platform is left out\n", s)
	}
	header := fmt.Sprintf("# Rendered from krew.yaml for %s by hack/krew-render, sha256 from %s.\n", tag, filepath.ToSlash(sumsFile))
	if meta.Version != "" && meta.Version != strings.TrimPrefix(tag, "v") {
		header += fmt.Sprintf("# %s is not released yet: these sha256 are of snapshot %s (make dist).\n", tag, meta.Version)
	}
	manifest = append([]byte(header), manifest...)
	if out == "-" {
		_, err = os.Stdout.Write(manifest)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, manifest, 0o644)
}

// readChecksums reads goreleaser's "<sha256>  <file name>" lines.
func readChecksums(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 || !regexp.MustCompile(`^[a-f0-9]{64}$`).MatchString(f[0]) {
			return nil, fmt.Errorf("%s: not a sha256 checksum line: %q", file, sc.Text())
		}
		sums[f[1]] = f[0]
	}
	return sums, nil
}

// render executes the template the way krew-release-bot does (same values,
// same addURIAndSha output; the bot's other function, indent, is not offered),
// with the sha256 taken from sums by archive name.
// With skipMissing, platforms whose archive is not in sums are left out and
// their archive names returned; otherwise such a URL is an error.
func render(text, tag string, sums map[string]string, skipMissing bool) ([]byte, []string, error) {
	values := struct{ TagName, Version string }{tag, regexp.MustCompile(`\d+(\.\d+)+`).FindString(tag)}
	const missing = "missing"
	var skipped []string
	funcs := template.FuncMap{
		"addURIAndSha": func(url, tag string) (string, error) {
			var u strings.Builder
			t, err := template.New("url").Parse(url)
			if err != nil {
				return "", err
			}
			if err := t.Execute(&u, struct{ TagName, Version string }{tag, values.Version}); err != nil {
				return "", err
			}
			name := path.Base(u.String())
			sha, ok := sums[name]
			if !ok {
				if !skipMissing {
					return "", fmt.Errorf("%s names %s, which goreleaser did not build (built: %s)", u.String(), name, strings.Join(slices.Sorted(maps.Keys(sums)), ", "))
				}
				skipped = append(skipped, name)
				sha = missing
			}
			return fmt.Sprintf("uri: %s\n    sha256: %s", u.String(), sha), nil
		},
	}
	t, err := template.New("krew.yaml").Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, values); err != nil {
		return nil, nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		return nil, nil, fmt.Errorf("the rendered manifest is not YAML: %w", err)
	}
	platforms := lookup(&doc, "spec", "platforms")
	if platforms == nil || platforms.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("the rendered manifest has no spec.platforms list")
	}
	if len(skipped) == 0 {
		return buf.Bytes(), nil, nil
	}
	platforms.Content = slices.DeleteFunc(platforms.Content, func(p *yaml.Node) bool {
		sha := lookup(p, "sha256")
		return sha != nil && sha.Value == missing
	})
	if len(platforms.Content) == 0 {
		return nil, nil, fmt.Errorf("none of the archives in the template was built")
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), skipped, nil
}

// lookup follows mapping keys from n (a document or a mapping).
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}
