package doctor

import (
	"fmt"
	"strings"
)

// Access is one SelfSubjectAccessReview and its answer.
type Access struct {
	Verb, Group, Resource, Subresource string
	Namespace                          string
	// Need says which commands need it; Blocking makes a denial a failure.
	Need     string
	Blocking bool

	Allowed bool
	Reason  string
	// Err is a review that could not be made.
	Err error
}

// resource is the resource as kubectl names it: pipelineruns.tekton.dev, pods/log.
func (a Access) resource() string {
	r := a.Resource
	if a.Group != "" {
		r += "." + a.Group
	}
	if a.Subresource != "" {
		r += "/" + a.Subresource
	}
	return r
}

// MlpipeAccess lists the reviews doctor asks for: creating runs (blocking),
// watching them and reading pod logs (warnings: only some commands need them).
func MlpipeAccess(ns string) []Access {
	return []Access{
		{Verb: "create", Group: "tekton.dev", Resource: "pipelineruns", Namespace: ns, Need: "run", Blocking: true},
		{Verb: "watch", Group: "tekton.dev", Resource: "pipelineruns", Namespace: ns, Need: "run --wait and describe -w"},
		{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns, Need: "logs and run --follow"},
	}
}

// CheckAccess turns an access review into a finding.
func CheckAccess(a Access) Finding {
	check := "access/" + a.Verb + "-" + a.Resource
	if a.Subresource != "" {
		check += "-" + a.Subresource
	}
	f := Finding{Check: check}
	what := fmt.Sprintf("%s %s in namespace %s", a.Verb, a.resource(), a.Namespace)
	switch {
	case a.Err != nil:
		f.Status, f.Message = Warn, fmt.Sprintf("cannot check whether you may %s: %v", what, a.Err)
	case a.Allowed:
		f.Status, f.Message = OK, "you may "+what
	default:
		f.Status = Warn
		if a.Blocking {
			f.Status = Fail
		}
		f.Message = fmt.Sprintf("you may not %s, which %s needs", what, a.Need)
		if r := strings.TrimSpace(a.Reason); r != "" {
			f.Message += " (" + r + ")"
		}
		f.Fix = fmt.Sprintf("ask for a Role granting %q on %s there (Tekton adds its verbs to the cluster's edit role): kubectl create rolebinding mlpipe-edit -n %s --clusterrole=edit --user=\"$(kubectl auth whoami -o jsonpath='{.status.userInfo.username}')\"", a.Verb, a.resource(), a.Namespace)
		if a.Subresource == "log" {
			f.Fix = fmt.Sprintf("ask for a Role granting \"get\" on pods/log in namespace %s (the view and edit roles have it)", a.Namespace)
		}
	}
	return f
}
