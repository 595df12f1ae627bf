package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

func expProfiles() func() {
	dir := os.Getenv("HERALD_EXP_PROF")
	if dir == "" {
		return func() {}
	}
	runtime.SetBlockProfileRate(10000)
	runtime.SetMutexProfileFraction(5)
	return func() {
		for _, n := range []string{"block", "mutex"} {
			f, _ := os.Create(dir + "/" + n + ".prof")
			pprof.Lookup(n).WriteTo(f, 0)
			f.Close()
		}
	}
}
