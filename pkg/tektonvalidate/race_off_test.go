//go:build !race

package tektonvalidate_test

const raceEnabled = false
