// Package testbinary builds the commonground binary for tests that run the
// real program, as an operator or a load test would.
package testbinary

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build compiles the main package in dir into a temporary directory and
// returns the binary's path and a function that removes it.
func Build(dir string) (path string, remove func(), err error) {
	tmp, err := os.MkdirTemp("", "commonground-bin-")
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(tmp, "commonground")
	build := exec.Command("go", "build", "-o", path, dir)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("build commonground: %w", err)
	}
	return path, func() { os.RemoveAll(tmp) }, nil
}

// Env is this process's environment without the COMMONGROUND_ settings, for
// running the binary: a developer's own settings (a database URL, say) must
// not reach the instances a test starts.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMMONGROUND_") {
			env = append(env, kv)
		}
	}
	return env
}
