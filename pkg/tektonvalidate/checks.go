package tektonvalidate

import (
	"context"
	"reflect"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"knative.dev/pkg/apis"
)

// The per-task layer. Each task's own checks (TaskSpec.Validate, plus the
// inline param checks of its steps for a DAG task) run on representatives:
//
//  1. Tasks with the same normalized shape (normalize.go) share one.
//  2. On the fast path every param is a plain string and steps are plain,
//     so every check that reads a command, args or env entry judges that
//     string alone, the same way for all three fields (the artifact
//     patterns; the "two dot-separated components" rule, which is all the
//     array checks can report without array params; the context variables;
//     and, for DAG tasks, $(params.X) against the param union), and the
//     only other thing read from those lists is whether command is empty.
//     A string's verdict is also that of its pieces (its clean regions and
//     tail, normalize.go), as every match lies inside one piece. So a
//     representative keeps its scalar fields and a one-entry command, and
//     the distinct pieces of the entries of every representative of a
//     class (DAG or finally) are checked together, as the args of pooled
//     tasks that declare the canonical param names. A canonical name is
//     referenced only by the representatives that declare it, so the wider
//     union judges every reference as its own representative's union does.
//  3. What is left of a representative then drops the declarations no
//     remaining string refers to that cannot fail (canonical params; valid
//     results), and renames the results its scripts refer to in clean
//     "$(results.NAME.path)" regions only, the way params are renamed. The
//     results check is per result, and a script's reference is judged by
//     whether its name is declared.
//  4. Representatives that are then identical are checked once.
//
// A check that fails re-checks its member tasks one by one on their
// original taskSpecs; those errors are what is reported.

// check is one per-task-layer check and the tasks it stands for.
type check struct {
	ts      *v1.TaskSpec
	finally bool
	fresh   []string // canonical names declared, added to the union
	members []int    // tasks to re-check if it fails
}

func (c *check) run(ctx context.Context, union v1.ParamSpecs) *apis.FieldError {
	ps := union
	if len(c.fresh) > 0 {
		ps = make(v1.ParamSpecs, len(union), len(union)+len(c.fresh))
		copy(ps, union)
		for _, n := range c.fresh {
			ps = append(ps, v1.ParamSpec{Name: n, Type: v1.ParamTypeString})
		}
	}
	return checkTask(ctx, c.ts, c.finally, ps)
}

// checkTask runs a task's own checks: TaskSpec.Validate, and for a DAG task
// with steps the inline checks of its steps against the param union.
func checkTask(ctx context.Context, ts *v1.TaskSpec, finally bool, union v1.ParamSpecs) *apis.FieldError {
	errs := ts.Validate(ctx)
	if !finally && ts.Steps != nil {
		errs = errs.Also(v1.ValidateParameterVariables(ctx, ts.Steps, union))
		errs = errs.Also(v1.ValidateUsageOfDeclaredParameters(ctx, ts.Steps, union))
	}
	return errs
}

// pool collects the list entries of one class.
type pool struct {
	strs    []string
	from    [][]int // for each entry, the groups it came from
	index   map[string]int
	fresh   map[string]bool
	finally bool
}

// add pools the pieces of s; text without "$(" cannot fail a check.
func (p *pool) add(s string, group int) {
	piece := func(r string) { p.addPiece(r, group) }
	scanRefs(s, func(string) {}, piece, piece)
}

func (p *pool) addPiece(s string, group int) {
	i, ok := p.index[s]
	if !ok {
		i = len(p.strs)
		p.index[s] = i
		p.strs = append(p.strs, s)
		p.from = append(p.from, nil)
	}
	if f := p.from[i]; len(f) == 0 || f[len(f)-1] != group {
		p.from[i] = append(f, group)
	}
}

