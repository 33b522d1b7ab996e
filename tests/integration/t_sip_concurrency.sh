#!/usr/bin/env bash
# @file t_sip_concurrency.sh  50 parallel attaches of overlapping numbers by
# two organisations leave a consistent state: every number belongs to one
# organisation, with both directions or none, and every reply says what
# happened to each number.
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip; KA=$KEY
new_key --sip; KB=$KEY
trunkd_start

pids=()
for i in $(seq 0 49); do
	key=$KA; [ $((i % 2)) = 1 ] && key=$KB
	# each request covers 5 of 20 numbers, overlapping its neighbours
	nums=$(for j in 0 1 2 3 4; do printf '"+1415777%04d",' $(( (i + j) % 20 )); done)
	curl -s --max-time 30 -o "$T_DIR/r$i" -w '%{http_code}' -X POST \
		"http://127.0.0.1:$HTTP/v1/sip/attach" -H "Authorization: Bearer $key" \
		-d "{\"phone_numbers\": [${nums%,}], \"directions\": [{\"type\": \"inbound\"}, {\"type\": \"outbound\", \"sip_endpoint\": \"pbx$i.example\"}], \"service\": \"sip\"}" \
		>"$T_DIR/s$i" &
	pids+=($!)
done
wait "${pids[@]}"  # not trunkd

ok200=$(cat "$T_DIR"/s* | grep -o 200 | wc -l)
expect_eq "all 50 parallel attaches answered 200" 50 "$ok200"
listed=$(cat "$T_DIR"/r* | grep -o '"+1415777[0-9]*"' | wc -l)
expect_eq "every number of every request is reported (configured or failed)" 250 "$listed"
inuse=$(cat "$T_DIR"/r* | grep -o 'NUMBER_IN_USE' | wc -l)
check "some numbers were refused as in use by the other org" test "$inuse" -gt 0

owners=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM (SELECT number FROM sip_configs GROUP BY number HAVING count(DISTINCT org_id) > 1) x")
expect_eq "no number is held by two organisations" 0 "$owners"
halves=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM (SELECT number FROM sip_configs GROUP BY number HAVING count(*) <> 2) x")
expect_eq "no number has half a configuration" 0 "$halves"
total=$(psql "$DATABASE_URL" -qAtc "SELECT count(DISTINCT number) FROM sip_configs")
expect_eq "all 20 numbers ended up attached" 20 "$total"

trunkd_stop
finish
