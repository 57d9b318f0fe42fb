// Package version holds the build's version, set with -ldflags -X.
package version

import "runtime"

// Set by the release build: -X github.com/mlpipe/kubectl-mlpipe/pkg/version.version=v1.2.3 etc.
var (
	version = "v0.0.0-dev"
	commit  = "unknown"
	date    = "unknown"
)

// Info describes this build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns this build's version information.
func Get() Info {
	return Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}
