package validation

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

var (
	unitTypo = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$`)
	// Each mistyped unit maps to the Kubernetes suffix of exactly the same
	// size: GB (10^9 bytes) is G, GiB (2^30) is Gi.
	unitHints = map[string]string{
		"kb": "k", "kib": "Ki", "k": "k", "ki": "Ki",
		"mb": "M", "mib": "Mi", "mi": "Mi",
		"gb": "G", "gib": "Gi", "g": "G", "gi": "Gi",
		"tb": "T", "tib": "Ti", "ti": "Ti",
		"pb": "P", "pib": "Pi",
	}
	// binaryOf is the binary suffix people usually mean by a decimal one, and
	// how much more it is.
	binaryOf = map[string]string{"k": "Ki (2% more)", "M": "Mi (5% more)", "G": "Gi (7% more)", "T": "Ti (10% more)", "P": "Pi (13% more)"}
	cpuWords = map[string]bool{"cpu": true, "cpus": true, "core": true, "cores": true, "vcpu": true, "vcpus": true}
)

// checkQuantity parses a Kubernetes quantity and, when it does not parse,
// explains why with a guess at what was meant ("32GB" → "32Gi").
func checkQuantity(s string, cpu bool) (resource.Quantity, string) {
	q, err := resource.ParseQuantity(s)
	if err == nil {
		if q.Sign() < 0 {
			return q, "must not be negative"
		}
		return q, ""
	}
	msg := "is not a Kubernetes quantity"
	if m := unitTypo.FindStringSubmatch(s); m != nil {
		num, unit := m[1], strings.ToLower(m[2])
		switch {
		case cpu && cpuWords[unit]:
			return q, fmt.Sprintf("%s (did you mean %s?)", msg, num)
		case unitHints[unit] != "" && !cpu:
			exact := unitHints[unit]
			if alt := binaryOf[exact]; alt != "" {
				return q, fmt.Sprintf("%s (did you mean %s%s, the same size, or %s%s?)", msg, num, exact, num, alt)
			}
			return q, fmt.Sprintf("%s (did you mean %s%s?)", msg, num, exact)
		case unit == "m" && cpu:
			return q, fmt.Sprintf("%s (did you mean %sm?)", msg, num)
		}
	}
	if cpu {
		return q, msg + ` (write cores as "2" or "0.5", or millicores as "500m")`
	}
	return q, msg + ` (write bytes with a binary suffix such as "512Mi" or "4Gi")`
}
