package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// MatrixInclude is the one reserved key of a matrix: a list of explicit
// combinations, run after the cross product of the other keys.
const MatrixInclude = "include"

// Matrix fans a step out into one instance per combination: the cross
// product of every key's values, then each Include entry. In YAML it is one
// mapping, KEY: [values] beside the reserved include: [{KEY: value}].
type Matrix struct {
	Axes    map[string][]string
	Include []map[string]string
}

// KeyedTypes tells the loader and the schema what a matrix key holds:
// include holds combinations, every other key a list of values.
func (*Matrix) KeyedTypes() (fixed map[string]reflect.Type, rest reflect.Type) {
	return map[string]reflect.Type{MatrixInclude: reflect.TypeOf([]map[string]string{})}, reflect.TypeOf([]string{})
}

// Keys are the matrix's keys, sorted: the order instances vary in.
func (m *Matrix) Keys() []string {
	seen := map[string]bool{}
	for k := range m.Axes {
		seen[k] = true
	}
	for _, inc := range m.Include {
		for k := range inc {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Size is how many instances the matrix makes, without making them.
func (m *Matrix) Size() int {
	n := 0
	if len(m.Axes) > 0 {
		n = 1
		for _, vs := range m.Axes {
			n *= len(vs)
			if n > 1<<20 {
				break
			}
		}
	}
	return n + len(m.Include)
}

// Combinations lists every instance's values, in instance order: the cross
// product, the first sorted key varying fastest (the order Tekton's matrix
// fans out in, so instance i is Tekton's i-th TaskRun), then Include. Call
// it only on a matrix whose Size is known to be reasonable.
func (m *Matrix) Combinations() []map[string]string {
	var out []map[string]string
	if len(m.Axes) > 0 {
		keys := make([]string, 0, len(m.Axes))
		for k := range m.Axes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out = []map[string]string{{}}
		for _, k := range keys {
			next := make([]map[string]string, 0, len(out)*len(m.Axes[k]))
			for _, v := range m.Axes[k] {
				for _, c := range out {
					n := make(map[string]string, len(c)+1)
					for ck, cv := range c {
						n[ck] = cv
					}
					n[k] = v
					next = append(next, n)
				}
			}
			out = next
		}
	}
	for _, inc := range m.Include {
		c := make(map[string]string, len(inc))
		for k, v := range inc {
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

// UnmarshalJSON reads the one-mapping form.
func (m *Matrix) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Matrix{}
	for k, v := range raw {
		if k == MatrixInclude {
			if err := json.Unmarshal(v, &m.Include); err != nil {
				return fmt.Errorf("matrix include: %w", err)
			}
			continue
		}
		var vs []string
		if err := json.Unmarshal(v, &vs); err != nil {
			return fmt.Errorf("matrix key %s: %w", k, err)
		}
		if m.Axes == nil {
			m.Axes = map[string][]string{}
		}
		m.Axes[k] = vs
	}
	return nil
}

// MarshalJSON writes the one-mapping form (keys sorted, so the spec hash is stable).
func (m Matrix) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m.Axes)+1)
	for k, v := range m.Axes {
		out[k] = v
	}
	if len(m.Include) > 0 {
		out[MatrixInclude] = m.Include
	}
	return json.Marshal(out)
}
