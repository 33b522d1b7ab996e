/**
 * @file api_dial.c  Outbound calls:
 *   POST /v1/calls                 place a call (sip/outbound.c dials)
 *   GET  /v1/calls/:id             its status, live or from its record
 *   POST /v1/calls/:id/hangup      end it (CANCEL or BYE)
 *   POST /v1/calls/:id/dtmf        send RFC 4733 digits on it
 *   POST /v1/calls/:id/transfer    blind transfer (REFER, sip/transfer.c)
 *
 * A call in progress, or ended within the last minute, is answered from
 * memory; older ones from the calls table (the same handler as
 * GET /v1/sip/calls/:id).
 */
#include <errno.h>
#include <string.h>
#include "http/api_int.h"
#include "core/hdrmap.h"
#include "core/jsonv.h"
#include "sip/calls.h"

#define DIAL_MAX_HEADERS   20
#define DIAL_MAX_VARIABLES 50

static bool variable_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_.") == n;
}

/* {name: string} with at most max entries; headers: SIP-safe names */
static bool string_map(struct jsonv *v, const json_t *body, const char *key,
		       size_t max, bool headers)
{
	const json_t *m = json_object_get(body, key), *e;
	const char *name;

	if (!m || json_is_null(m))
		return true;
	if (!json_is_object(m))
		return jsonv_fail(v, "INVALID_FIELD", "%s must be an object",
				  key);
	if (json_object_size(m) > max)
		return jsonv_fail(v, "INVALID_FIELD", "%s: at most %zu", key,
				  max);
	json_object_foreach((json_t *)m, name, e)
	{
		const char *s = json_string_value(e);

		if (!s || strlen(s) > 256 || strpbrk(s, "\r\n"))
			return jsonv_fail(v, "INVALID_FIELD",
					  "%s.%.64s must be a string of at "
					  "most 256 characters on one line",
					  key, name);
		if (headers && !hdrmap_header_ok(name))
			return jsonv_fail(v, "INVALID_FIELD",
					  "%s.%.64s is not a header name a "
					  "call may set",
					  key, name);
		if (!headers && !variable_ok(name))
			return jsonv_fail(v, "INVALID_FIELD",
					  "%s.%.64s is not a variable name",
					  key, name);
	}
	return true;
}

int api_dial_status(int err)
{
	switch (err) {
	case ENOENT:
		return 404;
	case EPERM:
		return 403;
	case EBUSY:
		return 503;
	case EINVAL:
		return 400;
	default:
		return 500;
	}
}

/*
 * POST /v1/calls {from, to, app?, max_duration?, variables?, headers?,
 * prompt?, loop?, max_digits?} → 201 {call_id, status: "queued"}
 */
void api_call_create_h(struct http_req *req, void *arg)
{
	static const char *const keys[] = {
	    "from",    "to",	 "app",	 "max_duration", "variables",
	    "headers", "prompt", "loop", "max_digits",	 NULL};
	static const char *const apps[] = {"echo", "play", "record", "dtmf",
					   NULL};
	struct api *api = arg;
	struct jsonv v = {0};
	struct calls_dial_req r = {.org_id = api_principal(req)->org_id};
	long long max_duration = 0, max_digits = 0;
	const char *prompt = NULL, *code, *why;
	bool loop = false;
	json_t *body, *app_opts;
	char id[37];
	int err;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	if (!api->calls) {
		http_reply_error(req, 503, "SIP_DISABLED",
				 "this server has no SIP listener");
		json_decref(body);
		return;
	}
	if (!jsonv_object(&v, body, "body", keys) ||
	    !jsonv_string(&v, body, "body", "from", true, &r.from) ||
	    !jsonv_string(&v, body, "body", "to", true, &r.to) ||
	    !jsonv_string(&v, body, "body", "app", false, &r.app) ||
	    (r.app && !jsonv_enum(&v, "body", "app", r.app, apps)) ||
	    !jsonv_int(&v, body, "body", "max_duration", 1, 86400,
		       &max_duration, NULL) ||
	    !jsonv_string(&v, body, "body", "prompt", false, &prompt) ||
	    !jsonv_bool(&v, body, "body", "loop", &loop, NULL) ||
	    !jsonv_int(&v, body, "body", "max_digits", 1, 64, &max_digits,
		       NULL) ||
	    !string_map(&v, body, "variables", DIAL_MAX_VARIABLES, false) ||
	    !string_map(&v, body, "headers", DIAL_MAX_HEADERS, true)) {
		http_reply_error(req, 400, v.code, "%s", v.message);
		json_decref(body);
		return;
	}
	if (prompt &&
	    (strchr(prompt, '/') || !strcmp(prompt, "..") || !prompt[0])) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "prompt must be a file name in the prompts "
				 "directory");
		json_decref(body);
		return;
	}
	app_opts = json_pack("{s:b, s:I}", "loop", loop, "max_digits",
			     (json_int_t)max_digits);
	if (prompt)
		json_object_set_new(app_opts, "prompt", json_string(prompt));
	r.max_duration = (unsigned)max_duration;
	r.variables = json_object_get(body, "variables");
	r.headers = json_object_get(body, "headers");
	r.app_opts = app_opts;
	err = calls_dial(api->calls, &r, id, &code, &why);
	json_decref(app_opts);
	json_decref(body);
	if (err) {
		http_reply_error(req, api_dial_status(err), code, "%s", why);
		return;
	}
	http_reply_data(
	    req, 201,
	    json_pack("{s:s, s:s}", "call_id", id, "status", "queued"));
}

