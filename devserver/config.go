package devserver

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
)

const (
	clusterName = "active"
	storeName   = "sqlite-default"
	// visibilityStoreName is the optional second file for visibility.
	visibilityStoreName = "sqlite-visibility"
	// historyShards is fixed when the database is created; Temporal keeps
	// the persisted value if this ever changes. One shard is plenty for a
	// single SQLite connection.
	historyShards = 1
	// internalIP is where history, matching and worker listen. They are
	// never reached from outside the process.
	internalIP = "127.0.0.1"
)

// sqlConfig describes Temporal's SQLite store. Temporal's sqlite plugin
// turns every attribute that is not an SQLite URI parameter into a modernc
// "_pragma=key=value" query parameter, so keys have no leading underscore
// (go.temporal.io/server common/persistence/sql/sqlplugin/sqlite/plugin.go,
// buildDSNAttr).
func sqlConfig(dbPath string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: uriPath(dbPath), // the plugin makes it "file:<name>?<attributes>"
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "FULL",
			"busy_timeout": "10000",
			// The checkpointer does this work off the commit path.
			"wal_autocheckpoint": strconv.Itoa(autocheckpointBackstop),
		},
		// All Temporal services in the process share one *sql.DB per DSN
		// (the plugin's connPool); one connection serializes every write.
		MaxConns:     1,
		MaxIdleConns: 1,
	}
}

// ports are the listening ports chosen for one run.
type ports struct {
	frontend, history, matching, worker int
	locks                               []func() // see lockPort; released by release
}

// release gives up the port locks; the services keep their listeners.
func (p *ports) release() {
	for _, unlock := range p.locks {
		unlock()
	}
	p.locks = nil
}

// pickPorts chooses free ports for the services. A fixed frontend port is
// checked first: Temporal reports a port it cannot bind through
// Logger.Fatal, which warnLogger does not turn into an exit, so the server
// would go on without a listener.
// On error, the locks taken so far are released.
func pickPorts(ip string, frontend int) (p ports, err error) {
	defer func() {
		if err != nil {
			p.release()
		}
	}()
	if frontend == 0 {
		frontend, err = p.free(ip)
	} else {
		err = checkPort(ip, frontend)
	}
	if err != nil {
		return p, err
	}
	p.frontend = frontend
	for _, dst := range []*int{&p.history, &p.matching, &p.worker} {
		if *dst, err = p.free(internalIP); err != nil {
			return p, err
		}
	}
	return p, nil
}

// free is freePort, keeping the port's lock in p.
func (p *ports) free(ip string) (int, error) {
	port, unlock, err := freePort(ip)
	if err != nil {
		return 0, err
	}
	p.locks = append(p.locks, unlock)
	return port, nil
}

// freePort finds an unused TCP port on ip. It prefers ports below the
// kernel's ephemeral range: a port taken from that range is free when this
// returns, but any outgoing connection of the process (tests make many) may
// claim it as its local port before Temporal binds it, and Temporal then
// runs on without a listener (see pickPorts). Only if no such port is free
// does it fall back to one the kernel picks. A port is only chosen with
// its lock (lockPort), which the caller releases once the server is done
// with it.
func freePort(ip string) (int, func(), error) {
	low := ephemeralLow()
	for range 50 {
		port := 10000 + rand.IntN(max(low-10000, 1))
		unlock, ok, err := lockPort(port)
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			continue
		}
		if checkPort(ip, port) == nil {
			return port, unlock, nil
		}
		unlock()
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, nil, fmt.Errorf("find a free port on %s: %w", ip, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	unlock, ok, err := lockPort(port) // best effort: the kernel chose it
	if err != nil || !ok {
		unlock = func() {}
	}
	if err := l.Close(); err != nil {
		unlock()
		return 0, nil, fmt.Errorf("find a free port on %s: %w", ip, err)
	}
	return port, unlock, nil
}

// ReservePort finds a free TCP port on ip the way Start picks the ports of
// its internal services: below the kernel's ephemeral range, where no
// outgoing connection of the process can take it, and locked against other
// processes reserving ports this way (tests running in parallel). Until
// release, the port stays the caller's to bind or to pass on, for example
// as Config.FrontendPort.
func ReservePort(ip string) (port int, release func(), err error) { return freePort(ip) }

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= 10000 {
		return 32768
	}
	return low
}

