//go:build pprof

package main

// Built with -tags pprof, the binary serves Go's profiles on the address in
// COMMONGROUND_PPROF (default 127.0.0.1:6060), for profiling under load.
// Normal builds leave this file out.

import (
	"fmt"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("COMMONGROUND_PPROF")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() {
		// Not fatal: a second process on the same host finds the address taken.
		err := http.ListenAndServe(addr, nil)
		fmt.Fprintf(os.Stderr, "profiles not served on %s: %v\n", addr, err)
	}()
}
