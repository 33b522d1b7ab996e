/**
 * @file api_calls.c  Call records and their SIP traces:
 *   GET /v1/sip/calls               list, newest first, filtered, by pages
 *   GET /v1/sip/calls/:id           one call with its media stats and DTMF
 *   GET /v1/sip/calls/:id/trace     the SIP ladder as JSON
 *   GET /v1/sip/calls/:id/trace.pcap  the same messages as a pcap file
 *
 * Records are written when a call ends (store/callrec.h), so a call in
 * progress is not listed yet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http/api_int.h"
#include <re_fmt.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include "core/pcap.h"
#include "core/sipconf.h"
#include "core/walltime.h"
#include "store/store.h"

#define LIST_COLUMNS                                                           \
	"'id', c.id, 'number', c.number, 'direction', c.direction, "           \
	"'from', c.from_uri, 'to', c.to_uri, 'status', c.status, "             \
	"'sip_code', c.sip_code, 'reason', c.reason, "                         \
	"'started_at', sip_ts(c.started_at), "                                 \
	"'answered_at', sip_ts(c.answered_at), "                               \
	"'ended_at', sip_ts(c.ended_at), 'duration_ms', c.duration_ms, "       \
	"'codec', c.codec, 'srtp', c.srtp, 'transport', c.transport, "         \
	"'app', c.app, 'variables', c.variables, 'attempts', c.attempts, "     \
	"'bridge_id', c.bridge_id"

enum call_view { VIEW_CALL, VIEW_TRACE, VIEW_PCAP, VIEW_TEST };

struct call_query {
	struct http_req *req; /* ref */
	enum call_view view;
	char id[37];
};

static void query_destructor(void *arg)
{
	struct call_query *q = arg;

	mem_deref(q->req);
}

static bool uuid_ok(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return false;
	}
	return true;
}

static void reply_result(struct http_req *req, int err, const PGresult *res)
{
	json_t *data = err ? NULL : api_result_json(res);

	if (err == EPROTO && !strncmp(store_sqlstate(res), "22", 2))
		http_reply_error(req, 400, "INVALID_FIELD",
				 "from and to must be ISO 8601 timestamps "
				 "such as 2026-11-24T10:00:00Z");
	else if (err)
		api_reply_store_error(req, err);
	else if (!data)
		http_reply_error(req, 500, "INTERNAL", "bad result");
	else
		http_reply_data(req, 200, data);
}

static void on_listed(int err, const PGresult *res, void *arg)
{
	struct http_req *req = arg;

	reply_result(req, err, res);
	mem_deref(req);
}

/* one query parameter that must be one of choices, or absent */
static bool query_enum(struct http_req *req, const char *name,
		       const char *const choices[], const char **out)
{
	const char *v = http_req_query(req, name);

	*out = "";
	if (!v)
		return true;
	for (size_t i = 0; choices[i]; i++)
		if (!strcmp(v, choices[i])) {
			*out = v;
			return true;
		}
	http_reply_error(req, 400, "INVALID_FIELD",
			 "%s is not one of the "
			 "allowed values",
			 name);
	return false;
}

