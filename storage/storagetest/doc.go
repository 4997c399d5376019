// Package storagetest is the conformance suite that every Roster storage
// backend must pass.
//
// A backend runs the whole suite with one call from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storagetest.Store { return memory.New() })
//	}
//
// Run calls the constructor once per subtest, and most subtests run in
// parallel. Each call must therefore return an empty store that shares no
// data with the others, such as a fresh in-memory store or a store on its
// own database schema. The constructor may register cleanup with t.Cleanup,
// and it may call t.Skip when its backend is unreachable.
//
// The suite drives the public users, seats and activity services with a
// fake clock and a notifier that records tokens, so it checks what callers
// observe: the invariants on seats, conversation counts, email uniqueness,
// admins and company isolation, one activity entry per successful change,
// and keyset pagination. The concurrency subtests start up to 100
// goroutines, so run the suite with -race.
package storagetest
