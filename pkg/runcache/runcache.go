// Package runcache keeps what list shows of finished runs on disk, so a
// namespace of thousands of runs is listed from their metadata alone.
//
// A stored run holds its whole pipeline twice, and a LIST cannot select
// fields: reading 10,000 runs moves about 460 MB. A finished run's row
// never changes unless the run does, and any change to an object, its
// labels and annotations included, gives it a new resourceVersion. So an
// entry is the run's summary as list read it, kept under its uid with the
// resourceVersion it had; it is used only while a metadata-only LIST still
// shows that uid at that resourceVersion. The cache never shows a run the
// API did not list, and a run the user may no longer read is never listed.
//
// The file is one per API server, in kubectl's --cache-dir (as kubectl's
// discovery cache is), written whole to a temporary file and renamed, so
// concurrent lists never read half a file; the last writer wins.
package runcache

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// version is the file format's; a file of another version is ignored and rewritten.
const version = 1

// Cache is the summaries of finished runs of one API server.
type Cache struct {
	path    string
	entries map[types.UID]v1.PipelineRun
	changed bool
}

type file struct {
	Version int              `json:"version"`
	Runs    []v1.PipelineRun `json:"runs"`
}

// unsafeChars is what kubectl's discovery cache replaces in a server's
// host to name its folder (cli-runtime's computeDiscoverCacheDir).
var unsafeChars = regexp.MustCompile(`[^(\w/.)]`)

// Path is the cache file of the API server at host, under dir.
func Path(dir, host string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	h = strings.ReplaceAll(unsafeChars.ReplaceAllString(h, "_"), "/", "_")
	return filepath.Join(dir, "mlpipe", "runs", h+".json")
}

// Open reads the cache at path. A missing, unreadable or outdated file is
// an empty cache: it costs one full read of the runs, and is rewritten.
func Open(path string) *Cache {
	c := &Cache{path: path, entries: map[types.UID]v1.PipelineRun{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	var f file
	if json.Unmarshal(b, &f) != nil || f.Version != version {
		c.changed = true
		return c
	}
	for _, pr := range f.Runs {
		if pr.UID != "" && pr.ResourceVersion != "" {
			c.entries[pr.UID] = pr
		}
	}
	return c
}

// Len is the number of runs kept.
func (c *Cache) Len() int { return len(c.entries) }

// Get returns the summary kept for the run uid at resourceVersion rv.
func (c *Cache) Get(uid types.UID, rv string) (v1.PipelineRun, bool) {
	pr, ok := c.entries[uid]
	if !ok || pr.ResourceVersion != rv {
		return v1.PipelineRun{}, false
	}
	return pr, true
}

// Replace makes the cache hold, of the runs in namespace ns ("": every
// namespace) whose labels match sel, exactly the finished ones of listed:
// listed is everything a LIST of that scope returned, so a kept run it does
// not hold was deleted, and is dropped. Runs outside the scope are kept.
func (c *Cache) Replace(ns string, sel labels.Selector, listed []v1.PipelineRun, finished func(*v1.PipelineRun) bool) {
	seen := make(map[types.UID]bool, len(listed))
	for i := range listed {
		pr := &listed[i]
		seen[pr.UID] = true
		if pr.UID == "" || pr.ResourceVersion == "" || pr.DeletionTimestamp != nil || !finished(pr) {
			if _, ok := c.entries[pr.UID]; ok {
				delete(c.entries, pr.UID)
				c.changed = true
			}
			continue
		}
		if old, ok := c.entries[pr.UID]; ok && old.ResourceVersion == pr.ResourceVersion {
			continue
		}
		c.entries[pr.UID] = *pr
		c.changed = true
	}
	for uid, pr := range c.entries {
		if seen[uid] || (ns != "" && pr.Namespace != ns) || !sel.Matches(labels.Set(pr.Labels)) {
			continue
		}
		delete(c.entries, uid)
		c.changed = true
	}
}

// Save writes the cache when it changed: to a temporary file beside it,
// then renamed over it.
func (c *Cache) Save() error {
	if !c.changed {
		return nil
	}
	f := file{Version: version, Runs: make([]v1.PipelineRun, 0, len(c.entries))}
	for _, pr := range c.entries {
		f.Runs = append(f.Runs, pr)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	dir := filepath.Dir(c.path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(c.path)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving the run cache: %w", err)
	}
	c.changed = false
	return nil
}
