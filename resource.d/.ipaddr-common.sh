# .ipaddr-common.sh — the floating-address code shared by resource.d/IPaddr and resource.d/IPaddr2.
# Sourced (not run) by those two after they set IPADDR_NAME; everything here is POSIX sh (dash).
#
# Call, as Heartbeat's ResourceManager calls v1 resource scripts (haresources `IPaddr2::198.51.100.10/24/eth0`):
#   IPaddr2 ip[/cidr[/nic[/broadcast]]] start|stop|status|monitor
#
# Argument: Heartbeat's syntax. A third field that starts with a digit is the broadcast address, not an
# interface. "nic:label" is accepted and the label ignored: we always add a label-free address. IPv6 addresses
# are accepted whole (2001:db8::10/64/eth0); because ResourceManager cuts every "::" into separate arguments,
# all arguments before the action are glued back together with "::" (2001:db8  10/64/eth0 → 2001:db8::10/64/eth0).
# Missing nic or cidr: taken from the directly connected route (no gateway) whose subnet holds the address,
# longest prefix first — the interface whose subnet contains it, as Heartbeat's findif does. A default route
# never counts. stop and status also look at the interface that carries the address now.
#
# start   adds the address (IPv4 with its broadcast, "+" = computed; IPv6 without duplicate address detection, so
#         it is usable at once) and announces it in the background: IPv4 gratuitous ARP with Heartbeat's send_arp
#         (5 request/reply pairs, 200 ms apart) or else `arping -U`; IPv6 unsolicited neighbour advertisements
#         with send_ua if it is installed, else none (neighbours learn it by asking). Already present: success.
# stop    removes the address and ends an announcement still under way. Absent: success.
# status  prints exactly one word: "running" (exit 0) or "stopped" (exit 3). ResourceManager judges the printed
#         word, not the exit code ("running"/"OK" vs "not running"), so nothing else ever goes to stdout.
# Exit codes (LSB): 0 ok, 1 generic failure, 2 bad arguments, 3 stopped (status), 4 status unknown (status with a
# bad argument), 5 a needed program is missing, 6 not configured (no such interface, none found for the address).
# HBTS_DRY_RUN=1: commands that would change something are printed on stderr instead of run (queries still run).
# HBTS_STOCK_AGENT=IPaddr|IPaddr2: the native stand-in for Debian's stock /etc/ha.d/resource.d/IPaddr or IPaddr2
# (the OCF wrapper; the daemon sets it when the script a resource resolves to is byte-identical to the stock one,
# docs/migrated-node.md). The result is then the stock agent's: IPaddr puts the address on an ifconfig-style alias
# label (eth0:0, the first free number counted from its lock files $HA_RSCTMP/IPaddr-eth0:N, which it keeps as the
# stock agent does), with the broadcast given or derived; IPaddr2 adds no label unless "nic:label" is given, a
# broadcast only when given, and sets the link up. ARP as the stock agents: send_arp in the background (IPaddr
# -i 500 -r 10, IPaddr2 -i 200 -r 5) with its pid file $HA_RSCTMP/send_arp-<ip>. IPv6 fails as through the stock
# wrappers (IPaddr: start exit 6, status stopped, stop ok; IPaddr2 sets lvs_support: every operation exit 6), and
# a stopped status exits 7 (OCF_NOT_RUNNING).
#
# Speed: every call sits on the path of a hand-over (stop on one node; status, then start on the other) while
# clients get no answer, and on a small VM each fork costs ~2 ms and each program started ~3–6 ms. So all the
# parsing is done with shell builtins (parameter expansion, `case`, `read` from here-documents), and each call
# runs `ip` once or twice: status one query; start one query and the `ip addr add`; stop, given ip/cidr/nic, just
# the `ip addr del` (the query only when that fails: absent, or there with another prefix). Without a nic, the
# route and address queries go to one `ip -batch` run. Other programs: the announcer (in the background, never
# waited for), an `rm` of its pid file at stop, and `tr` and `grep` to check its command line before the kill,
# only when it is still running then (not when it has exited, not when it is a zombie awaiting its reaper).

IPADDR_SENDERS_DIRS="/usr/libexec/heartbeat /usr/lib/heartbeat"

