#!/usr/bin/env bash
# with-secret-service.sh CMD [ARGS...]
#
# Runs CMD inside a private, throw-away D-Bus session bus on which an
# unlocked gnome-keyring serves the freedesktop Secret Service, then stops
# and reaps both daemons and exits with CMD's status. Meant for headless
# machines and CI, e.g.:
#
#   SIGNDECK_REQUIRE_KEYRING=1 scripts/with-secret-service.sh go test ./keyring/...
#
# Needs (Debian/Ubuntu): gnome-keyring (gnome-keyring-daemon), dbus-daemon
# and dbus-bin (dbus-send):
#   apt-get install -y --no-install-recommends gnome-keyring
# Do not install dbus-x11: with it, go-keyring may start stray session buses
# through dbus-launch.
#
# How:
#   - dbus-daemon runs in the foreground (as a child of this script) with a
#     minimal session config whose only service directory is EMPTY, so no
#     service is ever activated: the only Secret Service on the bus is ours.
#   - gnome-keyring-daemon --foreground --unlock --components=secrets reads a
#     non-empty password on stdin, so it creates (or unlocks) the "login"
#     collection; its data, config, runtime and control directories are all
#     inside a temporary directory. (A daemonizing --unlock races with the
#     first client, and an empty password creates no login collection.)
#   - the script waits (at most SECRET_SERVICE_WAIT seconds, default 15)
#     until /org/freedesktop/secrets/collection/login exists and is unlocked.
#   - CMD runs with DBUS_SESSION_BUS_ADDRESS pointing at the private bus and
#     DISPLAY/WAYLAND_DISPLAY unset. HOME and XDG_* are left alone for CMD.
#
# Signals: CMD runs in the foreground (so it keeps the terminal and Ctrl-C
# reaches it). A signal sent to this script alone takes effect when CMD
# exits; Ctrl-C, or a signal to the whole process group, stops both at once.
# The daemons are stopped and the temporary directory removed on every exit
# except SIGKILL.
#
# Exit status: CMD's; 127 when a needed program is missing; 125 when the
# bus or the keyring could not be set up; 2 on bad usage.

set -u

me=with-secret-service
wait_secs=${SECRET_SERVICE_WAIT:-15}

if [ $# -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	[ $# -eq 0 ] && exit 2
	exit 0
fi

need() { # need PROGRAM DEBIAN-PACKAGE
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "$me: $1 not found; install the Debian/Ubuntu package $2" \
			"(apt-get install -y --no-install-recommends $2)" >&2
		exit 127
	fi
}
need dbus-daemon dbus-daemon
need dbus-send dbus-bin
need gnome-keyring-daemon gnome-keyring

die() { # die MESSAGE: setup failed
	echo "$me: $*" >&2
	for log in "$tmp/dbus.log" "$tmp/keyring.log"; do
		if [ -s "$log" ]; then
			echo "$me: --- ${log##*/} ---" >&2
			sed 's/^/    /' "$log" >&2
		fi
	done
	exit 125
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/signdeck-ss.XXXXXX") || {
	echo "$me: cannot create a temporary directory" >&2
	exit 125
}
chmod 700 "$tmp"
dbus_pid=
keyring_pid=

# stop PID: TERM, wait up to 5 s, then KILL; always reap.
stop() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local status=$?
	trap - EXIT INT TERM HUP
	stop "$keyring_pid"
	stop "$dbus_pid"
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$tmp/services" "$tmp/control" "$tmp/runtime" "$tmp/home" \
	"$tmp/data" "$tmp/config" "$tmp/cache" || die "cannot create directories in $tmp"
chmod 700 "$tmp/control" "$tmp/runtime" "$tmp/home"

# A minimal session bus: one socket in $tmp, EXTERNAL (uid) auth, everything
# allowed, and an empty service directory, so nothing is ever activated.
cat >"$tmp/bus.conf" <<EOF || die "cannot write $tmp/bus.conf"
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$tmp/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF

unset DBUS_SESSION_BUS_ADDRESS DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE \
	DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL

dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile \
	--print-address=3 3>"$tmp/address" </dev/null >"$tmp/dbus.log" 2>&1 &
dbus_pid=$!

address=
for _ in $(seq $((wait_secs * 10))); do
	if [ -s "$tmp/address" ]; then
		address=$(head -n 1 "$tmp/address")
		[ -n "$address" ] && break
	fi
	kill -0 "$dbus_pid" 2>/dev/null || die "dbus-daemon exited during start-up"
	sleep 0.1
done
[ -n "$address" ] || die "dbus-daemon printed no bus address within ${wait_secs}s"
export DBUS_SESSION_BUS_ADDRESS=$address

# gnome-keyring-daemon in the foreground, as our child, with every directory
# it writes to inside $tmp. The password only has to be non-empty.
printf 'signdeck-test\n' | (
	export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
		XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
	exec gnome-keyring-daemon --foreground --unlock --components=secrets \
		--control-directory="$tmp/control"
) >"$tmp/keyring.log" 2>&1 &
keyring_pid=$!

login_unlocked() {
	dbus-send --session --print-reply --reply-timeout=2000 \
		--dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
		org.freedesktop.DBus.Properties.Get \
		string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
		grep -q 'boolean false'
}

ready=
deadline=$((SECONDS + wait_secs))
while [ "$SECONDS" -lt "$deadline" ]; do
	if login_unlocked; then
		ready=1
		break
	fi
	kill -0 "$keyring_pid" 2>/dev/null || die "gnome-keyring-daemon exited during start-up"
	kill -0 "$dbus_pid" 2>/dev/null || die "dbus-daemon exited during start-up"
	sleep 0.1
done
[ -n "$ready" ] || die "the Secret Service login collection was not there and unlocked within ${wait_secs}s"

"$@"
