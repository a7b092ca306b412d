package natsserver_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/stemflow/stemflow/cluster/natsserver"
)

// An embedded server on any free port of 127.0.0.1; clients (cluster.Connect)
// connect to its URL.
func Example() {
	dir, _ := os.MkdirTemp("", "natsserver")
	defer os.RemoveAll(dir)
	srv, err := natsserver.Start(natsserver.Options{Port: -1, StoreDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fmt.Println(strings.HasPrefix(srv.URL(), "nats://127.0.0.1:"))
	// Output: true
}
