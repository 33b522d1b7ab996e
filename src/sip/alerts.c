/** @file alerts.c  Alert evaluation and delivery (see alerts.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "core/endpoints.h"
#include "core/hmac.h"
#include "core/log.h"
#include "core/uuid.h"
#include "core/walltime.h"
#include "loop/curl_loop.h"
#include "sip/alerts.h"
#include "sip/health.h"
#include "store/sipmap.h"
#include "store/store.h"

#define RTT_SAMPLES	       5
#define DELIVERY_TIMEOUT       10000 /* ms per attempt */
#define FAILURE_RATE_MIN_CALLS 5     /* fewer calls say nothing of a rate */

struct alerts {
	struct sipmap *map;    /* ref */
	struct health *health; /* ref */
	struct store *store;   /* ref */
	struct curl_loop *hc;  /* owned */
	struct alerts_opts o;
	char smtp_url[256], smtp_from[128], sms_url[256];
	struct list open;	/* struct alert, not resolved */
	struct list deliveries; /* struct delivery, in progress */
	struct tmr tmr;
	json_t *rates; /* owned during a walk: [{number, direction, mins}] */
	bool loaded, loading, counting;
};

struct alert {
	struct le le;
	struct alerts *as; /* borrowed */
	char id[37];
	char org_id[40];
	char number[SIPCONF_NUMBER_MAX + 1];
	bool inbound;
	const char *kind; /* static */
	uint64_t opened_ms, resolved_ms;
	json_t *details;    /* owned */
	json_t *deliveries; /* owned: [{event, channel, target, status,
			       attempts}] */
	json_t *channels;   /* owned: alert_config.channels at the event */
	unsigned busy;	    /* deliveries in flight */
	bool writing;	    /* a deliveries UPDATE is in flight */
	bool dirty;	    /* ... and another must follow it */
};

struct delivery {
	struct le le;	 /* in alerts->deliveries */
	struct alert *a; /* ref */
	json_t *rec;	 /* borrowed: in a->deliveries */
	char *body;	 /* owned (malloc) */
	char url[512];
	char to[256];
	char sig[80];
	const char *channel, *event;
	unsigned n;
	struct tmr retry;
};

static void alert_destructor(void *arg)
{
	struct alert *a = arg;

	list_unlink(&a->le);
	json_decref(a->details);
	json_decref(a->deliveries);
	json_decref(a->channels);
}

static void ignore_result(int err, const PGresult *res, void *arg)
{
	struct alert *a = arg;

	(void)res;
	if (err)
		log_warn("alerts", a->id, "store: %s", strerror(err));
	mem_deref(a);
}

static void persist_deliveries(struct alert *a);

static void on_persisted(int err, const PGresult *res, void *arg)
{
	struct alert *a = arg;

	a->writing = false;
	if (a->dirty) {
		a->dirty = false;
		persist_deliveries(a);
	}
	ignore_result(err, res, a);
}

/* one UPDATE at a time per alert: the pool may run two queries on two
   connections, and an older snapshot must never commit after a newer one */
static void persist_deliveries(struct alert *a)
{
	char *text;
	const char *p[2];

	if (a->writing) {
		a->dirty = true;
		return;
	}
	text = json_dumps(a->deliveries, JSON_COMPACT);
	if (!text)
		return;
	p[0] = a->id;
	p[1] = text;
	a->writing = true;
	if (store_query(a->as->store,
			"UPDATE alerts SET deliveries = $2::jsonb WHERE id = "
			"$1::uuid",
			2, p, on_persisted, mem_ref(a))) {
		a->writing = false;
		mem_deref(a); /* the ref the query did not take */
	}
	free(text);
}

static json_t *alert_json(const struct alert *a)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:O}", "id", a->id, "phone_number",
	    a->number, "direction", a->inbound ? "inbound" : "outbound", "kind",
	    a->kind, "opened_at", walltime_json_ms(a->opened_ms), "resolved_at",
	    walltime_json_ms(a->resolved_ms), "details", a->details);
}

