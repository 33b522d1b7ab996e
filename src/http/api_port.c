/**
 * @file api_port.c  Number porting: /v1/sip/port/check, /initiate, the list,
 *                   one request, its LOA, signing, canceling, and the
 *                   carriers' signed events
 *
 * Every status change is the SQL function port_transition() (migration
 * 0012), which validates it and writes the history row; the errors it
 * raises (SQLSTATE TP404, TP409, TP425) become 404 and 409 here.  The
 * document upload is api_port_doc.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mbuf.h>
#include "http/api_int.h"
#include "core/config.h"
#include "core/e164.h"
#include "core/hmac.h"
#include "core/jsonv.h"
#include "core/log.h"
#include "core/portcheck.h"
#include "store/store.h"

#define PORT_NUMBERS_MAX 100

/* ---- shared ---- */

static bool is_uuid(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (!s || strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i]; i++) {
		bool hex = (s[i] >= '0' && s[i] <= '9') ||
			   (s[i] >= 'a' && s[i] <= 'f') ||
			   (s[i] >= 'A' && s[i] <= 'F');

		if (form[i] == '-' ? s[i] != '-' : !hex)
			return false;
	}
	return true;
}

/* :id of the path, or NULL after replying 404 */
static const char *port_id(struct http_req *req)
{
	const char *id = http_req_param(req, "id");

	if (!is_uuid(id)) {
		http_reply_error(req, 404, "NOT_FOUND", "no port request %s",
				 id ? id : "");
		return NULL;
	}
	return id;
}

/* a port_transition() error, or another store error */
static void reply_port_error(struct http_req *req, int err, const PGresult *res)
{
	const char *st = err == EPROTO ? store_sqlstate(res) : "";
	const char *msg = err == EPROTO
			      ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			      : NULL;

	if (!strcmp(st, "TP404"))
		http_reply_error(req, 404, "NOT_FOUND", "%s", msg);
	else if (!strcmp(st, "TP409"))
		http_reply_error(req, 409, "INVALID_TRANSITION", "%s", msg);
	else if (!strcmp(st, "TP425"))
		http_reply_error(req, 409, "TOO_LATE_TO_CANCEL", "%s", msg);
	else
		api_reply_store_error(req, err);
}

/* result: one JSON cell (the request), or none (404) */
static void on_port(int err, const PGresult *res, void *arg)
{
	struct http_req *req = arg;
	json_t *data = err ? NULL : api_result_json(res);

	if (err)
		reply_port_error(req, err, res);
	else if (!data)
		http_reply_error(req, 404, "NOT_FOUND", "no such port request");
	else
		http_reply_data(req, 200, data);
	mem_deref(req);
}

static void query(struct http_req *req, struct api *api, const char *sql, int n,
		  const char *const *params, store_result_h *h)
{
	int err = store_query(api->store, sql, n, params, h, mem_ref(req));

	if (err) {
		api_reply_store_error(req, err);
		mem_deref(req); /* the ref store_query did not take */
	}
}

/* ---- portability ---- */

/* numbers (E.164, normalized) → the facts check needs, one JSON array */
#define FACTS_SQL                                                              \
	"SELECT json_agg(json_build_object('n', t.n, 'active', EXISTS "        \
	"(SELECT 1 "                                                           \
	"FROM sip_configs WHERE number = t.n) OR EXISTS (SELECT 1 FROM "       \
	"org_numbers WHERE number = t.n), 'open', EXISTS (SELECT 1 FROM "      \
	"port_requests WHERE t.n = ANY (phone_numbers) AND status IN "         \
	"('waiting_for_signature', 'submitted', 'in_progress')), 'rule', "     \
	"(SELECT "                                                             \
	"row_to_json(r) FROM port_rules r WHERE t.n LIKE r.prefix || '%' "     \
	"ORDER "                                                               \
	"BY length(r.prefix) DESC LIMIT 1)) ORDER BY t.o) FROM "               \
	"unnest($1::text[]) WITH ORDINALITY AS t(n, o)"

