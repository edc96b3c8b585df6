/**
 * The text `--help` prints: every option of the host, one line each.
 *
 * @module
 */

/** The usage text `--help` prints. */
export const USAGE = `Usage: deno run <permissions> mod.ts [options] SCRIPT

Runs exec tasks of a KEMI script in dedicated workers (heap-capped threads, or
processes) and serves RPC on a Unix socket, as Kamailio's evrexec module does.

Options:
  -e, --exec SPEC           an exec task, name=<fn>;wait=<us>;workers=<N>; once per task
                            (timers: every=10s or cron=<expr>;tz=<zone>; overlap=skip|queue)
                            (sandbox: isolation=thread|process;heap=MIB;allow-read=…;allow-net=…)
  -s, --socket PATH         the RPC socket (default: $EVREXEC_SOCKET, else
                            $XDG_RUNTIME_DIR/evrexec.sock, else /tmp/evrexec.sock)
      --socket-mode MODE    the socket file's mode, in octal (default 0600)
      --rpc-workers N       warm workers for evrexec.run (default 2)
      --rpc-pool SPEC       the RPC pool as a spec: workers=N;isolation=…;heap=…;allow-*=…
      --worker-heap MIB     heap cap of every worker without heap= (default 256; 0: none,
                            plain Web Workers)
      --rpc-queue N         calls that may wait for a worker (default 1000)
      --rpc-timeout MS      longest evrexec.run, in milliseconds (default 30000)
      --shutdown-timeout MS grace for running calls and KSR.shutdown loops (default 5000)
      --memory-limit MIB    RSS past which the biggest worker is stopped (default: 3/4 of
                            one isolate's heap limit; 0 turns the watchdog off)
      --max-connections N   RPC connections served at once (default 512)
      --idle-timeout MS     close a connection without progress for this long (default 120000)
      --max-stuck N         workers stuck in synchronous code tolerated; one more and the
                            host exits 1 (default: half the CPU cores, at least 1)
      --rpc-dgram ADDR      also serve JSON-RPC on datagrams, as Kamailio's jsonrpcs does (kamcli):
                            unix:PATH (needs deno --unstable-net) or udp:HOST:PORT; repeatable
      --rpc-dgram-public    allow a non-loopback udp: address (the transport has no authentication)
      --metrics HOST:PORT   serve GET /metrics (Prometheus) and GET /healthz there (loopback only)
      --metrics-public      allow a non-loopback --metrics address
      --stats on|off        count statistics for stats.* and /metrics (default on)
  -l, --log-level LEVEL     debug | info | warning | error (default info)
      --log-format FMT      text | json (default text)
      --watch               reload when the script or a local file it imports changes
      --check               type-check the script (deno check) at start and before each reload
  -h, --help                this text
  -V, --version             the version

Exit codes: 0 after a normal shutdown, 2 for a usage or configuration error,
1 for anything else fatal.`;