ipaddr_usage() {
  echo "usage: $IPADDR_NAME ip[/cidr[/nic[/broadcast]]] start|stop|status|monitor" >&2
  echo "  e.g. $IPADDR_NAME 198.51.100.10/24/eth0 start   (haresources: $IPADDR_NAME::198.51.100.10/24/eth0)" >&2
}

# ipaddr_die CODE MESSAGE — for status, an error means "status unknown" (LSB 4) whatever CODE says.
ipaddr_die() {
  echo "$IPADDR_NAME: $2" >&2
  case $action in status|monitor) exit 4 ;; esac
  exit "$1"
}

ipaddr_is_ipv4() {
  case $1 in ''|*[!0-9.]*|.*|*.|*..*) return 1 ;; esac
  v4rest=$1.
  v4octets=0
  while [ -n "$v4rest" ]; do
    octet=${v4rest%%.*}
    v4rest=${v4rest#*.}
    case $octet in 0|[1-9]|[1-9][0-9]|[1-9][0-9][0-9]) ;; *) return 1 ;; esac # no leading zeros: not octal
    [ "$octet" -le 255 ] || return 1
    v4octets=$((v4octets + 1))
  done
  [ "$v4octets" -eq 4 ]
}

# A light check (iproute2 has the last word): hex groups of at most 4 digits, at most one "::", a dotted quad
# only at the end, 8 groups without "::" and fewer with it.
ipaddr_is_ipv6() {
  case $1 in ''|*[!0-9a-fA-F:.]*|*:::*|*::*::*) return 1 ;; *:*) ;; *) return 1 ;; esac
  groups=0
  rest=$1
  while [ -n "$rest" ]; do
    group=${rest%%:*}
    rest=${rest#"$group"}
    rest=${rest#:}
    case $group in
      '') ;;
      *.*) [ -z "$rest" ] && ipaddr_is_ipv4 "$group" || return 1; groups=$((groups + 2)) ;;
      ?|??|???|????) case $group in *[!0-9a-fA-F]*) return 1 ;; esac; groups=$((groups + 1)) ;;
      *) return 1 ;;
    esac
  done
  case $1 in
    *::*) [ "$groups" -le 7 ] ;;
    :*|*:) return 1 ;;
    *) [ "$groups" -eq 8 ] ;;
  esac
}

# Splits and checks $spec; sets ip, cidr, nic, brd, family.
ipaddr_parse() {
  ip=${spec%%/*}
  rest=${spec#"$ip"}; rest=${rest#/}
  cidr=${rest%%/*}; rest=${rest#"$cidr"}; rest=${rest#/}
  nic=${rest%%/*}; rest=${rest#"$nic"}; rest=${rest#/}
  brd=${rest%%/*}; rest=${rest#"$brd"}
  case $nic in
    [0-9]*) # Heartbeat: a third field starting with a digit is the broadcast address
      [ -z "$brd" ] || ipaddr_die 2 "\"$spec\": \"$nic\" is not an interface name"
      brd=$nic; nic= ;;
  esac
  [ -z "$rest" ] || ipaddr_die 2 "\"$spec\": too many fields (ip[/cidr[/nic[/broadcast]]])"
  nic_label=
  case $nic in *:*) nic_label=$nic ;; esac
  nic=${nic%%:*} # "eth0:1": the label is not used (but by the stock IPaddr2 stand-in)
  if ipaddr_is_ipv4 "$ip"; then
    family=4; maxlen=32
  elif ipaddr_is_ipv6 "$ip"; then
    family=6; maxlen=128
    [ -z "$brd" ] || ipaddr_die 2 "\"$spec\": IPv6 has no broadcast address"
  else
    ipaddr_die 2 "\"$ip\" is not an IPv4 or IPv6 address"
  fi
  case $cidr in
    '') ;;
    *[!0-9]*|0*) ipaddr_die 2 "\"$spec\": prefix length \"$cidr\" is not a number from 1 to $maxlen" ;;
    *) [ "$cidr" -le "$maxlen" ] || ipaddr_die 2 "\"$spec\": prefix length $cidr is over $maxlen" ;;
  esac
  [ -z "$brd" ] || ipaddr_is_ipv4 "$brd" || ipaddr_die 2 "\"$spec\": broadcast \"$brd\" is not an IPv4 address"
}

# One line of `ip -o addr show` ("3: eth0    inet 198.51.100.100/24 brd … scope global secondary eth0\ …"), as
# fields: adds "dev prefixlen" to found (and to holder if it is the first). The device loses any "@peer".
ipaddr_scan_addr() {
  d=${2%%@*}; d=${d%:}
  shift 2
  while [ $# -ge 2 ]; do
    case $1 in
      inet|inet6)
        case $2 in */*) len=${2#*/} ;; *) len=$2 ;; esac
        if [ -z "$holder" ]; then
          holder="$d $len"
          holder_label=
          for w in "$@"; do # the label, "eth0:0\" in -o output, when there is one
            w=${w%\\}
            case $w in "$d":*) holder_label=$w ;; esac
          done
        fi
        found="$found$d $len
"
        return 0 ;;
    esac
    shift
  done
}

