/** @file portnotify.c  The port-event outbox, delivered (see portnotify.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "core/hmac.h"
#include "core/log.h"
#include "core/walltime.h"
#include "loop/curl_loop.h"
#include "store/portnotify.h"
#include "store/store.h"

#define CHANNEL		"trunkd_port_changed"
#define BATCH		20
#define TICK_MS		1000
#define POST_TIMEOUT_MS 10000

struct portnotify {
	struct store *store;  /* ref */
	struct curl_loop *hc; /* owned */
	struct tmr tmr;
	struct list sends; /* struct send, being POSTed */
	unsigned attempts, retry_ms;
	bool claiming, again;
};

/* one event on its way: in pn->sends while POSTed, then saved */
struct send {
	struct le le;
	struct portnotify *pn; /* borrowed: only while in pn->sends */
	char id[24];
	char url[512];
	char *body;	  /* malloc */
	json_t *delivery; /* owned: the row's delivery record */
};

static void send_destructor(void *arg)
{
	struct send *s = arg;

	list_unlink(&s->le);
	free(s->body);
	json_decref(s->delivery);
}

static void claim(struct portnotify *pn);

static void on_saved(int err, const PGresult *res, void *arg)
{
	struct send *s = arg;

	(void)res;
	if (err)
		log_warn("port", s->id, "event delivery not saved: %s",
			 strerror(err));
	mem_deref(s);
}

/* write the delivery record back (the claim goes with it) */
static void save(struct send *s)
{
	char *text;
	const char *p[2];

	json_object_del(s->delivery, "claimed_until");
	text = json_dumps(s->delivery, JSON_COMPACT);
	p[0] = s->id;
	p[1] = text;
	if (!text || store_query(s->pn->store,
				 "UPDATE port_events SET delivery = $2::jsonb "
				 "WHERE id = $1::bigint",
				 2, p, on_saved, s))
		mem_deref(s);
	free(text);
}

static void on_posted(int err, long status, const char *error, void *arg)
{
	struct send *s = arg;
	json_t *att = json_object_get(s->delivery, "attempts");
	bool ok = !err && status >= 200 && status < 300;
	char at[WALLTIME_ISO_LEN];
	size_t n;

	list_unlink(&s->le);
	if (!json_is_array(att)) {
		att = json_array();
		json_object_set_new(s->delivery, "attempts", att);
	}
	walltime_iso(at, walltime_us(), 3);
	json_array_append_new(att,
			      json_pack("{s:s, s:s, s:i, s:s?}", "at", at,
					"result", ok ? "delivered" : "failed",
					"status", (int)status, "error", error));
	n = json_array_size(att);
	if (ok || n >= s->pn->attempts) {
		json_object_set_new(s->delivery, "status",
				    json_string(ok ? "delivered" : "failed"));
		json_object_del(s->delivery, "next_at");
		log_info("port", s->id, "event %s after %zu attempt(s)",
			 ok ? "delivered" : "failed", n);
	} else {
		uint64_t next = walltime_us() / 1000 +
				((uint64_t)s->pn->retry_ms << (n - 1));

		json_object_set_new(s->delivery, "next_at",
				    walltime_json_ms(next));
		log_info("port", s->id, "event attempt %zu failed (%ld%s%s)", n,
			 status, error ? ", " : "", error ? error : "");
	}
	save(s);
}

/* one claimed row: id, delivery, webhook_url, webhook_secret, event JSON */
static void send_one(struct portnotify *pn, const PGresult *res, int row)
{
	struct send *s = mem_zalloc(sizeof(*s), send_destructor);
	const char *secret = PQgetvalue(res, row, 3);
	char sig[96] = "X-Trunkd-Signature: sha256=", ev[64];
	const char *hdrs[] = {"Content-Type: application/json", sig, ev, NULL};
	json_t *event;

	if (!s)
		return;
	s->pn = pn;
	snprintf(s->id, sizeof(s->id), "%s", PQgetvalue(res, row, 0));
	s->delivery = json_loads(PQgetvalue(res, row, 1), 0, NULL);
	if (!s->delivery)
		s->delivery = json_object();
	if (PQgetisnull(res, row, 2) || !PQgetvalue(res, row, 2)[0]) {
		json_object_set_new(s->delivery, "status",
				    json_string("undeliverable"));
		json_object_set_new(
		    s->delivery, "reason",
		    json_string("the organization has no webhook_url (trunkd "
				"admin org alerts --webhook URL)"));
		save(s);
		return;
	}
	list_append(&pn->sends, &s->le, s);
	snprintf(s->url, sizeof(s->url), "%s", PQgetvalue(res, row, 2));
	event = json_loads(PQgetvalue(res, row, 4), 0, NULL);
	s->body = event ? json_dumps(event, JSON_COMPACT) : NULL;
	snprintf(ev, sizeof(ev), "X-Trunkd-Event: %s",
		 json_string_value(json_object_get(event, "event")));
	json_decref(event);
	if (!s->body ||
	    hmac_sha256_hex(secret, s->body, strlen(s->body), sig + 27) ||
	    curl_loop_post(pn->hc, s->url, hdrs, s->body, POST_TIMEOUT_MS,
			   on_posted, s))
		on_posted(EIO, 0, "the request could not start", s);
}