static void delivery_destructor(void *arg)
{
	struct delivery *dl = arg;

	tmr_cancel(&dl->retry);
	list_unlink(&dl->le);
	dl->a->busy--;
	persist_deliveries(dl->a);
	mem_deref(dl->a);
	free(dl->body);
}

static void attempt(struct delivery *dl);

static void on_retry(void *arg)
{
	attempt(arg);
}

static void on_sent(int err, long status, const char *error, void *arg)
{
	struct delivery *dl = arg;
	struct alerts *as = dl->a->as;
	bool ok = !err &&
		  (strcmp(dl->channel, "email") ? status >= 200 && status < 300
						: true);
	char at[WALLTIME_ISO_LEN];

	walltime_iso(at, walltime_us(), 3);
	json_array_append_new(json_object_get(dl->rec, "attempts"),
			      json_pack("{s:s, s:s, s:i, s:s?}", "at", at,
					"result", ok ? "delivered" : "failed",
					"status", (int)status, "error", error));
	if (ok || dl->n >= as->o.attempts) {
		json_object_set_new(dl->rec, "status",
				    json_string(ok ? "delivered" : "failed"));
		log_info("alerts", dl->a->id, "%s %s: %s after %u attempt(s)",
			 dl->event, dl->channel, ok ? "delivered" : "failed",
			 dl->n);
		mem_deref(dl);
		return;
	}
	log_info("alerts", dl->a->id, "%s %s: attempt %u failed (%ld%s%s)",
		 dl->event, dl->channel, dl->n, status, error ? ", " : "",
		 error ? error : "");
	persist_deliveries(dl->a);
	tmr_start(&dl->retry, (uint64_t)as->o.retry_ms << (dl->n - 1), on_retry,
		  dl);
}

static void attempt(struct delivery *dl)
{
	struct alerts *as = dl->a->as;
	char type[] = "Content-Type: application/json", sig[128], ev[64];
	const char *hdrs[] = {type, sig, ev, NULL};
	int err;

	dl->n++;
	if (!strcmp(dl->channel, "email")) {
		err =
		    curl_loop_mail(as->hc, as->smtp_url, as->smtp_from, dl->to,
				   dl->body, DELIVERY_TIMEOUT, on_sent, dl);
	} else {
		snprintf(sig, sizeof(sig), "X-Trunkd-Signature: %s", dl->sig);
		snprintf(ev, sizeof(ev), "X-Trunkd-Event: alert.%s", dl->event);
		if (!dl->sig[0])
			hdrs[1] = NULL;
		err = curl_loop_post(as->hc, dl->url, hdrs, dl->body,
				     DELIVERY_TIMEOUT, on_sent, dl);
	}
	if (err)
		on_sent(err, 0, strerror(err), dl);
}

/* one channel of one event: a record, then attempts (or undeliverable) */
static void deliver_one(struct alert *a, const char *event, const char *channel,
			const char *target, const char *why_not, char *body,
			const char *secret)
{
	struct delivery *dl;
	json_t *rec =
	    json_pack("{s:s, s:s, s:s?, s:s, s:[]}", "event", event, "channel",
		      channel, "target", target, "status",
		      why_not ? "undeliverable" : "pending", "attempts");

	json_array_append_new(a->deliveries, rec);
	if (why_not) {
		json_object_set_new(rec, "reason", json_string(why_not));
		log_warn("alerts", a->id, "%s %s undeliverable: %s", event,
			 channel, why_not);
		free(body);
		return;
	}
	dl = mem_zalloc(sizeof(*dl), delivery_destructor);
	if (!dl) {
		free(body);
		return;
	}
	dl->a = mem_ref(a);
	a->busy++;
	list_append(&a->as->deliveries, &dl->le, dl);
	dl->rec = rec;
	dl->body = body;
	dl->channel = channel;
	dl->event = event;
	tmr_init(&dl->retry);
	snprintf(dl->url, sizeof(dl->url), "%s",
		 strcmp(channel, "sms") ? target : a->as->sms_url);
	snprintf(dl->to, sizeof(dl->to), "%s", target);
	if (secret && !hmac_sha256_hex(secret, body, strlen(body), dl->sig + 7))
		memcpy(dl->sig, "sha256=", 7);
	attempt(dl);
}

