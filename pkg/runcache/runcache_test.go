package runcache

import (
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

func run(ns, name, pipeline, rv string, finished bool) v1.PipelineRun {
	pr := v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "/" + name), ResourceVersion: rv,
		Labels: map[string]string{"mlpipe.dev/pipeline": pipeline}}}
	if finished {
		pr.Annotations = map[string]string{"done": "yes"}
	}
	return pr
}

func finished(pr *v1.PipelineRun) bool { return pr.Annotations["done"] == "yes" }

func keys(c *Cache) map[types.UID]string {
	out := map[types.UID]string{}
	for uid, pr := range c.entries {
		out[uid] = pr.ResourceVersion
	}
	return out
}

func TestPathIsPerServerAsKubectlsCache(t *testing.T) {
	for host, want := range map[string]string{
		"https://127.0.0.1:6443":              "/c/mlpipe/runs/127.0.0.1_6443.json",
		"https://k8s.example.com/proxy/x?y=1": "/c/mlpipe/runs/k8s.example.com_proxy_x_y_1.json",
		"http://localhost:8080":               "/c/mlpipe/runs/localhost_8080.json",
	} {
		if got := Path("/c", host); got != want {
			t.Errorf("Path(%q) = %q, want %q", host, got, want)
		}
	}
}

// Replace keeps the finished runs of what was listed, drops the runs of
// the listed scope that were not listed (deleted), and leaves the runs of
// other namespaces and other selections alone.
func TestReplaceIsScopedToWhatWasListed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c", "runs.json")
	c := Open(path)
	c.Replace("", labels.Everything(), []v1.PipelineRun{
		run("ml", "a", "train", "1", true),
		run("ml", "b", "sweep", "1", true),
		run("ml", "gone", "train", "1", true),
		run("other", "c", "train", "1", true),
		run("ml", "live", "train", "1", false),
	}, finished)
	if got := keys(c); len(got) != 4 || got["ml/live"] != "" {
		t.Fatalf("after the first list: %v; want the 4 finished runs", got)
	}
	// list train in ml: gone was deleted, a changed, b (sweep) and c (other
	// namespace) were not in the scope.
	c.Replace("ml", labels.SelectorFromSet(labels.Set{"mlpipe.dev/pipeline": "train"}), []v1.PipelineRun{
		run("ml", "a", "train", "7", true),
		run("ml", "live", "train", "2", true),
	}, finished)
	want := map[types.UID]string{"ml/a": "7", "ml/b": "1", "other/c": "1", "ml/live": "2"}
	if got := keys(c); len(got) != len(want) || got["ml/a"] != "7" || got["ml/b"] != "1" || got["other/c"] != "1" || got["ml/live"] != "2" {
		t.Fatalf("after a scoped list: %v; want %v", got, want)
	}
	if _, ok := c.Get("ml/a", "1"); ok {
		t.Error("an entry was returned for an old resourceVersion")
	}
	if pr, ok := c.Get("ml/a", "7"); !ok || pr.Name != "a" {
		t.Errorf("Get(ml/a, 7) = %v, %v", pr.Name, ok)
	}
	// A run that is being deleted is not kept.
	deleting := run("ml", "a", "train", "8", true)
	deleting.DeletionTimestamp = &metav1.Time{}
	c.Replace("ml", labels.SelectorFromSet(labels.Set{"mlpipe.dev/pipeline": "train"}), []v1.PipelineRun{deleting}, finished)
	if _, ok := keys(c)["ml/a"]; ok {
		t.Error("a run being deleted is kept")
	}

	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	again := Open(path)
	if got := keys(again); len(got) != 2 || got["ml/b"] != "1" || got["other/c"] != "1" {
		t.Errorf("read back: %v", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode: %v, %v; want 0600 (it names the user's runs)", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the folder holds %d files; want only the cache (no temporary file left)", len(entries))
	}
}

// A file that is not a cache of this version is an empty cache, rewritten.
func TestUnreadableFileIsAnEmptyCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.json")
	for _, body := range []string{"{not json", `{"version":99,"runs":[{"metadata":{"uid":"u","resourceVersion":"1"}}]}`} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c := Open(path)
		if c.Len() != 0 {
			t.Errorf("%s: %d entries", body, c.Len())
		}
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != `{"version":1,"runs":[]}` {
			t.Errorf("%s: rewritten as %s", body, b)
		}
	}
}