/* one number's verdict as the API shows it, from its facts row */
static json_t *verdict_json(const char *number, const json_t *facts)
{
	const json_t *r = json_object_get(facts, "rule");
	struct port_rule rule;
	struct port_verdict v;

	if (json_is_object(r)) {
		rule.portable = json_is_true(json_object_get(r, "portable"));
		rule.number_type =
		    json_string_value(json_object_get(r, "number_type"));
		rule.pin_required =
		    json_is_true(json_object_get(r, "pin_required"));
		rule.reason = json_string_value(
		    json_object_get(r, "not_portable_reason"));
	}
	portcheck_judge(number, json_is_true(json_object_get(facts, "active")),
			json_is_true(json_object_get(facts, "open")),
			json_is_object(r) ? &rule : NULL, &v);
	return json_pack("{s:s, s:b, s:s, s:b, s:s?}", "phone_number", number,
			 "portable", v.portable, "number_type", v.number_type,
			 "pin_required", v.pin_required, "not_portable_reason",
			 v.portable ? NULL : v.reason);
}

static json_t *invalid_json(const char *given)
{
	return json_pack("{s:s, s:b, s:s, s:b, s:s}", "phone_number", given,
			 "portable", 0, "number_type", "unknown",
			 "pin_required", 0, "not_portable_reason",
			 "not a valid E.164 number");
}

/* "{+1...,+1...}" for the facts query from a JSON array of strings */
static char *pg_array(const json_t *numbers)
{
	struct mbuf *mb = mbuf_alloc(256);
	size_t i;
	const json_t *n;
	char *s = NULL;

	if (!mb)
		return NULL;
	mbuf_write_str(mb, "{");
	json_array_foreach(numbers, i, n)
	    mbuf_printf(mb, "%s%s", i ? "," : "", json_string_value(n));
	mbuf_write_str(mb, "}");
	mbuf_set_pos(mb, 0);
	mbuf_strdup(mb, &s, mb->end);
	mem_deref(mb);
	return s;
}

struct check_job {
	struct http_req *req; /* ref */
	json_t *given;	      /* owned: [{given, e164 or null}] */
};

static void check_job_destructor(void *arg)
{
	struct check_job *job = arg;

	mem_deref(job->req);
	json_decref(job->given);
}

static void on_check_facts(int err, const PGresult *res, void *arg)
{
	struct check_job *job = arg;
	json_t *facts = err ? NULL : api_result_json(res);
	json_t *out = json_array();
	size_t i, k = 0;
	const json_t *g;

	if (err) {
		api_reply_store_error(job->req, err);
		goto out;
	}
	json_array_foreach(job->given, i, g)
	{
		const char *e = json_string_value(json_object_get(g, "e164"));

		json_array_append_new(
		    out, e ? verdict_json(e, json_array_get(facts, k++))
			   : invalid_json(json_string_value(
				 json_object_get(g, "given"))));
	}
	http_reply_data(job->req, 200, json_pack("{s:O}", "numbers", out));
out:
	json_decref(out);
	json_decref(facts);
	mem_deref(job);
}

