package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"sort"
	"testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

var update = flag.Bool("update", false, "rewrite docs/pipeline.schema.json")

const committed = "../../docs/pipeline.schema.json"

func TestCommittedSchemaIsCurrent(t *testing.T) {
	got := JSON()
	if *update {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/pipeline.schema.json is stale: run make schema")
	}
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatal(err)
	}
}

// Every JSON field of the spec types is in the schema, and only those.
func TestSchemaMatchesTypes(t *testing.T) {
	s := Generate()
	for _, typ := range []any{spec.Pipeline{}, spec.PipelineSpec{}, spec.Step{}, spec.Settings{}, spec.Resources{}, spec.PodSettings{}, spec.Workspace{}, spec.Param{}, spec.WhenExpression{}, spec.Limits{}} {
		rt := reflect.TypeOf(typ)
		def := s
		if rt != reflect.TypeOf(spec.Pipeline{}) {
			def = s.Defs[defName(rt)]
		}
		if def == nil {
			t.Fatalf("no definition for %s", rt)
		}
		var want, got []string
		for i := 0; i < rt.NumField(); i++ {
			name, _, _ := bytes.Cut([]byte(rt.Field(i).Tag.Get("json")), []byte(","))
			want = append(want, string(name))
		}
		for k := range def.Properties {
			got = append(got, k)
		}
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: schema has %v, type has %v", rt, got, want)
		}
		if def.AdditionalProperties != false {
			t.Errorf("%s: unknown fields must be rejected", rt)
		}
	}
	if !reflect.DeepEqual(s.Required, []string{"apiVersion", "kind", "metadata", "spec"}) {
		t.Errorf("required: %v", s.Required)
	}
	if s.Properties["apiVersion"].Const != spec.APIVersion {
		t.Error("apiVersion const missing")
	}
	if tol := s.Defs["v1.Toleration"]; tol == nil || len(tol.Properties["effect"].Enum) != 3 {
		t.Error("toleration effect enum missing")
	}
}
