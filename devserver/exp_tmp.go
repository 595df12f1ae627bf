package devserver

import (
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/dynamicconfig"
)

func expDC(c dynamicconfig.StaticClient) {
	for _, kv := range strings.Split(os.Getenv("HERALD_EXP_DC"), ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		key := dynamicconfig.MakeKey(k)
		if b, err := strconv.ParseBool(v); err == nil {
			c[key] = b
		} else if i, err := strconv.Atoi(v); err == nil {
			c[key] = i
		} else if d, err := time.ParseDuration(v); err == nil {
			c[key] = d
		} else if f, err := strconv.ParseFloat(v, 64); err == nil {
			c[key] = f
		} else {
			c[key] = v
		}
	}
}

func expConns() int {
	if n, err := strconv.Atoi(os.Getenv("HERALD_EXP_CONNS")); err == nil {
		return n
	}
	return 1
}

func expAttrs(m map[string]string) map[string]string {
	for _, kv := range strings.Split(os.Getenv("HERALD_EXP_ATTR"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