// checkPort fails if ip:port cannot be bound now.
func checkPort(ip string, port int) error {
	l, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		return fmt.Errorf("port %d on %s: %w", port, ip, err)
	}
	return l.Close()
}

// dialIP is the address clients in this process use to reach a service
// bound on ip: a wildcard bind is reached through loopback.
func dialIP(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil || !parsed.IsUnspecified():
		return ip
	case parsed.To4() != nil:
		return "127.0.0.1"
	default:
		return "::1"
	}
}

func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// serverConfig is the static configuration of a single-node cluster with all
// four services in this process and SQLite for both stores.
func serverConfig(cfg Config, sql, visSQL *config.SQL, p ports) *config.Config {
	frontendAddr := hostPort(dialIP(cfg.IP), p.frontend)
	var c config.Config
	c.Global.Membership.MaxJoinDuration = 30 * time.Second
	c.Global.Membership.BroadcastAddress = internalIP
	c.Persistence = config.Persistence{
		DefaultStore:     storeName,
		VisibilityStore:  storeName,
		NumHistoryShards: historyShards,
		DataStores:       map[string]config.DataStore{storeName: {SQL: sql}},
	}
	if visSQL != nil {
		c.Persistence.VisibilityStore = visibilityStoreName
		c.Persistence.DataStores[visibilityStoreName] = config.DataStore{SQL: visSQL}
	}
	c.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontendAddr},
		},
	}
	c.DCRedirectionPolicy.Policy = "noop"
	c.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{GRPCPort: p.frontend, BindOnIP: cfg.IP}},
		string(primitives.HistoryService):  {RPC: config.RPC{GRPCPort: p.history, BindOnIP: internalIP}},
		string(primitives.MatchingService): {RPC: config.RPC{GRPCPort: p.matching, BindOnIP: internalIP}},
		string(primitives.WorkerService):   {RPC: config.RPC{GRPCPort: p.worker, BindOnIP: internalIP}},
	}
	c.Archival.History.State = "disabled"
	c.Archival.Visibility.State = "disabled"
	c.NamespaceDefaults.Archival.History.State = "disabled"
	c.NamespaceDefaults.Archival.Visibility.State = "disabled"
	c.PublicClient.HostPort = frontendAddr
	return &c
}

// staticHosts pins every service to its one address, so no ringpop
// membership runs (go.temporal.io/server temporal/server_option.go,
// WithStaticHosts; common/membership/static).
func staticHosts(cfg Config, p ports) map[primitives.ServiceName]static.Hosts {
	return map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(hostPort(dialIP(cfg.IP), p.frontend)),
		primitives.HistoryService:  static.SingleLocalHost(hostPort(internalIP, p.history)),
		primitives.MatchingService: static.SingleLocalHost(hostPort(internalIP, p.matching)),
		primitives.WorkerService:   static.SingleLocalHost(hostPort(internalIP, p.worker)),
	}
}

// devDynamicConfig holds the settings that differ from Temporal's defaults
// (keys from go.temporal.io/server common/dynamicconfig/constants.go).
func devDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Herald starts each event's workflow eagerly from the API process;
		// on by default today, pinned so an upgrade cannot turn it off.
		dynamicconfig.EnableEagerWorkflowStart.Key(): true,
		// Search attribute aliases live in the namespace record; the
		// frontend sees a newly added one after its next namespace refresh.
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): time.Second,
		// The UI lists and counts workflows often; the default is 10/s.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// A laptop does not need 128k cached workflows.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
	}
}

// uriPath is path as the path of an SQLite "file:" URI: SQLite decodes %XX
// there, and a '?' or '#' would end the path.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}
