//go:build race

package tektonvalidate_test

// raceEnabled: the race detector slows Tekton's validation down several
// times; the long differential tests run a lighter sample under it.
const raceEnabled = true
