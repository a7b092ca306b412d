package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats.go"
)

// ConnOptions are how a driver or worker connects to the NATS server. The zero value
// connects to nats.DefaultURL without credentials.
type ConnOptions struct {
	// URL is the server URL (or a comma-separated list of cluster URLs).
	URL string
	// User and Password authenticate by user name and password.
	User, Password string
	// Token authenticates by token.
	Token string
	// NKeySeedFile is a file holding an NKey seed (SU...) to authenticate with.
	NKeySeedFile string
	// CredsFile is a NATS credentials file (user JWT and NKey seed).
	CredsFile string
	// TLSCA, TLSCert and TLSKey are PEM files: the CA that signed the server's
	// certificate, and a client certificate and key for mutual TLS.
	TLSCA, TLSCert, TLSKey string
	// Name names the connection in the server's monitoring.
	Name string
	// Timeout bounds the connection attempt (0: 5 s).
	Timeout time.Duration
}

// Environment variables read by ConnOptionsFromEnv.
const (
	EnvURL      = "STEMFLOW_NATS_URL"
	EnvUser     = "STEMFLOW_NATS_USER"
	EnvPassword = "STEMFLOW_NATS_PASSWORD"
	EnvToken    = "STEMFLOW_NATS_TOKEN"
	EnvNKey     = "STEMFLOW_NATS_NKEY"
	EnvCreds    = "STEMFLOW_NATS_CREDS"
	EnvTLSCA    = "STEMFLOW_NATS_TLS_CA"
	EnvTLSCert  = "STEMFLOW_NATS_TLS_CERT"
	EnvTLSKey   = "STEMFLOW_NATS_TLS_KEY"
)

// ConnOptionsFromEnv fills the empty fields of o from the STEMFLOW_NATS_*
// environment variables (flags win over the environment).
func ConnOptionsFromEnv(o ConnOptions) ConnOptions {
	set := func(dst *string, env string) {
		if *dst == "" {
			*dst = os.Getenv(env)
		}
	}
	set(&o.URL, EnvURL)
	set(&o.User, EnvUser)
	set(&o.Password, EnvPassword)
	set(&o.Token, EnvToken)
	set(&o.NKeySeedFile, EnvNKey)
	set(&o.CredsFile, EnvCreds)
	set(&o.TLSCA, EnvTLSCA)
	set(&o.TLSCert, EnvTLSCert)
	set(&o.TLSKey, EnvTLSKey)
	return o
}

// ErrConnect is the error of a failed connection (wrong URL, refused credentials).
var ErrConnect = errors.New("cluster: cannot connect to NATS")

// Connect connects to the server with o's credentials. The error names the URL with
// any credentials in it removed.
func Connect(o ConnOptions) (*nats.Conn, error) {
	u := o.URL
	if u == "" {
		u = nats.DefaultURL
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.Timeout(timeoutOr(o.Timeout, 5*time.Second)),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
	}
	if o.User != "" || o.Password != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.NKeySeedFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("%w: nkey seed file %s: %v", ErrConnect, o.NKeySeedFile, err)
		}
		opts = append(opts, opt)
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if o.TLSCert != "" || o.TLSKey != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	if o.TLSCA != "" || o.TLSCert != "" {
		opts = append(opts, nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	nc, err := nats.Connect(u, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrConnect, Redact(u), err)
	}
	return nc, nil
}

// Redact returns a URL (or comma-separated URL list) with user info removed, for
// messages and logs.
func Redact(u string) string {
	out := ""
	start := 0
	for i := 0; i <= len(u); i++ {
		if i < len(u) && u[i] != ',' {
			continue
		}
		part := u[start:i]
		if p, err := url.Parse(part); err == nil && p.User != nil {
			p.User = nil
			part = p.String()
		}
		if out != "" {
			out += ","
		}
		out += part
		start = i + 1
	}
	return out
}

func timeoutOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
