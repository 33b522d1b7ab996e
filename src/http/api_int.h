/**
 * @file api_int.h  What the api_*.c handlers share
 */
#ifndef TRUNKD_HTTP_API_INT_H
#define TRUNKD_HTTP_API_INT_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include "core/sipconf.h"
#include "http/api.h"
#include "http/http.h"

struct principal {
	char org_id[40];
	char org_name[201];
	bool sip;
};

struct api {
	uv_loop_t *loop;	    /* borrowed */
	const struct config *cfg;   /* borrowed */
	struct store *store;	    /* ref */
	struct sipmap *map;	    /* ref */
	struct calls *calls;	    /* borrowed: outlives the api, or NULL */
	struct registrations *regs; /* borrowed, likewise */
	struct health *health;	    /* borrowed, likewise */
	struct failover *failover;  /* borrowed, likewise */
	struct discover *discover;  /* borrowed, likewise */
	struct http_server *http;   /* owned */
	struct http_server *admin;  /* owned: --metrics-listen, or NULL */
	struct hash *keys;	    /* owned: key hash -> struct keyent */
	unsigned nkeys;
};

/* the authenticated caller (set by api_auth before ROUTE_AUTH handlers) */
static inline const struct principal *api_principal(struct http_req *req)
{
	return http_req_principal(req);
}

void api_auth_h(struct http_req *req, void *arg);
void api_auth_flush(struct api *api);
int api_auth_init(struct api *api);

/* 403 SIP_NOT_ENABLED unless the caller's org has SIP; true if allowed */
bool api_sip_enabled(struct http_req *req);

/* 503 STARTING until the SIP configuration map is loaded; true if ready */
bool api_map_ready(struct api *api, struct http_req *req);
/* The row of one direction as org may see it: another org's is NULL */
const json_t *api_org_row(struct api *api, const char *org, const char *number,
			  enum sipconf_dir dir);
/* ?phone_number= (E.164, or as given for trunk DIDs) normalized into out;
 * false after replying 400 */
bool api_query_number(struct http_req *req, char out[SIPCONF_NUMBER_MAX + 1]);
/* /v1/sip handlers (api_sip.c) */
void api_sip_get_h(struct http_req *req, void *arg);
void api_sip_numbers_h(struct http_req *req, void *arg);
void api_sip_attach_h(struct http_req *req, void *arg);
void api_sip_detach_h(struct http_req *req, void *arg);
void api_sip_update_h(struct http_req *req, void *arg);
void api_sip_config_h(struct http_req *req, void *arg);
/* /v1/sip/trunks (api_trunks.c) */
void api_trunk_create_h(struct http_req *req, void *arg);
void api_trunk_list_h(struct http_req *req, void *arg);
void api_trunk_get_h(struct http_req *req, void *arg);
void api_trunk_update_h(struct http_req *req, void *arg);
void api_trunk_delete_h(struct http_req *req, void *arg);
/* The caller's trunk id (its stored row), or NULL */
const json_t *api_trunk_of(struct api *api, struct http_req *req,
			   const char *id);
/* call records and traces (api_calls.c) */
void api_sip_calls_h(struct http_req *req, void *arg);
void api_sip_call_h(struct http_req *req, void *arg);
void api_sip_call_trace_h(struct http_req *req, void *arg);
void api_sip_call_pcap_h(struct http_req *req, void *arg);
/* outbound calls (api_dial.c) */
void api_call_create_h(struct http_req *req, void *arg);
/* The HTTP status for a calls_dial() error (404, 403, 503, 400, 500) */
int api_dial_status(int err);
void api_call_get_h(struct http_req *req, void *arg);
void api_call_hangup_h(struct http_req *req, void *arg);
void api_call_dtmf_h(struct http_req *req, void *arg);
void api_call_transfer_h(struct http_req *req, void *arg);
/* One trace message as the ladder shows it: seq, time, direction,
 * transport, src, dst, first_line, headers, body (api_calls.c) */
json_t *api_ladder_message(const json_t *m, size_t seq);
/* The record of call id (org of req) answered by api_test_call_reply(),
 * or 404 (api_calls.c) */
void api_call_record_test(struct http_req *req, struct api *api,
			  const char *id);
/* test calls (api_testcall.c) */
void api_test_call_reply(struct http_req *req, const json_t *call);
void api_test_call_h(struct http_req *req, void *arg);
void api_test_call_status_h(struct http_req *req, void *arg);
/* configuration-only answers (api_info.c) */
void api_sip_parse_destination_h(struct http_req *req, void *arg);
void api_sip_firewall_ips_h(struct http_req *req, void *arg);
void api_sip_outbound_setup_h(struct http_req *req, void *arg);
/* health and failover (api_health.c) */
void api_sip_status_h(struct http_req *req, void *arg);
void api_sip_failback_h(struct http_req *req, void *arg);
/* alerts (api_alerts.c) */
void api_sip_alerts_h(struct http_req *req, void *arg);
void api_sip_alerts_secret_h(struct http_req *req, void *arg);
/* discovery (api_discover.c) */
void api_sip_discover_h(struct http_req *req, void *arg);
void api_sip_discover_status_h(struct http_req *req, void *arg);
/* number porting (api_port.c, api_port_doc.c) */
void api_port_check_h(struct http_req *req, void *arg);
void api_port_initiate_h(struct http_req *req, void *arg);
void api_port_list_h(struct http_req *req, void *arg);
void api_port_get_h(struct http_req *req, void *arg);
void api_port_cancel_h(struct http_req *req, void *arg);
void api_port_sign_h(struct http_req *req, void *arg);
void api_port_loa_h(struct http_req *req, void *arg);
void api_port_events_h(struct http_req *req, void *arg);
void api_port_document_h(struct http_req *req, void *arg);
extern const struct http_stream api_port_document_stream;

/* ?limit= (1-200, default 50) as text; false after replying 400 */
bool api_query_limit(struct http_req *req, char limit[8]);
/* The body as JSON, or NULL after replying 400 INVALID_JSON */
json_t *api_body_json(struct http_req *req);
/* The JSON cell of a one-row result (a new reference), or NULL */
json_t *api_result_json(const PGresult *res);

/* store_query() handler: 200 with the one JSON cell (or the error);
 * arg: a ref on the request, dropped */
void api_on_json_result(int err, const PGresult *res, void *arg);
/* 503 for a store_query() that could not start */
void api_reply_store_error(struct http_req *req, int err);

#endif
