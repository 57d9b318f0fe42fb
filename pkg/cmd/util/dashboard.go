package util

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/mlpipe/kubectl-mlpipe/pkg/dashboard"
)

// dashboardTimeout bounds discovery: a slow answer costs the link, not the command.
const dashboardTimeout = 3 * time.Second

// Dashboard is the --dashboard-url flag of run, describe and list, and the
// Tekton Dashboard base URL it resolves to: the flag, else
// $MLPIPE_DASHBOARD_URL, else what dashboard.Discover finds in Tekton's
// namespace. "none" (flag or environment) turns the link off.
type Dashboard struct {
	flag string

	once sync.Once
	base string
}

// AddDashboardFlag registers --dashboard-url on cmd. The value is checked
// as it is parsed, so a bad URL is a usage error (exit 2).
func AddDashboardFlag(cmd *cobra.Command, d *Dashboard) {
	cmd.Flags().Var(d, "dashboard-url", `base URL of the Tekton Dashboard for links to runs (default: $`+dashboard.EnvURL+`, else found from an Ingress, OpenShift Route or LoadBalancer Service in `+dashboard.Namespace+`); "none" for no link`)
}

// String is the flag's value.
func (d *Dashboard) String() string { return d.flag }

// Type names the flag's value in help.
func (d *Dashboard) Type() string { return "url" }

// Set checks and keeps the flag's value.
func (d *Dashboard) Set(s string) error {
	if s == dashboard.None {
		d.flag = s
		return nil
	}
	base, err := dashboard.ParseBase(s)
	if err != nil {
		return err
	}
	d.flag = base
	return nil
}

// Base resolves the Dashboard's base URL once per command: "" when none is
// known. It never fails: a base URL in the environment that is not one is a
// warning on errOut, and what discovery could not read is a -v=1 line.
// kube may be nil (no discovery).
func (d *Dashboard) Base(ctx context.Context, errOut io.Writer, kube kubernetes.Interface) string {
	d.once.Do(func() {
		switch {
		case d.flag == dashboard.None:
			return
		case d.flag != "":
			d.base = d.flag
			return
		}
		if env := os.Getenv(dashboard.EnvURL); env == dashboard.None {
			return
		} else if env != "" {
			base, err := dashboard.ParseBase(env)
			if err == nil {
				d.base = base
				return
			}
			fmt.Fprintf(errOut, "Warning: %s: %v; ignoring it\n", dashboard.EnvURL, err)
		}
		ctx, cancel := context.WithTimeout(ctx, dashboardTimeout)
		defer cancel()
		base, err := dashboard.Discover(ctx, kube, dashboard.Namespace)
		if err != nil {
			klog.V(1).Infof("no Tekton Dashboard link from %s: %v", dashboard.Namespace, err)
		}
		d.base = base
	})
	return d.base
}

// RunURL is the Dashboard page of the run ns/name, or "" when no Dashboard is known.
func (d *Dashboard) RunURL(ctx context.Context, errOut io.Writer, kube kubernetes.Interface, ns, name string) string {
	return dashboard.RunURL(d.Base(ctx, errOut, kube), ns, name)
}

// PrintRunURL writes "dashboard: URL" on errOut when a Dashboard is known.
func (d *Dashboard) PrintRunURL(ctx context.Context, errOut io.Writer, kube kubernetes.Interface, ns, name string) {
	if u := d.RunURL(ctx, errOut, kube, ns, name); u != "" {
		fmt.Fprintf(errOut, "dashboard: %s\n", u)
	}
}
