// Command gendocs writes docs/cmd/*.md, one Markdown page per command, from the
// cobra command tree (github.com/spf13/cobra/doc). `make docs` runs it;
// TestDocsAreCurrent (`make verify-docs`, and `go test ./...`) fails when the
// committed pages differ from what it would write.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd"
)

func main() {
	dir := flag.String("dir", "docs/cmd", "directory to write the pages to (its *.md files are replaced)")
	flag.Parse()
	if err := generate(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "error: "+err.Error())
		os.Exit(1)
	}
}

// generate replaces dir's *.md files with one page per command.
func generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return doc.GenMarkdownTree(docsRoot(), dir)
}

// docsRoot is the command tree as users see it through kubectl, made
// independent of the machine generating the pages.
func docsRoot() *cobra.Command {
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	root := cmd.NewRootCmd(streams)
	// Pages are titled "kubectl mlpipe render", named kubectl_mlpipe_render.md,
	// and link to each other under those names: cobra takes the root's name from
	// this annotation (root.go sets it; set it here too so the pages never say
	// "kubectl-mlpipe render").
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[cobra.CommandDisplayNameAnnotation] = "kubectl mlpipe"
	// cobra adds `completion` only when the command runs; document it too.
	root.InitDefaultCompletionCmd()
	// --cache-dir defaults to <home>/.kube/cache; write what kubectl's docs write.
	if f := root.PersistentFlags().Lookup("cache-dir"); f != nil {
		if home, _ := os.UserHomeDir(); home != "" {
			f.DefValue = strings.ReplaceAll(f.DefValue, home, "$HOME")
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true // no "Auto generated on <date>" footer
		// cobra's completion help runs the binary by name ("kubectl-mlpipe
		// completion bash"); through kubectl it is the same command.
		c.Long = strings.ReplaceAll(c.Long, "kubectl-mlpipe completion", "kubectl mlpipe completion")
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return root
}