struct event_job {
	struct alert *a; /* ref */
	const char *event;
};

/* the mail: headers, a blank line, the event's JSON (malloc) */
static char *mail_of(const struct alerts *as, const struct alert *a,
		     const char *event, const char *to, const char *json)
{
	size_t n = strlen(as->smtp_from) + strlen(to) + strlen(json) + 256;
	char *m = malloc(n);

	if (m)
		snprintf(m, n,
			 "From: %s\r\nTo: %s\r\nSubject: [trunkd] alert %s: "
			 "%s %s\r\nContent-Type: application/json\r\n\r\n%s"
			 "\r\n",
			 as->smtp_from, to, event, a->kind, a->number, json);
	return m;
}

/* the org's secret and contacts are in: every enabled channel */
static void on_org(int err, const PGresult *res, void *arg)
{
	struct event_job *job = arg;
	struct alert *a = job->a;
	struct alerts *as = a->as;
	const json_t *ch = a->channels;
	const char *secret = NULL, *email = NULL, *phone = NULL, *hook;
	json_t *ev =
	    json_pack("{s:s, s:o}", "event", "", "alert", alert_json(a));
	char name[32], *body;

	snprintf(name, sizeof(name), "alert.%s", job->event);
	json_object_set_new(ev, "event", json_string(name));
	body = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!err && PQntuples(res) == 1) {
		secret = PQgetvalue(res, 0, 0);
		email = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
		phone = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
	}
	hook = json_string_value(json_object_get(ch, "webhook"));
	if (hook && hook[0] && body)
		deliver_one(a, job->event, "webhook", hook,
			    secret ? NULL : "the organization is unknown",
			    strdup(body), secret);
	if (json_is_true(json_object_get(ch, "email")) && body)
		deliver_one(a, job->event, "email", email,
			    !as->smtp_url[0] ? "no SMTP relay configured "
					       "(--smtp-url)"
			    : !email	     ? "the organization has no "
					       "alert_email"
					     : NULL,
			    email ? mail_of(as, a, job->event, email, body)
				  : NULL,
			    NULL);
	if (json_is_true(json_object_get(ch, "sms")) && body) {
		json_t *sms =
		    json_pack("{s:s?, s:o}", "to", phone, "text",
			      json_sprintf("trunkd: alert %s: %s on %s",
					   job->event, a->kind, a->number));
		char *text = json_dumps(sms, JSON_COMPACT);

		json_decref(sms);
		deliver_one(a, job->event, "sms", phone,
			    !as->sms_url[0] ? "no SMS gateway configured "
					      "(--sms-url)"
			    : !phone	    ? "the organization has no "
					      "alert_phone"
					    : NULL,
			    text, NULL);
	}
	free(body);
	persist_deliveries(a);
	mem_deref(a);
	mem_deref(job);
}

static void deliver(struct alert *a, const char *event)
{
	struct event_job *job = mem_zalloc(sizeof(*job), NULL);
	const char *p[1] = {a->org_id};

	if (!job)
		return;
	job->a = mem_ref(a);
	job->event = event;
	if (store_query(a->as->store,
			"SELECT webhook_secret, alert_email, alert_phone "
			"FROM orgs WHERE id = $1::uuid",
			1, p, on_org, job))
		on_org(ENOTCONN, NULL, job);
}

