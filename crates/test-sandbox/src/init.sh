#!/bin/bash
# nova-ve sandbox init: runs as PID 1 of fresh PID, mount, UTS (and usually network) namespaces,
# created by `unshare` from nova-test-sandbox. It makes the sandbox's private view of the shared
# host filesystem, then execs systemd in place.
#
# Safety rule: nothing here writes through a path that is the host's. Project files were staged
# by the Rust side into overlay *upper* dirs inside the state dir; the only writes done here
# (systemd-sysusers) happen after checking that /etc is the sandbox's overlay.
#
# Environment (set by the Rust side): NOVA_SB_STATE (state dir), NOVA_SB_CGROUP (cgroup name),
# NOVA_SB_HOSTNET (1 = the host's network namespace is shared).
set -euo pipefail

state=${NOVA_SB_STATE:?}
cgname=${NOVA_SB_CGROUP:?}

die() {
  echo "nova-sandbox init: $*" >&2
  exit 1
}

# Own mount propagation: nothing mounted here may reach the host.
mount --make-rprivate /

# This mount namespace started as a copy of the host's, including bind mounts of other network
# namespaces (`ip netns`, other tests). Holding those copies would keep those namespaces, and
# their interfaces, alive after their owners delete them: drop them.
while read -r m; do
  umount -l "$(printf '%b' "$m")" 2>/dev/null || true
done < <(findmnt -rn -o TARGET -t nsfs | sort -r)

# Own cgroup in every mounted hierarchy (v1 controllers + name=systemd + unified, or the single
# v2 one), so several sandboxes never share a cgroup root. cpuset is skipped: joining a v1 cpuset
# child needs cpus/mems set, and systemd does not use it.
while read -r h; do
  [[ $h == */cpuset ]] && continue
  mkdir -p "$h/$cgname"
  echo $$ >"$h/$cgname/cgroup.procs"
done < <(findmnt -n -l -o TARGET -t cgroup,cgroup2)

# The state dir must stay visible: the Rust side refuses bases under the paths mounted over below.
[[ -f $state/init.sh ]] || die "state dir $state not found"

# Private /run (journald, dbus socket, systemd state) and /tmp (stock units may clean /tmp).
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp

# Overlays: the sandbox sees the host's /etc, /usr and /var/lib, plus the staged project files;
# every write lands in the state dir.
for d in etc usr var/lib; do
  up="$state/upper/$d" wk="$state/work/$d"
  mkdir -p "$up" "$wk"
  mount -t overlay "nova-sandbox-$d" -o "lowerdir=/$d,upperdir=$up,workdir=$wk" "/$d"
  [[ $(findmnt -n -o FSTYPE --mountpoint "/$d") == overlay ]] || die "/$d is not the sandbox overlay"
done

# Scratch places units write to (PrivateTmp= dirs in /var/tmp, logs, POSIX shm) are private too:
# a SIGKILLed sandbox cannot clean up after itself. Journald stays volatile in any case.
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /var/log
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm

# A private /dev/net/tun that unprivileged users may open (QEMU TAPs), the host's stays as it is.
# (/dev is the host's devtmpfs: without /dev/net the host has no tun driver, and we create nothing.)
if [[ -d /dev/net ]]; then
  mount -t tmpfs -o mode=0755,size=64k tmpfs /dev/net
  mknod -m 0666 /dev/net/tun c 10 200
else
  echo "nova-sandbox init: no /dev/net on the host (tun module not loaded?): no TAP support" >&2
fi

hostname nova-sandbox
if [[ ${NOVA_SB_HOSTNET:-0} != 1 ]]; then
  ip link set lo up
fi

# The project's service users exist only in this sandbox's /etc.
shopt -s nullglob
sysusers=("$state"/sysusers.d/*.conf)
if ((${#sysusers[@]})); then
  systemd-sysusers "${sysusers[@]}"
fi

# The stock /run layout a booted host has (e.g. /run/frr from frr's tmpfiles.d), made in the
# private /run only: --prefix keeps every other path out (the full stock tmpfiles run is what
# empties the host's /tmp). No /run/nologin: it would lock users out of PAM logins (su, runuser).
systemd-tmpfiles --create --boot --prefix=/run --exclude-prefix=/run/nologin 2>/dev/null ||
  echo "nova-sandbox init: some stock /run entries could not be created" >&2

echo "nova-sandbox init: namespaces ready, starting systemd" >&2
exec env -i container=nova \
  SYSTEMD_UNIT_PATH="$state/mask:$state/units:/lib/systemd/system" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 \
  /lib/systemd/systemd --system --unit=nova-sandbox.target --show-status=no \
  --log-target=journal
