package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cache says whether a step may take its outputs from an earlier run that
// did the same work. It is written as true, false, or an object; the object
// form turns caching on unless it says enabled: false.
type Cache struct {
	Enabled *bool `json:"enabled,omitempty"`
	// MaxAge is how old a reused result may be (a Go duration, or days: 7d).
	MaxAge string `json:"maxAge,omitempty"`
	// Key is a string of the user's that is part of the cache key: change it
	// to stop reusing results the step's definition cannot tell apart.
	Key string `json:"key,omitempty"`
}

// BoolOrObject marks a type written either as true/false or as an object.
func (*Cache) BoolOrObject() {}

// UnmarshalJSON accepts true, false, or the object form.
func (c *Cache) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		*c = Cache{Enabled: &on}
		return nil
	}
	type plain Cache
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Cache(p)
	return nil
}

// ParseMaxAge reads a cache maxAge: a Go duration (90m, 36h) or whole days (7d).
func ParseMaxAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a whole number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not greater than zero", s)
	}
	return d, nil
}