static struct alert *find(struct alerts *as, const char *number, bool inbound,
			  const char *kind)
{
	struct le *le;

	LIST_FOREACH(&as->open, le)
	{
		struct alert *a = le->data;

		if (a->inbound == inbound && !strcmp(a->kind, kind) &&
		    !strcmp(a->number, number))
			return a;
	}
	return NULL;
}

static void open_alert(struct alerts *as, const json_t *row, const char *number,
		       bool inbound, const char *kind, json_t *details)
{
	struct alert *a = mem_zalloc(sizeof(*a), alert_destructor);
	const char *p[6];
	char *det;

	if (!a) {
		json_decref(details);
		return;
	}
	a->as = as;
	uuid4(a->id);
	snprintf(a->org_id, sizeof(a->org_id), "%s",
		 json_string_value(json_object_get(row, "org_id")));
	snprintf(a->number, sizeof(a->number), "%s", number);
	a->inbound = inbound;
	a->kind = kind;
	a->opened_ms = walltime_us() / 1000;
	a->details = details;
	a->deliveries = json_array();
	a->channels = json_deep_copy(
	    json_object_get(json_object_get(row, "alert_config"), "channels"));
	list_append(&as->open, &a->le, a);
	log_warn("alerts", a->id, "%s %s: %s opened", number,
		 inbound ? "inbound" : "outbound", kind);
	det = json_dumps(details, JSON_COMPACT);
	p[0] = a->id;
	p[1] = a->org_id;
	p[2] = a->number;
	p[3] = inbound ? "inbound" : "outbound";
	p[4] = kind;
	p[5] = det;
	a->writing = true; /* the deliveries' UPDATEs wait for the row */
	if (store_query(as->store,
			"INSERT INTO alerts (id, org_id, phone_number, "
			"direction, kind, opened_at, details) VALUES ($1, $2, "
			"$3, $4, $5, now(), $6::jsonb) ON CONFLICT DO NOTHING",
			6, p, on_persisted, mem_ref(a))) {
		a->writing = false;
		mem_deref(a);
	}
	free(det);
	deliver(a, "opened");
}

static void resolve_alert(struct alert *a, const json_t *row)
{
	const char *p[1] = {a->id};

	a->resolved_ms = walltime_us() / 1000;
	json_decref(a->channels);
	a->channels = json_deep_copy(
	    json_object_get(json_object_get(row, "alert_config"), "channels"));
	list_unlink(&a->le);
	log_info("alerts", a->id, "%s: %s resolved", a->number, a->kind);
	if (store_query(a->as->store,
			"UPDATE alerts SET resolved_at = now() WHERE id = "
			"$1::uuid",
			1, p, ignore_result, mem_ref(a)))
		mem_deref(a);
	deliver(a, "resolved");
	mem_deref(a); /* the list's: deliveries hold their own refs */
}

/* kind's condition for one number: open, resolve, or neither */
static void judge(struct alerts *as, const json_t *row, const char *number,
		  bool inbound, const char *kind, bool bad, bool good,
		  json_t *details)
{
	struct alert *a = find(as, number, inbound, kind);

	if (bad && !a)
		open_alert(as, row, number, inbound, kind, details);
	else
		json_decref(details);
	if (good && a)
		resolve_alert(a, row);
}

static json_int_t threshold(const json_t *cfg, const char *name,
			    json_int_t dflt)
{
	json_int_t v = json_integer_value(
	    json_object_get(json_object_get(cfg, "thresholds"), name));

	return v > 0 ? v : dflt;
}

