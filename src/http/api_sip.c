/**
 * @file api_sip.c  /v1/sip: attach, get and detach SIP configurations
 *
 * Attach writes each number with one call of the SQL function sip_attach()
 * (migrations/0002), so every number succeeds or fails on its own and a
 * failed number never leaves a partial row.  The numbers run in parallel on
 * the pool; the reply lists them in request order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http/api_int.h"
#include <re_fmt.h>
#include "core/config.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/sipconf.h"
#include "store/store.h"

bool api_sip_enabled(struct http_req *req)
{
	if (api_principal(req)->sip)
		return true;
	http_reply_error(req, 403, "SIP_NOT_ENABLED",
			 "SIP is not enabled for this organization");
	return false;
}

/* The body as JSON, or a 400 INVALID_JSON naming where it broke */
static json_t *body_json(struct http_req *req)
{
	json_error_t jerr;
	size_t len;
	const char *b = http_req_body(req, &len);
	json_t *j = json_loadb(b, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!j)
		http_reply_error(req, 400, "INVALID_JSON",
				 "the body is not valid JSON: %s (line %d, "
				 "column %d)",
				 jerr.text, jerr.line, jerr.column);
	return j;
}

struct attach_job {
	struct http_req *req;			 /* ref */
	struct sipconf_attach *att;		 /* ref */
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

	if (err == EPROTO && hint && !strcmp(hint, "NUMBER_IN_USE")) {
		job->status[one->idx] = "NUMBER_IN_USE";
		job->message[one->idx] =
		    "this number is attached by another organization";
	} else if (err) {
		job->status[one->idx] =
		    err == EPROTO ? "INTERNAL" : "DATABASE_UNAVAILABLE";
		job->message[one->idx] = "the configuration was not saved";
	}
	if (--job->pending == 0)
		attach_reply(job);
	mem_deref(one);
}

