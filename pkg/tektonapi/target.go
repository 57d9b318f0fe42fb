package tektonapi

import "strings"

// Target is what a cluster runs: the API version to send PipelineRuns as,
// the Tekton release and its feature flags.
type Target struct {
	// API is V1 or V1beta1: v1 where it is served.
	API string
	// Release is the Tekton Pipelines release; Assumed says it was not read
	// from the cluster but inferred, and why.
	Release Release
	Assumed string
	// Source says where Release was read from.
	Source string
	// Flags is the feature-flags ConfigMap's data (nil when unreadable).
	Flags map[string]string
}

// APIFields is enable-api-fields, or the release's default.
func (t Target) APIFields() string {
	if v := strings.ToLower(t.Flags["enable-api-fields"]); v != "" {
		return v
	}
	if t.Release.Less(MustParse("v0.50.0")) {
		return "stable"
	}
	return "beta"
}

// Coschedule is how the release's affinity assistant places the pods of a
// run: "workspaces" (every pod using one workspace on one node),
// "pipelineruns", "isolate-pipelinerun" or "disabled", from coschedule and,
// before v1.0, disable-affinity-assistant.
func (t Target) Coschedule() string {
	disableAA := strings.EqualFold(t.Flags["disable-affinity-assistant"], "true")
	co := strings.ToLower(t.Flags["coschedule"])
	if co == "" {
		co = "workspaces"
	}
	switch {
	case t.Release.Less(MustParse("v0.50.0")):
		if disableAA {
			return "disabled"
		}
		return "workspaces"
	case t.Release.Less(MustParse("v1.0.0")):
		if !disableAA {
			return "workspaces"
		}
		if co == "workspaces" {
			return "disabled"
		}
	}
	return co
}

// CoscheduleFlag names the flag that sets Coschedule on this release.
func (t Target) CoscheduleFlag() string {
	switch {
	case t.Release.Less(MustParse("v0.50.0")):
		return "disable-affinity-assistant: \"true\""
	case t.Release.Less(MustParse("v1.0.0")):
		return "disable-affinity-assistant: \"true\" and coschedule: disabled"
	}
	return "coschedule: disabled"
}

// MatrixAllowed says whether the release accepts a pipeline task's matrix
// with these flags, and if not, why.
func (t Target) MatrixAllowed() (bool, string) {
	fields := t.APIFields()
	switch {
	case t.Release.Less(MustParse("v0.53.0")):
		if fields != "alpha" {
			return false, "Tekton " + t.Release.String() + " accepts matrix only with enable-api-fields: alpha (it has " + fields + ")"
		}
		if es := t.Flags["embedded-status"]; es != "" && es != "minimal" && t.Release.Less(MustParse("v0.51.0")) {
			return false, "Tekton " + t.Release.String() + " accepts matrix only with embedded-status: minimal (it has " + es + ")"
		}
	case fields != "alpha" && fields != "beta":
		return false, "Tekton " + t.Release.String() + " accepts matrix only with enable-api-fields: beta or alpha (it has " + fields + ")"
	}
	return true, ""
}
