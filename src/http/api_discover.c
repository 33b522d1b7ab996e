/**
 * @file api_discover.c  POST /v1/sip/discover and GET
 *                       /v1/sip/discover/status: auto-discovery jobs
 *                       (sip/discover.h) for the caller's organisation
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "http/api_int.h"
#include "sip/discover.h"
#include "store/sipmap.h"

/* the sip_endpoint of a number of the org (outbound first, a trunk's
 * when it is bound to one) copied into out; false if it has none */
static bool endpoint_of(struct api *api, const char *org, const char *number,
			char *out, size_t size)
{
	for (int t = SIPCONF_OUTBOUND; t >= SIPCONF_INBOUND; t--) {
		const json_t *row =
		    api_org_row(api, org, number, (enum sipconf_dir)t);
		json_t *shown = row ? sipmap_render_row(api->map, row) : NULL;
		const char *e =
		    json_string_value(json_object_get(shown, "sip_endpoint"));

		if (e)
			snprintf(out, size, "%s", e);
		json_decref(shown);
		if (e)
			return true;
	}
	return false;
}

void api_sip_discover_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *org = api_principal(req)->org_id, *target, *number, *why;
	char n[SIPCONF_NUMBER_MAX + 1], id[37], endpoint[600];
	json_t *body;
	int err;

	if (!api_sip_enabled(req) || !api_map_ready(api, req) ||
	    !(body = api_body_json(req)))
		return;
	target = json_string_value(json_object_get(body, "sip_endpoint"));
	number = json_string_value(json_object_get(body, "phone_number"));
	if (!target && number) {
		target =
		    !sipconf_number_normalize(number, true, n) &&
			    endpoint_of(api, org, n, endpoint, sizeof(endpoint))
			? endpoint
			: NULL;
		if (!target) {
			http_reply_error(req, 404, "NUMBER_NOT_FOUND",
					 "phone_number has no sip_endpoint "
					 "configured");
			json_decref(body);
			return;
		}
	}
	if (!target) {
		http_reply_error(req, 400, "MISSING_FIELD",
				 "sip_endpoint (or phone_number) is required");
		json_decref(body);
		return;
	}
	err = discover_start(api->discover, org, target, id, &why);
	if (err == EBUSY)
		http_reply_error(req, 409, "DISCOVERY_RUNNING",
				 "discovery %s is still running for this "
				 "organization",
				 id);
	else if (err == EINVAL)
		http_reply_error(req, 400, "INVALID_FIELD", "sip_endpoint: %s",
				 why);
	else if (err)
		http_reply_error(req, 500, "INTERNAL", "discovery failed");
	else
		http_reply_data(req, 202,
				json_pack("{s:s, s:s}", "discovery_id", id,
					  "status", "running"));
	json_decref(body);
}

void api_sip_discover_status_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	const char *id = http_req_query(req, "id");
	json_t *job;

	if (!api_sip_enabled(req))
		return;
	if (!id || !id[0]) {
		http_reply_error(req, 400, "MISSING_FIELD", "id is required");
		return;
	}
	job = discover_json(api->discover, api_principal(req)->org_id, id);
	if (!job)
		http_reply_error(req, 404, "NOT_FOUND",
				 "no discovery %s for this organization", id);
	else
		http_reply_data(req, 200, job);
}
