# @file scripts/common.sh  Shared by scripts/run, scripts/test, bench/*:
# Debian packages, the build, the private PostgreSQL cluster, the TLS pair.
# Sourced, not run.  Every step prints what it does.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root (or sudo) to run: $*"; fi
}

# Debian packages trunkd needs to build, run and test; installs only what is
# missing, so a second run costs one dpkg query.
DEPS_BUILD="build-essential cmake pkg-config libre-dev libuv1-dev node-llhttp
 libmbedtls-dev libsrtp2-dev libpq-dev libjansson-dev libcurl4-openssl-dev
 libssl-dev zlib1g-dev postgresql openssl curl iproute2"
DEPS_TEST="libcmocka-dev sip-tester baresip-core stunnel4 tshark dnsmasq-base kamailio
 wrk jq"

install_deps() {
	local want missing=()
	for want in $DEPS_BUILD "$@"; do
		dpkg-query -W -f='${Status}' "$want" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$want")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "Debian packages: all present"
		return 0
	fi
	say "installing Debian packages: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed"
}

# build DIR [cmake args...]
build() {
	local dir=$1; shift
	say "building in $dir ($*)"
	cmake -S "$TOP" -B "$dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null ||
		die "cmake configure failed"
	cmake --build "$dir" -j"$(nproc)" 2>&1 | grep -E 'error|warning|\[100%\]' >&2
	[ "${PIPESTATUS[0]}" = 0 ] || die "build failed"
}

# PostgreSQL runs as 'postgres' when we are root (initdb refuses root).
pg_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_up DIR: a private cluster under DIR, unix socket only, no TCP port.
# Prints the conninfo of database 'trunkd' on stdout.
pg_up() {
	local dir=$1 data=$1/data run=$1/run
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$dir"
		runuser -u postgres -- test -w "$dir" ||
			die "user postgres cannot write $dir (move the checkout to a world-readable path)"
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		say "initdb $data"
		pg_as "$PGBIN/initdb" -D "$data" -A trust -U postgres -E UTF8 >/dev/null ||
			die "initdb failed"
	fi
	pg_as mkdir -p "$run"
	if ! pg_as "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		say "starting PostgreSQL (socket in $run)"
		pg_as "$PGBIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 30 \
			-o "-c listen_addresses= -k $run -c max_connections=200 -c fsync=${PG_FSYNC:-on}" \
			start >/dev/null || die "PostgreSQL did not start: see $dir/postgres.log"
	fi
	pg_as psql -h "$run" -U postgres -d postgres -qAtc \
		"SELECT 1 FROM pg_database WHERE datname='trunkd'" 2>/dev/null | grep -q 1 ||
		pg_as psql -h "$run" -U postgres -d postgres -qc "CREATE DATABASE trunkd" >/dev/null
	echo "host=$run user=postgres dbname=trunkd"
}

pg_down() {
	local data=$1/data
	[ -f "$data/PG_VERSION" ] || return 0
	pg_as "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# A self-signed ECDSA P-256 pair for local TLS, made once.
tls_pair() {
	local dir=$1
	[ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ] && return 0
	say "generating a self-signed ECDSA certificate in $dir"
	mkdir -p "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" -days 825 \
		-subj "/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2" 2>/dev/null ||
		die "openssl could not make a certificate"
	chmod 600 "$dir/key.pem"
}

# cpu_ticks PID: the user + system time PID has used, in clock ticks (hz
# per second; for bench/*.sh)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# wait_healthz PORT: until trunkd's /healthz answers 200 (at most 5 s)
wait_healthz() {
	for _ in $(seq 1 50); do
		curl -sf -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
		sleep 0.1
	done
	return 1
}

# bench_prepare: for bench/*.sh — a Release build (or the build in
# $BENCH_BUILD), the TLS pair, and a database: the bench cluster (kept
# between runs, fsync off; $BENCH_PGDIR), or under ctest (TRUNKD_TEST_PG_RUN
# set, for the smoke runs) a new database on the test cluster.  Sets bin,
# bindir, DATABASE_URL, and org and key (a new org with SIP each run); an
# EXIT trap stops the processes in $pid (a list) and the bench cluster.
bench_prepare() {
	if [ -n "${BENCH_BUILD:-}" ]; then
		bindir=$BENCH_BUILD
	else
		BUILD_TYPE=Release build "$TOP/build-release"
		bindir=$TOP/build-release
	fi
	tls_pair "$TOP/var/tls"
	pgdir=
	if [ -n "${TRUNKD_TEST_PG_RUN:-}" ]; then
		local db="bench_$$_$RANDOM"
		psql -h "$TRUNKD_TEST_PG_RUN" -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null ||
			die "cannot create database $db"
		DATABASE_URL="host=$TRUNKD_TEST_PG_RUN user=postgres dbname=$db"
	else
		pgdir="${BENCH_PGDIR:-$TOP/var/bench-pg}"
		DATABASE_URL=$(PG_FSYNC=off pg_up "$pgdir")
	fi
	export DATABASE_URL
	pid=
	trap '[ -z "$pid" ] || { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }; [ -z "$pgdir" ] || pg_down "$pgdir"' EXIT
	bin="$bindir/trunkd"
	org=$("$bin" admin org create --name bench --sip | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')
	key=$("$bin" admin key create --org "$org" | sed -n 's/.*"key" *: *"\([^"]*\)".*/\1/p')
}
