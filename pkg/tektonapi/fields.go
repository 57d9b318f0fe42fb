package tektonapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

//go:embed fields.txt
var fieldsTxt string

type field struct {
	first  Release
	opaque bool
}

// fields maps "API path" (path with [] for list items) to what the table says.
var fields = parseFields(fieldsTxt)

func parseFields(txt string) map[string]field {
	m := map[string]field{}
	for _, line := range strings.Split(txt, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		m[f[0]+" "+f[1]] = field{first: MustParse(f[2]), opaque: len(f) > 3 && f[3] == "opaque"}
	}
	return m
}

// cosmetic fields change nothing a run does; a release without them gets
// the run without them rather than a refusal.
var cosmetic = map[string]bool{"description": true, "displayName": true}

// Unknown is a field of a run that a release's API does not have: the
// release would drop it without a word.
type Unknown struct {
	// Path is the field's JSON path, e.g.
	// spec.pipelineSpec.tasks[2].taskSpec.steps[0].onError.
	Path string
	// Task is the pipeline task the field belongs to, if any.
	Task string
	// First is the oldest tracked release that has the field; zero when
	// none does.
	First Release
}

func (u Unknown) String() string {
	where := u.Path
	if u.Task != "" {
		where = "task " + u.Task + ": " + u.Path
	}
	if u.First.IsZero() {
		return where + " is in no Tekton release this tool knows"
	}
	return where + " needs Tekton " + u.First.String() + " or later"
}

// Fit checks obj (a *v1.PipelineRun or *v1beta1.PipelineRun, as api names)
// against release's API: every field under spec must be one that release
// has. Cosmetic fields the release lacks are removed from obj and returned
// in dropped; the others are returned as unknown, obj unchanged.
func Fit(obj any, api string, release Release) (dropped []string, unknown []Unknown, err error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, err
	}
	spec, _ := m["spec"].(map[string]any)
	w := fitter{api: api, release: release}
	w.walk(spec, "spec", "spec", "")
	sort.Strings(w.dropped)
	if len(w.dropped) > 0 && len(w.unknown) == 0 {
		// Write the trimmed map back over obj.
		if raw, err = json.Marshal(m); err != nil {
			return nil, nil, err
		}
		v := reflect.ValueOf(obj).Elem()
		v.Set(reflect.Zero(v.Type()))
		if err := json.Unmarshal(raw, obj); err != nil {
			return nil, nil, err
		}
	}
	return w.dropped, w.unknown, nil
}

type fitter struct {
	api     string
	release Release
	dropped []string
	unknown []Unknown
}

// walk looks at every key of the object at path (key is the table's form
// of path, with [] for list items; task the enclosing pipeline task).
func (w *fitter) walk(obj map[string]any, path, key, task string) {
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		p, k := path+"."+name, key+"."+name
		f, ok := fields[w.api+" "+k]
		if !ok || w.release.Less(f.first) {
			if cosmetic[name] && ok {
				delete(obj, name)
				w.dropped = append(w.dropped, p)
				continue
			}
			if !ok {
				f.first = Release{}
			}
			w.unknown = append(w.unknown, Unknown{Path: p, Task: task, First: f.first})
			continue
		}
		if f.opaque {
			continue
		}
		w.value(obj[name], p, k, task)
	}
}

func (w *fitter) value(v any, path, key, task string) {
	switch v := v.(type) {
	case map[string]any:
		w.walk(v, path, key, task)
	case []any:
		if f := fields[w.api+" "+key+"[]"]; f.opaque {
			return // a list of Kubernetes objects or scalars
		}
		for i, item := range v {
			t := task
			if obj, ok := item.(map[string]any); ok {
				switch {
				case strings.HasSuffix(key, ".tasks") || strings.HasSuffix(key, ".finally"):
					t, _ = obj["name"].(string)
				case key == "spec.taskRunSpecs":
					t, _ = obj["pipelineTaskName"].(string)
				}
			}
			w.value(item, path+"["+strconv.Itoa(i)+"]", key+"[]", t)
		}
	}
}

// Describe joins unknown fields into one message for release.
func Describe(unknown []Unknown, release Release) string {
	lines := make([]string, len(unknown))
	for i, u := range unknown {
		lines[i] = "  " + u.String()
	}
	return fmt.Sprintf("Tekton Pipelines %s would silently drop:\n%s", release, strings.Join(lines, "\n"))
}
