package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"ticketd/ticket"
)

// ReadCorrections reads stored corrections, as JSON (an array of
// Correction) or as TSV lines "at<TAB>assessed<TAB>corrected<TAB>factors"
// with at in RFC 3339 and factors in the Factors.String form
// ("environment=production scope=everyone …"); blank lines and lines
// starting with "#" are skipped. Errors name the entry or line.
func ReadCorrections(r io.Reader) ([]Correction, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read corrections: %w", err)
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		var cs []Correction
		if err := json.Unmarshal(trimmed, &cs); err != nil {
			return nil, fmt.Errorf("corrections JSON: %w", err)
		}
		for i, c := range cs {
			if err := checkCorrection(c); err != nil {
				return nil, fmt.Errorf("corrections[%d]: %w", i, err)
			}
		}
		return cs, nil
	}
	var cs []Correction
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) != 4 {
			return nil, fmt.Errorf("corrections line %d: want at<TAB>assessed<TAB>corrected<TAB>factors, got %d fields", line, len(fields))
		}
		var c Correction
		if c.At, err = time.Parse(time.RFC3339, fields[0]); err != nil {
			return nil, fmt.Errorf("corrections line %d: at: %w", line, err)
		}
		if c.Assessed, err = ticket.ParseLevel(fields[1]); err != nil {
			return nil, fmt.Errorf("corrections line %d: assessed: %w", line, err)
		}
		if c.Corrected, err = ticket.ParseLevel(fields[2]); err != nil {
			return nil, fmt.Errorf("corrections line %d: corrected: %w", line, err)
		}
		if c.Factors, err = ParseFactors(fields[3]); err != nil {
			return nil, fmt.Errorf("corrections line %d: %w", line, err)
		}
		cs = append(cs, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read corrections: %w", err)
	}
	return cs, nil
}

func checkCorrection(c Correction) error {
	if !c.Corrected.Valid() {
		return fmt.Errorf("corrected: unknown level %q", c.Corrected)
	}
	if c.Assessed != "" && !c.Assessed.Valid() {
		return fmt.Errorf("assessed: unknown level %q", c.Assessed)
	}
	return c.Factors.Valid()
}
