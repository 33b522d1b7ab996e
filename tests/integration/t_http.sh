#!/usr/bin/env bash
# @file t_http.sh  The HTTP layer as a client sees it on a raw socket:
# keep-alive, pipelining in order, 431, 413, garbage → 400 and close.
. "$(dirname "$0")/lib.sh"

db_create
trunkd_start --http-max-header 2048 --http-max-body 1024

# raw REQUEST-BYTES: send on a fresh connection, print what comes back
raw() {
	exec 3<>"/dev/tcp/127.0.0.1/$HTTP" || return 1
	printf "$1" >&3
	timeout 3 cat <&3
	exec 3<&-
}

out=$(raw 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
n=$(grep -o 'HTTP/1.1 [0-9]*' <<<"$out" | wc -l)
expect_eq "three pipelined requests get three replies" 3 "$n"
order=$(grep -o 'HTTP/1.1 [0-9]*' <<<"$out" | awk '{print $2}' | tr '\n' ' ')
expect_eq "replies come back in request order" "200 404 200 " "$order"

big=$(head -c 3000 /dev/zero | tr '\0' 'a')
out=$(raw "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n")
expect_match "oversized headers get 431" '^HTTP/1.1 431 .*HEADERS_TOO_LARGE' "$(tr -d '\r\n' <<<"$out")"
expect_match "431 closes the connection" 'Connection: close' "$out"

out=$(raw 'POST /v1/org HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n')
expect_match "a body over the limit gets 413 before it is sent" '^HTTP/1.1 413 .*PAYLOAD_TOO_LARGE' "$(tr -d '\r\n' <<<"$out")"

out=$(raw '\x16\x03\x01garbage\r\n\r\n')
expect_match "garbage gets 400 with the envelope" '^HTTP/1.1 400 .*"error":"BAD_REQUEST"' "$(tr -d '\r\n' <<<"$out")"

r=$(api GET /healthz)
expect_match "the server still answers after all that" '^200 ' "$r"
r=$(curl -sv --max-time 5 -o /dev/null -o /dev/null http://127.0.0.1:$HTTP/healthz http://127.0.0.1:$HTTP/healthz 2>&1 | grep -ci 're-using existing connection')
expect_eq "curl reuses one keep-alive connection for two requests" 1 "$r"

for _ in 1 2 3 4 5 6; do api GET /healthz >/dev/null; done
m=$(curl -s --max-time 5 "http://127.0.0.1:$HTTP/metrics")
expect_match "queries run as prepared statements" 'trunkd_db_prepared_statements [1-9]' "$m"
expect_match "metrics count requests by route" 'trunkd_http_requests_total\{method="GET",route="/healthz",status="2xx"\} [0-9]+' "$m"

trunkd_stop
finish
