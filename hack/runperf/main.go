// Command runperf measures `kubectl mlpipe run` on a live cluster:
//
//	runperf submit   the requests one `run` sends, and its submit latency
//	                 against `kubectl create -f` of the same rendered YAML,
//	                 timed alternately in one process
//	runperf wait     N concurrent `run --wait`: the requests each sends
//	                 (watches, no polling) and how long after the
//	                 controller's update each view line is printed
//
// It drives the real commands through kubectl plugin discovery, with
// kubectl and kubectl-mlpipe on PATH and KUBECONFIG set; hack/bench-run.sh
// sets that up. Figures go to stdout as Markdown, progress to stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"github.com/tektoncd/pipeline/pkg/client/informers/externalversions"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"knative.dev/pkg/apis"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: runperf submit|wait [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	ns := fs.String("n", "default", "namespace to run in")
	spec := fs.String("f", "examples/training.yaml", "pipeline spec")
	runs := fs.Int("runs", 20, "submit: timed submits of each command; wait: concurrent runs")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "submit":
		err = submit(*ns, *spec, *runs)
	case "wait":
		err = waitMany(*ns, *spec, *runs)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// response matches client-go's -v=6 line for each request sent, in the
// structured form (client-go 0.33+) and the older one kubectl may print.
var response = regexp.MustCompile(`"Response" verb="(\w+)" url="([^"]+)" status="([^"]*)"|round_trippers\.go:\d+\] ([A-Z]+) (\S+) (\d{3} [A-Za-z ]+?) in \d+ milliseconds`)

// requests lists the requests in a -v=6 log, as "VERB path?query status".
func requests(log string) []string {
	var out []string
	for _, m := range response.FindAllStringSubmatch(log, -1) {
		verb, url, status := m[1], m[2], m[3]
		if verb == "" {
			verb, url, status = m[4], m[5], m[6]
		}
		if i := strings.Index(url, "//"); i >= 0 {
			if j := strings.Index(url[i+2:], "/"); j >= 0 {
				url = url[i+2+j:]
			}
		}
		out = append(out, verb+" "+url+" → "+status)
	}
	return out
}

func submit(ns, spec string, runs int) error {
	rendered, err := os.CreateTemp("", "runperf-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(rendered.Name())
	out, err := exec.Command("kubectl", "mlpipe", "render", "-f", spec, "-o", "yaml").Output()
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if _, err := rendered.Write(out); err != nil {
		return err
	}
	rendered.Close()

	commands := []struct {
		label string
		args  []string
		env   []string
	}{
		{"kubectl create -f rendered.yaml", []string{"kubectl", "create", "-n", ns, "-f", rendered.Name()}, nil},
		{"kubectl mlpipe run -f " + spec, []string{"kubectl", "mlpipe", "run", "-n", ns, "-f", spec}, nil},
		{"kubectl-mlpipe run -f " + spec + " (no kubectl in front)", []string{"kubectl-mlpipe", "run", "-n", ns, "-f", spec}, nil},
		// The plugin with Go's default GC, to show what its own setting buys.
		{"GOGC=100 kubectl mlpipe run -f " + spec, []string{"kubectl", "mlpipe", "run", "-n", ns, "-f", spec}, []string{"GOGC=100"}},
	}

	fmt.Println("### Requests per submit (`-v=6`)")
	fmt.Println()
	for _, c := range commands[:2] {
		var stderr bytes.Buffer
		cmd := exec.Command(c.args[0], append(c.args[1:], "-v=6")...)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w\n%s", c.label, err, stderr.String())
		}
		reqs := requests(stderr.String())
		fmt.Printf("`%s`: %d requests\n\n", c.label, len(reqs))
		for _, r := range reqs {
			fmt.Printf("    %s\n", r)
		}
		fmt.Println()
	}

	// Alternate the commands so that load on the shared machine and the
	// controller's work on earlier runs fall on each alike.
	times := make([][]time.Duration, len(commands))
	for i := -2; i < runs; i++ { // two warm-up rounds
		for j, c := range commands {
			cmd := exec.Command(c.args[0], c.args[1:]...)
			cmd.Env = append(os.Environ(), c.env...)
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %w\n%s", c.label, err, out)
			}
			if i >= 0 {
				times[j] = append(times[j], time.Since(start))
			}
		}
		if i >= 0 && (i+1)%5 == 0 {
			fmt.Fprintf(os.Stderr, "submit: %d/%d rounds\n", i+1, runs)
		}
	}
	fmt.Printf("### Submit latency, %d alternating rounds\n\n", runs)
	fmt.Println("| Command | Median [ms] | p90 [ms] | Min [ms] | Max [ms] |")
	fmt.Println("|:---|---:|---:|---:|---:|")
	for j, c := range commands {
		s := stats(times[j])
		fmt.Printf("| `%s` | %.1f | %.1f | %.1f | %.1f |\n", c.label, ms(s.median), ms(s.p90), ms(s.min), ms(s.max))
	}
	kc, mp, direct := stats(times[0]).median, stats(times[1]).median, stats(times[2]).median
	defaultGC := stats(times[3]).median
	fmt.Printf("\nRatio of medians to `kubectl create`: `kubectl mlpipe run` %.2f; `kubectl-mlpipe run` %.2f; `GOGC=100 kubectl mlpipe run` %.2f\n", float64(mp)/float64(kc), float64(direct)/float64(kc), float64(defaultGC)/float64(kc))

	// What kubectl's plugin dispatch costs before the plugin starts: the
	// same no-op through kubectl and directly, alternately.
	var via, bare []time.Duration
	for i := -2; i < runs; i++ {
		for _, argv := range [][]string{{"kubectl", "mlpipe", "version"}, {"kubectl-mlpipe", "version"}} {
			start := time.Now()
			if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
			}
			if i >= 0 && argv[0] == "kubectl" {
				via = append(via, time.Since(start))
			} else if i >= 0 {
				bare = append(bare, time.Since(start))
			}
		}
	}
	v, b := stats(via).median, stats(bare).median
	fmt.Printf("\n`kubectl mlpipe version` %.1f ms, `kubectl-mlpipe version` %.1f ms (medians of %d): kubectl's plugin dispatch costs %.1f ms of each `kubectl mlpipe` command.\n", ms(v), ms(b), runs, ms(v-b))
	return nil
}

