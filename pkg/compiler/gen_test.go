package compiler

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// benchSizes are the step counts the benchmarks and hack/bench-render.sh use.
var benchSizes = []int{10, 100, 1000}

// genSpec writes, as YAML text, a synthetic but realistic pipeline of n DAG
// steps plus one finally step. It is deterministic for a given n.
//
// Shape, so that every stage does the work a real spec makes it do:
//   - a DAG with fan-out and fan-in: every step after the first depends on
//     1–3 earlier steps, some through `after`, most through
//     $(steps.X.outputs.Y) references (which also become runAfter);
//   - steps come in families (ingest, featurize, train sweeps, evaluate,
//     aggregate, export); members of a train sweep share their shape and
//     differ only in literal args (--lr, --seed), the way a hyperparameter
//     sweep does, while other steps read different upstream outputs, so the
//     rendered taskSpecs are not all identical;
//   - run params referenced in args, scripts, env values and when;
//   - pipeline settings, three profiles (two of them GPU), per-step
//     settings (resources, nodeSelector, tolerations, labels), env at every
//     level, retries and timeouts;
//   - an artifactStore, so every step gets per-step artifact env vars;
//   - a finally step that reads $(run.status), $(run.name) and an output.
func genSpec(n int) []byte {
	if n < 1 {
		n = 1
	}
	r := rand.New(rand.NewSource(int64(n)*7919 + 1))
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	w(`apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata:
  name: bench-%d
  labels: {team: ds, tier: bench}
  annotations: {mlpipe.dev/owner: perf}
spec:
  description: Synthetic pipeline with %d steps for benchmarks
  image: registry.example.com/ds/churn:1.4.2
  imagePullSecrets: [regcred]
  serviceAccountName: ml-runner
  artifactStore: s3://ml-artifacts/bench
  timeout: 12h
  params:
    - name: dataset
      default: s3://ml-data/churn/features.parquet
    - name: epochs
      default: "10"
    - name: batch-size
      default: "256"
    - name: model-family
      description: which model to train
      default: gbdt
    - name: deploy
      description: Deploy the best model ("true" or "false")
      default: "false"
  env:
    - name: MLFLOW_TRACKING_URI
      value: http://mlflow.ml.svc:5000
    - name: AWS_SECRET_ACCESS_KEY
      valueFrom:
        secretKeyRef: {name: s3-creds, key: secret}
    - name: DATASET
      value: $(params.dataset)
  settings:
    resources: {cpu: "1", memory: 2Gi}
    pod:
      nodeSelector: {node-pool: cpu}
      labels: {cost-center: ml}
      tolerations:
        - {key: spot, operator: Exists, effect: NoSchedule}
  profiles:
    highmem:
      resources: {cpu: "8", memory: 64Gi}
      pod:
        nodeSelector: {node-pool: highmem}
    a100:
      resources: {cpu: "8", memory: 32Gi, gpu: 1}
      pod:
        nodeSelector: {node-pool: gpu, accelerator: nvidia-tesla-a100}
        tolerations:
          - {key: dedicated, operator: Equal, value: ml, effect: NoSchedule}
      env:
        - {name: NCCL_DEBUG, value: WARN}
    mi300:
      resources: {cpu: "8", memory: 32Gi, gpu: 1, gpuResource: amd.com/gpu}
      pod:
        nodeSelector: {node-pool: gpu, accelerator: amd-mi300}
  steps:
`, n, n)

	type stepInfo struct {
		name    string
		outputs []string
	}
	var done []stepInfo
	// pick returns k distinct earlier steps, biased toward recent ones so
	// the DAG is deep as well as wide.
	pick := func(k int) []stepInfo {
		if k > len(done) {
			k = len(done)
		}
		seen := map[int]bool{}
		var out []stepInfo
		for len(out) < k {
			var i int
			if r.Intn(3) > 0 {
				lo := len(done) - 8
				if lo < 0 {
					lo = 0
				}
				i = lo + r.Intn(len(done)-lo)
			} else {
				i = r.Intn(len(done))
			}
			if !seen[i] {
				seen[i] = true
				out = append(out, done[i])
			}
		}
		return out
	}
	ref := func(s stepInfo) string {
		return "$(steps." + s.name + ".outputs." + s.outputs[r.Intn(len(s.outputs))] + ")"
	}
	quote := strconv.Quote

	for i := 0; len(done) < n; i++ {
		if len(done) == 0 {
			w(`    - name: ingest
      command: [python, -m, churn.ingest]
      args: [--dataset, $(params.dataset), --uri-file, $(outputs.uri.path), --rows-file, $(outputs.rows.path)]
      outputs: [uri, rows]
      settings:
        resources: {memory: 4Gi}
`)
			done = append(done, stepInfo{"ingest", []string{"uri", "rows"}})
			continue
		}
		switch i % 6 {
		case 1: // featurize: one or two upstream outputs, highmem
			ups := pick(1 + r.Intn(2))
			name := fmt.Sprintf("featurize-%d", i)
			w("    - name: %s\n      profile: highmem\n      command: [python, -m, churn.featurize]\n      args: [--rows, %s, --window, %q", name, quote(ref(ups[0])), strconv.Itoa(7*(1+r.Intn(4))))
			for _, u := range ups[1:] {
				w(", --join, %s", quote(ref(u)))
			}
			w(", --out, $(outputs.features.path)]\n      outputs: [features]\n")
			if r.Intn(2) == 0 {
				w("      settings:\n        pod:\n          nodeSelector: {zone: %s}\n", []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}[r.Intn(3)])
			}
			done = append(done, stepInfo{name, []string{"features"}})
		case 2: // a hyperparameter sweep: same shape, literal args differ
			up := pick(1)[0]
			width := 3 + r.Intn(4)
			group := i
			for k := 0; k < width && len(done) < n; k++ {
				prof := "a100"
				if k == width-1 {
					prof = "mi300" // one trial on the AMD pool
				}
				name := fmt.Sprintf("train-%d-%d", group, k)
				lr := []string{"0.001", "0.003", "0.01", "0.03", "0.1", "0.3"}[k%6]
				w(`    - name: %s
      profile: %s
      command: [python, -m, churn.train]
      args: [--features, %s, --family, $(params.model-family), --epochs, $(params.epochs), --batch-size, $(params.batch-size), --lr, %q, --seed, %q, --score-file, $(outputs.score.path), --model-file, $(outputs.model.path)]
      outputs: [score, model]
      retries: 2
      timeout: 2h
      env:
        - {name: TRIAL, value: %q}
      settings:
        pod:
          tolerations:
            - {key: dedicated, operator: Equal, value: ml, effect: NoSchedule}
`, name, prof, quote("$(steps."+up.name+".outputs."+up.outputs[0]+")"), lr, strconv.Itoa(1000+k), fmt.Sprintf("t%d", k))
				done = append(done, stepInfo{name, []string{"score", "model"}})
			}
		case 3: // evaluate: a script reading an upstream output, plus an `after`
			ups := pick(1 + r.Intn(3))
			name := fmt.Sprintf("evaluate-%d", i)
			w("    - name: %s\n      script: |\n        #!/usr/bin/env bash\n        set -euo pipefail\n", name)
			w("        python -m churn.evaluate --input \"%s\" --threshold 0.%d \\\n", ref(ups[0]), 50+r.Intn(40))
			w("          --batch-size \"$(params.batch-size)\" > \"$(outputs.auc.path)\"\n")
			w("        echo \"evaluated by $(run.name)\" >&2\n")
			w("      outputs: [auc]\n")
			if len(ups) > 1 {
				var after []string
				for _, u := range ups[1:] {
					after = append(after, u.name)
				}
				w("      after: [%s]\n", strings.Join(after, ", "))
			}
			w("      settings:\n        resources: {cpu: 500m, memory: %dGi}\n", 1+r.Intn(4))
			done = append(done, stepInfo{name, []string{"auc"}})
		case 4: // aggregate: fan-in of up to three outputs
			ups := pick(2 + r.Intn(2))
			name := fmt.Sprintf("aggregate-%d", i)
			w("    - name: %s\n      command: [python, -m, churn.aggregate]\n      args: [", name)
			for j, u := range ups {
				if j > 0 {
					w(", ")
				}
				w("--in, %s", quote(ref(u)))
			}
			w(", --best-file, $(outputs.best.path)]\n      outputs: [best]\n")
			w("      env:\n        - {name: AGG_MODE, value: %s}\n", []string{"max", "mean", "vote"}[r.Intn(3)])
			done = append(done, stepInfo{name, []string{"best"}})
		case 5: // export: guarded by a param, GPU-free, depends via after only
			ups := pick(1 + r.Intn(2))
			name := fmt.Sprintf("export-%d", i)
			var after []string
			for _, u := range ups {
				after = append(after, u.name)
			}
			w("    - name: %s\n      after: [%s]\n      when:\n        - {input: $(params.deploy), operator: in, values: [\"true\"]}\n", name, strings.Join(after, ", "))
			w("      image: registry.example.com/ds/exporter:0.%d.0\n      command: [/bin/export]\n      args: [--format, onnx, --dest, \"s3://ml-models/bench/%s\", --run, $(run.name)]\n", 1+r.Intn(3), name)
			w("      outputs: [uri]\n      settings:\n        resources: {cpu: 250m, memory: 512Mi}\n        pod:\n          nodeSelector: {node-pool: cpu-small}\n")
			done = append(done, stepInfo{name, []string{"uri"}})
		default: // validate-data: one upstream, a params-heavy env
			up := pick(1)[0]
			name := fmt.Sprintf("check-%d", i)
			w("    - name: %s\n      command: [python, -m, churn.check]\n      args: [--input, %s, --report, $(outputs.report.path)]\n", name, quote(ref(up)))
			w("      env:\n        - {name: EPOCHS, value: $(params.epochs)}\n        - {name: FAMILY, value: $(params.model-family)}\n")
			w("      outputs: [report]\n      timeout: 30m\n")
			done = append(done, stepInfo{name, []string{"report"}})
		}
	}
	last := done[len(done)-1]
	w(`  finally:
    - name: notify
      image: curlimages/curl:8.10.1
      command: [curl]
      args: [-fsS, -XPOST, https://hooks.example.com/ml, -d, %s]
      settings:
        resources: {cpu: 100m, memory: 64Mi}
`, quote("$(run.name) $(run.status) last="+ref(last)))
	return []byte(b.String())
}

