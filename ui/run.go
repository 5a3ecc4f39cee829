package ui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// Run runs the dashboard in the alternate screen until the user quits or
// ctx ends. Bubble Tea restores the terminal on exit and on a panic; a
// panic is returned as an error.
func Run(ctx context.Context, opts Options) (err error) {
	m, err := New(opts)
	if err != nil {
		return err
	}
	m.ctx, m.stop = context.WithCancel(ctx)
	defer m.shutdown()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ui: internal error: %v", r)
		}
	}()
	p := tea.NewProgram(m, tea.WithContext(ctx))
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