static void on_claimed(int err, const PGresult *res, void *arg)
{
	struct portnotify *pn = arg;
	int rows = err ? 0 : PQntuples(res);

	pn->claiming = false;
	for (int i = 0; i < rows; i++)
		send_one(pn, res, i);
	if (pn->again || rows == BATCH) {
		pn->again = false;
		claim(pn);
	}
	mem_deref(pn);
}

/* claim a batch of due rows for 60 s and get what sending them needs */
static void claim(struct portnotify *pn)
{
	if (pn->claiming) {
		pn->again = true;
		return;
	}
	pn->claiming = true;
	if (store_query(
		pn->store,
		"WITH due AS (SELECT id FROM port_events WHERE "
		"delivery->>'status' = 'pending' AND coalesce((delivery->>"
		"'next_at')::timestamptz, '-infinity') <= now() AND "
		"coalesce((delivery->>'claimed_until')::timestamptz, "
		"'-infinity') <= now() ORDER BY id LIMIT 20 FOR UPDATE SKIP "
		"LOCKED), c AS (UPDATE port_events e SET delivery = "
		"e.delivery || jsonb_build_object('claimed_until', now() + "
		"interval '60 seconds') FROM due WHERE e.id = due.id "
		"RETURNING e.*) SELECT c.id, c.delivery - 'claimed_until', "
		"o.webhook_url, o.webhook_secret, json_build_object('event', "
		"'port.' || c.to_status, 'port_request', json_build_object("
		"'id', r.id, 'status', c.to_status, 'previous_status', "
		"c.from_status, 'phone_numbers', r.phone_numbers, "
		"'target_port_date', r.target_port_date, 'at', sip_ts(c.at), "
		"'actor', c.actor, 'reason', c.reason))::text FROM c JOIN "
		"port_requests r ON r.id = c.port_id JOIN orgs o ON o.id = "
		"r.org_id ORDER BY c.id",
		0, NULL, on_claimed, mem_ref(pn))) {
		pn->claiming = false;
		mem_deref(pn); /* the ref the query did not take */
	}
}

static void on_notify(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)payload;
	claim(arg);
}

static void on_tick(void *arg)
{
	struct portnotify *pn = arg;

	tmr_start(&pn->tmr, TICK_MS, on_tick, pn);
	if (store_is_up(pn->store))
		claim(pn);
}

static void portnotify_destructor(void *arg)
{
	struct portnotify *pn = arg;

	tmr_cancel(&pn->tmr);
	pn->hc = mem_deref(pn->hc); /* aborts the POSTs: no handler runs */
	list_flush(&pn->sends);	    /* their rows' claims expire */
	pn->store = mem_deref(pn->store);
}

int portnotify_alloc(struct portnotify **pnp, struct store *st,
		     unsigned attempts, unsigned retry_ms)
{
	struct portnotify *pn = mem_zalloc(sizeof(*pn), portnotify_destructor);
	int err;

	if (!pn)
		return ENOMEM;
	pn->store = mem_ref(st);
	pn->attempts = attempts ? attempts : 1;
	pn->retry_ms = retry_ms;
	tmr_init(&pn->tmr);
	err = curl_loop_alloc(&pn->hc);
	if (!err)
		err = store_listen(st, CHANNEL, on_notify, pn);
	if (err) {
		mem_deref(pn);
		return err;
	}
	tmr_start(&pn->tmr, TICK_MS, on_tick, pn);
	*pnp = pn;
	return 0;
}