/* GET /v1/sip/port/check?phone_numbers=+1...,+1... */
void api_port_check_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *q = http_req_query(req, "phone_numbers");
	json_t *valid = json_array();
	struct check_job *job;
	const char *p[1];
	char *list = NULL;
	unsigned count = 0;

	if (!api_sip_enabled(req))
		goto out;
	if (!q || !q[0]) {
		http_reply_error(req, 400, "MISSING_FIELD",
				 "phone_numbers (comma-separated) is required");
		goto out;
	}
	job = mem_zalloc(sizeof(*job), check_job_destructor);
	if (!job) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		goto out;
	}
	job->req = mem_ref(req);
	job->given = json_array();
	for (const char *s = q; *s;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		char given[64], e164[E164_MAX + 1];
		size_t b = 0;

		/* an unencoded '+' arrives as a space */
		snprintf(given, sizeof(given), "%.*s",
			 (int)(len < 63 ? len : 63), s);
		while (given[b] == ' ')
			b++;
		if (b && given[b] != '+')
			given[--b] = '+';
		if (++count > PORT_NUMBERS_MAX) {
			http_reply_error(req, 400, "INVALID_FIELD",
					 "at most %d numbers per check",
					 PORT_NUMBERS_MAX);
			mem_deref(job);
			goto out;
		}
		if (e164_normalize(given + b, strlen(given + b), e164)) {
			json_array_append_new(job->given,
					      json_pack("{s:s, s:n}", "given",
							given + b, "e164"));
		} else {
			json_array_append_new(
			    job->given, json_pack("{s:s, s:s}", "given",
						  given + b, "e164", e164));
			json_array_append_new(valid, json_string(e164));
		}
		s += len + (c ? 1 : 0);
	}
	list = pg_array(valid);
	p[0] = list;
	if (!list ||
	    store_query(api->store, FACTS_SQL, 1, p, on_check_facts, job)) {
		api_reply_store_error(req, ENOTCONN);
		mem_deref(job);
	}
out:
	mem_deref(list);
	json_decref(valid);
}

/* ---- initiate ---- */

struct initiate {
	struct http_req *req; /* ref */
	struct api *api;      /* borrowed */
	json_t *body;	      /* owned */
	json_t *numbers;      /* owned: normalized */
	char *list;	      /* owned: the numbers as a PostgreSQL array */
};

static void initiate_destructor(void *arg)
{
	struct initiate *in = arg;

	mem_deref(in->req);
	json_decref(in->body);
	json_decref(in->numbers);
	mem_deref(in->list);
}

static const char *opt_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* the body's fields, shape only; false after replying 400 */
static bool initiate_valid(struct http_req *req, json_t *b, json_t *numbers)
{
	static const char *const address[] = {"street", "city", "state",
					      "postal_code", "country"};
	const json_t *nums = json_object_get(b, "phone_numbers");
	const json_t *rep = json_object_get(b, "authorized_representative");
	const json_t *addr = json_object_get(b, "service_address");
	const char *name = opt_str(rep, "name"), *email = opt_str(rep, "email");
	const char *pin = opt_str(b, "pin"),
		   *acct = opt_str(b, "account_number");
	char why[160];
	size_t i;
	const json_t *n;

	if (!json_is_array(nums) || !json_array_size(nums) ||
	    json_array_size(nums) > PORT_NUMBERS_MAX) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "phone_numbers must be an array of 1 to %d "
				 "numbers",
				 PORT_NUMBERS_MAX);
		return false;
	}
	json_array_foreach(nums, i, n)
	{
		char e164[E164_MAX + 1];
		const char *s = json_string_value(n);

		if (!s || e164_normalize(s, strlen(s), e164)) {
			http_reply_error(req, 400, "INVALID_NUMBER",
					 "phone_numbers[%zu] is not a valid "
					 "E.164 number",
					 i);
			return false;
		}
		for (size_t j = 0; j < json_array_size(numbers); j++) {
			if (!strcmp(
				json_string_value(json_array_get(numbers, j)),
				e164)) {
				http_reply_error(req, 400, "INVALID_FIELD",
						 "%s is listed twice", e164);
				return false;
			}
		}
		json_array_append_new(numbers, json_string(e164));
	}
	if (!json_is_object(rep) || !name || !name[0] || strlen(name) > 200 ||
	    !email || !strchr(email, '@') || strlen(email) > 254 ||
	    strchr(email, '@') == email || !strchr(strchr(email, '@'), '.')) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "authorized_representative needs a name and "
				 "a valid email");
		return false;
	}
	for (i = 0; i < sizeof(address) / sizeof(address[0]); i++) {
		const char *v = opt_str(addr, address[i]);

		if (!v || !v[0] || strlen(v) > 200) {
			http_reply_error(req, 400, "INVALID_FIELD",
					 "service_address.%s is required (the "
					 "address must be complete: street, "
					 "city, state, postal_code, country)",
					 address[i]);
			return false;
		}
	}
	if (portcheck_date(opt_str(b, "target_port_date"), time(NULL), why)) {
		http_reply_error(req, 400, "INVALID_FIELD", "%s", why);
		return false;
	}
	if (!opt_str(b, "document_sid")) {
		http_reply_error(req, 400, "MISSING_FIELD",
				 "document_sid (from POST /v1/sip/port/"
				 "document) is required");
		return false;
	}
	if ((json_object_get(b, "pin") &&
	     (!pin || !pin[0] || strlen(pin) > 20)) ||
	    (json_object_get(b, "account_number") &&
	     (!acct || !acct[0] || strlen(acct) > 64))) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "pin (1-20 characters) and account_number "
				 "(1-64) must be strings");
		return false;
	}
	return true;
}