// loadGen loads genSpec(n) and fails the test or benchmark if it does not load.
func loadGen(tb testing.TB, n int) (*spec.Document, []byte) {
	tb.Helper()
	data := genSpec(n)
	docs, err := spec.Load(fmt.Sprintf("bench-%d.yaml", n), data)
	if err != nil {
		tb.Fatalf("generated spec (%d steps) does not load: %v", n, err)
	}
	return docs[0], data
}

// TestGenSpecCompiles keeps the generator honest: every size must pass our
// validation without warnings and Tekton's full validation.
func TestGenSpecCompiles(t *testing.T) {
	for _, n := range []int{1, 2, 10, 100} {
		doc, _ := loadGen(t, n)
		ds := Check(doc)
		if n < 10 { // too small to use every profile
			ds = ds.Errors()
		}
		// Its finally step reads an output on purpose (the reference path is
		// part of what is measured): the warning about it is expected.
		var other spec.Diagnostics
		for _, d := range ds {
			if !strings.Contains(d.Message, "finally step notify reads an output of step") {
				other = append(other, d)
			}
		}
		ds = other
		if len(ds) > 0 {
			t.Fatalf("%d steps: generated spec has diagnostics:\n%v", n, ds)
		}
		res, err := Compile(t.Context(), doc, Options{})
		if err != nil {
			t.Fatalf("%d steps: %v", n, err)
		}
		if got := len(res.PipelineRun.Spec.PipelineSpec.Tasks); got != n {
			t.Fatalf("%d steps: rendered %d tasks", n, got)
		}
	}
}

// TestWriteBenchSpecs writes the benchmark specs to $MLPIPE_BENCH_SPECS_DIR
// (hack/bench-render.sh uses it). Without the variable it does nothing.
func TestWriteBenchSpecs(t *testing.T) {
	dir := os.Getenv("MLPIPE_BENCH_SPECS_DIR")
	if dir == "" {
		t.Skip("MLPIPE_BENCH_SPECS_DIR not set")
	}
	for _, n := range benchSizes {
		file := filepath.Join(dir, fmt.Sprintf("bench-%d.yaml", n))
		if err := os.WriteFile(file, genSpec(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
