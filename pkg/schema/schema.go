// Package schema generates the JSON Schema of the spec from its Go types, so
// the schema can never drift from what the loader accepts.
package schema

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Schema is a JSON Schema node; only the keywords the generator uses.
type Schema struct {
	Schema               string             `json:"$schema,omitempty"`
	ID                   string             `json:"$id,omitempty"`
	Ref                  string             `json:"$ref,omitempty"`
	Title                string             `json:"title,omitempty"`
	Description          string             `json:"description,omitempty"`
	Type                 string             `json:"type,omitempty"`
	Const                string             `json:"const,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AnyOf                []*Schema          `json:"anyOf,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Defs                 map[string]*Schema `json:"$defs,omitempty"`
}

// Constraints the Go types cannot express, keyed by Go type and JSON field.
var extra = map[string]func(*Schema){
	"spec.Pipeline.apiVersion":     func(s *Schema) { s.Const = spec.APIVersion },
	"spec.Pipeline.kind":           func(s *Schema) { s.Const = spec.Kind },
	"spec.WhenExpression.operator": func(s *Schema) { s.Enum = []string{"in", "notin"} },
	"spec.Resources.gpu":           func(s *Schema) { zero := 0.0; s.Minimum = &zero },
	"spec.Step.retries":            func(s *Schema) { zero := 0.0; s.Minimum = &zero },
	"v1.Toleration.operator":       func(s *Schema) { s.Enum = []string{"Equal", "Exists"} },
	"v1.Toleration.effect":         func(s *Schema) { s.Enum = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"} },
}

type generator struct {
	defs map[string]*Schema
}

var jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

var boolOrObject = reflect.TypeOf((*interface{ BoolOrObject() })(nil)).Elem()

// Generate returns the schema of spec.Pipeline.
func Generate() *Schema {
	g := &generator{defs: map[string]*Schema{}}
	root := g.structSchema(reflect.TypeOf(spec.Pipeline{}))
	root.Schema = "https://json-schema.org/draft/2020-12/schema"
	root.ID = "https://mlpipe.dev/schemas/" + spec.Version + "/pipeline.json"
	root.Title = "mlpipe.dev/" + spec.Version + " Pipeline"
	root.Description = "A machine-learning pipeline for kubectl-mlpipe: steps, their DAG, and where each runs."
	root.Defs = g.defs
	return root
}

// JSON returns the schema as indented JSON with a trailing newline.
func JSON() []byte {
	b, _ := json.MarshalIndent(Generate(), "", "  ")
	return append(b, '\n')
}

func defName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return pkg + "." + t.Name()
}

func (g *generator) typeSchema(t reflect.Type) *Schema {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(boolOrObject) {
		name := defName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = g.structSchema(t)
		}
		return &Schema{AnyOf: []*Schema{{Type: "boolean"}, {Ref: "#/$defs/" + name}}}
	}
	if kt, ok := reflect.New(t).Interface().(spec.KeyedTyper); ok {
		fixed, rest := kt.KeyedTypes()
		s := &Schema{Type: "object", Properties: map[string]*Schema{}, AdditionalProperties: g.typeSchema(rest)}
		for k, ft := range fixed {
			s.Properties[k] = g.typeSchema(ft)
		}
		return s
	}
	if t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		// Quantities and int-or-string values: written as a string or a number.
		return &Schema{AnyOf: []*Schema{{Type: "string"}, {Type: "number"}}}
	}
	switch t.Kind() {
	case reflect.Struct:
		name := defName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // reserve: types may be recursive
			g.defs[name] = g.structSchema(t)
		}
		return &Schema{Ref: "#/$defs/" + name}
	case reflect.Map:
		return &Schema{Type: "object", AdditionalProperties: g.typeSchema(t.Elem())}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return &Schema{Type: "string", Description: "base64-encoded bytes"}
		}
		return &Schema{Type: "array", Items: g.typeSchema(t.Elem())}
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &Schema{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	}
	return &Schema{}
}

func (g *generator) structSchema(t reflect.Type) *Schema {
	s := &Schema{Type: "object", Properties: map[string]*Schema{}, AdditionalProperties: false}
	g.addFields(s, t)
	sort.Strings(s.Required)
	return s
}

func (g *generator) addFields(s *Schema, t reflect.Type) {
	for _, f := range spec.JSONFields(t) {
		ps := g.typeSchema(f.Type)
		if fn, ok := extra[defName(f.Owner)+"."+f.Name]; ok {
			fn(ps)
		}
		s.Properties[f.Name] = ps
		if !f.Optional {
			s.Required = append(s.Required, f.Name)
		}
	}
}
