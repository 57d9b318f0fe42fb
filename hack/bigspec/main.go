// Command bigspec writes a pipeline spec of a given size and shape, for
// measuring how big a pipeline the cluster and Tekton take (hack/bench-size.sh).
//
//	go run ./hack/bigspec -steps 1000 -shape layered -width 100 -script-bytes 1024 > big.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	steps := flag.Int("steps", 100, "number of steps")
	shape := flag.String("shape", "layered", "layered (layers of -width steps, each after two of the layer before), linear (a chain), or fan (one step, then the rest in parallel, then one that reads them all)")
	width := flag.Int("width", 100, "steps per layer (layered)")
	scriptBytes := flag.Int("script-bytes", 0, "pad each step's script to about this many bytes, each step's different (0: one line)")
	name := flag.String("name", "big", "the pipeline's name")
	flag.Parse()
	if *steps < 1 || *width < 1 {
		fmt.Fprintln(os.Stderr, "bigspec: -steps and -width must be at least 1")
		os.Exit(2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: %s\nspec:\n  image: busybox:1.36\n  steps:\n", *name)
	for i := 0; i < *steps; i++ {
		fmt.Fprintf(&b, "    - name: s%d\n", i)
		var after []string
		switch *shape {
		case "linear":
			if i > 0 {
				after = []string{fmt.Sprintf("s%d", i-1)}
			}
		case "fan":
			switch {
			case i == 0:
			case i < *steps-1 || *steps == 2:
				after = []string{"s0"}
			default:
				for j := 1; j < i; j++ {
					after = append(after, fmt.Sprintf("s%d", j))
				}
			}
		case "layered":
			if layer := i / *width; layer > 0 {
				prev := (layer - 1) * *width
				after = append(after, fmt.Sprintf("s%d", prev+i%*width))
				if *width > 1 {
					after = append(after, fmt.Sprintf("s%d", prev+(i+1)%*width))
				}
			}
		default:
			fmt.Fprintf(os.Stderr, "bigspec: unknown -shape %q\n", *shape)
			os.Exit(2)
		}
		if len(after) > 0 {
			fmt.Fprintf(&b, "      after: [%s]\n", strings.Join(after, ", "))
		}
		fmt.Fprintf(&b, "      script: |\n        echo step %d\n", i)
		for n := 20; n < *scriptBytes; n += 72 {
			fmt.Fprintf(&b, "        # %d %s\n", i, strings.Repeat("x", 64))
		}
	}
	os.Stdout.WriteString(b.String())
}