/* GET /v1/calls/:id */
void api_call_get_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	json_t *call;

	if (!api_sip_enabled(req))
		return;
	call = api->calls
		   ? calls_find_json(api->calls, api_principal(req)->org_id,
				     http_req_param(req, "id"), false)
		   : NULL;
	if (call) {
		http_reply_data(req, 200, call);
		return;
	}
	api_sip_call_h(req, arg); /* from the calls table */
}

/* 404, 409 CALL_ENDED or 409 CALL_NOT_ANSWERED for what calls_*() said;
 * true when the call can be acted on */
static bool live_call(struct http_req *req, struct api *api, int err)
{
	const char *id = http_req_param(req, "id");

	if (!api->calls || err == ENOENT) {
		http_reply_error(req, 404, "NOT_FOUND",
				 "no call %.40s in progress", id);
		return false;
	}
	if (err == EALREADY) {
		http_reply_error(req, 409, "CALL_ENDED",
				 "call %.40s has already ended", id);
		return false;
	}
	if (err == EAGAIN) {
		http_reply_error(req, 409, "CALL_NOT_ANSWERED",
				 "call %.40s has not been answered yet", id);
		return false;
	}
	return true;
}

/* POST /v1/calls/:id/hangup → {call_id, status} */
void api_call_hangup_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *id = http_req_param(req, "id");
	int err;

	if (!api_sip_enabled(req))
		return;
	err = api->calls
		  ? calls_hangup(api->calls, api_principal(req)->org_id, id)
		  : ENOENT;
	if (!live_call(req, api, err))
		return;
	http_reply_data(
	    req, 200,
	    calls_find_json(api->calls, api_principal(req)->org_id, id, false));
}

/* A body that is {key: string} and nothing else: the body (the caller
 * owns it) with *value in it, or NULL after replying */
static json_t *string_body(struct http_req *req, const char *key,
			   const char **value)
{
	const char *const keys[] = {key, NULL};
	struct jsonv v = {0};
	json_t *body;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return NULL;
	if (!jsonv_object(&v, body, "body", keys) ||
	    !jsonv_string(&v, body, "body", key, true, value)) {
		http_reply_error(req, 400, v.code, "%s", v.message);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* POST /v1/calls/:id/dtmf {digits} → {call_id, digits} */
void api_call_dtmf_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *id = http_req_param(req, "id"), *digits = NULL;
	json_t *body = string_body(req, "digits", &digits);
	int err;

	if (!body)
		return;
	err = api->calls
		  ? calls_send_dtmf(api->calls, api_principal(req)->org_id, id,
				    digits)
		  : ENOENT;
	if (!live_call(req, api, err)) {
		json_decref(body);
		return;
	}
	if (err == ENOTSUP)
		http_reply_error(req, 409, "DTMF_NOT_NEGOTIATED",
				 "the other side did not accept "
				 "telephone-event (RFC 4733)");
	else if (err == EINVAL || !digits[0])
		http_reply_error(req, 400, "INVALID_FIELD",
				 "digits must be made of 0-9 * # A-D");
	else if (err == ENOSPC)
		http_reply_error(req, 429, "DTMF_QUEUE_FULL",
				 "at most 32 digits may wait to be sent");
	else if (err)
		http_reply_error(req, 500, "INTERNAL", "%s", strerror(err));
	else
		http_reply_data(
		    req, 202,
		    json_pack("{s:s, s:s}", "call_id", id, "digits", digits));
	json_decref(body);
}

/* POST /v1/calls/:id/transfer {to} → 202 {call_id, transfer: {to, state}} */
void api_call_transfer_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *id = http_req_param(req, "id"), *to = NULL;
	const char *org = api_principal(req)->org_id;
	json_t *body = string_body(req, "to", &to), *call;
	int err;

	if (!body)
		return;
	err = api->calls ? calls_transfer(api->calls, org, id, to) : ENOENT;
	if (!live_call(req, api, err)) {
		json_decref(body);
		return;
	}
	if (err == EBUSY)
		http_reply_error(req, 409, "TRANSFER_IN_PROGRESS",
				 "call %.40s is already being transferred", id);
	else if (err == EINVAL)
		http_reply_error(req, 400, "INVALID_FIELD",
				 "to must be an E.164 number or a sip: URI");
	else if (err)
		http_reply_error(req, 500, "INTERNAL", "%s", strerror(err));
	else {
		call = calls_find_json(api->calls, org, id, false);
		http_reply_data(req, 202,
				json_pack("{s:s, s:O}", "call_id", id,
					  "transfer",
					  json_object_get(call, "transfer")));
		json_decref(call);
	}
	json_decref(body);
}
