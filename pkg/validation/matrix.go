package validation

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// matrix checks a step's fan-out: its keys and values, its include
// entries, its size, and the names its instances get.
func (v *validator) matrix(s *spec.Step, p *field.Path, finally bool) {
	m := s.Matrix
	if m == nil {
		return
	}
	mp := p.Child("matrix")
	if finally {
		v.errs = append(v.errs, field.Forbidden(mp, "finally steps cannot fan out"))
		return
	}
	if len(m.Axes) == 0 && len(m.Include) == 0 {
		v.errs = append(v.errs, field.Required(mp, "at least one KEY: [values], or include: [{KEY: value}]"))
		return
	}
	keys := make([]string, 0, len(m.Axes))
	for k := range m.Axes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bad := false
	for _, k := range keys {
		kp := mp.Key(k)
		if !paramNameRe.MatchString(k) {
			v.errs = append(v.errs, field.Invalid(kp, k, "a matrix key must start with a letter and hold only letters, digits, '-' and '_'"))
			bad = true
		}
		if len(m.Axes[k]) == 0 {
			v.errs = append(v.errs, field.Required(kp, "at least one value"))
			bad = true
		}
		seen := sets.New[string]()
		for j, val := range m.Axes[k] {
			if seen.Has(val) {
				v.errs = append(v.errs, field.Duplicate(kp.Index(j), val))
				bad = true
			}
			seen.Insert(val)
			v.matrixValue(val, kp.Index(j))
		}
	}
	want := sets.New(keys...)
	for i, inc := range m.Include {
		ip := mp.Key(spec.MatrixInclude).Index(i)
		if len(inc) == 0 {
			v.errs = append(v.errs, field.Required(ip, "an include entry sets every key of the matrix"))
			bad = true
			continue
		}
		if i == 0 && want.Len() == 0 {
			for k := range inc {
				want.Insert(k)
			}
		}
		for _, k := range sets.List(sets.KeySet(inc)) {
			if !want.Has(k) {
				v.errs = append(v.errs, field.Invalid(ip.Key(k), k, "is not a key of the matrix (keys: "+strings.Join(sets.List(want), ", ")+"); every include entry sets the same keys"))
				bad = true
			} else if !paramNameRe.MatchString(k) {
				v.errs = append(v.errs, field.Invalid(ip.Key(k), k, "a matrix key must start with a letter and hold only letters, digits, '-' and '_'"))
				bad = true
			}
			v.matrixValue(inc[k], ip.Key(k))
		}
		for _, k := range sets.List(want) {
			if _, ok := inc[k]; !ok {
				v.errs = append(v.errs, field.Required(ip.Key(k), "every include entry sets every key of the matrix"))
				bad = true
			}
		}
	}
	if bad {
		return
	}
	n := m.Size()
	if n > model.MaxInstances {
		v.errs = append(v.errs, field.Invalid(mp, n, fmt.Sprintf("makes %d instances; a step fans out into at most %d (Tekton's default-max-matrix-combinations-count); split the sweep into several steps or runs", n, model.MaxInstances)))
		return
	}
	seen := map[string]int{}
	for i, c := range m.Combinations() {
		key := model.CombinationKey(c)
		if first, dup := seen[key]; dup {
			at := mp
			if j := i - (n - len(m.Include)); j >= 0 {
				at = mp.Key(spec.MatrixInclude).Index(j)
			}
			v.errs = append(v.errs, field.Duplicate(at, fmt.Sprintf("%s (the same as instance %s)", model.DescribeCombination(c), model.InstanceName(s.Name, first))))
			continue
		}
		seen[key] = i
	}
	last := model.InstanceName(s.Name, n-1)
	for _, msg := range dnsLabelErrors(last) {
		v.errs = append(v.errs, field.Invalid(p.Child("name"), s.Name, "its last instance is named "+last+", which "+msg))
	}
	for i := 0; i < n; i++ {
		if other, ok := v.steps[model.InstanceName(s.Name, i)]; ok {
			v.errs = append(v.errs, field.Invalid(p.Child("name"), s.Name, "its instance "+model.InstanceName(s.Name, i)+" has the name of step "+other.Name+"; rename one of them"))
			break
		}
	}
}

func (v *validator) matrixValue(val string, p *field.Path) {
	if strings.Contains(val, "$(") {
		v.errs = append(v.errs, field.Invalid(p, val, "matrix values are literal strings; a $(...) reference is not substituted here"))
	}
}

// matrixProfile checks profile: $(matrix.KEY): every value of KEY names a profile.
func (v *validator) matrixProfile(s *spec.Step, p *field.Path, key string) {
	if s.Matrix == nil || !contains(s.Matrix.Keys(), key) {
		v.errs = append(v.errs, field.Invalid(p.Child("profile"), s.Profile, "names a profile per instance, so it needs a matrix with the key "+key))
		return
	}
	check := func(val string, vp *field.Path) {
		v.used.Insert(val)
		if !v.profiles.Has(val) {
			v.errs = append(v.errs, notFound(vp, val, "the step's profile is $(matrix."+key+"), so every value of "+key+" names a profile; "+v.unknownProfile()))
		}
	}
	mp := p.Child("matrix")
	for j, val := range s.Matrix.Axes[key] {
		check(val, mp.Key(key).Index(j))
	}
	for i, inc := range s.Matrix.Include {
		if val, ok := inc[key]; ok {
			check(val, mp.Key(spec.MatrixInclude).Index(i).Key(key))
		}
	}
}
