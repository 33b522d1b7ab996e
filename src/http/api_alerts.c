/**
 * @file api_alerts.c  GET /v1/sip/alerts (the org's alerts with their
 *                     deliveries) and GET /v1/sip/alerts/webhook-secret
 *                     (the key webhooks are signed with)
 */
#include <errno.h>
#include <string.h>
#include "http/api_int.h"
#include "store/store.h"

static void query(struct http_req *req, struct api *api, const char *sql, int n,
		  const char *const *params)
{
	if (store_query(api->store, sql, n, params, api_on_json_result,
			mem_ref(req))) {
		api_reply_store_error(req, ENOTCONN);
		mem_deref(req);
	}
}

void api_sip_alerts_h(struct http_req *req, void *arg)
{
	const char *status = http_req_query(req, "status");
	const char *number = http_req_query(req, "phone_number");
	char n[SIPCONF_NUMBER_MAX + 1] = "";
	const char *params[3];

	if (!api_sip_enabled(req))
		return;
	if (status && strcmp(status, "open") && strcmp(status, "resolved")) {
		http_reply_error(req, 400, "INVALID_FIELD",
				 "status must be open or resolved");
		return;
	}
	if (number && !api_query_number(req, n))
		return;
	params[0] = api_principal(req)->org_id;
	params[1] = n;
	params[2] = status ? status : "";
	query(req, arg,
	      "SELECT json_build_object('alerts', coalesce(json_agg("
	      "json_build_object('id', a.id, 'phone_number', a.phone_number, "
	      "'direction', a.direction, 'kind', a.kind, 'status', CASE WHEN "
	      "a.resolved_at IS NULL THEN 'open' ELSE 'resolved' END, "
	      "'opened_at', sip_ts(a.opened_at), 'resolved_at', "
	      "sip_ts(a.resolved_at), 'details', a.details, 'deliveries', "
	      "a.deliveries) ORDER BY a.opened_at DESC), '[]')) FROM (SELECT "
	      "* FROM alerts WHERE org_id = $1::uuid AND ($2 = '' OR "
	      "phone_number = $2) AND ($3 = '' OR ($3 = 'open') = (resolved_at "
	      "IS NULL)) ORDER BY opened_at DESC LIMIT 100) a",
	      3, params);
}

void api_sip_alerts_secret_h(struct http_req *req, void *arg)
{
	const char *params[1] = {api_principal(req)->org_id};

	if (!api_sip_enabled(req))
		return;
	query(req, arg,
	      "SELECT json_build_object('webhook_secret', webhook_secret, "
	      "'signature_header', 'X-Trunkd-Signature', 'algorithm', "
	      "'HMAC-SHA256 of the body, hex, prefixed sha256=') FROM orgs "
	      "WHERE id = $1::uuid",
	      1, params);
}