// planChecks builds the per-task layer for tasks (all prepared).
func planChecks(ctx context.Context, tasks []task) []check {
	// 1. Group by normalized shape.
	var groups [][]int
	byKey := map[string]int{}
	for i := range tasks {
		g, ok := byKey[tasks[i].key]
		if !ok {
			g = len(groups)
			byKey[tasks[i].key] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	// 2. Pool the lists of plain representatives.
	pools := [2]*pool{
		{index: map[string]int{}, fresh: map[string]bool{}},
		{index: map[string]int{}, fresh: map[string]bool{}, finally: true},
	}
	var checks []check
	byReduced := map[string]int{}
	for g, members := range groups {
		t := &tasks[members[0]]
		ts, fresh := t.rep.ts, t.rep.fresh
		if t.rep.plain {
			p := pools[0]
			if t.finally {
				p = pools[1]
			}
			ts = reduceLists(ts, func(s string) { p.add(s, g) })
			for _, n := range t.rep.fresh {
				p.fresh[n] = true
			}
			ts, fresh = reduceDecls(ctx, ts, fresh)
		}
		// 3. Representatives that are now identical are checked once.
		kind := byte('D')
		if t.finally {
			kind = 'F'
		}
		key := string(appendKey([]byte{kind}, reflect.ValueOf(ts).Elem()))
		c, ok := byReduced[key]
		if !ok {
			c = len(checks)
			byReduced[key] = c
			checks = append(checks, check{ts: ts, finally: t.finally, fresh: fresh})
		}
		checks[c].members = append(checks[c].members, members...)
	}
	for _, p := range pools {
		checks = append(checks, p.checks(groups)...)
	}
	return checks
}

// reduceLists returns a copy of ts whose steps keep no command, args or env
// entries (a non-empty command keeps one entry without references), handing
// each entry to add.
func reduceLists(ts *v1.TaskSpec, add func(string)) *v1.TaskSpec {
	c := *ts
	c.Steps = cloneSlice(ts.Steps)
	for i := range c.Steps {
		s := &c.Steps[i]
		for _, a := range s.Command {
			add(a)
		}
		for _, a := range s.Args {
			add(a)
		}
		for _, e := range s.Env {
			add(e.Value)
		}
		if len(s.Command) > 0 {
			s.Command = []string{"x"}
		}
		s.Args, s.Env = nil, nil
	}
	return &c
}

// reduceDecls returns a copy of ts (whose lists are pooled) without the
// canonical params and valid results no string in its steps refers to, and
// with the results its scripts refer to renamed when they can be; fresh
// becomes the canonical names still declared.
func reduceDecls(ctx context.Context, ts *v1.TaskSpec, fresh []string) (*v1.TaskSpec, []string) {
	var texts []string
	walkStrings(reflect.ValueOf(ts.Steps), func(s string) { texts = append(texts, s) })
	used := func(name string) bool {
		for _, s := range texts {
			if strings.Contains(s, name) {
				return true
			}
		}
		return false
	}
	c := *ts
	c.Params = nil
	var kept []string
	for _, p := range ts.Params {
		if strings.HasPrefix(p.Name, freshPrefix) {
			if !used(p.Name) {
				continue
			}
			kept = append(kept, p.Name)
		}
		c.Params = append(c.Params, p)
	}
	if ts.Params != nil && c.Params == nil {
		c.Params = v1.ParamSpecs{}
	}
	c.Results = nil
	tokens := map[string]int{}
	for i := range ts.Steps {
		cleanRegions(ts.Steps[i].Script, func(r string) { tokens[r]++ })
	}
	var all []string
	walkStrings(reflect.ValueOf(ts).Elem(), func(s string) { all = append(all, s) })
	var rename []string
	for i, r := range ts.Results {
		if r.Validate(ctx) != nil {
			c.Results = append(c.Results, r) // its error must show
			continue
		}
		if !used(r.Name) {
			continue
		}
		token := "$(results." + r.Name + ".path)"
		got := 0
		for _, s := range all {
			got += strings.Count(s, r.Name)
		}
		if renamable(r.Name) && got == 1+tokens[token] {
			to := freshPrefix + "r" + strconv.Itoa(i)
			rename = append(rename, token, "$(results."+to+".path)")
			r.Name = to
		}
		c.Results = append(c.Results, r)
	}
	if ts.Results != nil && c.Results == nil {
		c.Results = []v1.TaskResult{}
	}
	if len(rename) > 0 {
		rp := strings.NewReplacer(rename...)
		c.Steps = cloneSlice(ts.Steps)
		for i := range c.Steps {
			c.Steps[i].Script = rp.Replace(c.Steps[i].Script)
		}
	}
	return &c, kept
}

// checks splits the pool into up to GOMAXPROCS pooled tasks.
func (p *pool) checks(groups [][]int) []check {
	if len(p.strs) == 0 {
		return nil
	}
	var fresh []string
	for n := range p.fresh {
		fresh = append(fresh, n)
	}
	sort.Strings(fresh)
	decl := make(v1.ParamSpecs, len(fresh))
	for i, n := range fresh {
		decl[i] = v1.ParamSpec{Name: n, Type: v1.ParamTypeString}
	}
	chunks := workers()
	if len(p.strs) < 8*chunks {
		chunks = 1
	}
	var out []check
	for k := 0; k < chunks; k++ {
		lo, hi := k*len(p.strs)/chunks, (k+1)*len(p.strs)/chunks
		seen := map[int]bool{}
		var members []int
		for _, gs := range p.from[lo:hi] {
			for _, g := range gs {
				if !seen[g] {
					seen[g] = true
					members = append(members, groups[g]...)
				}
			}
		}
		out = append(out, check{
			ts: &v1.TaskSpec{
				Params: decl,
				Steps:  []v1.Step{{Name: "pool", Image: "pool", Args: p.strs[lo:hi]}},
			},
			finally: p.finally,
			fresh:   fresh,
			members: members,
		})
	}
	return out
}
