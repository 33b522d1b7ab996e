#!/usr/bin/env bash
# @file t_call_apps.sh  The call applications with sipp over UDP: play (a
# 1 s prompt, then trunkd hangs up), dtmf (digits until '#', then trunkd
# hangs up; digits and their times in the call record), record (the
# caller's audio in a WAV file named in the call record), and a missing
# prompt (the call ends cleanly, the reason says why).
. "$(dirname "$0")/lib.sh"

db_create
new_key --sip
mkdir -p "$T_DIR/prompts" "$T_DIR/rec"
"$TRUNKD_TOOLS/wavtool" make "$T_DIR/prompts/tone.wav" 440 1000 16000 || fail "wavtool make"
trunkd_start --answer-delay-ms 50 --prompts-dir "$T_DIR/prompts" --recordings-dir "$T_DIR/rec"
attach() { api POST /v1/sip/attach "${H[@]}" -d '{"phone_numbers": ["'"$1"'"], "directions": [{"type": "inbound", "options": '"$2"'}], "service": "sip"}'; }
attach +14150000021 '{"app": "play", "prompt": "tone.wav"}' >/dev/null
attach +14150000022 '{"app": "dtmf", "max_digits": 8}' >/dev/null
attach +14150000023 '{"app": "record"}' >/dev/null
attach +14150000024 '{"app": "play", "prompt": "missing.wav"}' >/dev/null
expect_match "a prompt path is refused" '^400 .*prompt' "$(attach +14150000025 '{"app": "play", "prompt": "../etc/passwd"}')"
expect_match "an unknown app is refused" '^400 .*app' "$(attach +14150000025 '{"app": "fax"}')"

cd "$T_DIR" || exit 1
record_of() { q_until "SELECT $2 FROM calls WHERE number = '$1'"; }

check "play: the call completes" sippr -sf "$SC/uac_app.xml" -s 14150000021 -m 1
expect_eq "play: trunkd hung up after the 1 s prompt, ~50 frames sent" "completed|prompt played|t|t" \
	"$(record_of +14150000021 "status, reason, duration_ms BETWEEN 900 AND 1600, (stats->>'tx_packets')::int BETWEEN 45 AND 60")"

check "dtmf: the call completes" sippr -sf "$SC/uac_app.xml" -s 14150000022 -m 1
expect_eq "dtmf: digits collected until #, trunkd hung up" "completed|digits collected|42#" \
	"$(record_of +14150000022 "status, reason, dtmf")"
expect_eq "dtmf: each digit has its time and duration" "3|t" \
	"$(record_of +14150000022 "jsonb_array_length(stats->'dtmf_events'), (stats->'dtmf_events'->0->>'at_ms')::int >= 1000 AND (stats->'dtmf_events'->0->>'duration_ms')::int > 0")"
id=$(record_of +14150000022 id)
expect_match "dtmf: the API shows the digits" '"dtmf":"42#"' "$(api GET "/v1/sip/calls/$id" "${A[@]}")"

check "record: the call completes (the caller hangs up)" sippr -sf "$SC/uac_app.xml" -s 14150000023 -m 1
rec=$(record_of +14150000023 recording)
id=$(record_of +14150000023 id)
expect_eq "record: the file is named after the call" "$T_DIR/rec/$id.wav" "$rec"
st=$("$TRUNKD_TOOLS/wavtool" stats "$rec" 2>&1)
expect_match "record: over a second of audible 8 kHz audio" 'rate=8000 seconds=(1\.[3-9]|[2-9]\.)[0-9]* rms=[0-9]{3,}' "$st"
expect_match "record: the API shows the path" '"recording":"[^"]*'"$id"'.wav"' "$(api GET "/v1/sip/calls/$id" "${A[@]}")"

# trunkd's BYE comes right after the ACK, before sipp's scenario waits for
# it: sipp answers it but counts the call as aborted, so only the record
# is judged here
sippr -sf "$SC/uac_app.xml" -s 14150000024 -m 1
expect_eq "missing prompt: trunkd hangs up at once and says why" "completed|prompt failed" \
	"$(record_of +14150000024 "status, reason")"
check "the missing prompt is logged with its path" grep -q "prompt $T_DIR/prompts/missing.wav" "$TK_LOG"
trunkd_stop
finish
