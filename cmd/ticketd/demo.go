package main

import (
	"context"
	"errors"
)

func (m *Main) cmdDemo(ctx context.Context, args []string) error {
	return errors.New("demo is not built yet")
}
