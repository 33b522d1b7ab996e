/**
 * @file api_sip.c  /v1/sip: attach, get, update and detach SIP configurations
 *
 * Every write is one call of an SQL function (migrations/0003) that returns
 * the number's new state; the handler applies it to the in-memory map before
 * replying, so reads (served from the map, never from PostgreSQL) see the
 * client's own writes at once.  Attach writes each number on its own, so
 * every number succeeds or fails on its own and a failed number never
 * leaves a partial row; the numbers run in parallel on the pool and the
 * reply lists them in request order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http/api_int.h"
#include <re_fmt.h>
#include "core/advconf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/secret.h"
#include "sip/registrations.h"
#include "core/sipconf.h"
#include "store/sipmap.h"
#include "store/store.h"

bool api_sip_enabled(struct http_req *req)
{
	if (api_principal(req)->sip)
		return true;
	http_reply_error(req, 403, "SIP_NOT_ENABLED",
			 "SIP is not enabled for this organization");
	return false;
}

json_t *api_result_json(const PGresult *res)
{
	if (!res || PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		return NULL;
	return json_loads(PQgetvalue(res, 0, 0), 0, NULL);
}

struct attach_job {
	struct api *api;	    /* borrowed: outlives requests */
	struct http_req *req;	    /* ref */
	struct sipconf_attach *att; /* ref */
	const char *status[SIPCONF_MAX_NUMBERS]; /* NULL ok, else code */
	const char *message[SIPCONF_MAX_NUMBERS];
	unsigned pending;
	char pbx_password[33];
};

struct attach_one {
	struct attach_job *job; /* ref */
	size_t idx;
};

static void job_destructor(void *arg)
{
	struct attach_job *job = arg;

	mem_deref(job->att);
	mem_deref(job->req);
}

static void one_destructor(void *arg)
{
	struct attach_one *one = arg;

	mem_deref(one->job);
}

static void attach_reply(struct attach_job *job)
{
	json_t *configured = json_array(), *failed = json_array(), *data;

	for (size_t i = 0; i < job->att->numberc; i++) {
		const struct sipconf_number *n = &job->att->numbers[i];

		if (!job->status[i])
			json_array_append_new(configured,
					      json_string(n->number));
		else
			json_array_append_new(
			    failed, json_pack("{s:s, s:s, s:s}", "phone_number",
					      n->input, "error", job->status[i],
					      "message", job->message[i]));
	}
	data =
	    json_pack("{s:o, s:o}", "configured", configured, "failed", failed);
	if (job->pbx_password[0])
		json_object_set_new(data, "register_password_for_pbx",
				    json_string(job->pbx_password));
	http_reply_data(job->req, 200, data);
}

static void on_attached(int err, const PGresult *res, void *arg)
{
	struct attach_one *one = arg;
	struct attach_job *job = one->job;
	const char *hint =
	    res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;

	json_t *state = err ? NULL : api_result_json(res);

	if (state)
		sipmap_apply_number(job->api->map, state);
	json_decref(state);
	if (err == EPROTO && hint && !strcmp(hint, "NUMBER_IN_USE")) {
		job->status[one->idx] = "NUMBER_IN_USE";
		job->message[one->idx] =
		    "this number is attached by another organization";
	} else if (err == EPROTO && hint && !strcmp(hint, "NUMBER_OWNED")) {
		job->status[one->idx] = "NUMBER_OWNED";
		job->message[one->idx] =
		    "this number belongs to another organization (ported in)";
	} else if (err == EPROTO && hint &&
		   !strcmp(hint, "TOO_MANY_CONFIGURATIONS")) {
		job->status[one->idx] = "TOO_MANY_CONFIGURATIONS";
		job->message[one->idx] =
		    "a number has at most 10 SIP configurations (directions "
		    "and failover endpoints)";
	} else if (err == EPROTO && hint && !strcmp(hint, "TRUNK_NOT_FOUND")) {
		job->status[one->idx] = "TRUNK_NOT_FOUND";
		job->message[one->idx] = "the trunk was deleted meanwhile";
	} else if (err) {
		job->status[one->idx] =
		    err == EPROTO ? "INTERNAL" : "DATABASE_UNAVAILABLE";
		job->message[one->idx] = "the configuration was not saved";
	}
	if (--job->pending == 0)
		attach_reply(job);
	mem_deref(one);
}

