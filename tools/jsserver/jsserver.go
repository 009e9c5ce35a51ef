package jsserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ErrNotReady means a server did not accept clients within the start
// timeout (a bad directory, a port in use).
var ErrNotReady = errors.New("jsserver: server not ready")

// Limits. A checkgrid stream holds Delta frames (at most ~126 KB each) and
// a KV snapshot of one grid (~125 KB): the default 1 MB max_payload fits
// both. The store limit only bounds a runaway; retention is the stream's.
const (
	readyTimeout  = 20 * time.Second
	maxFileStore  = 8 << 30
	maxMemStore   = 256 << 20
	defaultClName = "checkgrid"
)

// Options for one server. Zero values: a random client port on 127.0.0.1,
// no cluster.
type Options struct {
	Name        string   // server_name, unique in the cluster
	Dir         string   // JetStream store_dir
	Host        string   // client and cluster listen host; default 127.0.0.1
	Port        int      // client port; 0 picks a free one
	ClusterName string   // default "checkgrid"
	ClusterPort int      // 0: no cluster (a single server)
	Routes      []string // host:port of every peer's cluster listener (its own may be included)
	Log         bool     // the server's own log on stderr
}

// Server is one running JetStream server.
type Server struct {
	*server.Server
	Opts Options
}

// Start runs a server with o and waits until it accepts clients.
func Start(o Options) (*Server, error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.ClusterName == "" {
		o.ClusterName = defaultClName
	}
	opts := &server.Options{
		ServerName:         o.Name,
		Host:               o.Host,
		Port:               o.Port,
		JetStream:          true,
		StoreDir:           o.Dir,
		SyncAlways:         true, // a write is on disk before its ack: an acknowledged Delta survives power loss on a quorum
		JetStreamMaxStore:  maxFileStore,
		JetStreamMaxMemory: maxMemStore,
		NoSigs:             true,
		NoLog:              !o.Log,
	}
	if o.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if o.ClusterPort != 0 {
		opts.Cluster = server.ClusterOpts{Name: o.ClusterName, Host: o.Host, Port: o.ClusterPort}
		for _, r := range o.Routes {
			opts.Routes = append(opts.Routes, &url.URL{Scheme: "nats", Host: r})
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("jsserver %s: %w", o.Name, err)
	}
	if o.Log {
		s.ConfigureLogger()
	}
	s.Start()
	if !s.ReadyForConnections(readyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("%w: %s in %v", ErrNotReady, o.Name, readyTimeout)
	}
	o.Port = s.Addr().(*net.TCPAddr).Port
	return &Server{Server: s, Opts: o}, nil
}

// Stop shuts the server down and waits for it.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}

// FreePorts returns n distinct free TCP ports on host. They are free when
// returned; a route list must name every peer's port before any starts,
// which is why they cannot be picked by the servers themselves.
func FreePorts(host string, n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Plan is the options for an n-server cluster on loopback: names n1..nN,
// store dirs under dir, free client and cluster ports, full route lists.
func Plan(dir string, n int) ([]Options, error) {
	ports, err := FreePorts("127.0.0.1", 2*n)
	if err != nil {
		return nil, err
	}
	routes := make([]string, n)
	for i := range n {
		routes[i] = "127.0.0.1:" + strconv.Itoa(ports[n+i])
	}
	plan := make([]Options, n)
	for i := range n {
		name := "n" + strconv.Itoa(i+1)
		plan[i] = Options{Name: name, Dir: dir + "/" + name, Port: ports[i], ClusterPort: ports[n+i], Routes: routes}
	}
	return plan, nil
}

// Cluster starts every server of plan, concurrently (a JetStream cluster
// forms only once a quorum of its peers is up), and returns them in plan
// order. On error the ones started are stopped.
func Cluster(plan []Options) ([]*Server, error) {
	type res struct {
		i int
		s *Server
		e error
	}
	ch := make(chan res, len(plan))
	for i, o := range plan {
		go func() {
			s, err := Start(o)
			ch <- res{i, s, err}
		}()
	}
	out := make([]*Server, len(plan))
	var errs []error
	for range plan {
		r := <-ch
		out[r.i] = r.s
		errs = append(errs, r.e)
	}
	if err := errors.Join(errs...); err != nil {
		for _, s := range out {
			if s != nil {
				s.Stop()
			}
		}
		return nil, err
	}
	return out, nil
}

// URL is the client URL of s.
func (s *Server) URL() string {
	return "nats://" + net.JoinHostPort(s.Opts.Host, strconv.Itoa(s.Opts.Port))
}
