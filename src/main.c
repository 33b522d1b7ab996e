/**
 * @file main.c  trunkd: argument parsing, wiring, start and graceful stop
 *
 * Start: config → logging → migrations (blocking, before the loop) → SRTP
 * crypto → TLS → store pool → SIP transports → HTTP API → uv_run.
 * Stop (SIGTERM/SIGINT): SIP answers 503 to new calls, HTTP stops accepting
 * and finishes what is in flight, calls in progress go on.  When requests
 * and calls are done, or after --shutdown-timeout (remaining calls are hung
 * up), the call records still queued get up to FLUSH_TIMEOUT_MS to reach
 * PostgreSQL; then every object is freed, the loop runs out of handles and
 * uv_loop_close() must return 0.
 */
#include <stdio.h>
#include <string.h>
#include <libpq-fe.h>
#include <re_types.h>
#include <re_mem.h>
#include <uv.h>
#include "admin.h"
#include "core/config.h"
#include "core/log.h"
#include "http/api.h"
#include "loop/loop.h"
#include "loop/tls.h"
#include "media/sdes.h"
#include "media/srtp_fast.h"
#include "sip/sip_server.h"
#include "store/callrec.h"
#include "store/migrate.h"
#include "store/portnotify.h"
#include "store/sipmap.h"
#include "store/store.h"

#define STOP_TICK_MS	 50
#define FLUSH_TIMEOUT_MS 5000

enum stop_phase { RUNNING, DRAINING, FLUSHING, RELEASED };

struct app {
	struct config cfg;
	uv_loop_t loop;
	struct tls *tls;	  /* owned */
	struct store *store;	  /* owned */
	struct sipmap *map;	  /* owned */
	struct callrec *rec;	  /* owned */
	struct portnotify *ports; /* owned */
	struct sip_server *sip;	  /* owned */
	struct api *api;	  /* owned */
	uv_timer_t stop_timer;	  /* ticks through the graceful stop */
	uint64_t deadline;	  /* loop time ending the current phase */
	enum stop_phase phase;
	bool api_idle;
};

static void app_release(struct app *app)
{
	if (app->phase == RELEASED)
		return;
	app->phase = RELEASED;
	app->api = mem_deref(app->api);
	app->sip = mem_deref(app->sip);
	app->map = mem_deref(app->map);
	app->rec = mem_deref(app->rec);
	app->ports = mem_deref(app->ports);
	if (app->store)
		store_close(app->store);
	app->store = mem_deref(app->store);
	app->tls = mem_deref(app->tls);
	loop_signals_stop();
	loop_re_detach();
}

static void on_api_drained(void *arg)
{
	struct app *app = arg;

	app->api_idle = true;
}

static void on_stop_tick(uv_timer_t *t)
{
	struct app *app = t->data;
	uint64_t now = uv_now(&app->loop);
	unsigned calls = app->sip ? sip_server_calls(app->sip) : 0;

	if (app->phase == DRAINING && app->api_idle && !calls) {
		log_info("main", NULL, "requests and calls done");
	} else if (app->phase == DRAINING && now >= app->deadline) {
		log_warn("main", NULL, "shutdown timeout: hanging up %u calls",
			 calls);
	} else if (app->phase == DRAINING) {
		return;
	}
	if (app->phase == DRAINING) {
		app->api = mem_deref(app->api);
		app->sip = mem_deref(app->sip); /* hands records to rec */
		app->phase = FLUSHING;
		app->deadline = now + FLUSH_TIMEOUT_MS;
	}
	if (callrec_pending(app->rec) && now < app->deadline)
		return;
	log_info("main", NULL, "call records flushed (%u left); closing",
		 callrec_pending(app->rec));
	uv_timer_stop(&app->stop_timer);
	uv_close((uv_handle_t *)&app->stop_timer, NULL);
	app_release(app);
}

static void on_stop(int signum, void *arg)
{
	struct app *app = arg;

	(void)signum;
	if (app->phase != RUNNING)
		return;
	app->phase = DRAINING;
	sip_server_drain(app->sip);
	uv_timer_init(&app->loop, &app->stop_timer);
	app->stop_timer.data = app;
	app->deadline =
	    uv_now(&app->loop) + app->cfg.shutdown_timeout * 1000ULL;
	uv_timer_start(&app->stop_timer, on_stop_tick, STOP_TICK_MS,
		       STOP_TICK_MS);
	api_drain(app->api, on_api_drained, app);
}