# One line of `ip -o route show match` ("198.51.100.0/24 dev eth0 proto kernel scope link src …"), as fields:
# keeps "dev prefixlen" in route when it is a directly connected subnet (on $nic when one was given) with a
# longer prefix than the best so far. "default", "unreachable …", "broadcast …" and routes via a gateway never count.
ipaddr_scan_route() {
  case " $line " in *" via "*) return 0 ;; esac # through a gateway: not a subnet we are on
  case $1 in
    */*) net=${1%%/*}; len=${1#*/}; case $len in ''|*[!0-9]*) return 0 ;; esac ;;
    *) net=$1; len=$maxlen ;;
  esac
  case $net in ''|*[!0-9a-fA-F:.]*) return 0 ;; esac
  d= rsrc=
  shift
  while [ $# -ge 2 ]; do
    [ "$1" != dev ] || d=$2
    [ "$1" != src ] || rsrc=$2
    shift
  done
  [ -n "$d" ] || return 0
  [ -z "$nic" ] || [ "$d" = "$nic" ] || return 0
  if [ "$len" -gt "$best" ]; then best=$len; route="$d $len"; route_src=$rsrc; fi
}

# ipaddr_lookup yes|no — what the system has now, from one `ip` run (two for start with a nic but no cidr),
# read with builtins. Sets:
#   holder  "dev prefixlen" of the first address equal to $ip (only on $nic when one was given); empty: none
#   found   every such address, one "dev prefixlen" a line (to find the one on the interface chosen later)
#   route   "dev prefixlen" of the directly connected route (no gateway) whose subnet holds $ip, longest prefix
#           first, only on $nic when one was given; empty when there is none, or not asked for (no with a nic)
#   linked  no when `ip addr show dev $nic` failed (most likely: no such interface); else yes
ipaddr_lookup() {
  holder= holder_label= found= route= route_src= best=0 linked=yes
  if [ -z "$nic" ]; then
    # Both questions in one run of ip (-force: the second is asked even if the first fails). $ip holds only
    # hex digits, dots and colons (checked by ipaddr_parse), so nothing else can reach ip's batch parser.
    out=$(ip -o -"$family" -force -batch - 2>/dev/null <<EOF
route show match $ip
addr show to $ip
EOF
)
  else
    out=$(ip -o -"$family" addr show dev "$nic" to "$ip" 2>/dev/null) || linked=no
    if [ "$1" = yes ]; then
      out="$out
$(ip -o -"$family" route show match "$ip" 2>/dev/null)"
    fi
  fi
  while IFS= read -r line; do
    set -- $line # (globbing is off: see ipaddr_main)
    [ $# -gt 0 ] || continue
    case $1 in
      *:) # "3:" — an address line, when only digits precede the colon ("1::" is a route)
        case ${1%:} in ''|*[!0-9]*) ;; *) [ $# -lt 4 ] || ipaddr_scan_addr "$@"; continue ;; esac ;;
    esac
    ipaddr_scan_route "$@"
  done <<EOF
$out
EOF
}

