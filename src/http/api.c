/**
 * @file api.c  The route table and the small routes: health, whoami, metrics
 */
#include <errno.h>
#include <string.h>
#include "http/api_int.h"
#include "sip/calls.h"
#include "sip/sip_server.h"
#include <re_fmt.h>
#include <re_mbuf.h>
#include "core/config.h"
#include "core/log.h"
#include "loop/loop.h"
#include "store/sipmap.h"
#include "store/store.h"

void api_reply_store_error(struct http_req *req, int err)
{
	switch (err) {
	case ENOTCONN:
		http_reply_error(req, 503, "DATABASE_UNAVAILABLE",
				 "the database is unreachable; retry shortly");
		break;
	case EBUSY:
		http_reply_error(req, 503, "OVERLOADED",
				 "too many requests are waiting for the "
				 "database; retry shortly");
		break;
	case ECANCELED:
		http_reply_error(req, 503, "SHUTTING_DOWN",
				 "the server is stopping");
		break;
	default:
		http_reply_error(req, 500, "INTERNAL",
				 "database error (request %s)",
				 http_req_id(req));
		break;
	}
}

json_t *api_body_json(struct http_req *req)
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

/* the store callbacks below hold the request itself (a mem object) */
static void on_health(int err, const PGresult *res, void *arg)
{
	struct http_req *req = arg;

	(void)res;
	if (err)
		http_reply_error(req, 503, "DATABASE_UNAVAILABLE",
				 "the database is unreachable");
	else
		http_reply_data(req, 200,
				json_pack("{s:s, s:s, s:s}", "status", "ok",
					  "database", "up", "version",
					  TRUNKD_VERSION));
	mem_deref(req);
}

/*
 * GET /healthz: a real round trip to PostgreSQL, not a cached flag; 503
 * until the SIP configuration map is loaded (calls cannot be routed yet)
 */
static void healthz_h(struct http_req *req, void *arg)
{
	struct api *api = arg;

	if (!sipmap_ready(api->map)) {
		http_reply_error(req, 503, "STARTING",
				 "loading the SIP configuration");
		return;
	}
	if (store_query(api->store, "SELECT 1", 0, NULL, on_health,
			mem_ref(req))) {
		http_reply_error(req, 503, "DATABASE_UNAVAILABLE",
				 "the database is unreachable");
		mem_deref(req); /* the ref store_query did not take */
	}
}

/* GET /v1/org: who the key belongs to */
static void org_h(struct http_req *req, void *arg)
{
	const struct principal *p = api_principal(req);

	(void)arg;
	http_reply_data(req, 200,
			json_pack("{s:s, s:s, s:{s:b}}", "id", p->org_id,
				  "name", p->org_name, "entitlements", "sip",
				  p->sip));
}

static void metrics_h(struct http_req *req, void *arg)
{
	struct api *api = arg;
	struct store_stats st;
	struct sipmap_stats ms;
	struct mbuf *mb = mbuf_alloc(4096);

	if (!mb) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	store_stats(api->store, &st);
	sipmap_stats(api->map, &ms);
	http_server_metrics(api->http, mb);
	mbuf_printf(mb,
		    "trunkd_db_connections_up %u\n"
		    "trunkd_db_connections_busy %u\n"
		    "trunkd_db_queue_length %u\n"
		    "trunkd_db_prepared_statements %u\n"
		    "trunkd_db_queries_total %llu\n"
		    "trunkd_db_errors_total %llu\n"
		    "trunkd_sip_fds_watched %u\n"
		    "trunkd_sip_numbers %zu\n"
		    "trunkd_sip_trunks %zu\n"
		    "trunkd_sipmap_reloads_total %llu\n"
		    "trunkd_sipmap_loads_total %llu\n",
		    st.conns_up, st.conns_busy, st.queued, st.prepared,
		    st.queries, st.errors, loop_re_fd_count(), ms.numbers,
		    ms.trunks, ms.reloads, ms.loads);
	if (api->calls) {
		struct calls_stats cs;

		calls_stats(api->calls, &cs);
		mbuf_printf(
		    mb,
		    "trunkd_calls_active %u\n"
		    "trunkd_calls_started_total{direction=\"inbound\"} "
		    "%llu\n"
		    "trunkd_calls_started_total{direction=\"outbound\"} "
		    "%llu\n"
		    "trunkd_calls_ended_total{answered=\"yes\"} %llu\n"
		    "trunkd_calls_ended_total{answered=\"no\"} %llu\n"
		    "trunkd_call_records_queued %u\n"
		    "trunkd_call_records_written_total %llu\n"
		    "trunkd_call_records_dropped_total %llu\n",
		    cs.active, cs.inbound_total, cs.outbound_total,
		    cs.answered_total, cs.unanswered_total, cs.record_queue,
		    cs.records_written, cs.records_dropped);
	}
	http_reply_raw(req, 200, "text/plain; version=0.0.4", mb->buf, mb->end,
		       NULL);
	mem_deref(mb);
}

/* /metrics on the API listener, unless an admin listener serves it */
static void api_metrics_h(struct http_req *req, void *arg)
{
	struct api *api = arg;

	if (api->admin)
		http_reply_error(req, 404, "NOT_FOUND",
				 "metrics are served on the admin listener");
	else
		metrics_h(req, arg);
}

static const struct http_route admin_routes[] = {
    {"GET", "/healthz", healthz_h, 0, NULL},
    {"GET", "/metrics", metrics_h, 0, NULL},
};

