package natsserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure an embedded JetStream server (Start).
type Options struct {
	// Host is the address to listen on (default 127.0.0.1); Port the port (0: 4222,
	// -1: any free port).
	Host string
	Port int
	// StoreDir is where JetStream keeps streams and objects (required).
	StoreDir string
	// User and Password, or Token, when set, are required from every client.
	User, Password, Token string
}

// Server is an embedded NATS server with JetStream.
type Server struct {
	ns *server.Server
}

// ErrNoStore is returned by Start when Options.StoreDir is empty.
var ErrNoStore = errors.New("natsserver: server needs a store directory")

// Start starts an embedded JetStream server and waits until it accepts
// connections. The maximum message payload is 8 MiB.
func Start(o Options) (*Server, error) {
	if o.StoreDir == "" {
		return nil, ErrNoStore
	}
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := o.Port
	if port == 0 {
		port = 4222
	}
	ns, err := server.NewServer(&server.Options{
		Host: host, Port: port, JetStream: true, StoreDir: o.StoreDir,
		Username: o.User, Password: o.Password, Authorization: o.Token,
		NoLog: true, NoSigs: true, MaxPayload: 8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("natsserver: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("natsserver: server on %s did not start within 10 s", net.JoinHostPort(host, strconv.Itoa(port)))
	}
	return &Server{ns: ns}, nil
}

// URL is the client URL of the server (without credentials).
func (s *Server) URL() string { return s.ns.ClientURL() }

// Close shuts the server down and waits until it has stopped.
func (s *Server) Close() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