# Where the address belongs and whether it is there, as the checks of Heartbeat's IPaddr go: a missing nic or
# cidr comes from the connected route, else from the interface that carries the address now. Sets nic, cidr and
# held ("dev prefixlen" of $ip on $nic; empty when $nic does not carry it).
ipaddr_resolve() {
  nic_given=$nic
  [ -n "$nic" ] || nic=${route%% *}
  [ -n "$cidr" ] || cidr=${route##* }
  if [ -z "$nic" ] && [ -n "$holder" ]; then nic=${holder%% *}; fi
  if [ -z "$cidr" ] && [ -n "$holder" ] && [ "${holder%% *}" = "$nic" ]; then cidr=${holder##* }; fi
  held=
  if [ -n "$nic_given" ]; then
    held=$holder # the query asked that interface only (by whatever name it was given)
  elif [ -n "$nic" ]; then
    while read -r d len; do
      if [ "$d" = "$nic" ]; then held="$d $len"; break; fi
    done <<EOF
$found
EOF
  fi
}

# Runs a command that changes something, or prints it under HBTS_DRY_RUN=1.
ipaddr_do() {
  if [ "${HBTS_DRY_RUN:-0}" = 1 ]; then
    echo "$IPADDR_NAME: dry run: $*" >&2
    return 0
  fi
  "$@"
}

# The stock IPaddr's alias label (resource-agents IPaddr find_free_interface, Linux): lock files
# $HA_RSCTMP/IPaddr-NIC and its hard links IPaddr-NIC:N; the search starts at N = the number of links (unless that
# one exists: then at 0) and takes the first N whose label no address carries and whose link can be made.
ipaddr_stock_label() {
  base=$HA_RSCTMP/IPaddr-$nic
  [ -d "$HA_RSCTMP" ] || mkdir -p "$HA_RSCTMP" 2>/dev/null
  [ -e "$base" ] || : >"$base" 2>/dev/null || ipaddr_die 1 "cannot create $base"
  links=0
  set +f # (globbing is off in ipaddr_main; the links are counted by a glob)
  for f in "$base":*; do [ -e "$f" ] && links=$((links + 1)); done
  set -f
  j=0
  [ -e "$base:$links" ] || j=$links
  used=$(ip -o -4 addr show dev "$nic" 2>/dev/null)
  while [ "$j" -lt 512 ]; do
    case $used in
      *" $nic:$j\\"*|*" $nic:$j "*) ;;
      *) if ln "$base" "$base:$j" 2>/dev/null; then label=$nic:$j; return 0; fi ;;
    esac
    j=$((j + 1))
  done
  ipaddr_die 1 "no free alias label on $nic for $ip"
}

# IPv6 through Debian's stock wrappers (the OCF agents refuse it there): as they answer.
ipaddr_stock_ipv6() {
  echo "$IPADDR_NAME: $ip: IPv6 is not configurable through the stock $HBTS_STOCK_AGENT wrapper (as Heartbeat's)" >&2
  if [ "$HBTS_STOCK_AGENT" = IPaddr2 ]; then exit 6; fi # the wrapper sets lvs_support, which refuses IPv6
  case $action in
    start) exit 6 ;;
    status|monitor) echo stopped; exit 7 ;;
    *) exit 0 ;;
  esac
}

# Starts the announcement burst in the background and remembers its pid (so stop can end it).
ipaddr_announce() {
  sender=
  if [ -n "$HBTS_STOCK_AGENT" ]; then
    # As the stock agents: send_arp only (none installed: no announcement), its own pid file (-p).
    for dir in $IPADDR_SENDERS_DIRS; do
      [ -x "$dir/send_arp" ] || continue
      if [ "$HBTS_STOCK_AGENT" = IPaddr ]; then
        set -- "$dir/send_arp" -i 500 -r 10 -p "$pidfile" "$nic" "$ip" auto "$ip" ffffffffffff
      else
        set -- "$dir/send_arp" -i 200 -r 5 -p "$pidfile" "$nic" "$ip" auto not_used not_used
      fi
      [ -d "${pidfile%/*}" ] || mkdir -p "${pidfile%/*}" 2>/dev/null
      if [ "${HBTS_DRY_RUN:-0}" = 1 ]; then ipaddr_do "$@"; return 0; fi
      "$@" </dev/null >/dev/null 2>&1 &
      return 0
    done
    return 0
  fi
  for dir in $IPADDR_SENDERS_DIRS; do
    if [ "$family" = 4 ] && [ -x "$dir/send_arp" ]; then
      # send_arp [-i ms] [-r pairs] device ip hwaddr(auto = the device's) broadcast(unused) netmask(unused)
      set -- "$dir/send_arp" -i 200 -r 5 "$nic" "$ip" auto not_used not_used
      sender=send_arp; break
    fi
    if [ "$family" = 6 ] && [ -x "$dir/send_ua" ]; then
      # send_ua [-i ms] [-c count] address prefixlen device
      set -- "$dir/send_ua" -i 200 -c 5 "$ip" "$cidr" "$nic"
      sender=send_ua; break
    fi
  done
  if [ -z "$sender" ] && [ "$family" = 4 ] && command -v arping >/dev/null 2>&1; then
    set -- arping -q -U -c 5 -w 6 -I "$nic" "$ip" # iputils arping: unsolicited ARP from the address itself
    sender=arping
  fi
  if [ -z "$sender" ]; then
    echo "$IPADDR_NAME: no send_arp/arping/send_ua found: $ip not announced (neighbours learn it when they ask)" >&2
    return 0
  fi
  if [ "${HBTS_DRY_RUN:-0}" = 1 ]; then
    ipaddr_do "$@"
    return 0
  fi
  "$@" </dev/null >/dev/null 2>&1 &
  pid=$!
  [ -d "${pidfile%/*}" ] || mkdir -p "${pidfile%/*}" 2>/dev/null
  { echo "$pid" >"$pidfile"; } 2>/dev/null
  return 0
}

