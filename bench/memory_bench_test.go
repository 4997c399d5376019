package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

// memorySizes are the log sizes of BenchmarkMemoryActivityQuery.
var memorySizes = []int{100_000, 1_000_000}

// memoryFilters are the filters of BenchmarkMemoryActivityQuery.
var memoryFilters = []string{"user", "type", "range7d", "combined"}

// memoryLog is a memory store whose one company has a log of a given
// size, drawn with the distributions of entriesSQL for one company.
type memoryLog struct {
	store   *memory.Store
	company uuid.UUID
	// hotUser is the most active user, an admin.
	hotUser uuid.UUID
}

// memoryLogs caches the logs across the runs of -count, by size.
var memoryLogs = map[int]*memoryLog{}

// memoryAppendBatch is how many entries one transaction appends while the
// log is built.
const memoryAppendBatch = 50_000

func newMemoryLog(b *testing.B, size int) *memoryLog {
	if l, ok := memoryLogs[size]; ok {
		return l
	}
	ctx := context.Background()
	store := memory.New()
	svc := users.NewService(store, nil)
	company, admin, err := svc.CreateCompany(ctx, users.NewCompany{
		Name: "Memory company", SeatLimit: usersPerCompany, AdminEmail: "agent0@memory.example", AdminName: "Agent 0",
	}, activity.Actor{})
	if err != nil {
		b.Fatal(err)
	}
	team := []users.User{admin}
	actor := activity.Actor{CompanyID: company.ID, UserID: admin.ID}
	for i := 1; i < usersPerCompany; i++ {
		u, err := svc.Invite(ctx, actor, users.Invite{
			Email: fmt.Sprintf("agent%d@memory.example", i), Name: fmt.Sprintf("Agent %d", i), Role: users.RoleUser, ConversationLimit: 8,
		})
		if err != nil {
			b.Fatal(err)
		}
		team = append(team, u)
	}

	random := rand.New(rand.NewPCG(1, uint64(size)))
	span := datasetEnd.Sub(datasetStart)
	entry := func(g int) activity.Entry {
		at := datasetStart.Add(time.Duration((float64(g) + random.Float64()) / float64(size) * float64(span))).Truncate(time.Microsecond)
		u := random.Float64()
		acting := team[int(float64(usersPerCompany)*u*u)]
		other := team[random.IntN(usersPerCompany)]
		e := activity.Entry{
			CompanyID:    company.ID,
			UserID:       acting.ID,
			TargetUserID: acting.ID,
			IP:           netip.AddrFrom4([4]byte{198, 51, 100, byte(acting.ID[15])}),
			UserAgent:    benchUserAgent,
			OccurredAt:   at,
			Details:      activity.Details{Email: acting.Email},
		}
		switch r := random.Float64(); {
		case r < 0.34:
			e.Type = activity.TypeLogin
		case r < 0.64:
			e.Type = activity.TypeLogout
		case r < 0.69:
			e.Type, e.Details.Reason = activity.TypeLoginRejected, activity.ReasonInvalidCredentials
		case r < 0.87:
			e.Type, e.TargetUserID = activity.TypeUserUpdated, other.ID
			e.Details = activity.Details{Email: other.Email, Changes: []activity.Change{activity.NewChange("conversation_limit", 8, 10)}}
		case r < 0.91:
			e.Type, e.TargetUserID = activity.TypeUserInvited, other.ID
			e.Details = activity.Details{Email: other.Email, Name: other.Name, Role: "user"}
		case r < 0.93:
			e.Type, e.TargetUserID = activity.TypeVerificationResent, other.ID
			e.Details = activity.Details{Email: other.Email}
		case r < 0.97:
			e.Type = activity.TypeUserVerified
		case r < 0.985:
			e.Type, e.TargetUserID = activity.TypeUserArchived, other.ID
			e.Details = activity.Details{Email: other.Email, Name: other.Name}
		default:
			e.Type, e.UserID, e.TargetUserID, e.IP, e.UserAgent = activity.TypeSeatLimitChanged, uuid.Nil, uuid.Nil, netip.Addr{}, ""
			e.Details = activity.Details{Changes: []activity.Change{activity.NewChange("seat_limit", 180, 200)}}
		}
		e.ID = uuidV7At(at, random)
		return e
	}
	for lo := 0; lo < size; lo += memoryAppendBatch {
		err := store.InTx(ctx, company.ID, func(ctx context.Context, tx users.Tx) error {
			for g := lo; g < min(lo+memoryAppendBatch, size); g++ {
				if err := tx.AppendEntry(ctx, entry(g)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	l := &memoryLog{store: store, company: company.ID, hotUser: admin.ID}
	memoryLogs[size] = l
	return l
}

// uuidV7At returns a version 7 UUID with the time at, as the entries of
// the generated PostgreSQL log have.
func uuidV7At(at time.Time, random *rand.Rand) uuid.UUID {
	var id uuid.UUID
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (40 - 8*i))
	}
	r1, r2 := random.Uint64(), random.Uint64()
	for i := range 8 {
		id[6+i] = byte(r1 >> (8 * i))
	}
	id[14], id[15] = byte(r2), byte(r2>>8)
	id[6] = 0x70 | id[6]&0x0f
	id[8] = 0x80 | id[8]&0x3f
	return id
}

// BenchmarkMemoryActivityQuery reads the first page of 50 entries through
// activity.Service on the memory store, for each filter, at 100,000 and
// at 1,000,000 entries in one company.
func BenchmarkMemoryActivityQuery(b *testing.B) {
	ctx := context.Background()
	for _, filter := range memoryFilters {
		for _, size := range memorySizes {
			b.Run("filter="+filter+"/entries="+sizeLabel(int64(size)), func(b *testing.B) {
				l := newMemoryLog(b, size)
				svc := activity.NewService(l.store, nil)
				q := activity.Query{Limit: pageSize}
				if filter == "user" || filter == "combined" {
					q.UserID = l.hotUser
				}
				if filter == "type" || filter == "combined" {
					q.Types = []activity.Type{benchType}
				}
				if filter == "range7d" || filter == "combined" {
					q.Range = benchRange
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					page, err := svc.Query(ctx, l.company, q)
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Entries) != pageSize {
						b.Fatalf("got %d entries", len(page.Entries))
					}
				}
			})
		}
	}
}