/* The stored form of one direction: fields, options, sealed secrets */
static json_t *direction_json(struct api *api, struct sipconf_direction *d,
			      enum sipconf_dir t, int *errp)
{
	json_t *o, *secrets = json_object();
	char *sealed = NULL, *plain;

	if (d->register_username)
		json_object_set_new(d->options, "register_username",
				    json_string(d->register_username));
	o = json_pack("{s:s, s:s?, s:O?, s:O}", "direction",
		      sipconf_dir_name(t), "sip_endpoint", d->sip_endpoint,
		      "headers", d->headers, "options", d->options);
	if (d->sip_password)
		json_object_set_new(secrets, "sip_password",
				    json_string(d->sip_password));
	if (d->register_username)
		json_object_set_new(secrets, "register_password",
				    json_string(d->register_password));
	if (json_object_size(secrets)) {
		plain = json_dumps(secrets, JSON_COMPACT);
		*errp =
		    plain ? secret_seal(api->cfg->server_secret, plain, &sealed)
			  : ENOMEM;
		free(plain);
		if (!*errp)
			json_object_set_new(o, "secret", json_string(sealed));
		mem_deref(sealed);
	}
	json_decref(secrets);
	return o;
}

static json_t *directions_json(struct api *api, struct sipconf_attach *att,
			       int *errp)
{
	json_t *dirs = json_array();

	for (int t = 0; t < 2 && !*errp; t++) {
		if (att->dir[t].present)
			json_array_append_new(
			    dirs, direction_json(api, &att->dir[t],
						 (enum sipconf_dir)t, errp));
	}
	return dirs;
}

void api_sip_attach_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const struct principal *p = api_principal(req);
	struct sipconf_attach *att = NULL;
	struct attach_job *job;
	struct jsonv v = {0};
	json_t *body, *dirs;
	char *dirs_text;
	int err = 0;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	err = sipconf_attach_parse(&att, body, &v);
	json_decref(body);
	if (err) {
		http_reply_error(req, 400, v.code ? v.code : "INTERNAL", "%s",
				 v.message);
		return;
	}
	if (att->trunk_id && !api_trunk_of(api, req, att->trunk_id)) {
		http_reply_error(req, 404, "TRUNK_NOT_FOUND",
				 "trunk_id: no trunk '%.64s' in this "
				 "organization",
				 att->trunk_id);
		mem_deref(att);
		return;
	}
	dirs = directions_json(api, att, &err);
	dirs_text = json_dumps(dirs, JSON_COMPACT);
	json_decref(dirs);
	job = mem_zalloc(sizeof(*job), job_destructor);
	if (err || !dirs_text || !job) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		goto out;
	}
	job->api = api;
	job->req = mem_ref(req);
	job->att = mem_ref(att);
	if (att->dir[SIPCONF_INBOUND].register_username)
		secret_pbx_password(api->cfg->server_secret,
				    att->dir[SIPCONF_INBOUND].register_username,
				    att->dir[SIPCONF_INBOUND].register_password,
				    job->pbx_password);

	job->pending = 1; /* held until every number is dispatched */
	for (size_t i = 0; i < att->numberc; i++) {
		const char *params[4] = {p->org_id, att->numbers[i].number,
					 att->trunk_id, dirs_text};
		struct attach_one *one;

		if (att->numbers[i].error_code) {
			job->status[i] = att->numbers[i].error_code;
			job->message[i] = att->numbers[i].error_message;
			continue;
		}
		one = mem_zalloc(sizeof(*one), one_destructor);
		if (!one) {
			job->status[i] = "INTERNAL";
			job->message[i] = "out of memory";
			continue;
		}
		one->job = mem_ref(job);
		one->idx = i;
		err = store_query(api->store,
				  "SELECT sip_attach($1::uuid, $2, $3, "
				  "$4::jsonb)",
				  4, params, on_attached, one);
		if (err) {
			job->status[i] = "DATABASE_UNAVAILABLE";
			job->message[i] = "the database is unreachable; retry";
			mem_deref(one);
			continue;
		}
		job->pending++;
	}
	if (--job->pending == 0)
		attach_reply(job);
out:
	free(dirs_text);
	mem_deref(job);
	mem_deref(att);
}

/* ---- reads: served from the in-memory map ---- */

