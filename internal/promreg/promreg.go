// Package promreg registers Prometheus collectors on the registry a
// process shares between its parts: a collector already registered under
// the same name (a second server or store wrapper in one process) is
// shared rather than an error.
package promreg

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns it, or returns the collector
// registered before with the same description.
func Register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if ex, ok := are.ExistingCollector.(T); ok {
			return ex, nil
		}
	}
	return c, fmt.Errorf("metrics: %w", err)
}