/* Blocking on purpose: nothing else runs yet. */
static int migrate(const struct config *cfg)
{
	PGconn *pg = PQconnectdb(cfg->database_url);
	int err;

	if (PQstatus(pg) != CONNECTION_OK) {
		log_error("main", NULL, "cannot reach PostgreSQL: %s",
			  PQerrorMessage(pg));
		PQfinish(pg);
		return 1;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	err = migrate_run(pg, cfg->migrations_dir);
	PQfinish(pg);
	return err;
}

/*
 * libsrtp2 once per process, then (unless --srtp-crypto=libsrtp) our
 * OpenSSL primitives in place of its own.  If libsrtp2 refuses them (a
 * failed known-answer test), calls still work on its own primitives.
 */
static int srtp_setup(const struct config *cfg)
{
	int err = sdes_init();

	if (err) {
		log_error("main", NULL, "libsrtp2 did not initialise");
		return err;
	}
	if (!strcmp(cfg->srtp_crypto, "fast") && !srtp_fast_install())
		return 0;
	log_info("main", NULL, "SRTP crypto: libsrtp2's own (%s)",
		 !strcmp(cfg->srtp_crypto, "fast") ? "fast path refused"
						   : "--srtp-crypto=libsrtp");
	return 0;
}

static int app_start(struct app *app)
{
	const struct config *cfg = &app->cfg;
	struct tls_opts topts = {
	    .cert_file = cfg->tls_cert,
	    .key_file = cfg->tls_key,
	    .ca_file = cfg->tls_ca,
	    .verify_peer = true,
	};
	struct sip_server_opts sopts = {
	    .udp_listen = cfg->sip_udp_listen,
	    .tcp_listen = cfg->sip_tcp_listen,
	    .tls_listen = cfg->sip_tls_listen,
	    .rtp_port_min = cfg->rtp_port_min,
	    .rtp_port_max = cfg->rtp_port_max,
	    .register_expires = cfg->register_expires,
	    .alerts =
		{
		    .interval_ms = cfg->alert_interval_ms,
		    .attempts = cfg->alert_attempts,
		    .retry_ms = cfg->alert_retry_ms,
		    .smtp_url = cfg->smtp_url,
		    .smtp_from = cfg->smtp_from,
		    .sms_url = cfg->sms_url,
		},
	    .health =
		{
		    .interval_s = cfg->health_interval,
		    .timeout_ms = cfg->health_timeout_ms,
		    .fail_threshold = cfg->health_failures,
		    .ok_threshold = cfg->health_successes,
		    .alive_codes = cfg->health_alive_codes,
		},
	    .calls =
		{
		    .public_ip = cfg->public_ip,
		    .max_calls = cfg->max_calls,
		    .max_call_duration = cfg->max_call_duration,
		    .answer_delay_ms = cfg->answer_delay_ms,
		    .prompts_dir = cfg->prompts_dir,
		    .recordings_dir = cfg->recordings_dir,
		    .media_timeout = cfg->media_timeout,
		    .min_se = cfg->min_se,
		    .server_secret = cfg->server_secret,
		    .ring_timeout = cfg->ring_timeout,
		},
	};
	int err;

	err = srtp_setup(cfg);
	if (err)
		return err;
	if (cfg->sip_tls_listen[0]) {
		err = tls_ctx_alloc(&app->tls, &topts);
		if (err)
			return err;
	}
	sopts.tls = app->tls;
	err = store_alloc(&app->store, &app->loop, cfg->database_url,
			  cfg->db_pool_size, cfg->db_queue_max);
	if (err)
		return err;
	err = sipmap_alloc(&app->map, app->store);
	if (err)
		return err;
	err = callrec_alloc(&app->rec, app->store, cfg->call_record_queue);
	if (err)
		return err;
	err = portnotify_alloc(&app->ports, app->store, cfg->alert_attempts,
			       cfg->alert_retry_ms);
	if (err)
		return err;
	sopts.map = app->map;
	sopts.callrec = app->rec;
	sopts.store = app->store;
	sopts.dns_server = cfg->dns_server;
	sopts.options_db_grace = cfg->options_db_grace;
	err = sip_server_alloc(&app->sip, &sopts);
	if (err)
		return err;
	err = api_alloc(&app->api, &app->loop, cfg, app->store, app->map,
			app->sip);
	if (err)
		return err;
	return loop_signals_start(&app->loop, on_stop, app);
}

int main(int argc, char *argv[])
{
	static struct app app;
	enum log_level level;
	bool help;
	int err, rc;

	if (argc > 1 && !strcmp(argv[1], "admin")) {
		if (config_load(&app.cfg, 1, argv, &help))
			return 2;
		return admin_main(&app.cfg, argc - 1, argv + 1);
	}

	err = config_load(&app.cfg, argc, argv, &help);
	if (help) {
		config_usage(stdout, "trunkd");
		return 0;
	}
	if (err)
		return 2;
	if (log_level_parse(&level, app.cfg.log_level)) {
		fprintf(stderr, "trunkd: unknown log level '%s'\n",
			app.cfg.log_level);
		return 2;
	}
	log_level_set(level);
	if (!app.cfg.database_url[0]) {
		fprintf(stderr, "trunkd: DATABASE_URL (or --database-url) is "
				"required; scripts/run sets up a local one\n");
		return 2;
	}
	if (!app.cfg.server_secret[0])
		log_warn("main", NULL,
			 "no --server-secret: derived passwords "
			 "and stored credentials are not "
			 "protected");

	if (migrate(&app.cfg))
		return 1;

	uv_loop_init(&app.loop);
	err = loop_re_attach(&app.loop);
	if (!err)
		err = app_start(&app);
	if (err) {
		log_error("main", NULL, "start-up failed: %s", strerror(err));
		app_release(&app);
		uv_run(&app.loop, UV_RUN_DEFAULT);
		uv_loop_close(&app.loop);
		return 1;
	}
	log_info("main", NULL, "trunkd " TRUNKD_VERSION " running");
	uv_run(&app.loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&app.loop);
	if (rc)
		log_error("main", NULL, "handles left open at exit: %s",
			  uv_strerror(rc));
	log_info("main", NULL, "stopped");
	return rc ? 1 : 0;
}
