// Package serverflags defines the command-line flags of the embedded NATS server
// once: for the program stemflow-server, which parses them, and for the stemflow
// command, whose `stemflow help server` lists them and whose `stemflow server`
// checks them before it runs stemflow-server, without linking the server itself.
package serverflags

import (
	"flag"

	"github.com/stemflow/stemflow/cluster"
)

// Help is the description printed after the flag list.
const Help = "Starts an embedded NATS server with JetStream for stemflow workers and drivers and\n" +
	"prints its URL; it runs until interrupted. Production setups use their own\n" +
	"nats-server cluster instead. User and password or token come from the flags or\n" +
	"STEMFLOW_NATS_USER/STEMFLOW_NATS_PASSWORD/STEMFLOW_NATS_TOKEN.\n" +
	"The server is the separate program stemflow-server, found next to the stemflow\n" +
	"executable or on PATH (make build writes both; or go install\n" +
	"github.com/stemflow/stemflow/cmd/stemflow-server@latest).\n"

// Options are the parsed flags.
type Options struct {
	Host, Store, User, Password, Token string
	Port                               int
}

// Register defines the server's flags on fs and returns where their values land.
func Register(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.Host, "host", "127.0.0.1", "address to listen on (0.0.0.0 for other machines)")
	fs.IntVar(&o.Port, "port", 4222, "port (-1 = any free port)")
	fs.StringVar(&o.Store, "store", "stemflow-nats", "JetStream storage `folder`")
	fs.StringVar(&o.User, "user", "", "required user name")
	fs.StringVar(&o.Password, "password", "", "required password (prefer env "+cluster.EnvPassword+")")
	fs.StringVar(&o.Token, "token", "", "required token (prefer env "+cluster.EnvToken+")")
	return o
}
