#!/usr/bin/env python3
# proc-events.py NETNS... — the kernel's process events (proc connector) for the resource benchmark.
#
# Prints one JSON line per event about a *direct child* of a heartbeat-ts daemon (a process whose command line
# holds "dist/src/cli/heartbeat.js") living in one of the named network namespaces (`ip netns` names):
#   {"e":"fork","t":MS,"pid":CHILD,"daemon":PID,"ns":NAME}   the daemon forked a child (a resource script)
#   {"e":"exec","t":MS,"pid":CHILD,"argv":[...]}            that child exec'ed (argv read from /proc at once)
#   {"e":"exit","t":MS,"pid":CHILD,"status":WAITSTATUS}      that child exited
# t is the kernel's own event time (CLOCK_MONOTONIC, ns) turned into Unix milliseconds (float), so it compares
# with Date.now() and tcpdump's timestamps. Nothing is attached to the traced processes (no ptrace, no
# tracing setup): the proc connector is a read-only multicast the kernel sends anyway once someone listens.
# It needs root and the initial network namespace (the connector lives there). First line: {"e":"ready"}.
# Stops on SIGTERM or after MAX_SECONDS.
import json
import os
import signal
import socket
import struct
import sys
import time

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
NLMSG_DONE = 3
PROC_EVENT_FORK = 0x00000001
PROC_EVENT_EXEC = 0x00000002
PROC_EVENT_EXIT = 0x80000000
NLMSG_HDR = 16
CN_MSG_HDR = 20
MAX_SECONDS = 900
DAEMON_MARK = b'dist/src/cli/heartbeat.js'


def ns_inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def main():
    names = {}
    for name in sys.argv[1:]:
        ino = ns_inode('/run/netns/' + name)
        if ino is not None:
            names[ino] = name
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, CN_IDX_PROC))
    op = struct.pack('=I', PROC_CN_MCAST_LISTEN)
    cn = struct.pack('=IIIIHH', CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(op), 0) + op
    sock.send(struct.pack('=IHHII', NLMSG_HDR + len(cn), NLMSG_DONE, 0, 0, 0) + cn)
    offset_ns = time.time_ns() - time.monotonic_ns()
    daemons = {}  # tgid -> ns name, or None when not a watched daemon
    children = {}  # child pid -> daemon tgid
    out = sys.stdout

    def emit(obj):
        out.write(json.dumps(obj, separators=(',', ':')) + '\n')
        out.flush()

    def daemon_ns(tgid):
        if tgid in daemons:
            return daemons[tgid]
        found = None
        try:
            with open('/proc/%d/cmdline' % tgid, 'rb') as f:
                if DAEMON_MARK in f.read():
                    found = names.get(ns_inode('/proc/%d/ns/net' % tgid))
        except OSError:
            pass
        daemons[tgid] = found
        return found

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    emit({'e': 'ready'})
    deadline = time.monotonic() + MAX_SECONDS
    sock.settimeout(1.0)
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError as e:  # ENOBUFS: events were lost; say so and go on
            emit({'e': 'lost', 'why': str(e)})
            continue
        pos = 0
        while pos + NLMSG_HDR <= len(data):
            (nl_len,) = struct.unpack_from('=I', data, pos)
            base = pos + NLMSG_HDR + CN_MSG_HDR
            if nl_len < NLMSG_HDR or base + 16 > len(data):
                break
            what, _cpu, ts = struct.unpack_from('=IIQ', data, base)
            t = (ts + offset_ns) / 1e6
            ev = base + 16
            if what == PROC_EVENT_FORK:
                _ppid, ptgid, cpid, ctgid = struct.unpack_from('=IIII', data, ev)
                if cpid == ctgid:  # a process, not a thread
                    if ptgid in children:
                        pass  # a grandchild: not needed
                    else:
                        ns = daemon_ns(ptgid)
                        if ns is not None:
                            children[ctgid] = ptgid
                            emit({'e': 'fork', 't': t, 'pid': ctgid, 'daemon': ptgid, 'ns': ns})
            elif what == PROC_EVENT_EXEC:
                pid, tgid = struct.unpack_from('=II', data, ev)
                if tgid in children:
                    try:
                        with open('/proc/%d/cmdline' % tgid, 'rb') as f:
                            argv = [a.decode('utf-8', 'replace') for a in f.read().split(b'\0') if a]
                    except OSError:
                        argv = []
                    emit({'e': 'exec', 't': t, 'pid': tgid, 'argv': argv})
            elif what == PROC_EVENT_EXIT:
                pid, tgid, status, _sig = struct.unpack_from('=IIII', data, ev)
                if pid == tgid:
                    if tgid in children:
                        del children[tgid]
                        emit({'e': 'exit', 't': t, 'pid': tgid, 'status': status})
                    daemons.pop(tgid, None)
            pos += (nl_len + 3) & ~3


if __name__ == '__main__':
    main()
