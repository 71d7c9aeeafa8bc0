package config

import (
	"strings"
	"testing"
)

func TestConfig_mimeLimitsHaveDefaultsAndAreChecked(t *testing.T) {
	c, err := Parse("t.toml", []byte(minimalConfig))
	if err != nil {
		t.Fatal(err)
	}
	mustf(t, c.Limits.MaxMIMEDepth == 32 && c.Limits.MaxMIMEParts == 500, "defaults: depth %d parts %d", c.Limits.MaxMIMEDepth, c.Limits.MaxMIMEParts)
	c, err = Parse("t.toml", []byte(minimalConfig+"[limits]\nmax_mime_depth = 8\nmax_mime_parts = 50\n"))
	if err != nil {
		t.Fatal(err)
	}
	lim := c.ParseLimits()
	mustf(t, lim.MaxMIMEDepth == 8 && lim.MaxMIMEParts == 50, "configured limits not passed to parsing: %+v", lim)
	for _, key := range []string{"max_mime_depth", "max_mime_parts"} {
		_, err := Parse("t.toml", []byte(minimalConfig+"[limits]\n"+key+" = -1\n"))
		mustf(t, err != nil && strings.Contains(err.Error(), "t.toml: limits."+key+": -1: want at least 1"), "%s = -1: %v", key, err)
	}
}