static void on_created(int err, const PGresult *res, void *arg)
{
	struct initiate *in = arg;
	json_t *data = err ? NULL : api_result_json(res);

	if (err)
		api_reply_store_error(in->req, err);
	else if (!data)
		http_reply_error(in->req, 500, "INTERNAL", "no request");
	else {
		log_info("http", http_req_id(in->req), "port request %s",
			 json_string_value(json_object_get(data, "id")));
		http_reply_data(in->req, 201, data);
	}
	mem_deref(in);
}

/* facts of the numbers and whether the document is the org's */
static void on_initiate_facts(int err, const PGresult *res, void *arg)
{
	struct initiate *in = arg;
	json_t *row = err ? NULL : api_result_json(res);
	const json_t *facts = json_object_get(row, "facts");
	const json_t *b = in->body;
	json_t *refused = json_array();
	const char *p[10];
	char rep[512], addr[2048];
	bool pin_needed = false;

	if (err) {
		api_reply_store_error(in->req, err);
		goto out;
	}
	if (!json_is_true(json_object_get(row, "document"))) {
		http_reply_error(in->req, 400, "INVALID_FIELD",
				 "document_sid %s is not a document of this "
				 "organization",
				 opt_str(b, "document_sid"));
		goto out;
	}
	for (size_t i = 0; i < json_array_size(in->numbers); i++) {
		json_t *v = verdict_json(
		    json_string_value(json_array_get(in->numbers, i)),
		    json_array_get(facts, i));

		if (!json_is_true(json_object_get(v, "portable")))
			json_array_append(refused, v);
		pin_needed |= json_is_true(json_object_get(v, "pin_required"));
		json_decref(v);
	}
	if (json_array_size(refused)) {
		const json_t *v = json_array_get(refused, 0);

		http_reply_error(
		    in->req, 400, "NOT_PORTABLE", "%s is not portable: %s%s",
		    opt_str(v, "phone_number"),
		    opt_str(v, "not_portable_reason"),
		    json_array_size(refused) > 1 ? " (and others: see GET "
						   "/v1/sip/port/check)"
						 : "");
		goto out;
	}
	if (pin_needed && !opt_str(b, "pin")) {
		http_reply_error(in->req, 400, "MISSING_FIELD",
				 "pin is required to port these numbers");
		goto out;
	}
	if (json_dumpb(json_object_get(b, "authorized_representative"), rep,
		       sizeof(rep) - 1, JSON_COMPACT) >= sizeof(rep) - 1 ||
	    json_dumpb(json_object_get(b, "service_address"), addr,
		       sizeof(addr) - 1, JSON_COMPACT) >= sizeof(addr) - 1) {
		http_reply_error(in->req, 400, "INVALID_FIELD",
				 "authorized_representative or "
				 "service_address is too large");
		goto out;
	}
	rep[json_dumpb(json_object_get(b, "authorized_representative"), rep,
		       sizeof(rep) - 1, JSON_COMPACT)] = '\0';
	addr[json_dumpb(json_object_get(b, "service_address"), addr,
			sizeof(addr) - 1, JSON_COMPACT)] = '\0';
	p[0] = api_principal(in->req)->org_id;
	p[1] = in->list;
	p[2] = rep;
	p[3] = addr;
	p[4] = opt_str(b, "target_port_date");
	p[5] = opt_str(b, "document_sid");
	p[6] = opt_str(b, "account_number");
	p[7] = opt_str(b, "pin");
	err = store_query(
	    in->api->store,
	    "WITH r AS (INSERT INTO port_requests (org_id, phone_numbers, "
	    "authorized_representative, service_address, target_port_date, "
	    "document_sid, account_number, pin) VALUES ($1::uuid, "
	    "$2::text[], $3::jsonb, $4::jsonb, $5::date, $6, $7, $8) "
	    "RETURNING *) SELECT port_json(r, false) FROM r",
	    8, p, on_created, in);
	if (!err) {
		json_decref(refused);
		json_decref(row);
		return;
	}
	api_reply_store_error(in->req, err);
out:
	json_decref(refused);
	json_decref(row);
	mem_deref(in);
}

