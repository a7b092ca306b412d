package natsserver

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a server started has ended when the tests are done.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