# Ends an announcement burst that is still running for $ip and forgets it. The pid is checked first (pids are
# reused): only a process with $ip as one of its arguments is ended. A burst that has ended (the usual case at
# stop: it lasts about a second) costs no check; one that ends while it is checked is simply not there any more.
ipaddr_quiet() {
  [ "${HBTS_DRY_RUN:-0}" != 1 ] || return 0
  [ -r "$pidfile" ] || return 0
  pid=
  { IFS= read -r pid <"$pidfile"; } 2>/dev/null
  rm -f "$pidfile"
  case $pid in ''|*[!0-9]*) return 0 ;; esac
  # /proc/PID/stat is "PID (COMM) STATE …" (COMM may hold ") "): no such file, or a zombie whose parent has not
  # reaped it yet, means the burst is over.
  stat=
  { IFS= read -r stat <"/proc/$pid/stat"; } 2>/dev/null
  [ -n "$stat" ] || return 0
  state=${stat##*) }
  case ${state%% *} in Z|X|x) return 0 ;; esac
  # Still running. The shell's read drops the NULs between arguments, so tr and grep judge the command line.
  if { tr '\000' ' ' <"/proc/$pid/cmdline" | grep -qF -- " $ip "; } 2>/dev/null; then
    kill "$pid" 2>/dev/null
  fi
  return 0
}