/* POST /v1/sip/port/initiate */
void api_port_initiate_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	struct initiate *in;
	const char *p[3];
	int err;

	if (!api_sip_enabled(req))
		return;
	in = mem_zalloc(sizeof(*in), initiate_destructor);
	if (!in) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	in->req = mem_ref(req);
	in->api = api;
	in->numbers = json_array();
	in->body = api_body_json(req);
	if (!in->body || !initiate_valid(req, in->body, in->numbers)) {
		mem_deref(in);
		return;
	}
	in->list = pg_array(in->numbers);
	p[0] = in->list;
	p[1] = opt_str(in->body, "document_sid");
	p[2] = api_principal(req)->org_id;
	err = store_query(api->store,
			  "SELECT json_build_object('facts', (" FACTS_SQL
			  "), 'document', EXISTS (SELECT 1 FROM "
			  "port_documents WHERE sid = $2 AND org_id = "
			  "$3::uuid))",
			  3, p, on_initiate_facts, in);
	if (err) {
		api_reply_store_error(req, err);
		mem_deref(in);
	}
}

/* ---- the requests ---- */

/* GET /v1/sip/port[?status=] */
void api_port_list_h(struct http_req *req, void *arg)
{
	static const char *const statuses[] = {"waiting_for_signature",
					       "submitted",
					       "in_progress",
					       "completed",
					       "canceled",
					       "failed"};
	const char *status = http_req_query(req, "status");
	const char *p[2];
	bool known = !status;

	if (!api_sip_enabled(req))
		return;
	for (size_t i = 0; status && i < sizeof(statuses) / sizeof(*statuses);
	     i++)
		known |= !strcmp(status, statuses[i]);
	if (!known) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "status must be one of waiting_for_signature, "
				 "submitted, in_progress, completed, canceled, "
				 "failed");
		return;
	}
	p[0] = api_principal(req)->org_id;
	p[1] = status ? status : "";
	query(req, arg,
	      "SELECT json_build_object('port_requests', coalesce(json_agg("
	      "port_json(r, false) ORDER BY r.created_at DESC), '[]')) FROM "
	      "(SELECT * FROM port_requests WHERE org_id = $1::uuid AND ($2 = "
	      "'' OR status = $2) ORDER BY created_at DESC LIMIT 200) r",
	      2, p, api_on_json_result);
}

/* sql with $1 = :id, $2 = the caller's org, answered by h */
static void by_id(struct http_req *req, void *arg, const char *sql,
		  store_result_h *h)
{
	const char *p[2];

	if (!api_sip_enabled(req) || !(p[0] = port_id(req)))
		return;
	p[1] = api_principal(req)->org_id;
	query(req, arg, sql, 2, p, h);
}

/* GET /v1/sip/port/:id */
void api_port_get_h(struct http_req *req, void *arg)
{
	by_id(req, arg,
	      "SELECT port_json(r, true) FROM port_requests r WHERE r.id = "
	      "$1::uuid AND r.org_id = $2::uuid",
	      on_port);
}

