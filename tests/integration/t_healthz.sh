#!/usr/bin/env bash
# @file t_healthz.sh  /healthz follows the database: 200, 503 while PostgreSQL
# is down, 200 again once it is back (trunkd reconnects by itself); so do
# SIP OPTIONS once the database has been away --options-db-grace seconds
# (balancers stop sending calls).  Uses a cluster of its own so the shared
# one stays up.
. "$(dirname "$0")/lib.sh"

own_pg_init

# options CODE: one OPTIONS over UDP (sipp) must get CODE
options() {
	sed "s/response=\"200\"/response=\"$1\"/; /<action>/,/<\/action>/d; /<Reference/d" \
		"$SC/options.xml" >"$T_DIR/options_$1.xml"
	sippr -sf "$T_DIR/options_$1.xml" -m 1
}
trunkd_start --options-db-grace 1
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
sleep 2.5
check "OPTIONS get 503 once the database is away longer than the grace" options 503

own_pg_start || fail "PostgreSQL restart"
healthz_until 200
expect_match "healthz is 200 again after PostgreSQL returns" '^200 ' "$r"
sleep 1.5
check "and OPTIONS 200 again" options 200

trunkd_stop
own_pg_stop
trap - EXIT
finish
