// Package input reads spec files named by -f: files, directories or "-".
package input

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one file's bytes and the name errors should use.
type Source struct {
	Name string
	Data []byte
}

var extensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// Read returns the sources named by paths, in the order given; a directory
// contributes its .yaml, .yml and .json files sorted by name (recursively
// when recursive is set). "-" reads stdin once.
func Read(paths []string, recursive bool, stdin io.Reader) ([]Source, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no spec given: pass -f FILE, -f DIR or -f -")
	}
	var out []Source
	stdinUsed := false
	for _, p := range paths {
		if p == "-" {
			if stdinUsed {
				return nil, fmt.Errorf("-f - given more than once")
			}
			stdinUsed = true
			b, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading stdin: %w", err)
			}
			out = append(out, Source{Name: "<stdin>", Data: b})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("the path %q does not exist", p)
		}
		if !info.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			out = append(out, Source{Name: p, Data: b})
			continue
		}
		files, err := dirFiles(p, recursive)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no .yaml, .yml or .json files in directory %q", p)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			out = append(out, Source{Name: f, Data: b})
		}
	}
	return out, nil
}

func dirFiles(dir string, recursive bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if extensions[strings.ToLower(filepath.Ext(path))] {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}
