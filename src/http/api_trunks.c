/**
 * @file api_trunks.c  /v1/sip/trunks: reusable outbound endpoints
 *
 * A trunk holds an endpoint, options and credentials; numbers attached with
 * its trunk_id inherit them (sipmap_render_row shows the effective values).
 * Reads come from the in-memory map; each write RETURNs the row, which is
 * applied to the map before the reply.  A trunk numbers are bound to cannot
 * be deleted (409 TRUNK_IN_USE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "http/api_int.h"
#include "core/config.h"
#include "core/secret.h"
#include "core/sipconf.h"
#include "store/sipmap.h"
#include "store/store.h"

const json_t *api_trunk_of(struct api *api, struct http_req *req,
			   const char *id)
{
	const json_t *t = sipmap_trunk(api->map, id);
	const char *org = json_string_value(json_object_get(t, "org_id"));

	return org && !strcmp(org, api_principal(req)->org_id) ? t : NULL;
}

struct trunk_write {
	struct api *api;      /* borrowed */
	struct http_req *req; /* ref */
	unsigned status;      /* on success */
};

static void tw_destructor(void *arg)
{
	mem_deref(((struct trunk_write *)arg)->req);
}

static void on_trunk_written(int err, const PGresult *res, void *arg)
{
	struct trunk_write *w = arg;
	json_t *row = err ? NULL : api_result_json(res);

	if (err == EPROTO && !strcmp(store_sqlstate(res), "23503"))
		http_reply_error(w->req, 409, "TRUNK_IN_USE",
				 "numbers are bound to this trunk; detach "
				 "them or bind them elsewhere first");
	else if (err)
		api_reply_store_error(w->req, err);
	else if (!row)
		http_reply_error(w->req, 404, "NOT_FOUND", "no such trunk");
	else if (w->status == 204) {
		sipmap_forget_trunk(
		    w->api->map, json_string_value(json_object_get(row, "id")));
		json_object_set_new(row, "deleted", json_true());
		http_reply_data(w->req, 200, json_incref(row));
	} else {
		sipmap_apply_trunk(w->api->map, row);
		http_reply_data(w->req, w->status, sipmap_render_trunk(row));
	}
	json_decref(row);
	mem_deref(w);
}

static void trunk_write(struct api *api, struct http_req *req, unsigned status,
			const char *sql, int n, const char *const *params)
{
	struct trunk_write *w = mem_zalloc(sizeof(*w), tw_destructor);
	int err;

	if (!w) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	w->api = api;
	w->req = mem_ref(req);
	w->status = status;
	err = store_query(api->store, sql, n, params, on_trunk_written, w);
	if (err) {
		api_reply_store_error(req, err);
		mem_deref(w);
	}
}

/*
 * Validate a trunk body (the handler owns body; t's strings point into it);
 * sets the options text and the sealed credentials for the SQL
 */
static bool trunk_body(struct api *api, struct http_req *req,
		       const json_t *body, bool creating,
		       struct sipconf_trunk *t, char **opts, char **sealed)
{
	struct jsonv v = {0};
	json_t *secrets;
	char *plain;
	int err = 0;

	if (!sipconf_trunk_parse(t, body, creating, &v)) {
		http_reply_error(req, 400, v.code, "%s", v.message);
		return false;
	}
	if (t->d.sip_password) {
		secrets = json_pack("{s:s}", "sip_password", t->d.sip_password);
		plain = json_dumps(secrets, JSON_COMPACT);
		json_decref(secrets);
		err = plain
			  ? secret_seal(api->cfg->server_secret, plain, sealed)
			  : ENOMEM;
		free(plain);
	}
	*opts = json_dumps(t->d.options, JSON_COMPACT);
	if (err || !*opts) {
		http_reply_error(req, 500, "INTERNAL", "could not store it");
		return false;
	}
	return true;
}

