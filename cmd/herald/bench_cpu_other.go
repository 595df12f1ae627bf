//go:build !unix

package main

import "time"

// processCPU is not measured here; the bench prints 0 per delivery.
func processCPU() time.Duration { return 0 }