static void on_row(const char *number, const json_t *row, void *arg)
{
	struct alerts *as = arg;
	json_t *shown = sipmap_render_row(as->map, row);
	const json_t *cfg = json_object_get(shown, "alert_config");
	const char *dir = json_string_value(json_object_get(row, "direction"));
	bool inbound = dir && !strcmp(dir, "inbound");
	struct sipdest eps[ENDPOINTS_MAX];
	uint64_t now = walltime_us() / 1000, since;
	json_int_t mins, ms;
	const char *state, *why;
	char hostport[300];
	unsigned n, rtt;

	if (!json_is_true(json_object_get(cfg, "enabled")) ||
	    !endpoints_probed(shown) || endpoints_of(shown, eps, &n, &why)) {
		json_decref(shown);
		return;
	}
	sipdest_hostport(&eps[0], hostport, sizeof(hostport));
	state = health_state(as->health, &eps[0]);
	since = health_since(as->health, &eps[0]);
	mins = threshold(cfg, "unreachable_minutes", 5);
	judge(as, shown, number, inbound, "unreachable",
	      !strcmp(state, "unreachable") && since &&
		  now - since >= (uint64_t)mins * 60000,
	      !strcmp(state, "healthy"),
	      json_pack("{s:s, s:I, s:o}", "endpoint", hostport,
			"unreachable_minutes", mins, "since",
			walltime_json_ms(since)));
	if (as->rates)
		json_array_append_new(
		    as->rates,
		    json_pack(
			"{s:s, s:s, s:I}", "number", number, "direction",
			inbound ? "inbound" : "outbound", "mins",
			threshold(cfg, "failure_rate_window_minutes", 30)));
	ms = threshold(cfg, "response_time_ms", 500);
	rtt = health_recent_rtt(as->health, &eps[0], RTT_SAMPLES);
	judge(as, shown, number, inbound, "response_time",
	      !strcmp(state, "healthy") && rtt > ms, rtt && rtt <= ms,
	      json_pack("{s:s, s:I, s:i}", "endpoint", hostport,
			"response_time_ms", ms, "mean_response_ms", (int)rtt));
	json_decref(shown);
}

/* open alerts of an earlier run: they must not open again */
static void on_loaded(int err, const PGresult *res, void *arg)
{
	struct alerts *as = arg; /* a ref */

	as->loading = false;
	if (err) {
		mem_deref(as); /* tried again at the next tick */
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct alert *a = mem_zalloc(sizeof(*a), alert_destructor);
		const char *kind = PQgetvalue(res, i, 4);

		if (!a)
			break;
		a->as = as;
		snprintf(a->id, sizeof(a->id), "%s", PQgetvalue(res, i, 0));
		snprintf(a->org_id, sizeof(a->org_id), "%s",
			 PQgetvalue(res, i, 1));
		snprintf(a->number, sizeof(a->number), "%s",
			 PQgetvalue(res, i, 2));
		a->inbound = !strcmp(PQgetvalue(res, i, 3), "inbound");
		a->kind = !strcmp(kind, "unreachable")	   ? "unreachable"
			  : !strcmp(kind, "response_time") ? "response_time"
							   : "failure_rate";
		a->opened_ms = strtoull(PQgetvalue(res, i, 5), NULL, 10);
		a->details = json_loads(PQgetvalue(res, i, 6), 0, NULL);
		a->deliveries = json_loads(PQgetvalue(res, i, 7), 0, NULL);
		if (!a->deliveries)
			a->deliveries = json_array();
		list_append(&as->open, &a->le, a);
	}
	as->loaded = true;
	mem_deref(as);
}

/* the calls of each alerting number in its window: failure_rate */
static void on_counted(int err, const PGresult *res, void *arg)
{
	struct alerts *as = arg; /* a ref */

	as->counting = false;
	for (int i = 0; !err && i < PQntuples(res); i++) {
		const char *number = PQgetvalue(res, i, 0);
		bool inbound = !strcmp(PQgetvalue(res, i, 1), "inbound");
		long total = strtol(PQgetvalue(res, i, 2), NULL, 10);
		long failed = strtol(PQgetvalue(res, i, 3), NULL, 10);
		const json_t *row =
		    sipmap_row(as->map, number,
			       inbound ? SIPCONF_INBOUND : SIPCONF_OUTBOUND);
		json_int_t pct = threshold(json_object_get(row, "alert_config"),
					   "failure_rate_percent", 20);
		json_int_t mins =
		    threshold(json_object_get(row, "alert_config"),
			      "failure_rate_window_minutes", 30);

		if (!row)
			continue;
		judge(as, row, number, inbound, "failure_rate",
		      total >= FAILURE_RATE_MIN_CALLS &&
			  failed * 100 > pct * total,
		      failed * 100 <= pct * total,
		      json_pack("{s:i, s:i, s:I, s:I}", "calls", (int)total,
				"failed", (int)failed, "failure_rate_percent",
				pct, "window_minutes", mins));
	}
	mem_deref(as);
}

