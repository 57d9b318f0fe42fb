package util

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCustomColumnsFileAndSortBy(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cols")
	if err := os.WriteFile(file, []byte("RUN      TRIES\n.metadata.name   {.status.tries}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cc, ok, err := ParseCustomColumns("custom-columns-file=" + file)
	if !ok || err != nil {
		t.Fatalf("custom-columns-file: %v %v", ok, err)
	}
	objs := []map[string]any{
		{"metadata": map[string]any{"name": "ten"}, "status": map[string]any{"tries": int64(10)}},
		{"metadata": map[string]any{"name": "none"}},
		{"metadata": map[string]any{"name": "two"}, "status": map[string]any{"tries": int64(2)}},
	}
	// Numbers sort as numbers (2 before 10); no value sorts first.
	idx, err := SortBy("{.status.tries}", objs)
	if err != nil {
		t.Fatal(err)
	}
	sorted := []map[string]any{objs[idx[0]], objs[idx[1]], objs[idx[2]]}
	var out bytes.Buffer
	if err := cc.Print(&out, sorted, false); err != nil {
		t.Fatal(err)
	}
	if want := "RUN    TRIES\nnone   <none>\ntwo    2\nten    10\n"; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if _, err := SortBy("{.items[*]}", []map[string]any{{"items": []any{"a", "b"}}}); err == nil {
		t.Error("a path with several values in one item is accepted")
	}
	if _, ok, _ := ParseCustomColumns("yaml"); ok {
		t.Error("yaml taken for custom columns")
	}
}
