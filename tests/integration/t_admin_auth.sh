#!/usr/bin/env bash
# @file t_admin_auth.sh  The admin CLI makes an organisation and a key; the key
# authenticates both ways the seeds allow; wrong or missing keys get 401.
. "$(dirname "$0")/lib.sh"

db_create
out=$(admin org create --name acme --sip)
expect_match "admin org create prints the org as JSON" '"name" *: *"acme"' "$out"
ORG=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$out")
out=$(admin key create --org "$ORG")
expect_match "admin key create prints the key once" '"key" *: *"tk_' "$out"
KEY=$(sed -n 's/.*"key" *: *"\([^"]*\)".*/\1/p' <<<"$out")
hash=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM api_keys WHERE key_hash = encode(sha256('$KEY'::bytea), 'hex')")
expect_eq "only the SHA-256 of the key is stored" 1 "$hash"
clear=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM api_keys WHERE key_hash = '$KEY' OR prefix = '$KEY'")
expect_eq "the key itself is not stored" 0 "$clear"

check "admin key create for an unknown org fails" bash -c "! $TRUNKD_BIN admin key create --org 00000000-0000-0000-0000-000000000000 >/dev/null 2>&1"
check "admin with a bad command fails" bash -c "! $TRUNKD_BIN admin frobnicate >/dev/null 2>&1"

trunkd_start
r=$(api GET /v1/org -H "Authorization: Bearer $KEY")
expect_match "Bearer key authenticates" '^200 .*"id" *: *"'"$ORG"'"' "$r"
r=$(api GET /v1/org -H "authorization: $KEY")
expect_match "bare authorization key authenticates" '^200 .*"sip": *true' "$r"
r=$(api GET /v1/org -H "Authorization: Bearer tk_wrong")
expect_match "wrong key is 401 with the envelope" '^401 \{"data": *null, *"errors": *\[\{"error": *"UNAUTHORIZED"' "$r"
r=$(api GET /v1/org)
expect_match "missing key is 401" '^401 ' "$r"
r=$(api GET /v1/nope -H "Authorization: Bearer $KEY")
expect_match "unknown route is 404" '^404 .*"NOT_FOUND"' "$r"

admin org entitle --org "$ORG" --sip off >/dev/null
sleep 0.3
r=$(api GET /v1/org -H "Authorization: Bearer $KEY")
expect_match "entitlement change is visible" '"sip": *false' "$r"

trunkd_stop
finish
