package main

import (
	"context"
	"errors"
)

func (m *Main) cmdBench(ctx context.Context, args []string) error {
	return errors.New("bench is not built yet")
}
