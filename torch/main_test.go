package torch

import (
	"os"
	"syscall"
	"testing"
)

// TestMain re-executes the test binary with OMP_WAIT_POLICY=PASSIVE when it
// is unset: OpenMP reads it once, when libgomp loads, and busy-waiting
// threads make every step many times slower on a shared 2-core machine.
func TestMain(m *testing.M) {
	if os.Getenv("OMP_WAIT_POLICY") == "" {
		os.Setenv("OMP_WAIT_POLICY", "PASSIVE")
		if exe, err := os.Executable(); err == nil {
			err = syscall.Exec(exe, os.Args, os.Environ())
			panic("re-exec with OMP_WAIT_POLICY=PASSIVE: " + err.Error())
		}
	}
	os.Exit(m.Run())
}