// key names a step of a run, or with step "" the run itself.
type key struct{ run, step string }

func waitMany(ns, spec string, n int) error {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		return err
	}
	tc, err := tekton.NewForConfig(cfg)
	if err != nil {
		return err
	}
	// The reference: when the controller's updates reach a watcher.
	var mu sync.Mutex
	seen := map[key]time.Time{}
	record := func(k key, c *apis.Condition) {
		if c == nil || c.Status == corev1.ConditionUnknown {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, ok := seen[k]; !ok {
			seen[k] = time.Now()
		}
	}
	f := externalversions.NewSharedInformerFactoryWithOptions(tc, 0, externalversions.WithNamespace(ns))
	_, _ = f.Tekton().V1().TaskRuns().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) {
			tr := o.(*v1.TaskRun)
			record(key{tr.Labels["tekton.dev/pipelineRun"], tr.Labels["tekton.dev/pipelineTask"]}, tr.Status.GetCondition(apis.ConditionSucceeded))
		},
		UpdateFunc: func(_, o any) {
			tr := o.(*v1.TaskRun)
			record(key{tr.Labels["tekton.dev/pipelineRun"], tr.Labels["tekton.dev/pipelineTask"]}, tr.Status.GetCondition(apis.ConditionSucceeded))
		},
	})
	_, _ = f.Tekton().V1().PipelineRuns().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) {
			pr := o.(*v1.PipelineRun)
			record(key{pr.Name, ""}, pr.Status.GetCondition(apis.ConditionSucceeded))
		},
		UpdateFunc: func(_, o any) {
			pr := o.(*v1.PipelineRun)
			record(key{pr.Name, ""}, pr.Status.GetCondition(apis.ConditionSucceeded))
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())

	type printed struct {
		k  key
		at time.Time
	}
	type result struct {
		name   string
		lines  []printed
		reqs   []string
		code   int
		stderr string
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := time.Now()
	fmt.Fprintf(os.Stderr, "wait: starting %d concurrent `kubectl mlpipe run --wait`\n", n)
	var finished int
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			cmd := exec.Command("kubectl", "mlpipe", "run", "-n", ns, "-f", spec, "--wait", "-v=6")
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			pipe, err := cmd.StderrPipe()
			if err != nil {
				r.code = -1
				return
			}
			if err := cmd.Start(); err != nil {
				r.code = -1
				r.stderr = err.Error()
				return
			}
			var all strings.Builder
			sc := bufio.NewScanner(pipe)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				at := time.Now()
				line := sc.Text()
				all.WriteString(line + "\n")
				if m := runDone.FindStringSubmatch(line); m != nil {
					r.lines = append(r.lines, printed{key{m[1], ""}, at})
				} else if m := stepDone.FindStringSubmatch(line); m != nil {
					r.lines = append(r.lines, printed{key{"", m[1]}, at})
				}
			}
			_ = cmd.Wait()
			r.code = cmd.ProcessState.ExitCode()
			r.stderr = all.String()
			r.reqs = requests(r.stderr)
			if m := regexp.MustCompile(`pipelinerun.tekton.dev/(\S+) created`).FindStringSubmatch(stdout.String()); m != nil {
				r.name = m[1]
			}
			mu.Lock()
			finished++
			fmt.Fprintf(os.Stderr, "wait: %d/%d runs followed to their end (%s)\n", finished, n, time.Since(start).Round(time.Second))
			mu.Unlock()
		}()
	}
	wg.Wait()

	var lags []time.Duration
	var failed, missing int
	reqCounts := map[int]int{}
	var gets, watches int
	for _, r := range results {
		if r.code != 0 || r.name == "" {
			failed++
			fmt.Fprintf(os.Stderr, "run %q exited %d:\n%s\n", r.name, r.code, tail(r.stderr, 15))
			continue
		}
		reqCounts[len(r.reqs)]++
		for _, q := range r.reqs {
			switch {
			case strings.Contains(q, "watch=true"):
				watches++
			case strings.HasPrefix(q, "GET "):
				gets++
			}
		}
		for _, p := range r.lines {
			k := p.k
			if k.run == "" {
				k.run = r.name
			}
			mu.Lock()
			ref, ok := seen[k]
			mu.Unlock()
			if !ok {
				missing++
				continue
			}
			lags = append(lags, p.at.Sub(ref))
		}
	}
	fmt.Printf("### %d concurrent `kubectl mlpipe run -f %s --wait`\n\n", n, spec)
	fmt.Printf("All done in %s; %d exited non-zero.\n\n", time.Since(start).Round(100*time.Millisecond), failed)
	var counts []string
	for c, k := range reqCounts {
		counts = append(counts, fmt.Sprintf("%d requests (%d runs)", c, k))
	}
	sort.Strings(counts)
	fmt.Printf("Requests per `run --wait`, start to end: %s; in all %d watches and %d other GETs across %d runs.\n\n", strings.Join(counts, ", "), watches, gets, n-failed)
	s := stats(lags)
	over := 0
	for _, l := range lags {
		if l > 250*time.Millisecond {
			over++
		}
	}
	fmt.Printf("Lag from our watcher seeing a step or run end to `--wait` printing it (%d lines, %d without a reference):\n\n", len(lags), missing)
	fmt.Println("| Median [ms] | p90 [ms] | p99 [ms] | Max [ms] | Over 250 ms |")
	fmt.Println("|---:|---:|---:|---:|---:|")
	fmt.Printf("| %.1f | %.1f | %.1f | %.1f | %d of %d |\n", ms(s.median), ms(s.p90), ms(s.p99), ms(s.max), over, len(lags))
	if failed > 0 {
		return fmt.Errorf("%d runs did not succeed", failed)
	}
	return nil
}

var (
	// "[   3s] train Succeeded after 1s"
	stepDone = regexp.MustCompile(`^\[\s*\d+[smh0-9]*\] (\S+) (?:Succeeded|Failed|Cancelled|TimedOut)\b`)
	// "[   6s] churn-training-x7k2p Succeeded — 6/6 steps done, 6s elapsed"
	runDone = regexp.MustCompile(`^\[\s*\d+[smh0-9]*\] (\S+) (?:Succeeded|Failed|Cancelled|TimedOut) — \d+/\d+ steps done`)
)

type summary struct{ min, median, p90, p99, max time.Duration }

func stats(d []time.Duration) summary {
	if len(d) == 0 {
		return summary{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1)+0.5)] }
	return summary{min: s[0], median: at(0.5), p90: at(0.9), p99: at(0.99), max: s[len(s)-1]}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
