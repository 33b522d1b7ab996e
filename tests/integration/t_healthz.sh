#!/usr/bin/env bash
# @file t_healthz.sh  /healthz follows the database: 200, 503 while PostgreSQL
# is down, 200 again once it is back (trunkd reconnects by itself).  Uses a
# cluster of its own so the shared one stays up.
. "$(dirname "$0")/lib.sh"

PGDIR="$T_DIR/pg"
mkdir -p "$PGDIR/run"
[ "$(id -u)" = 0 ] && chown -R postgres "$PGDIR" && chmod 755 "$T_DIR"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >/dev/null || { fail "initdb"; finish; exit 1; }
pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 30 \
		-o "-c listen_addresses= -k $PGDIR/run -c fsync=off" start >/dev/null
}
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1; }
pg_start || { fail "PostgreSQL start"; finish; exit 1; }
trap pg_stop EXIT
export DATABASE_URL="host=$PGDIR/run user=postgres dbname=postgres"

trunkd_start
r=$(api GET /healthz)
expect_match "healthz is 200 with the database up" '^200 .*"database": *"up"' "$r"

# healthz_until CODE: poll /healthz (up to 10 s) until it answers CODE
healthz_until() {
	for _ in $(seq 1 100); do
		r=$(api GET /healthz)
		[ "${r%% *}" = "$1" ] && return
		sleep 0.1
	done
}

pg_stop
healthz_until 503
expect_match "healthz is 503 with the database down" '^503 .*DATABASE_UNAVAILABLE' "$r"
check "trunkd keeps running without its database" kill -0 "$TK_PID"

pg_start || fail "PostgreSQL restart"
healthz_until 200
expect_match "healthz is 200 again after PostgreSQL returns" '^200 ' "$r"

trunkd_stop
pg_stop
trap - EXIT
finish
