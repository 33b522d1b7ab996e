#!/usr/bin/env bash
# @file t_healthz.sh  /healthz follows the database: 200, 503 while PostgreSQL
# is down, 200 again once it is back (trunkd reconnects by itself).  Uses a
# cluster of its own so the shared one stays up.
. "$(dirname "$0")/lib.sh"

own_pg_init

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

own_pg_stop
healthz_until 503
expect_match "healthz is 503 with the database down" '^503 .*DATABASE_UNAVAILABLE' "$r"
check "trunkd keeps running without its database" kill -0 "$TK_PID"

own_pg_start || fail "PostgreSQL restart"
healthz_until 200
expect_match "healthz is 200 again after PostgreSQL returns" '^200 ' "$r"

trunkd_stop
own_pg_stop
trap - EXIT
finish