/* cursor "<started_at in µs>_<id>", as next_cursor gave it */
static bool cursor_ok(const char *c)
{
	const char *us = strchr(c, '_');

	if (!us || us == c || us - c > 20 || !uuid_ok(us + 1))
		return false;
	for (const char *p = c; p < us; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * GET /v1/sip/calls?number=&direction=&status=&from=&to=&limit=&cursor=
 * newest first; from/to bound started_at (from inclusive, to exclusive)
 */
void api_sip_calls_h(struct http_req *req, void *arg)
{
	static const char *const dirs[] = {"inbound", "outbound", NULL};
	static const char *const statuses[] = {
	    "queued", "ringing",   "in_progress", "completed", "failed",
	    "busy",   "no_answer", "canceled",	  NULL};
	struct api *api = arg;
	char number[SIPCONF_NUMBER_MAX + 1] = "", limit[8];
	const char *dir, *status, *from, *to, *cursor, *num, *c;

	if (!api_sip_enabled(req) ||
	    !query_enum(req, "direction", dirs, &dir) ||
	    !query_enum(req, "status", statuses, &status) ||
	    !api_query_limit(req, limit))
		return;
	num = http_req_query(req, "number");
	if (num && sipconf_number_normalize(num, true, number)) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "number must be an E.164 number");
		return;
	}
	c = http_req_query(req, "cursor");
	if (c && !cursor_ok(c)) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "cursor is not one this API returned");
		return;
	}
	cursor = c ? c : "";
	from = http_req_query(req, "from");
	to = http_req_query(req, "to");
	if (store_query(
		api->store,
		"WITH page AS (SELECT * FROM calls c WHERE c.org_id = $1::uuid"
		" AND ($2 = '' OR c.number = $2) AND ($3 = '' OR c.direction ="
		" $3) AND ($4 = '' OR c.status = $4) AND ($5 = '' OR "
		"c.started_at >= $5::timestamptz) AND ($6 = '' OR c.started_at"
		" < $6::timestamptz) AND ($7 = '' OR (c.started_at, c.id) < "
		"(to_timestamp(split_part($7, '_', 1)::float8 / 1e6), "
		"split_part($7, '_', 2)::uuid)) ORDER BY c.started_at DESC, "
		"c.id DESC LIMIT $8::int + 1), shown AS (SELECT * FROM page c "
		"ORDER BY c.started_at DESC, c.id DESC LIMIT $8::int) SELECT "
		"json_build_object('calls', coalesce((SELECT json_agg("
		"json_build_object(" LIST_COLUMNS ") ORDER BY c.started_at "
		"DESC, c.id DESC) FROM shown c), '[]'::json), 'next_cursor', "
		"CASE WHEN (SELECT count(*) FROM page) > $8::int THEN (SELECT "
		"(extract(epoch FROM c.started_at) * 1e6)::bigint || '_' || "
		"c.id FROM shown c ORDER BY c.started_at, c.id LIMIT 1) END)",
		8,
		(const char *const[]){api_principal(req)->org_id, number, dir,
				      status, from ? from : "", to ? to : "",
				      cursor, limit},
		on_listed, mem_ref(req))) {
		api_reply_store_error(req, ENOTCONN);
		mem_deref(req);
	}
}

