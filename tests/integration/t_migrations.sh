#!/usr/bin/env bash
# @file t_migrations.sh  Migrations apply once, and a changed migration makes
# trunkd refuse to start with a message naming the file.
. "$(dirname "$0")/lib.sh"

db_create
admin org list >/dev/null
n=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM schema_migrations")
check "migrations are recorded" test "$n" -ge 1
admin org list >/dev/null
n2=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM schema_migrations")
expect_eq "a second run applies nothing again" "$n" "$n2"

psql "$DATABASE_URL" -qc "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1"
out=$(timeout 10 "$TRUNKD_BIN" --http-listen 127.0.0.1:0 --sip-udp "" --sip-tcp "" --sip-tls "" 2>&1)
rc=$?
expect_eq "trunkd refuses to start" 1 "$rc"
expect_match "the refusal names the changed file" '0001_orgs.sql was changed after it was applied' "$out"

out=$(DATABASE_URL="host=/nonexistent user=x" timeout 10 "$TRUNKD_BIN" --sip-udp "" --sip-tcp "" --sip-tls "" 2>&1)
expect_match "an unreachable database is a clear start-up error" 'cannot reach PostgreSQL' "$out"
out=$("$TRUNKD_BIN" --no-such-flag 2>&1); rc=$?
expect_eq "an unknown flag exits 2" 2 "$rc"
expect_match "and says so" "unknown flag '--no-such-flag'" "$out"
finish