/* The stored form of each direction, secrets sealed */
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

	if (!api_sip_enabled(req) || !(body = body_json(req)))
		return;
	err = sipconf_attach_parse(&att, body, &v);
	json_decref(body);
	if (err) {
		http_reply_error(req, 400, v.code ? v.code : "INTERNAL", "%s",
				 v.message);
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

/* One direction's row as the seeds show it; secrets never leave the DB */
#define ROW_JSON(dir)                                                          \
	"(SELECT json_build_object('number', number, 'id', id, 'org_id', "     \
	"org_id, 'direction', direction, 'sip_endpoint', sip_endpoint, "       \
	"'created_at', to_char(created_at AT TIME ZONE 'UTC', "                \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'updated_at', "                    \
	"to_char(updated_at AT TIME ZONE 'UTC', "                              \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'headers', headers, 'options', "   \
	"options) FROM sip_configs WHERE org_id = $1::uuid AND number = $2 "   \
	"AND direction = '" dir "')"

static void on_got(int err, const PGresult *res, void *arg)
{
	struct http_req *req = arg; /* ref taken by reply_json_query */
	json_t *data;

	if (err) {
		api_reply_store_error(req, err);
		goto out;
	}
	if (PQgetisnull(res, 0, 0)) {
		http_reply_error(req, 404, "NOT_FOUND",
				 "no such SIP configuration for this number");
		goto out;
	}
	data = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (!data)
		http_reply_error(req, 500, "INTERNAL", "bad row");
	else
		http_reply_data(req, 200, data);
out:
	mem_deref(req);
}

/* a number from the query string: E.164, or as given for trunk DIDs */
static bool query_number(struct http_req *req, char out[SIPCONF_NUMBER_MAX + 1])
{
	const char *n = http_req_query(req, "phone_number");

	if (!n || !n[0]) {
		http_reply_error(req, 400, "MISSING_FIELD",
				 "phone_number is required");
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

/* Run sql (returning one JSON cell) and reply with it as data */
static void reply_json_query(struct api *api, struct http_req *req,
			     const char *sql, int n, const char *const *params)
{
	int err = store_query(api->store, sql, n, params, on_got, mem_ref(req));

	if (err) {
		api_reply_store_error(req, err);
		mem_deref(req); /* the ref store_query did not take */
	}
}

void api_sip_get_h(struct http_req *req, void *arg)
{
	char number[SIPCONF_NUMBER_MAX + 1];
	const char *params[2] = {api_principal(req)->org_id, number};

	if (!api_sip_enabled(req) || !query_number(req, number))
		return;
	reply_json_query(
	    arg, req,
	    "SELECT json_build_object('inbound', " ROW_JSON(
		"inbound") ", 'outbound', " ROW_JSON("outbound") ")",
	    2, params);
}

/*
 * GET /v1/sip/numbers?limit=&cursor=: numbers in order; the cursor is the
 * last phone_number of the previous page, next_cursor null on the last.
 */
void api_sip_numbers_h(struct http_req *req, void *arg)
{
	const char *lim = http_req_query(req, "limit");
	char limit[8] = "50", cursor[SIPCONF_NUMBER_MAX + 1] = "";
	const char *params[3] = {api_principal(req)->org_id, cursor, limit};
	const char *c;
	char *end;
	long n;

	if (!api_sip_enabled(req))
		return;
	if (lim) {
		n = strtol(lim, &end, 10);
		if (!lim[0] || *end || n < 1 || n > 200) {
			http_reply_error(req, 400, "INVALID_FIELD",
					 "limit must be a whole number from 1 "
					 "to 200");
			return;
		}
		snprintf(limit, sizeof(limit), "%ld", n);
	}
	c = http_req_query(req, "cursor");
	if (c && strlen(c) > SIPCONF_NUMBER_MAX) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "cursor is not one this API returned");
		return;
	}
	if (c)
		snprintf(cursor, sizeof(cursor), "%s", c);
	reply_json_query(
	    arg, req,
	    "WITH page AS (SELECT number, array_agg(direction ORDER BY "
	    "direction) AS directions, max(trunk_id) AS trunk_id, "
	    "max(updated_at) AS updated_at FROM sip_configs WHERE org_id = "
	    "$1::uuid AND number > $2 GROUP BY number ORDER BY number "
	    "LIMIT $3::int + 1), shown AS (SELECT * FROM page ORDER BY "
	    "number LIMIT $3::int) SELECT json_build_object('numbers', "
	    "coalesce((SELECT json_agg(json_build_object('phone_number', "
	    "number, 'directions', directions, 'trunk_id', trunk_id, "
	    "'updated_at', to_char(updated_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY number) FROM "
	    "shown), '[]'::json), 'next_cursor', CASE WHEN (SELECT count(*) "
	    "FROM page) > $3::int THEN (SELECT max(number) FROM shown) END)",
	    3, params);
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

	if (!api_sip_enabled(req) || !(body = body_json(req)))
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
	reply_json_query(
	    api, req,
	    "WITH u AS (UPDATE sip_configs SET sip_endpoint = coalesce($4,"
	    " sip_endpoint), headers = coalesce($5::jsonb, headers), "
	    "options = (options || $6::jsonb) - CASE WHEN $6::jsonb->>"
	    "'auth_mode' = 'ip' THEN 'register_username' ELSE '' END, "
	    "secret = coalesce($7, secret), updated_at = now() WHERE "
	    "org_id = $1::uuid AND number = $2 AND direction = $3 "
	    "RETURNING *), n AS (SELECT pg_notify('trunkd_sip_changed', $2)"
	    " FROM u) SELECT (SELECT json_build_object('number', number, "
	    "'id', id, 'org_id', org_id, 'direction', direction, "
	    "'sip_endpoint', sip_endpoint, 'created_at', to_char("
	    "created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"
	    "), 'updated_at', to_char(updated_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'headers', headers, "
	    "'options', options) FROM u), (SELECT count(*) FROM n)",
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

struct detach_q {
	struct http_req *req; /* ref */
	char number[SIPCONF_NUMBER_MAX + 1];
};

static void detach_destructor(void *arg)
{
	struct detach_q *d = arg;

	mem_deref(d->req);
}

static void on_detached(int err, const PGresult *res, void *arg)
{
	struct detach_q *d = arg;
	json_t *dirs;

	if (err) {
		api_reply_store_error(d->req, err);
		goto out;
	}
	if (!PQntuples(res)) {
		http_reply_error(d->req, 404, "NOT_FOUND",
				 "%s has no such SIP configuration", d->number);
		goto out;
	}
	dirs = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(dirs, json_string(PQgetvalue(res, i, 0)));
	http_reply_data(d->req, 200,
			json_pack("{s:s, s:o}", "phone_number", d->number,
				  "detached", dirs));
out:
	mem_deref(d);
}

void api_sip_detach_h(struct http_req *req, void *arg)
{
	static const char *const keys[] = {"phone_number", "directions",
					   "service", NULL};
	static const char *const types[] = {"inbound", "outbound", NULL};
	struct api *api = arg;
	struct jsonv v = {0};
	const char *number = NULL, *service = NULL, *t = NULL;
	char want[32] = "{";
	const char *params[3];
	struct detach_q *d = NULL;
	json_t *body, *dirs, *e;
	size_t i;
	int err;

	if (!api_sip_enabled(req) || !(body = body_json(req)))
		return;
	dirs = json_object_get(body, "directions");
	if (!jsonv_object(&v, body, "", keys) ||
	    !jsonv_string(&v, body, "", "phone_number", true, &number) ||
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

	d = mem_zalloc(sizeof(*d), detach_destructor);
	if (!d) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		goto out;
	}
	if (sipconf_number_normalize(number, true, d->number)) {
		jsonv_fail(&v, "INVALID_PHONE_NUMBER",
			   "phone_number is not a valid E.164 number");
		goto invalid;
	}
	d->req = mem_ref(req);
	params[0] = api_principal(req)->org_id;
	params[1] = d->number;
	params[2] = want;
	err = store_query(api->store,
			  "WITH gone AS (DELETE FROM sip_configs WHERE org_id ="
			  " $1::uuid AND number = $2 AND direction = ANY("
			  "$3::text[]) RETURNING direction) SELECT direction,"
			  " pg_notify('trunkd_sip_changed', $2) FROM gone "
			  "ORDER BY direction",
			  3, params, on_detached, d);
	if (err) {
		api_reply_store_error(req, err);
		goto out;
	}
	d = NULL;
	goto out;

invalid:
	http_reply_error(req, 400, v.code, "%s", v.message);
out:
	mem_deref(d);
	json_decref(body);
}