ipaddr_main() {
  action=
  if [ $# -lt 2 ]; then
    case $# in
      0) echo "$IPADDR_NAME: no address and no action given" >&2 ;;
      1) echo "$IPADDR_NAME: no action given after \"$1\"" >&2 ;;
    esac
    ipaddr_usage
    exit 2
  fi
  eval "action=\${$#}"
  spec=$1
  shift
  while [ $# -gt 1 ]; do # glue back what ResourceManager cut at "::"
    spec="$spec::$1"
    shift
  done
  case $action in
    start|stop|status|monitor) ;;
    *) echo "$IPADDR_NAME: unknown action \"$action\"" >&2; ipaddr_usage; exit 2 ;;
  esac
  set -f # words are split below (ip's output), never globbed
  command -v ip >/dev/null 2>&1 || ipaddr_die 5 "the ip command (iproute2) is not installed"
  HBTS_STOCK_AGENT=${HBTS_STOCK_AGENT:-}
  case $HBTS_STOCK_AGENT in
    '') ;;
    IPaddr|IPaddr2)
      HA_RSCTMP=${HA_RSCTMP:-/run/resource-agents}
      case ${spec%%/*} in *:*) ip=${spec%%/*}; ipaddr_stock_ipv6 ;; esac ;;
    *) ipaddr_die 2 "HBTS_STOCK_AGENT=\"$HBTS_STOCK_AGENT\" is not IPaddr or IPaddr2" ;;
  esac
  ipaddr_parse
  pidfile=${HA_RSCTMP:-/run/resource-agents}/hbts-announce-$ip
  [ -z "$HBTS_STOCK_AGENT" ] || pidfile=$HA_RSCTMP/send_arp-$ip # the stock agents' send_arp pid file

  case $action in
    start)
      # The route only matters when nic or cidr is missing (or for the stock IPaddr2's broadcast, below).
      if [ -z "$nic" ] || [ -z "$cidr" ] || [ "$HBTS_STOCK_AGENT" = IPaddr2 ]; then ipaddr_lookup yes; else ipaddr_lookup no; fi
      ipaddr_resolve
      [ -n "$nic" ] || ipaddr_die 6 "no interface has a subnet holding $ip: give one ($ip/cidr/nic)"
      # A nic found from a route or an address exists; a given one that `ip addr show dev` refused is asked about.
      if [ "$linked" = no ]; then
        ip link show dev "$nic" >/dev/null 2>&1 || ipaddr_die 6 "no interface \"$nic\""
      fi
      [ -n "$cidr" ] || ipaddr_die 6 "no subnet on $nic holds $ip: give the prefix length ($ip/cidr/$nic)"
      if [ -n "$held" ]; then
        exit 0 # already ours
      fi
      if [ "$HBTS_STOCK_AGENT" = IPaddr ]; then
        # ifconfig NIC:N IP netmask M broadcast B: the broadcast given, else the subnet's (what "+" computes)
        ipaddr_stock_label
        ipaddr_do ip -4 addr add "$ip/$cidr" brd "${brd:-+}" dev "$nic" label "$label" || ipaddr_die 1 "could not add $ip/$cidr to $label"
      elif [ "$HBTS_STOCK_AGENT" = IPaddr2 ]; then
        # ip addr add IP/M [brd B] dev NIC [label NIC:L]; ip link set NIC up. Without a broadcast given, the
        # stock findif takes the one of the first address whose line holds the subnet route's "src" (if any).
        if [ -z "$brd" ] && [ -n "$route_src" ]; then
          while IFS= read -r line; do
            case $line in *"$route_src"*) ;; *) continue ;; esac
            set -- $line
            [ "${5:-}" != brd ] || brd=${6:-}
            break
          done <<EOF
$(ip -o -4 addr show 2>/dev/null)
EOF
        fi
        set -- ip -4 addr add "$ip/$cidr"
        [ -z "$brd" ] || set -- "$@" brd "$brd"
        set -- "$@" dev "$nic"
        [ -z "$nic_label" ] || set -- "$@" label "$nic_label"
        ipaddr_do "$@" || ipaddr_die 1 "could not add $ip/$cidr to $nic"
        ipaddr_do ip link set "$nic" up || ipaddr_die 1 "could not set $nic up"
      elif [ "$family" = 4 ]; then
        ipaddr_do ip -4 addr add "$ip/$cidr" brd "${brd:-+}" dev "$nic" || ipaddr_die 1 "could not add $ip/$cidr to $nic"
      else
        ipaddr_do ip -6 addr add "$ip/$cidr" dev "$nic" nodad || ipaddr_die 1 "could not add $ip/$cidr to $nic"
      fi
      ipaddr_announce
      exit 0
      ;;
    stop)
      ipaddr_quiet
      # Given the whole address, removing exactly that is the common case and needs no query first; when it
      # fails (not there, there with another prefix, no such interface) the checks below decide, as without.
      if [ -n "$nic" ] && [ -n "$cidr" ] && [ "${HBTS_DRY_RUN:-0}" != 1 ] && [ "$HBTS_STOCK_AGENT" != IPaddr ]; then
        ip -"$family" addr del "$ip/$cidr" dev "$nic" 2>/dev/null && exit 0
      fi
      ipaddr_lookup no # (without a nic the route is asked for anyway: it says which interface is meant)
      ipaddr_resolve
      [ -n "$nic" ] || exit 0 # nowhere to be found: stopped
      [ -n "$held" ] || exit 0
      ipaddr_do ip -"$family" addr del "$ip/${held##* }" dev "$nic" || ipaddr_die 1 "could not remove $ip from $nic"
      # the stock IPaddr removes the lock link of the alias it took down
      if [ "$HBTS_STOCK_AGENT" = IPaddr ] && [ -n "$holder_label" ]; then ipaddr_do rm -f "$HA_RSCTMP/IPaddr-$holder_label"; fi
      exit 0
      ;;
    status|monitor)
      ipaddr_lookup no
      ipaddr_resolve
      # the stock IPaddr sees only alias-labelled addresses (ifconfig's NIC:N)
      if [ "$HBTS_STOCK_AGENT" = IPaddr ] && [ -z "$holder_label" ]; then held=; fi
      if [ -n "$held" ]; then
        echo running
        exit 0
      fi
      echo stopped
      [ -z "$HBTS_STOCK_AGENT" ] || exit 7 # OCF_NOT_RUNNING, as the stock agents
      exit 3
      ;;
  esac
}