/* "Name: value" lines of a SIP message, and its body */
json_t *api_ladder_message(const json_t *m, size_t seq)
{
	const char *text = json_string_value(json_object_get(m, "text"));
	const char *p = text ? text : "", *eol;
	json_t *headers = json_array(), *o;
	json_int_t us = json_integer_value(json_object_get(m, "time_us"));
	char first[512] = "", when[WALLTIME_ISO_LEN];

	walltime_iso(when, (uint64_t)us, 6);
	for (bool first_line = true; *p; p = eol + 1, first_line = false) {
		size_t len;
		const char *colon;

		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		len = (size_t)(eol - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (!len && !first_line) {
			p = *eol ? eol + 1 : eol;
			break; /* the body follows */
		}
		colon = memchr(p, ':', len);
		if (first_line) {
			snprintf(first, sizeof(first), "%.*s", (int)len, p);
		} else if (colon) {
			const char *v = colon + 1;

			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			json_array_append_new(
			    headers, json_pack("{s:s%, s:s%}", "name", p,
					       (size_t)(colon - p), "value", v,
					       (size_t)(p + len - v)));
		}
		if (!*eol) {
			p = eol;
			break;
		}
	}
	o = json_pack("{s:I, s:s, s:O, s:O, s:O, s:O, s:s, s:o, s:s}", "seq",
		      (json_int_t)seq, "time", when, "direction",
		      json_object_get(m, "direction"), "transport",
		      json_object_get(m, "transport"), "src",
		      json_object_get(m, "src"), "dst",
		      json_object_get(m, "dst"), "first_line", first, "headers",
		      headers, "body", p);
	return o;
}

static void reply_trace(struct http_req *req, const char *id,
			const json_t *trace)
{
	json_t *msgs = json_array(), *m;
	size_t i;

	json_array_foreach(trace, i, m)
	    json_array_append_new(msgs, api_ladder_message(m, i + 1));
	http_reply_data(
	    req, 200, json_pack("{s:s, s:o}", "call_id", id, "messages", msgs));
}

static void reply_pcap(struct http_req *req, const char *id,
		       const json_t *trace)
{
	struct mbuf *mb = mbuf_alloc(4096);
	char hdr[128];
	json_t *m;
	size_t i;
	int err = mb ? pcap_write_header(mb) : ENOMEM;

	json_array_foreach(trace, i, m)
	{
		const char *text =
		    json_string_value(json_object_get(m, "text"));
		struct sa src, dst;
		struct pl ps, pd;

		pl_set_str(&ps, json_string_value(json_object_get(m, "src")));
		pl_set_str(&pd, json_string_value(json_object_get(m, "dst")));
		if (err || !text || sa_decode(&src, ps.p, ps.l) ||
		    sa_decode(&dst, pd.p, pd.l))
			continue;
		err = pcap_write_udp(
		    mb,
		    (uint64_t)json_integer_value(json_object_get(m, "time_us")),
		    &src, &dst, (const uint8_t *)text, strlen(text));
		if (err == EAFNOSUPPORT)
			err = 0;
	}
	if (err) {
		http_reply_error(req, 500, "INTERNAL", "cannot build the pcap");
	} else {
		snprintf(hdr, sizeof(hdr),
			 "Content-Disposition: attachment; "
			 "filename=\"call-%s.pcap\"\r\n",
			 id);
		http_reply_raw(req, 200, "application/vnd.tcpdump.pcap",
			       mb->buf, mb->end, hdr);
	}
	mem_deref(mb);
}

static void on_call(int err, const PGresult *res, void *arg)
{
	struct call_query *q = arg;
	json_t *call = err ? NULL : api_result_json(res);
	const char *id = q->id;

	if (err)
		api_reply_store_error(q->req, err);
	else if (!call)
		http_reply_error(q->req, 404, "NOT_FOUND", "no call %s", id);
	else if (q->view == VIEW_TRACE)
		reply_trace(q->req, id, json_object_get(call, "trace"));
	else if (q->view == VIEW_PCAP)
		reply_pcap(q->req, id, json_object_get(call, "trace"));
	else if (q->view == VIEW_TEST)
		api_test_call_reply(q->req, call);
	else
		http_reply_data(q->req, 200, json_incref(call));
	json_decref(call);
	mem_deref(q);
}

static void call_query(struct http_req *req, struct api *api,
		       enum call_view view, const char *id)
{
	static const char *const sql[] = {
	    [VIEW_CALL] =
		"SELECT json_build_object(" LIST_COLUMNS
		", 'sip_call_id', c.sip_call_id, 'stats', c.stats, "
		"'dtmf', c.dtmf, 'recording', c.recording, "
		"'trace_messages', json_array_length(c.trace)) FROM "
		"calls c WHERE c.id = $2::uuid AND c.org_id = $1::uuid",
	    [VIEW_TRACE] = "SELECT json_build_object('trace', c.trace) FROM "
			   "calls c WHERE c.id = $2::uuid AND c.org_id = "
			   "$1::uuid",
	    [VIEW_TEST] = "SELECT json_build_object(" LIST_COLUMNS
			  ", 'trace', c.trace) FROM calls c WHERE c.id = "
			  "$2::uuid AND c.org_id = $1::uuid",
	};
	struct call_query *q;

	if (!api_sip_enabled(req))
		return;
	if (!uuid_ok(id)) {
		http_reply_error(req, 404, "NOT_FOUND", "no such call");
		return;
	}
	q = mem_zalloc(sizeof(*q), query_destructor);
	if (!q) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	q->req = mem_ref(req);
	q->view = view;
	snprintf(q->id, sizeof(q->id), "%s", id);
	if (store_query(api->store, sql[view == VIEW_PCAP ? VIEW_TRACE : view],
			2,
			(const char *const[]){api_principal(req)->org_id, id},
			on_call, q)) {
		api_reply_store_error(req, ENOTCONN);
		mem_deref(q);
	}
}

void api_sip_call_h(struct http_req *req, void *arg)
{
	call_query(req, arg, VIEW_CALL, http_req_param(req, "id"));
}

void api_sip_call_trace_h(struct http_req *req, void *arg)
{
	call_query(req, arg, VIEW_TRACE, http_req_param(req, "id"));
}

void api_sip_call_pcap_h(struct http_req *req, void *arg)
{
	call_query(req, arg, VIEW_PCAP, http_req_param(req, "id"));
}

void api_call_record_test(struct http_req *req, struct api *api, const char *id)
{
	call_query(req, api, VIEW_TEST, id);
}