static void count_calls(struct alerts *as)
{
	char *list = json_dumps(as->rates, JSON_COMPACT);
	const char *p[1] = {list};

	if (list && json_array_size(as->rates)) {
		if (store_query(as->store,
				"SELECT x.number, x.direction, count(c.id), "
				"count(c.id) FILTER (WHERE c.status = "
				"'failed') FROM json_to_recordset($1::json) "
				"AS x(number text, direction text, mins int) "
				"LEFT JOIN calls c ON c.number = x.number AND "
				"c.direction = x.direction AND c.started_at > "
				"now() - make_interval(mins => x.mins) GROUP "
				"BY 1, 2",
				1, p, on_counted, mem_ref(as)))
			mem_deref(as); /* the ref the query did not take */
		else
			as->counting = true;
	}
	free(list);
}

static void on_tick(void *arg)
{
	struct alerts *as = arg;

	tmr_start(&as->tmr, as->o.interval_ms, on_tick, as);
	if (!as->loaded) {
		if (as->loading)
			return;
		if (store_query(as->store,
				"SELECT id, org_id, phone_number, direction, "
				"kind, (extract(epoch FROM opened_at) * "
				"1000)::bigint, details, deliveries FROM "
				"alerts WHERE resolved_at IS NULL",
				0, NULL, on_loaded, mem_ref(as)))
			mem_deref(as); /* the ref the query did not take */
		else
			as->loading = true;
		return;
	}
	if (!sipmap_ready(as->map))
		return;
	as->rates = as->counting ? NULL : json_array();
	sipmap_rows(as->map, SIPCONF_OUTBOUND, on_row, as);
	sipmap_rows(as->map, SIPCONF_INBOUND, on_row, as);
	if (as->rates)
		count_calls(as);
	json_decref(as->rates);
	as->rates = NULL;
}

static void destructor(void *arg)
{
	struct alerts *as = arg;

	tmr_cancel(&as->tmr);
	as->hc = mem_deref(as->hc); /* aborts deliveries in flight */
	list_flush(&as->deliveries);
	list_flush(&as->open);
	mem_deref(as->map);
	mem_deref(as->health);
	mem_deref(as->store);
}

int alerts_alloc(struct alerts **ap, struct sipmap *map, struct health *h,
		 struct store *st, const struct alerts_opts *o)
{
	struct alerts *as = mem_zalloc(sizeof(*as), destructor);
	int err;

	if (!as)
		return ENOMEM;
	as->o = *o;
	snprintf(as->smtp_url, sizeof(as->smtp_url), "%s",
		 o->smtp_url ? o->smtp_url : "");
	snprintf(as->smtp_from, sizeof(as->smtp_from), "%s",
		 o->smtp_from ? o->smtp_from : "");
	snprintf(as->sms_url, sizeof(as->sms_url), "%s",
		 o->sms_url ? o->sms_url : "");
	as->map = mem_ref(map);
	as->health = mem_ref(h);
	as->store = mem_ref(st);
	tmr_init(&as->tmr);
	err = curl_loop_alloc(&as->hc);
	if (err) {
		mem_deref(as);
		return err;
	}
	if (as->o.interval_ms)
		tmr_start(&as->tmr, as->o.interval_ms, on_tick, as);
	*ap = as;
	return 0;
}