bool api_map_ready(struct api *api, struct http_req *req)
{
	if (sipmap_ready(api->map))
		return true;
	http_reply_error(req, 503, "STARTING",
			 "loading the SIP configuration; retry shortly");
	return false;
}

const json_t *api_org_row(struct api *api, const char *org, const char *number,
			  enum sipconf_dir dir)
{
	const json_t *row = sipmap_row(api->map, number, dir);
	const char *owner = json_string_value(json_object_get(row, "org_id"));

	return owner && !strcmp(owner, org) ? row : NULL;
}

static json_t *shown_row(struct api *api, const char *org, const char *number,
			 enum sipconf_dir dir)
{
	const json_t *row = api_org_row(api, org, number, dir);
	json_t *shown, *reg;

	if (!row)
		return json_null();
	shown = sipmap_render_row(api->map, row);
	reg = dir == SIPCONF_INBOUND && api->regs
		  ? registrations_state(api->regs, number)
		  : NULL;
	if (reg)
		json_object_set_new(shown, "registration", reg);
	return shown;
}

bool api_query_number(struct http_req *req, char out[SIPCONF_NUMBER_MAX + 1])
{
	const char *n = http_req_query(req, "phone_number");

	if (!n || !n[0]) {
		http_reply_error(req, 400, "MISSING_FIELD",
				 "phone_number (or inbound_id) is required");
		return false;
	}
	if (sipconf_number_normalize(n, true, out)) {
		http_reply_error(req, 400, "INVALID_PHONE_NUMBER",
				 "phone_number is not a valid E.164 number, "
				 "DID or extension");
		return false;
	}
	return true;
}

/* seed 000: GET /v1/sip?inbound_id= → {phone_number, directions} */
static void get_by_inbound_id(struct api *api, struct http_req *req,
			      const char *s)
{
	const char *org = api_principal(req)->org_id, *number;
	json_t *dirs;
	char *end;
	long long id = strtoll(s, &end, 10);

	if (!s[0] || *end || id < 1) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "inbound_id must be a positive whole number");
		return;
	}
	number = sipmap_number_by_inbound_id(api->map, id);
	dirs = json_array();
	for (int t = 0; number && t < 2; t++)
		if (api_org_row(api, org, number, (enum sipconf_dir)t))
			json_array_append_new(dirs,
					      json_string(sipconf_dir_name(t)));
	if (!json_array_size(dirs)) {
		json_decref(dirs);
		http_reply_error(req, 404, "NOT_FOUND",
				 "no SIP configuration has inbound_id %lld",
				 id);
		return;
	}
	http_reply_data(req, 200,
			json_pack("{s:s, s:o}", "phone_number", number,
				  "directions", dirs));
}

void api_sip_get_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *org = api_principal(req)->org_id;
	const char *iid = http_req_query(req, "inbound_id");
	char number[SIPCONF_NUMBER_MAX + 1];

	if (!api_sip_enabled(req) || !api_map_ready(api, req))
		return;
	if (iid && !http_req_query(req, "phone_number")) {
		get_by_inbound_id(api, req, iid);
		return;
	}
	if (!api_query_number(req, number))
		return;
	http_reply_data(
	    req, 200,
	    json_pack("{s:o, s:o}", "inbound",
		      shown_row(api, org, number, SIPCONF_INBOUND), "outbound",
		      shown_row(api, org, number, SIPCONF_OUTBOUND)));
}

void api_on_json_result(int err, const PGresult *res, void *arg)
{
	struct http_req *req = arg; /* ref taken by api_sip_numbers_h */
	json_t *data = err ? NULL : api_result_json(res);

	if (err)
		api_reply_store_error(req, err);
	else if (!data)
		http_reply_error(req, 500, "INTERNAL", "bad result");
	else
		http_reply_data(req, 200, data);
	mem_deref(req);
}

bool api_query_limit(struct http_req *req, char limit[8])
{
	const char *lim = http_req_query(req, "limit");
	char *end;
	long n;

	snprintf(limit, 8, "50");
	if (!lim)
		return true;
	n = strtol(lim, &end, 10);
	if (!lim[0] || *end || n < 1 || n > 200) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "limit must be a whole number from 1 to 200");
		return false;
	}
	snprintf(limit, 8, "%ld", n);
	return true;
}

/*
 * GET /v1/sip/numbers?limit=&cursor=: numbers in order; the cursor is the
 * last phone_number of the previous page, next_cursor null on the last.
 */