/* POST /v1/sip/trunks {name, sip_endpoint, options} → 201 the trunk */
void api_trunk_create_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	struct sipconf_trunk t = {0};
	char *opts = NULL, *sealed = NULL;
	json_t *body;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	if (trunk_body(api, req, body, true, &t, &opts, &sealed))
		trunk_write(api, req, 201,
			    "INSERT INTO sip_trunks (org_id, name, "
			    "sip_endpoint, options, secret) VALUES ($1::uuid,"
			    " $2, $3, $4::jsonb, $5) RETURNING "
			    "sip_trunk_json(sip_trunks)",
			    5,
			    (const char *const[]){api_principal(req)->org_id,
						  t.name, t.d.sip_endpoint,
						  opts, sealed});
	free(opts);
	mem_deref(sealed);
	sipconf_direction_reset(&t.d);
	json_decref(body);
}

/*
 * PATCH /v1/sip/trunks/:id: fields given replace the stored ones, options
 * merge key by key, a new sip_password replaces the old one
 */
void api_trunk_update_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	struct sipconf_trunk t = {0};
	char *opts = NULL, *sealed = NULL;
	json_t *body;

	if (!api_sip_enabled(req) || !(body = api_body_json(req)))
		return;
	if (trunk_body(api, req, body, false, &t, &opts, &sealed))
		trunk_write(
		    api, req, 200,
		    "UPDATE sip_trunks SET name = coalesce($3, name), "
		    "sip_endpoint = coalesce($4, sip_endpoint), options = "
		    "options || $5::jsonb, secret = coalesce($6, secret), "
		    "rev = nextval('sip_rev'), updated_at = now() WHERE "
		    "org_id = $1::uuid AND id = $2 RETURNING "
		    "sip_trunk_json(sip_trunks)",
		    6,
		    (const char *const[]){api_principal(req)->org_id,
					  http_req_param(req, "id"), t.name,
					  t.d.sip_endpoint, opts, sealed});
	free(opts);
	mem_deref(sealed);
	sipconf_direction_reset(&t.d);
	json_decref(body);
}

void api_trunk_delete_h(struct http_req *req, void *arg)
{
	if (!api_sip_enabled(req))
		return;
	trunk_write(arg, req, 204,
		    "DELETE FROM sip_trunks WHERE org_id = $1::uuid AND id = "
		    "$2 RETURNING json_build_object('id', id)",
		    2,
		    (const char *const[]){api_principal(req)->org_id,
					  http_req_param(req, "id")});
}

void api_trunk_get_h(struct http_req *req, void *arg)
{
	const json_t *t;

	if (!api_sip_enabled(req))
		return;
	t = api_trunk_of(arg, req, http_req_param(req, "id"));
	if (t)
		http_reply_data(req, 200, sipmap_render_trunk(t));
	else
		http_reply_error(req, 404, "NOT_FOUND", "no such trunk");
}

static void list_one(const json_t *trunk, void *arg)
{
	json_array_append_new(arg, sipmap_render_trunk(trunk));
}

static int by_created(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "created_at")),
		       json_string_value(json_object_get(y, "created_at")));

	return c ? c
		 : strcmp(json_string_value(json_object_get(x, "id")),
			  json_string_value(json_object_get(y, "id")));
}

/* GET /v1/sip/trunks: the org's trunks, oldest first */
void api_trunk_list_h(struct http_req *req, void *arg)
{
	json_t *all = json_array(), *sorted = json_array();
	json_t **v;
	size_t n;

	if (!api_sip_enabled(req)) {
		json_decref(all);
		json_decref(sorted);
		return;
	}
	sipmap_trunks_of(((struct api *)arg)->map, api_principal(req)->org_id,
			 list_one, all);
	n = json_array_size(all);
	v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(all, i);
	if (v)
		qsort(v, n, sizeof(*v), by_created);
	for (size_t i = 0; v && i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(all);
	http_reply_data(req, 200, json_pack("{s:o}", "trunks", sorted));
}
