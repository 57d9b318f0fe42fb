// Package tektonapi knows what each Tekton Pipelines release accepts: which
// API version to send, which fields of a PipelineRun it understands, and
// which features its feature flags allow. It converts a tekton.dev/v1 run
// to v1beta1 with Tekton's own conversion code. It is pure: what the
// cluster runs comes in as a Target.
package tektonapi

import (
	"fmt"
	"strconv"
	"strings"
)

// Release is a Tekton Pipelines version, vMAJOR.MINOR.PATCH.
type Release struct{ Major, Minor, Patch int }

// TrackedReleases are the releases whose APIs fields.txt records, oldest
// first: the oldest the product supports, the ones the local cluster is
// tested on, and the LTS lines between.
var TrackedReleases = []string{
	"v0.38.3", "v0.44.0", "v0.50.5", "v0.53.6", "v0.59.6", "v0.68.1",
	"v1.0.1", "v1.3.1", "v1.6.2", "v1.9.2", "v1.15.1",
}

// Oldest is the oldest release the product supports.
var Oldest = MustParse(TrackedReleases[0])

// ParseRelease reads "v0.50.5", "0.50.5", "v0.50" or "v1.15.1-rc.1"
// (pre-release and build suffixes are ignored).
func ParseRelease(s string) (Release, error) {
	v := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Release{}, fmt.Errorf("%q is not a Tekton release (want vX.Y.Z)", s)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return Release{}, fmt.Errorf("%q is not a Tekton release (want vX.Y.Z)", s)
		}
		n[i] = x
	}
	return Release{n[0], n[1], n[2]}, nil
}

// MustParse is ParseRelease for constants.
func MustParse(s string) Release {
	r, err := ParseRelease(s)
	if err != nil {
		panic(err)
	}
	return r
}

func (r Release) String() string { return fmt.Sprintf("v%d.%d.%d", r.Major, r.Minor, r.Patch) }

// Less reports whether r is older than o.
func (r Release) Less(o Release) bool {
	if r.Major != o.Major {
		return r.Major < o.Major
	}
	if r.Minor != o.Minor {
		return r.Minor < o.Minor
	}
	return r.Patch < o.Patch
}

// AtLeast reports whether r is o or newer.
func (r Release) AtLeast(o Release) bool { return !r.Less(o) }

// IsZero reports whether r is unset.
func (r Release) IsZero() bool { return r == Release{} }