void api_sip_numbers_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	char limit[8], cursor[SIPCONF_NUMBER_MAX + 1] = "";
	const char *params[3] = {api_principal(req)->org_id, cursor, limit};
	const char *c;

	if (!api_sip_enabled(req) || !api_query_limit(req, limit))
		return;
	c = http_req_query(req, "cursor");
	if (c && strlen(c) > SIPCONF_NUMBER_MAX) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "cursor is not one this API returned");
		return;
	}
	if (c)
		snprintf(cursor, sizeof(cursor), "%s", c);
	if (store_query(
		api->store,
		"WITH page AS (SELECT number, array_agg(direction ORDER BY "
		"direction) AS directions, max(trunk_id) AS trunk_id, "
		"max(updated_at) AS updated_at FROM sip_configs WHERE org_id "
		"= $1::uuid AND number > $2 GROUP BY number ORDER BY number "
		"LIMIT $3::int + 1), shown AS (SELECT * FROM page ORDER BY "
		"number LIMIT $3::int) SELECT json_build_object('numbers', "
		"coalesce((SELECT json_agg(json_build_object('phone_number', "
		"s.number, 'inbound_id', n.inbound_id, 'directions', "
		"s.directions, 'trunk_id', s.trunk_id, 'updated_at', "
		"sip_ts(s.updated_at)) ORDER BY s.number) FROM shown s JOIN "
		"sip_numbers n USING (number)), '[]'::json), 'next_cursor', "
		"CASE WHEN (SELECT count(*) FROM page) > $3::int THEN (SELECT "
		"max(number) FROM shown) END)",
		3, params, api_on_json_result, mem_ref(req))) {
		api_reply_store_error(req, ENOTCONN);
		mem_deref(req); /* the ref store_query did not take */
	}
}

/* ---- writes: one SQL function each, returning the number's state ---- */

struct sip_write;
/* result: what the SQL function returned (NULL for SQL NULL) */
typedef void(sip_written_h)(struct sip_write *w, const json_t *result);

struct sip_write {
	struct api *api;      /* borrowed: outlives requests */
	struct http_req *req; /* ref */
	char number[SIPCONF_NUMBER_MAX + 1];
	enum sipconf_dir dir;
	sip_written_h *replyh;
};

static void write_destructor(void *arg)
{
	struct sip_write *w = arg;

	mem_deref(w->req);
}

static void on_written(int err, const PGresult *res, void *arg)
{
	struct sip_write *w = arg;
	const char *hint = err == EPROTO
			       ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)
			       : NULL;
	json_t *result = err ? NULL : api_result_json(res);

	if (hint && !strcmp(hint, "TOO_MANY_CONFIGURATIONS"))
		http_reply_error(w->req, 400, "TOO_MANY_CONFIGURATIONS",
				 "%s would have more than 10 SIP "
				 "configurations (directions and failover "
				 "endpoints count)",
				 w->number);
	else if (err)
		api_reply_store_error(w->req, err);
	else
		w->replyh(w, result);
	json_decref(result);
	mem_deref(w);
}

/* Run sql (one JSON cell) for number/dir; replyh answers the request */
static void sip_write(struct api *api, struct http_req *req, const char *number,
		      enum sipconf_dir dir, sip_written_h *replyh,
		      const char *sql, int n, const char *const *params)
{
	struct sip_write *w = mem_zalloc(sizeof(*w), write_destructor);
	int err;

	if (!w) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	w->api = api;
	w->req = mem_ref(req);
	snprintf(w->number, sizeof(w->number), "%s", number);
	w->dir = dir;
	w->replyh = replyh;
	err = store_query(api->store, sql, n, params, on_written, w);
	if (err) {
		api_reply_store_error(req, err);
		mem_deref(w);
	}
}

/* reply with the direction just written, as GET shows it */
static void reply_direction(struct sip_write *w, const json_t *state)
{
	const json_t *row;

	if (state)
		sipmap_apply_number(w->api->map, state);
	row = state ? api_org_row(w->api, api_principal(w->req)->org_id,
				  w->number, w->dir)
		    : NULL;
	if (!row) {
		http_reply_error(w->req, 404, "NOT_FOUND",
				 "%s has no %s SIP configuration", w->number,
				 sipconf_dir_name(w->dir));
		return;
	}
	http_reply_data(w->req, 200, sipmap_render_row(w->api->map, row));
}

