# node-web — the demo's built-in web server as a Heartbeat v1 resource script (used where Apache is not installed):
#   node-web ADDRESS start|stop|status|monitor          (haresources: node-web::198.51.100.10)
# The demo writes it into each node's resource.d behind two lines that set NODE (the Node.js binary) and SERVER
# (dist/test/demo/node-web.js), since resource scripts run with the daemon's environment.
# start   runs `NODE SERVER ADDRESS` detached (it listens on ADDRESS:80, serves /etc/ha.d/www, and writes
#         /run/node-web.pid once it listens); returns once the pid file names it, 10 s at most, else failure.
# stop    SIGTERM, SIGKILL after 5 s; returns once the process is gone. Not running: success.
# status  prints one word, "running" (exit 0) or "stopped" (exit 3): Heartbeat's ResourceManager reads the word.
# status and stop use the shell and /proc only (no Node.js start-up): they run in every hand-over.
set -u
PIDFILE=/run/node-web.pid
LOG=/var/log/node-web.log

usage() { echo "usage: node-web ADDRESS start|stop|status|monitor   (haresources: node-web::198.51.100.10)" >&2; exit 2; }
[ $# -eq 2 ] || usage
address=$1
action=$2
case $address in ''|*[!0-9.]*) usage ;; esac

# alive PID: it exists and is not a zombie (an exited process stays in /proc until whoever inherited it reaps
# it, which can take a second). /proc/PID/stat is "PID (COMM) STATE …".
alive() {
  stat=
  { IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null
  [ -n "$stat" ] || return 1
  state=${stat##*) }
  case ${state%% *} in Z|X|x) return 1 ;; esac
  return 0
}

# The pid of the pid file when it is a live server of ours (a stale file or a reused pid is not); else empty.
serving_pid() {
  pid=
  [ -r "$PIDFILE" ] || return 0
  read -r pid < "$PIDFILE" || true
  case $pid in ''|*[!0-9]*) pid=; return 0 ;; esac
  alive "$pid" || { pid=; return 0; }
  # cmdline is NUL-separated: one tr makes it a line.
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || cmd=
  case $cmd in *node-web.js*) ;; *) pid= ;; esac
}

case $action in
  start)
    serving_pid
    [ -n "$pid" ] && exit 0
    rm -f "$PIDFILE"
    setsid "$NODE" "$SERVER" "$address" >>"$LOG" 2>&1 < /dev/null &
    i=0
    while [ $i -lt 1000 ]; do # 1000 × 10 ms
      serving_pid
      [ -n "$pid" ] && exit 0
      sleep 0.01
      i=$((i + 1))
    done
    echo "node-web: not listening on $address:80 after 10 s; see $LOG" >&2
    exit 1
    ;;
  stop)
    serving_pid
    if [ -z "$pid" ]; then rm -f "$PIDFILE"; exit 0; fi
    kill -TERM "$pid" 2>/dev/null
    i=0
    while alive "$pid" && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
    if alive "$pid"; then
      echo "node-web: pid $pid still running 5 s after SIGTERM: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
      i=0
      while alive "$pid" && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
      alive "$pid" && { echo "node-web: pid $pid survived SIGKILL" >&2; exit 1; }
    fi
    rm -f "$PIDFILE"
    exit 0
    ;;
  status|monitor)
    serving_pid
    if [ -n "$pid" ]; then echo running; exit 0; fi
    echo stopped
    exit 3
    ;;
  *)
    echo "node-web: unknown action \"$action\"" >&2
    usage
    ;;
esac
