"""Mininet baseline for the labd bench: the same topology as nova-ve's bench lab
(N hosts on a ring plus N/2 chords = 1.5 N links, host-to-host veth links, no switch,
no controller), timed from an empty network to every host and link up, and back.

Runs under Debian's /usr/bin/python3 (the mininet package). Prints one JSON line:
{"start_s": ..., "stop_s": ..., "hosts": N, "links": L}.
"""
import json
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet


def topology(n):
    links = [(i, (i + 1) % n) for i in range(n)]
    links += [(i, i + n // 2) for i in range(n // 2)]
    return links


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    setLogLevel("error")
    links = topology(n)
    t0 = time.monotonic()
    net = Mininet(topo=None, controller=None, build=False, autoSetMacs=False)
    hosts = [net.addHost("h%d" % i, ip=None) for i in range(n)]
    for a, b in links:
        net.addLink(hosts[a], hosts[b])
    net.build()
    net.start()
    start_s = time.monotonic() - t0
    t1 = time.monotonic()
    net.stop()
    stop_s = time.monotonic() - t1
    print(json.dumps({"start_s": start_s, "stop_s": stop_s, "hosts": n, "links": len(links)}))


if __name__ == "__main__":
    main()
