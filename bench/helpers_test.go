package bench

import (
	"crypto/md5"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// md5UUID returns the uuid that PostgreSQL's md5(s)::uuid returns.
func md5UUID(s string) uuid.UUID {
	return uuid.UUID(md5.Sum([]byte(s)))
}

// runTimed runs op b.N times, fails b on its first error, and reports the
// median time of one call as the p50-ms metric beside the mean of ns/op.
func runTimed(b *testing.B, op func(i int) error) {
	b.Helper()
	durations := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		err := op(i)
		durations[i] = time.Since(start)
		if err != nil {
			b.Fatalf("operation %d: %v", i, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(median(durations).Seconds()*1000, "p50-ms")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
