/**
 * @file api_testcall.c  Test calls (seed 001, "Step 7: Test Call"):
 *   POST /v1/sip/test-call {phone_number, to?, duration?}
 *   GET  /v1/sip/test-call/status?id=
 *
 * A test call is an outbound call (sip/outbound.c) from phone_number
 * through its outbound configuration, to `to` (default: phone_number
 * itself), playing a 1 kHz tone for `duration` seconds (default 5, at most
 * 60) before trunkd hangs up.  Its status shows:
 *   status            queued, ringing, in_progress, completed
 *   result            null while it runs; then "success" (answered), or
 *                     dns_failure, tls_failure, unreachable, timeout,
 *                     auth_failure, busy, no_answer, sip_error, failed
 *   reason            the precise words: the certificate problem, the SIP
 *                     code and reason phrase, ...
 *   duration_seconds  talk time
 *   timeline          every SIP message, in order: {time, direction
 *                     (sent/received), event ("INVITE", "180 Ringing"),
 *                     method or code}
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "http/api_int.h"
#include "core/jsonv.h"
#include "sip/calls.h"

#define TEST_DURATION_DEFAULT 5

/* POST /v1/sip/test-call → 201 {id, status, phone_number, to} */
void api_test_call_h(struct http_req *req, void *arg)
{
	static const char *const keys[] = {"phone_number", "to", "duration",
					   NULL};
	struct api *api = arg;
	struct jsonv v = {0};
	struct calls_dial_req r = {.org_id = api_principal(req)->org_id,
				   .app = "tone"};
	long long duration = TEST_DURATION_DEFAULT;
	const char *code, *why;
	json_t *body;
	char id[37];
	int err;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	if (!jsonv_object(&v, body, "body", keys) ||
	    !jsonv_string(&v, body, "body", "phone_number", true, &r.from) ||
	    !jsonv_string(&v, body, "body", "to", false, &r.to) ||
	    !jsonv_int(&v, body, "body", "duration", 1, 60, &duration, NULL)) {
		http_reply_error(req, 400, v.code, "%s", v.message);
		json_decref(body);
		return;
	}
	if (!r.to)
		r.to = r.from;
	r.max_duration = (unsigned)duration;
	err = api->calls ? calls_dial(api->calls, &r, id, &code, &why) : ENOSYS;
	if (err == ENOSYS)
		http_reply_error(req, 503, "SIP_DISABLED",
				 "this server has no SIP listener");
	else if (err)
		http_reply_error(req, api_dial_status(err), code, "%s", why);
	else
		http_reply_data(req, 201,
				json_pack("{s:s, s:s, s:s, s:s}", "id", id,
					  "status", "queued", "phone_number",
					  r.from, "to", r.to));
	json_decref(body);
}

/* "INVITE", or "180 Ringing" with its code */
static json_t *timeline_event(const json_t *ladder)
{
	const char *line =
	    json_string_value(json_object_get(ladder, "first_line"));
	const char *dir =
	    json_string_value(json_object_get(ladder, "direction"));
	json_t *e = json_pack("{s:O, s:s}", "time",
			      json_object_get(ladder, "time"), "direction",
			      dir && !strcmp(dir, "out") ? "sent" : "received");

	if (!line)
		line = "";
	if (!strncmp(line, "SIP/2.0 ", 8)) {
		json_object_set_new(e, "event", json_string(line + 8));
		json_object_set_new(e, "code",
				    json_integer(strtol(line + 8, NULL, 10)));
	} else {
		json_object_set_new(e, "event",
				    json_stringn(line, strcspn(line, " ")));
		json_object_set_new(e, "method",
				    json_stringn(line, strcspn(line, " ")));
	}
	return e;
}

/* what went wrong, from the last attempt and the call's end */
static const char *result_of(const json_t *call)
{
	const char *status = json_string_value(json_object_get(call, "status"));
	const json_t *attempts = json_object_get(call, "attempts");
	const json_t *last =
	    json_array_get(attempts, json_array_size(attempts) - 1);
	const char *res = json_string_value(json_object_get(last, "result"));
	const char *reason = json_string_value(json_object_get(call, "reason"));

	if (!strcmp(status, "queued") || !strcmp(status, "ringing") ||
	    !strcmp(status, "in_progress"))
		return NULL;
	if (!json_is_null(json_object_get(call, "answered_at")))
		return "success";
	if (!strcmp(status, "busy") || !strcmp(status, "no_answer"))
		return status;
	if (res && !strcmp(res, "unreachable") && reason &&
	    !strncmp(reason, "TLS", 3))
		return "tls_failure";
	if (res && !strcmp(res, "unreachable") && reason &&
	    !strncmp(reason, "DNS", 3))
		return "dns_failure";
	if (res && !strcmp(res, "final"))
		return "sip_error";
	return res ? res : "failed";
}

static json_t *member(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v ? v : json_null();
}

void api_test_call_reply(struct http_req *req, const json_t *call)
{
	const char *status = json_string_value(json_object_get(call, "status"));
	const json_t *trace = json_object_get(call, "trace"), *m;
	const char *result = result_of(call);
	json_t *timeline = json_array();
	bool running = !result;
	size_t i;

	json_array_foreach(trace, i, m)
	{
		json_t *ladder = api_ladder_message(m, i + 1);

		json_array_append_new(timeline, timeline_event(ladder));
		json_decref(ladder);
	}
	http_reply_data(req, 200,
			json_pack("{s:O, s:s, s:o, s:O, s:O, s:f, s:O, s:o}",
				  "id", member(call, "id"), "status",
				  running ? status : "completed", "result",
				  result ? json_string(result) : json_null(),
				  "reason", member(call, "reason"), "sip_code",
				  member(call, "sip_code"), "duration_seconds",
				  (double)json_integer_value(
				      json_object_get(call, "duration_ms")) /
				      1000.0,
				  "attempts", member(call, "attempts"),
				  "timeline", timeline));
}

/* GET /v1/sip/test-call/status?id= */
void api_test_call_status_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *id = http_req_query(req, "id");
	json_t *call;

	if (!api_sip_enabled(req))
		return;
	if (!id) {
		http_reply_error(req, 400, "MISSING_FIELD", "id is required");
		return;
	}
	call = api->calls
		   ? calls_find_json(api->calls, api_principal(req)->org_id, id,
				     true)
		   : NULL;
	if (!call) {
		api_call_record_test(req, api, id);
		return;
	}
	api_test_call_reply(req, call);
	json_decref(call);
}
