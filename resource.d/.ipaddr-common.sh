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
  set -- $(echo "$1" | tr . ' ')
  [ $# -eq 4 ] || return 1
  for octet in "$@"; do
    case $octet in 0|[1-9]|[1-9][0-9]|[1-9][0-9][0-9]) ;; *) return 1 ;; esac # no leading zeros: not octal
    [ "$octet" -le 255 ] || return 1
  done
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
  nic=${nic%%:*} # "eth0:1": the label is not used
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

# "dev prefixlen" of the directly connected route whose subnet holds $ip, longest prefix first; only on $nic
# when one was given. Empty when there is none.
ipaddr_route() {
  ip -o -"$family" route show match "$ip" 2>/dev/null | awk -v want="$nic" -v hostlen="$maxlen" '
    $1 !~ /^[0-9a-fA-F:.]+(\/[0-9]+)?$/ { next } # "default", "unreachable …", "broadcast …"
    / via / { next }                            # through a gateway: not a subnet we are on
    {
      dev = ""
      for (i = 2; i < NF; i++) if ($i == "dev") dev = $(i + 1)
      if (dev == "" || (want != "" && dev != want)) next
      len = index($1, "/") ? substr($1, index($1, "/") + 1) + 0 : hostlen
      if (len > best) { best = len; found = dev " " len }
    }
    END { if (found != "") print found }'
}

# "dev prefixlen" of the interface that carries $ip now (only $nic when given). Empty when none does.
ipaddr_holder() {
  if [ -n "$nic" ]; then
    ip -o -"$family" addr show dev "$nic" to "$ip" 2>/dev/null
  else
    ip -o -"$family" addr show to "$ip" 2>/dev/null
  fi | awk '{
      for (i = 3; i < NF; i++) if ($i == "inet" || $i == "inet6") {
        dev = $2; sub(/@.*/, "", dev); sub(/:$/, "", dev)
        print dev, substr($(i + 1), index($(i + 1), "/") + 1); exit
      }
    }'
}

# Runs a command that changes something, or prints it under HBTS_DRY_RUN=1.
ipaddr_do() {
  if [ "${HBTS_DRY_RUN:-0}" = 1 ]; then
    echo "$IPADDR_NAME: dry run: $*" >&2
    return 0
  fi
  "$@"
}

ipaddr_pidfile() {
  echo "${HA_RSCTMP:-/run/resource-agents}/hbts-announce-$ip"
}

# Starts the announcement burst in the background and remembers its pid (so stop can end it).
ipaddr_announce() {
  sender=
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
  pidfile=$(ipaddr_pidfile)
  mkdir -p "${pidfile%/*}" 2>/dev/null && echo "$pid" >"$pidfile" 2>/dev/null
  return 0
}

# Ends an announcement burst that is still running for $ip (the pid is checked first: pids are reused).
ipaddr_quiet() {
  [ "${HBTS_DRY_RUN:-0}" != 1 ] || return 0
  pidfile=$(ipaddr_pidfile)
  [ -r "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null)
  rm -f "$pidfile"
  case $pid in ''|*[!0-9]*) return 0 ;; esac
  if tr '\000' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- " $ip "; then
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
  command -v ip >/dev/null 2>&1 || ipaddr_die 5 "the ip command (iproute2) is not installed"
  ipaddr_parse

  # Where it is now, then where it belongs.
  holder=$(ipaddr_holder)
  route=
  if [ -z "$nic" ] || [ -z "$cidr" ]; then route=$(ipaddr_route); fi
  [ -n "$nic" ] || nic=${route%% *}
  [ -n "$cidr" ] || cidr=${route##* }
  if [ -z "$nic" ] && [ -n "$holder" ]; then nic=${holder%% *}; fi
  if [ -z "$cidr" ] && [ -n "$holder" ] && [ "${holder%% *}" = "$nic" ]; then cidr=${holder##* }; fi

  case $action in
    start)
      [ -n "$nic" ] || ipaddr_die 6 "no interface has a subnet holding $ip: give one ($ip/cidr/nic)"
      ip link show dev "$nic" >/dev/null 2>&1 || ipaddr_die 6 "no interface \"$nic\""
      [ -n "$cidr" ] || ipaddr_die 6 "no subnet on $nic holds $ip: give the prefix length ($ip/cidr/$nic)"
      if [ -n "$(ipaddr_holder)" ]; then
        exit 0 # already ours
      fi
      if [ "$family" = 4 ]; then
        ipaddr_do ip -4 addr add "$ip/$cidr" brd "${brd:-+}" dev "$nic" || ipaddr_die 1 "could not add $ip/$cidr to $nic"
      else
        ipaddr_do ip -6 addr add "$ip/$cidr" dev "$nic" nodad || ipaddr_die 1 "could not add $ip/$cidr to $nic"
      fi
      ipaddr_announce
      exit 0
      ;;
    stop)
      ipaddr_quiet
      [ -n "$nic" ] || exit 0 # nowhere to be found: stopped
      here=$(ipaddr_holder)
      [ -n "$here" ] || exit 0
      ipaddr_do ip -"$family" addr del "$ip/${here##* }" dev "$nic" || ipaddr_die 1 "could not remove $ip from $nic"
      exit 0
      ;;
    status|monitor)
      if [ -n "$nic" ] && [ -n "$(ipaddr_holder)" ]; then
        echo running
        exit 0
      fi
      echo stopped
      exit 3
      ;;
  esac
}
