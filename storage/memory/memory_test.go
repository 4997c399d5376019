package memory_test

import (
	"testing"

	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store { return memory.New() })
}
