//go:build tools

// Package tools pins the versions of the tools the Makefile installs into
// bin/tools. It has its own module so their dependencies never reach the
// plugin's go.mod.
package tools

import (
	_ "honnef.co/go/tools/cmd/staticcheck"
)
