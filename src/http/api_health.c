/**
 * @file api_health.c  GET /v1/sip/status (health checks, failover state,
 *                     registrations) and POST /v1/sip/failback
 *
 * Both read the in-memory map and state: no query to PostgreSQL.
 */
#include <stdlib.h>
#include <string.h>
#include "core/endpoints.h"
#include "http/api_int.h"
#include "sip/failover.h"
#include "sip/health.h"
#include "sip/registrations.h"
#include "store/sipmap.h"

/* one direction of a number: its endpoints' health, where calls start */
static json_t *number_status(struct api *api, const char *number,
			     const json_t *row)
{
	json_t *shown = sipmap_render_row(api->map, row);
	const char *dir = json_string_value(json_object_get(row, "direction"));
	bool inbound = dir && !strcmp(dir, "inbound");
	struct sipdest eps[ENDPOINTS_MAX];
	json_t *o, *list = json_array(), *fo, *reg;
	const char *why, *failback;
	unsigned n = 0;

	if (!endpoints_probed(shown) || endpoints_of(shown, eps, &n, &why))
		n = 0;
	for (unsigned i = 0; i < n; i++) {
		json_t *e = health_json(api->health, &eps[i]);

		json_object_set_new(e, "role",
				    json_string(i ? "failover" : "primary"));
		json_array_append_new(list, e);
	}
	failback = json_string_value(json_object_get(
	    json_object_get(shown, "failover_config"), "failback"));
	o = json_pack("{s:s, s:s, s:O?, s:s, s:o}", "phone_number", number,
		      "direction", dir ? dir : "", "sip_endpoint",
		      json_object_get(shown, "sip_endpoint"), "state",
		      n ? health_state(api->health, &eps[0]) : "unchecked",
		      "endpoints", list);
	if (n > 1) {
		fo = failover_json(api->failover, number, inbound, shown,
				   &eps[0]);
		json_object_set_new(fo, "failback",
				    json_string(failback ? failback : "auto"));
		json_object_set_new(o, "failover", fo);
	}
	reg = inbound && api->regs ? registrations_state(api->regs, number)
				   : NULL;
	if (reg)
		json_object_set_new(o, "registration", reg);
	json_decref(shown);
	return o;
}

struct status_walk {
	struct api *api;
	const char *org;
	json_t *list;
};

static void on_row(const char *number, const json_t *row, void *arg)
{
	struct status_walk *w = arg;
	const char *owner = json_string_value(json_object_get(row, "org_id"));

	if (owner && !strcmp(owner, w->org))
		json_array_append_new(w->list,
				      number_status(w->api, number, row));
}

static int by_number(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "phone_number")),
		       json_string_value(json_object_get(y, "phone_number")));

	return c ? c
		 : strcmp(json_string_value(json_object_get(x, "direction")),
			  json_string_value(json_object_get(y, "direction")));
}

/* the list sorted by number, then direction */
static json_t *sorted(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(list, i);
	if (v)
		qsort(v, n, sizeof(*v), by_number);
	for (size_t i = 0; v && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(list);
	return out;
}

void api_sip_status_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	struct status_walk w = {api, api_principal(req)->org_id, json_array()};
	char number[SIPCONF_NUMBER_MAX + 1];

	if (!api_sip_enabled(req) || !api_map_ready(api, req)) {
		json_decref(w.list);
		return;
	}
	if (http_req_query(req, "phone_number")) {
		if (!api_query_number(req, number)) {
			json_decref(w.list);
			return;
		}
		for (int t = 0; t < 2; t++) {
			const json_t *row = api_org_row(api, w.org, number,
							(enum sipconf_dir)t);

			if (row)
				json_array_append_new(
				    w.list, number_status(api, number, row));
		}
		if (!json_array_size(w.list)) {
			json_decref(w.list);
			http_reply_error(req, 404, "NUMBER_NOT_FOUND",
					 "%s is not attached for SIP", number);
			return;
		}
	} else {
		sipmap_rows(api->map, SIPCONF_INBOUND, on_row, &w);
		sipmap_rows(api->map, SIPCONF_OUTBOUND, on_row, &w);
	}
	http_reply_data(req, 200,
			json_pack("{s:o}", "numbers", sorted(w.list)));
}

void api_sip_failback_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *org = api_principal(req)->org_id, *given, *dir;
	char number[SIPCONF_NUMBER_MAX + 1];
	enum sipconf_dir d;
	json_t *body;
	int err;

	if (!api_sip_enabled(req) || !api_map_ready(api, req) ||
	    !(body = api_body_json(req)))
		return;
	given = json_string_value(json_object_get(body, "phone_number"));
	dir = json_string_value(json_object_get(body, "direction"));
	if (!given || sipconf_number_normalize(given, true, number)) {
		http_reply_error(
		    req, 400, given ? "INVALID_PHONE_NUMBER" : "MISSING_FIELD",
		    "phone_number must be an attached number");
	} else if (dir && strcmp(dir, "outbound") && strcmp(dir, "inbound")) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "direction must be outbound or inbound");
	} else {
		d = dir && !strcmp(dir, "inbound") ? SIPCONF_INBOUND
						   : SIPCONF_OUTBOUND;
		if (!api_org_row(api, org, number, d)) {
			http_reply_error(req, 404, "NUMBER_NOT_FOUND",
					 "%s has no %s SIP configuration",
					 number, sipconf_dir_name(d));
		} else {
			err = failover_reset(api->failover, number,
					     d == SIPCONF_INBOUND);
			http_reply_data(
			    req, 200,
			    json_pack("{s:s, s:s, s:s, s:b}", "phone_number",
				      number, "direction", sipconf_dir_name(d),
				      "active", "primary", "was_failed_over",
				      !err));
		}
	}
	json_decref(body);
}
