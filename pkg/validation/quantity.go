package validation

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

var (
	unitTypo  = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$`)
	unitHints = map[string]string{
		"kb": "Ki", "kib": "Ki", "k": "k", "ki": "Ki",
		"mb": "Mi", "mib": "Mi", "mi": "Mi",
		"gb": "Gi", "gib": "Gi", "g": "G", "gi": "Gi",
		"tb": "Ti", "tib": "Ti", "ti": "Ti",
		"pb": "Pi", "pib": "Pi",
	}
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
			return q, fmt.Sprintf("%s (did you mean %s%s?)", msg, num, unitHints[unit])
		case unit == "m" && cpu:
			return q, fmt.Sprintf("%s (did you mean %sm?)", msg, num)
		}
	}
	if cpu {
		return q, msg + ` (write cores as "2" or "0.5", or millicores as "500m")`
	}
	return q, msg + ` (write bytes with a binary suffix such as "512Mi" or "4Gi")`
}