static const struct http_route routes[] = {
    {"GET", "/healthz", healthz_h, 0, NULL},
    {"GET", "/metrics", api_metrics_h, 0, NULL},
    {"GET", "/v1/org", org_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip", api_sip_get_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/numbers", api_sip_numbers_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/attach", api_sip_attach_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/detach", api_sip_detach_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/update", api_sip_update_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/parse-destination", api_sip_parse_destination_h,
     ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/firewall-ips", api_sip_firewall_ips_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/outbound-setup", api_sip_outbound_setup_h, ROUTE_AUTH,
     NULL},
    {"PATCH", "/v1/sip/config", api_sip_config_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/trunks", api_trunk_create_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/trunks", api_trunk_list_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/trunks/:id", api_trunk_get_h, ROUTE_AUTH, NULL},
    {"PATCH", "/v1/sip/trunks/:id", api_trunk_update_h, ROUTE_AUTH, NULL},
    {"DELETE", "/v1/sip/trunks/:id", api_trunk_delete_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/calls", api_sip_calls_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/calls/:id", api_sip_call_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/calls/:id/trace", api_sip_call_trace_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/calls/:id/trace.pcap", api_sip_call_pcap_h, ROUTE_AUTH,
     NULL},
    {"GET", "/v1/sip/status", api_sip_status_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/alerts", api_sip_alerts_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/alerts/webhook-secret", api_sip_alerts_secret_h,
     ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/discover", api_sip_discover_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/discover/status", api_sip_discover_status_h, ROUTE_AUTH,
     NULL},
    {"POST", "/v1/sip/failback", api_sip_failback_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/test-call", api_test_call_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/test-call/status", api_test_call_status_h, ROUTE_AUTH,
     NULL},
    {"GET", "/v1/sip/port/check", api_port_check_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/port/document", api_port_document_h, ROUTE_AUTH,
     &api_port_document_stream},
    {"POST", "/v1/sip/port/initiate", api_port_initiate_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/port/events", api_port_events_h, 0, NULL},
    {"GET", "/v1/sip/port", api_port_list_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/port/:id", api_port_get_h, ROUTE_AUTH, NULL},
    {"DELETE", "/v1/sip/port/:id", api_port_cancel_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/sip/port/:id/loa", api_port_loa_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/sip/port/:id/sign", api_port_sign_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/calls", api_call_create_h, ROUTE_AUTH, NULL},
    {"GET", "/v1/calls/:id", api_call_get_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/calls/:id/hangup", api_call_hangup_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/calls/:id/dtmf", api_call_dtmf_h, ROUTE_AUTH, NULL},
    {"POST", "/v1/calls/:id/transfer", api_call_transfer_h, ROUTE_AUTH, NULL},
};

static void api_destructor(void *arg)
{
	struct api *api = arg;

	api->http = mem_deref(api->http);
	api->admin = mem_deref(api->admin);
	hash_flush(api->keys);
	api->keys = mem_deref(api->keys);
	api->store = mem_deref(api->store);
	api->map = mem_deref(api->map);
}

int api_alloc(struct api **apip, uv_loop_t *loop, const struct config *cfg,
	      struct store *store, struct sipmap *map, struct sip_server *sip)
{
	struct http_limits lim = {
	    .max_header = cfg->http_max_header,
	    .max_body = cfg->http_max_body,
	    .idle_timeout_s = cfg->http_idle_timeout,
	    .max_conns = cfg->http_max_conns,
	};
	struct api *api;
	int err;

	api = mem_zalloc(sizeof(*api), api_destructor);
	if (!api)
		return ENOMEM;
	api->loop = loop;
	api->cfg = cfg;
	api->store = mem_ref(store);
	api->map = mem_ref(map);
	if (sip) {
		api->calls = sip_server_callset(sip);
		api->regs = sip_server_registrations(sip);
		api->health = sip_server_health(sip);
		api->failover = sip_server_failover(sip);
		api->discover = sip_server_discover(sip);
	}
	err = api_auth_init(api);
	if (err)
		goto out;
	err =
	    http_server_alloc(&api->http, loop, cfg->http_listen, &lim, routes,
			      sizeof(routes) / sizeof(routes[0]), api);
	if (err)
		goto out;
	http_server_set_auth(api->http, api_auth_h);
	if (cfg->metrics_listen[0])
		err = http_server_alloc(
		    &api->admin, loop, cfg->metrics_listen, &lim, admin_routes,
		    sizeof(admin_routes) / sizeof(admin_routes[0]), api);

out:
	if (err)
		mem_deref(api);
	else
		*apip = api;
	return err;
}

struct drain {
	unsigned pending;
	void (*doneh)(void *arg);
	void *arg;
};

static void on_listener_drained(void *arg)
{
	struct drain *d = arg;

	if (--d->pending)
		return;
	d->doneh(d->arg);
	mem_deref(d);
}

void api_drain(struct api *api, void (*doneh)(void *arg), void *arg)
{
	struct drain *d = mem_zalloc(sizeof(*d), NULL);

	if (!d) {
		doneh(arg);
		return;
	}
	d->doneh = doneh;
	d->arg = arg;
	/* one count per listener plus one held here: a listener may drain
	 * at once, and doneh may free api, so it runs only after the last
	 * use of api below */
	d->pending = api->admin ? 3 : 2;
	http_server_drain(api->http, on_listener_drained, d);
	if (api->admin)
		http_server_drain(api->admin, on_listener_drained, d);
	on_listener_drained(d);
}
