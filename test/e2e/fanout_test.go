//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A sweep on the real nodes: shard fans out through Tekton's matrix (3×2,
// nothing reads its outputs); train fans out on the client (3×2), because
// each instance takes the profile its hw value names, so each lands on the
// node that profile selects; gather reads the six scores as one JSON array.
var sweepSpec = runnable("real-sweep", `  profiles:
    cpu:
      pod: {nodeSelector: {node-pool: cpu}}
    gpu:
      resources: {gpu: 1}
      pod: {nodeSelector: {node-pool: gpu}}
  steps:
    - name: shard
      matrix:
        part: [a, b, c]
        format: [csv, json]
      script: echo "shard part=$(matrix.part) format=$(matrix.format) on $(hostname)"
    - name: train
      after: [shard]
      matrix:
        lr: ["0.1", "0.01", "0.001"]
        hw: [cpu, gpu]
      profile: $(matrix.hw)
      outputs: [score]
      script: |
        #!/bin/sh
        printf '%s' "lr=$(matrix.lr)/hw=$(matrix.hw)/seen=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')" > $(outputs.score.path)
    - name: gather
      script: |
        #!/bin/sh
        echo 'scores=$(steps.train.outputs.score[*])'
`)

func TestRealFanOut(t *testing.T) {
	t.Parallel()
	requireRealNodes(t)
	ns := namespace(t)
	explain := must(t, mlpipe(t, sweepSpec, "render", "-f", "-", "--explain"), "render --explain").Stdout
	for _, want := range []string{
		"6 instances, one task that Tekton's matrix fans out: shard-0 (format=csv, part=a), shard-1 (format=json, part=a)",
		"6 instances, expanded into one task each: its profile differs per instance ($(matrix.hw)): train-0 (hw=cpu, lr=0.1), train-1 (hw=gpu, lr=0.1)",
	} {
		if !strings.Contains(explain, want) {
			t.Errorf("render --explain lacks %q:\n%s", want, explain)
		}
	}
	r := mlpipe(t, sweepSpec, "run", "-n", ns, "-f", "-", "--wait", "--timeout", "5m", "-o", "name")
	if r.Code != 0 {
		t.Fatalf("run: exit %d\n%s", r.Code, r.Stderr)
	}
	run := createdName(t, r)

	// Tekton's matrix made six TaskRuns of one pipeline task.
	trs, err := tkn.TektonV1().TaskRuns(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run + ",tekton.dev/pipelineTask=shard"})
	if err != nil || len(trs.Items) != 6 {
		t.Fatalf("TaskRuns of shard: %v, %d found, want 6 from Tekton's matrix", err, len(trs.Items))
	}
	pr, err := tkn.TektonV1().PipelineRuns(ns).Get(context.Background(), run, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var tasks []string
	for _, task := range pr.Spec.PipelineSpec.Tasks {
		tasks = append(tasks, task.Name)
	}
	if got := strings.Join(tasks, ","); got != "shard,train-0,train-1,train-2,train-3,train-4,train-5,gather" {
		t.Errorf("pipeline tasks %s", got)
	}

	// Each train instance ran on the node its profile selects; every shard on the CPU node.
	want := map[string]string{}
	for i := 0; i < 6; i++ {
		if i%2 == 1 { // hw varies fastest: cpu, gpu, cpu, …
			want[fmt.Sprintf("train-%d", i)] = realGPU
		}
	}
	pods, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + run + ",mlpipe.dev/step"})
	if err != nil {
		t.Fatal(err)
	}
	byStep := map[string]int{}
	for _, p := range pods.Items {
		step := p.Labels["mlpipe.dev/step"]
		byStep[step]++
		if step == "shard" {
			if p.Spec.NodeName != realCPU {
				t.Errorf("shard pod %s ran on %s, want %s", p.Name, p.Spec.NodeName, realCPU)
			}
			continue
		}
		node := want[step]
		if node == "" {
			node = realCPU
		}
		if p.Spec.NodeName != node {
			t.Errorf("%s ran on %s, want %s", step, p.Spec.NodeName, node)
		}
	}
	if byStep["shard"] != 6 || len(byStep) != 8 {
		t.Errorf("pods per step: %v; want 6 shard pods and one per other step", byStep)
	}

	// gather got the six instances' real outputs, in instance order.
	logs := logsOf(t, ns, run)
	m := regexp.MustCompile(`\[gather\] scores=(\[.*\])`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("gather printed no scores:\n%s", logs)
	}
	var scores []string
	if err := json.Unmarshal([]byte(m[1]), &scores); err != nil {
		t.Fatalf("gather's input %s is not a JSON array: %v", m[1], err)
	}
	if len(scores) != 6 {
		t.Fatalf("gather got %d scores, want 6: %v", len(scores), scores)
	}
	for i, s := range scores {
		lr := []string{"0.1", "0.01", "0.001"}[i/2]
		hw := []string{"cpu", "gpu"}[i%2]
		if !regexp.MustCompile(`^lr=` + regexp.QuoteMeta(lr) + `/hw=` + hw + `/seen=[0-9a-f]{8}$`).MatchString(s) {
			t.Errorf("score %d = %q, want lr=%s hw=%s and a random token", i, s, lr, hw)
		}
		if got := outputOf(t, ns, run, fmt.Sprintf("train-%d", i), "score"); got != s {
			t.Errorf("gather's score %d is %q, but train-%d output %q", i, s, i, got)
		}
	}
	var shards []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.HasPrefix(l, "[shard-") {
			shards = append(shards, l[:strings.Index(l, " on ")])
		}
	}
	sort.Strings(shards)
	if got := strings.Join(shards, "\n"); got != "[shard-0] shard part=a format=csv\n[shard-1] shard part=a format=json\n[shard-2] shard part=b format=csv\n[shard-3] shard part=b format=json\n[shard-4] shard part=c format=csv\n[shard-5] shard part=c format=json" {
		t.Errorf("the shard instances logged:\n%s", got)
	}
	d := must(t, mlpipe(t, "", "describe", "-n", ns, run), "describe").Stdout
	for i := 0; i < 6; i++ {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^  shard-%d\s+Succeeded\s+%s`, i, realCPU)).MatchString(d) {
			t.Errorf("describe lacks shard-%d on %s:\n%s", i, realCPU, d)
		}
	}
	if !regexp.MustCompile(`Progress:\s+13/13 steps done`).MatchString(d) {
		t.Errorf("describe does not count 13 steps:\n%s", d)
	}
}