/*
 * POST /v1/sip/update {phone_number, updates: {type, ...}}: fields given
 * replace the stored ones, options are merged key by key, credentials (when
 * any is given) are re-sealed as a whole.  404 if that direction was never
 * attached by this organisation.
 */
void api_sip_update_h(struct http_req *req, void *arg)
{
	static const char *const keys[] = {"phone_number", "updates", NULL};
	struct api *api = arg;
	struct sipconf_direction d = {0};
	struct jsonv v = {0};
	char number[SIPCONF_NUMBER_MAX + 1];
	const char *num = NULL, *params[7];
	char *opts = NULL, *hdrs = NULL;
	json_t *body, *upd, *stored = NULL;
	enum sipconf_dir t;
	int err = 0;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	upd = json_object_get(body, "updates");
	if (!jsonv_object(&v, body, "", keys) ||
	    !jsonv_string(&v, body, "", "phone_number", true, &num))
		goto invalid;
	if (!upd) {
		jsonv_fail(&v, "MISSING_FIELD", "updates is required");
		goto invalid;
	}
	if (!sipconf_direction_parse(&d, &t, upd, "updates", true, &v))
		goto invalid;
	if (sipconf_number_normalize(num, true, number)) {
		jsonv_fail(&v, "INVALID_PHONE_NUMBER",
			   "phone_number is not a valid E.164 number");
		goto invalid;
	}
	/* an omitted auth_mode keeps the stored one */
	if (t == SIPCONF_INBOUND && !json_object_get(upd, "auth_mode"))
		json_object_del(d.options, "auth_mode");
	stored = direction_json(api, &d, t, &err);
	opts = json_dumps(json_object_get(stored, "options"), JSON_COMPACT);
	hdrs = d.headers ? json_dumps(d.headers, JSON_COMPACT) : NULL;
	if (err || !opts) {
		http_reply_error(req, 500, "INTERNAL", "could not store it");
		goto out;
	}
	params[0] = api_principal(req)->org_id;
	params[1] = number;
	params[2] = sipconf_dir_name(t);
	params[3] = d.sip_endpoint;
	params[4] = hdrs;
	params[5] = opts;
	params[6] = json_string_value(json_object_get(stored, "secret"));
	sip_write(api, req, number, t, reply_direction,
		  "SELECT sip_update($1::uuid, $2, $3, $4, $5::jsonb, "
		  "$6::jsonb, $7)",
		  7, params);
	goto out;

invalid:
	http_reply_error(req, 400, v.code, "%s", v.message);
out:
	free(opts);
	free(hdrs);
	json_decref(stored);
	sipconf_direction_reset(&d);
	json_decref(body);
}

static void reply_detached(struct sip_write *w, const json_t *result)
{
	const json_t *dirs = json_object_get(result, "detached");
	const json_t *state = json_object_get(result, "state");

	if (json_is_object(state))
		sipmap_apply_number(w->api->map, state);
	if (!json_array_size(dirs)) {
		http_reply_error(w->req, 404, "NOT_FOUND",
				 "%s has no such SIP configuration", w->number);
		return;
	}
	http_reply_data(w->req, 200,
			json_pack("{s:s, s:O}", "phone_number", w->number,
				  "detached", dirs));
}