/* DELETE /v1/sip/port/:id: cancel */
void api_port_cancel_h(struct http_req *req, void *arg)
{
	by_id(req, arg,
	      "SELECT port_transition($1::uuid, $2::uuid, 'canceled', 'api', "
	      "NULL)",
	      on_port);
}

/* POST /v1/sip/port/:id/sign {signer_name, signature} */
void api_port_sign_h(struct http_req *req, void *arg)
{
	json_t *b;
	const char *name, *sig, *p[5];
	char peer[64];

	if (!api_sip_enabled(req) || !(p[0] = port_id(req)))
		return;
	b = api_body_json(req);
	if (!b)
		return;
	name = opt_str(b, "signer_name");
	sig = opt_str(b, "signature");
	if (!name || !name[0] || strlen(name) > 200 || !sig || !sig[0] ||
	    strlen(sig) > 65536) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "signer_name (1-200 characters) and signature "
				 "(1-65536) are required");
		json_decref(b);
		return;
	}
	http_req_peer(req, peer, sizeof(peer));
	p[1] = api_principal(req)->org_id;
	p[2] = name;
	p[3] = sig;
	p[4] = peer;
	query(req, arg,
	      "SELECT port_sign($1::uuid, $2::uuid, $3, $4, nullif($5, ''))", 5,
	      p, on_port);
	json_decref(b);
}

/* ---- the Letter of Authorization ---- */

static void html_escaped(struct mbuf *mb, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			mbuf_write_str(mb, "&lt;");
			break;
		case '>':
			mbuf_write_str(mb, "&gt;");
			break;
		case '&':
			mbuf_write_str(mb, "&amp;");
			break;
		case '"':
			mbuf_write_str(mb, "&quot;");
			break;
		case '\'':
			mbuf_write_str(mb, "&#39;");
			break;
		default:
			mbuf_write_u8(mb, (uint8_t)*s);
			break;
		}
	}
}

/* "<tag>text</tag>" with text escaped */
static void html_el(struct mbuf *mb, const char *tag, const char *text)
{
	mbuf_printf(mb, "<%s>", tag);
	html_escaped(mb, text);
	mbuf_printf(mb, "</%s>\n", tag);
}

