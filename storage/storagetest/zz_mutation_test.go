package storagetest_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/storage/storagetest"
	"github.com/rosterkit/roster/users"
)

type mut struct {
	storagetest.Store
	kind string
}

type mtx struct {
	users.Tx
	kind string
}

func (m *mut) InTx(ctx context.Context, id uuid.UUID, fn func(context.Context, users.Tx) error) error {
	return m.Store.InTx(ctx, id, func(ctx context.Context, tx users.Tx) error { return fn(ctx, &mtx{tx, m.kind}) })
}
func (t *mtx) SetSeatsUsed(ctx context.Context, n int) error {
	if t.kind == "seats" { return nil }
	return t.Tx.SetSeatsUsed(ctx, n)
}
func (t *mtx) TakeVerification(ctx context.Context, h []byte) (users.Verification, error) {
	if t.kind == "take" {
		u, err := t.Tx.TakeVerification(ctx, h)
		if err == nil { _ = t.Tx.ReplaceVerification(ctx, u) }
		return u, err
	}
	return t.Tx.TakeVerification(ctx, h)
}
func (t *mtx) DeleteVerifications(ctx context.Context, id uuid.UUID) error {
	if t.kind == "delver" { return nil }
	return t.Tx.DeleteVerifications(ctx, id)
}
func (t *mtx) AppendEntry(ctx context.Context, e activity.Entry) error {
	if t.kind == "droprej" && e.Type == activity.TypeLoginRejected { return nil }
	if t.kind == "ip" { e.IP = e.IP.Unmap(); e.IP = activity.Entry{}.IP }
	return t.Tx.AppendEntry(ctx, e)
}
func (t *mtx) CountActiveAdmins(ctx context.Context) (int, error) {
	if t.kind == "admins" { return 2, nil }
	return t.Tx.CountActiveAdmins(ctx)
}
func (m *mut) ListUsers(ctx context.Context, f users.ListFilter) ([]users.User, error) {
	if m.kind == "after" { f.After = nil }
	if m.kind == "search" { f.Search = "" }
	return m.Store.ListUsers(ctx, f)
}
func (m *mut) QueryEntries(ctx context.Context, f activity.Filter) ([]activity.Entry, error) {
	if m.kind == "types" { f.Types = nil }
	if m.kind == "until" { f.Until = time.Time{} }
	es, err := m.Store.QueryEntries(ctx, f)
	if m.kind == "order" { slices.Reverse(es) }
	if m.kind == "utc" { for i := range es { es[i].OccurredAt = es[i].OccurredAt.In(time.FixedZone("X", 3600)) } }
	return es, err
}
func (m *mut) HiddenColumns(ctx context.Context, c, v uuid.UUID) ([]users.Column, error) {
	if m.kind == "columns" { return nil, nil }
	return m.Store.HiddenColumns(ctx, c, v)
}

func TestMutation(t *testing.T) {
	kind := os.Getenv("MUT")
	if kind == "" { t.Skip() }
	storagetest.Run(t, func(t *testing.T) storagetest.Store { return &mut{memory.New(), kind} })
}