void api_sip_detach_h(struct http_req *req, void *arg)
{
	static const char *const keys[] = {"phone_number", "directions",
					   "service", NULL};
	static const char *const types[] = {"inbound", "outbound", NULL};
	struct api *api = arg;
	struct jsonv v = {0};
	const char *num = NULL, *service = NULL, *t = NULL;
	char want[32] = "{", number[SIPCONF_NUMBER_MAX + 1];
	json_t *body, *dirs, *e;
	size_t i;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	dirs = json_object_get(body, "directions");
	if (!jsonv_object(&v, body, "", keys) ||
	    !jsonv_string(&v, body, "", "phone_number", true, &num) ||
	    !jsonv_string(&v, body, "", "service", true, &service) ||
	    !jsonv_enum(&v, "", "service", service,
			(const char *const[]){"sip", NULL}))
		goto invalid;
	if (!json_is_array(dirs) || !json_array_size(dirs)) {
		jsonv_fail(&v, dirs ? "INVALID_FIELD" : "MISSING_FIELD",
			   "directions must be a non-empty array of {type}");
		goto invalid;
	}
	json_array_foreach(dirs, i, e)
	{
		char path[32];

		snprintf(path, sizeof(path), "directions[%zu]", i > 9 ? 9 : i);
		t = NULL;
		if (!json_is_object(e) ||
		    !jsonv_object(&v, e, path,
				  (const char *const[]){"type", NULL}) ||
		    !jsonv_string(&v, e, path, "type", true, &t) ||
		    !jsonv_enum(&v, path, "type", t, types))
			goto invalid;
		if (strlen(want) < 20)
			strcat(strcat(want, want[1] ? "," : ""), t);
	}
	strcat(want, "}");
	if (sipconf_number_normalize(num, true, number)) {
		jsonv_fail(&v, "INVALID_PHONE_NUMBER",
			   "phone_number is not a valid E.164 number");
		goto invalid;
	}
	sip_write(
	    api, req, number, SIPCONF_INBOUND, reply_detached,
	    "SELECT sip_detach($1::uuid, $2, $3::text[])", 3,
	    (const char *const[]){api_principal(req)->org_id, number, want});
	goto out;

invalid:
	http_reply_error(req, 400, v.code, "%s", v.message);
out:
	json_decref(body);
}

/*
 * PATCH /v1/sip/config {phone_number, direction, failover_config,
 * codec_config, alert_config}: each object given is validated and replaces
 * the stored one (JSON null removes it); at least one must be given.
 */
void api_sip_config_h(struct http_req *req, void *arg)
{
	static const char *const keys[] = {"phone_number",    "direction",
					   "failover_config", "codec_config",
					   "alert_config",    NULL};
	static const struct {
		const char *key;
		json_t *(*parse)(const json_t *obj, struct jsonv *v);
	} confs[] = {
	    {"failover_config", advconf_failover},
	    {"codec_config", advconf_codecs},
	    {"alert_config", advconf_alerts},
	};
	struct api *api = arg;
	struct jsonv v = {0};
	const char *num = NULL, *dir = NULL, *params[7];
	char number[SIPCONF_NUMBER_MAX + 1], set[64] = "{";
	char *text[3] = {NULL, NULL, NULL};
	json_t *body;
	size_t i;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	if (!jsonv_object(&v, body, "", keys) ||
	    !jsonv_string(&v, body, "", "phone_number", true, &num) ||
	    !jsonv_string(&v, body, "", "direction", true, &dir) ||
	    !jsonv_enum(&v, "", "direction", dir,
			(const char *const[]){"inbound", "outbound", NULL}))
		goto invalid;
	if (sipconf_number_normalize(num, true, number)) {
		jsonv_fail(&v, "INVALID_PHONE_NUMBER",
			   "phone_number is not a valid E.164 number");
		goto invalid;
	}
	for (i = 0; i < 3; i++) {
		const json_t *o = json_object_get(body, confs[i].key);
		json_t *parsed;

		if (!o)
			continue;
		strcat(strcat(set, set[1] ? "," : ""), confs[i].key);
		if (json_is_null(o))
			continue;
		if (!json_is_object(o)) {
			jsonv_fail(&v, "INVALID_FIELD",
				   "%s must be an object or null",
				   confs[i].key);
			goto invalid;
		}
		parsed = confs[i].parse(o, &v);
		if (!parsed)
			goto invalid;
		text[i] = json_dumps(parsed, JSON_COMPACT);
		json_decref(parsed);
	}
	strcat(set, "}");
	if (!set[2]) {
		jsonv_fail(&v, "MISSING_FIELD",
			   "give at least one of failover_config, "
			   "codec_config, alert_config");
		goto invalid;
	}
	params[0] = api_principal(req)->org_id;
	params[1] = number;
	params[2] = dir;
	params[3] = set;
	params[4] = text[0];
	params[5] = text[1];
	params[6] = text[2];
	sip_write(api, req, number,
		  strcmp(dir, "inbound") ? SIPCONF_OUTBOUND : SIPCONF_INBOUND,
		  reply_direction,
		  "SELECT sip_set_config($1::uuid, $2, $3, $4::text[], "
		  "$5::json, $6::json, $7::json)",
		  7, params);
	goto out;

invalid:
	http_reply_error(req, 400, v.code, "%s", v.message);
out:
	for (i = 0; i < 3; i++)
		free(text[i]);
	json_decref(body);
}