static void loa_render(struct mbuf *mb, const json_t *r)
{
	const json_t *rep = json_object_get(r, "authorized_representative");
	const json_t *addr = json_object_get(r, "service_address");
	const json_t *sig = json_object_get(r, "signature");
	const json_t *n;
	size_t i;
	char line[512];

	mbuf_write_str(mb,
		       "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		       "<title>Letter of Authorization</title><style>body{"
		       "font-family:serif;max-width:42em;margin:2em auto}"
		       "@media print{body{margin:0}}</style></head><body>\n"
		       "<h1>Letter of Authorization</h1>\n");
	snprintf(line, sizeof(line),
		 "Port request %s, target port date %s, status %s.",
		 opt_str(r, "id"), opt_str(r, "target_port_date"),
		 opt_str(r, "status"));
	html_el(mb, "p", line);
	snprintf(line, sizeof(line),
		 "I, %s (%s), authorize trunkd and its carrier partners to "
		 "port the telephone numbers below from the current service "
		 "provider, and confirm that I am authorized to act for the "
		 "account holder at the service address below.",
		 opt_str(rep, "name"), opt_str(rep, "email"));
	html_el(mb, "p", line);
	mbuf_write_str(mb, "<h2>Numbers</h2>\n<ul>\n");
	json_array_foreach(json_object_get(r, "phone_numbers"), i, n)
	    html_el(mb, "li", json_string_value(n));
	mbuf_write_str(mb, "</ul>\n<h2>Service address</h2>\n");
	snprintf(line, sizeof(line), "%s, %s, %s %s, %s",
		 opt_str(addr, "street"), opt_str(addr, "city"),
		 opt_str(addr, "state"), opt_str(addr, "postal_code"),
		 opt_str(addr, "country"));
	html_el(mb, "p", line);
	if (opt_str(r, "account_number")) {
		snprintf(line, sizeof(line),
			 "Account number with the current "
			 "provider: %s",
			 opt_str(r, "account_number"));
		html_el(mb, "p", line);
	}
	mbuf_write_str(mb, "<h2>Signature</h2>\n");
	if (json_is_object(sig))
		snprintf(line, sizeof(line), "Signed by %s at %s from %s.",
			 opt_str(sig, "signer_name"), opt_str(sig, "signed_at"),
			 opt_str(sig, "source_address")
			     ? opt_str(sig, "source_address")
			     : "an unknown address");
	else
		snprintf(line, sizeof(line),
			 "Not signed yet: POST /v1/sip/port/%s/sign.",
			 opt_str(r, "id"));
	html_el(mb, "p", line);
	mbuf_write_str(mb, "</body></html>\n");
}

static void on_loa(int err, const PGresult *res, void *arg)
{
	struct http_req *req = arg;
	json_t *r = err ? NULL : api_result_json(res);
	struct mbuf *mb = r ? mbuf_alloc(4096) : NULL;

	if (err)
		api_reply_store_error(req, err);
	else if (!r)
		http_reply_error(req, 404, "NOT_FOUND", "no such port request");
	else if (!mb)
		http_reply_error(req, 500, "INTERNAL", "out of memory");
	else {
		loa_render(mb, r);
		http_reply_raw(req, 200, "text/html; charset=utf-8", mb->buf,
			       mb->end, NULL);
	}
	mem_deref(mb);
	json_decref(r);
	mem_deref(req);
}

/* GET /v1/sip/port/:id/loa: a printable HTML letter */
void api_port_loa_h(struct http_req *req, void *arg)
{
	by_id(req, arg,
	      "SELECT port_json(r, false) FROM port_requests r WHERE r.id = "
	      "$1::uuid AND r.org_id = $2::uuid",
	      on_loa);
}

/* ---- carriers ---- */

static bool same_text(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

/*
 * POST /v1/sip/port/events {port_id, status, reason?}, signed by the
 * carrier: X-Carrier-Signature: sha256=<hex HMAC-SHA256 of the body with
 * --port-carrier-secret>.  A repeated event (the request already has that
 * status) is answered 200 and changes nothing.
 */
void api_port_events_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *secret = api->cfg->port_carrier_secret;
	const char *sig = http_req_header(req, "x-carrier-signature");
	char want[80] = "sha256=";
	const char *body, *p[3], *status;
	size_t len;
	json_t *b;

	if (!secret[0]) {
		http_reply_error(req, 503, "NOT_CONFIGURED",
				 "carrier events are off (no "
				 "--port-carrier-secret)");
		return;
	}
	body = http_req_body(req, &len);
	if (!sig || hmac_sha256_hex(secret, body, len, want + 7) ||
	    !same_text(sig, want)) {
		log_warn("http", http_req_id(req),
			 "carrier event with %s signature refused",
			 sig ? "a bad" : "no");
		http_reply_error(req, 401, "INVALID_SIGNATURE",
				 "X-Carrier-Signature must be sha256=<hex "
				 "HMAC-SHA256 of the body>");
		return;
	}
	b = api_body_json(req);
	if (!b)
		return;
	status = opt_str(b, "status");
	p[0] = opt_str(b, "port_id");
	p[1] = status;
	p[2] = opt_str(b, "reason");
	if (!is_uuid(p[0]) || !status ||
	    (strcmp(status, "in_progress") && strcmp(status, "completed") &&
	     strcmp(status, "failed")) ||
	    (!strcmp(status, "failed") && !p[2])) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "port_id (uuid) and status (in_progress, "
				 "completed, or failed with a reason) are "
				 "required");
		json_decref(b);
		return;
	}
	query(req, api,
	      "SELECT CASE WHEN q.status = $2 THEN port_json(q, true) ELSE "
	      "port_transition(q.id, NULL, $2, 'carrier', $3) END FROM "
	      "port_requests q WHERE q.id = $1::uuid",
	      3, p, on_port);
	json_decref(b);
}
