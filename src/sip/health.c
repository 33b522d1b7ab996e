/** @file health.c  OPTIONS probes of every endpoint (see health.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include <re_tmr.h>
#include <re_uri.h>
#include <re_msg.h>
#include <re_sip.h>
#include <jansson.h>
#include "core/endpoints.h"
#include "core/log.h"
#include "core/walltime.h"
#include "sip/health.h"
#include "sip/probe.h"
#include "store/probelog.h"
#include "store/sipmap.h"

#define DAY_MS	     (24 * 3600 * 1000ULL)
#define MIN_STEP_MS  10
#define IDLE_TICK_MS 1000

struct hep {
	struct le le;
	struct health *h; /* borrowed: our owner */
	struct sipdest dest;
	char key[300];
	const char *state;    /* unchecked, healthy, unreachable */
	unsigned fails, oks;  /* in a row */
	uint64_t state_since; /* when the state last changed */
	uint64_t streak_from; /* when the current run of alive replies began */
	uint64_t sent_ms;
	uint16_t last_code;
	char last_error[96];
	struct probe *probe;	      /* owned: the one in flight */
	struct probelog_sample *ring; /* owned: HEALTH_SAMPLES */
	unsigned head, count;
	bool seen; /* still configured at this reconcile */
};

struct health {
	struct sip *sip;      /* borrowed */
	struct sipmap *map;   /* ref */
	struct probelog *log; /* owned, NULL without a store */
	struct list eps;      /* struct hep */
	struct health_opts o;
	uint16_t alive[HEALTH_ALIVE_CODES];
	unsigned nalive;
	uint64_t generation;
	unsigned turn;
	struct tmr tmr;
};

static void hep_destructor(void *arg)
{
	struct hep *e = arg;

	list_unlink(&e->le);
	mem_deref(e->probe);
	mem_deref(e->ring);
}

static bool code_alive(const struct health *h, uint16_t code)
{
	if (code >= 200 && code < 300)
		return true;
	for (unsigned i = 0; i < h->nalive; i++)
		if (h->alive[i] == code)
			return true;
	return false;
}

/* one probe's outcome: the sample, the counters, the state */
static void result(struct hep *e, uint16_t code, uint32_t rtt_ms,
		   const char *error)
{
	struct health *h = e->h;
	bool alive = !error && code_alive(h, code);
	struct probelog_sample *s = &e->ring[e->head];
	const char *was = e->state;

	s->at_ms = e->sent_ms;
	s->rtt_ms = alive ? rtt_ms : 0;
	s->code = code;
	s->alive = alive;
	e->head = (e->head + 1) % HEALTH_SAMPLES;
	if (e->count < HEALTH_SAMPLES)
		e->count++;
	probelog_add(h->log, e->key, s);
	e->last_code = code;
	if (error)
		snprintf(e->last_error, sizeof(e->last_error), "%s", error);
	else if (!alive)
		snprintf(e->last_error, sizeof(e->last_error), "reply %u",
			 code);
	else
		e->last_error[0] = '\0';
	if (alive) {
		if (!e->oks++)
			e->streak_from = e->sent_ms;
		e->fails = 0;
		if (e->oks >= h->o.ok_threshold)
			e->state = "healthy";
	} else {
		e->oks = 0;
		if (++e->fails >= h->o.fail_threshold)
			e->state = "unreachable";
	}
	if (was != e->state)
		e->state_since = e->sent_ms;
	if (was != e->state)
		log_info("health", e->key, "%s → %s (%s)", was, e->state,
			 alive ? "alive" : e->last_error);
}

static void on_probed(const struct probe_result *r, void *arg)
{
	struct hep *e = arg;
	char why[96] = "";

	e->probe = mem_deref(e->probe);
	if (r->err == ETIMEDOUT)
		snprintf(why, sizeof(why), "no reply in %u ms",
			 e->h->o.timeout_ms);
	else if (r->err)
		snprintf(why, sizeof(why), "%s", strerror(r->err));
	result(e, r->code, r->rtt_ms, why[0] ? why : NULL);
}

static void probe(struct hep *e)
{
	int err;

	if (e->probe)
		return; /* the last one is still out */
	e->sent_ms = walltime_us() / 1000;
	err = probe_send(&e->probe, e->h->sip, &e->dest, e->h->o.timeout_ms,
			 on_probed, e);
	if (err)
		result(e, 0, 0, strerror(err));
}

static struct hep *find(const struct health *h, const struct sipdest *ep)
{
	char key[300];

	endpoints_key(ep, key, sizeof(key));
	for (struct le *le = list_head(&h->eps); le; le = le->next) {
		struct hep *e = le->data;

		if (!strcmp(e->key, key))
			return e;
	}
	return NULL;
}

/* the endpoint's stored history (oldest first) goes before what this run
 * has probed already */
static void on_history(int err, const struct probelog_sample *v, unsigned n,
		       void *arg)
{
	struct hep *e = arg; /* a ref */
	struct probelog_sample *merged = NULL;
	unsigned total = n + e->count, skip, k = 0;

	if (!err && n)
		merged = mem_zalloc(total * sizeof(*merged), NULL);
	if (merged) {
		memcpy(merged, v, n * sizeof(*v));
		for (unsigned i = e->count; i; i--)
			merged[n + k++] =
			    e->ring[(e->head + HEALTH_SAMPLES - i) %
				    HEALTH_SAMPLES];
		skip = total > HEALTH_SAMPLES ? total - HEALTH_SAMPLES : 0;
		e->count = total - skip;
		memcpy(e->ring, merged + skip, e->count * sizeof(*merged));
		e->head = e->count % HEALTH_SAMPLES;
		mem_deref(merged);
	}
	mem_deref(e);
}

static void want(struct health *h, const struct sipdest *ep)
{
	struct hep *e = find(h, ep);

	if (e) {
		e->seen = true;
		return;
	}
	e = mem_zalloc(sizeof(*e), hep_destructor);
	if (e)
		e->ring = mem_zalloc(HEALTH_SAMPLES * sizeof(*e->ring), NULL);
	if (!e || !e->ring) {
		mem_deref(e);
		return;
	}
	e->h = h;
	e->dest = *ep;
	endpoints_key(ep, e->key, sizeof(e->key));
	e->state = "unchecked";
	e->seen = true;
	list_append(&h->eps, &e->le, e);
	if (h->log && probelog_load(h->log, e->key, HEALTH_SAMPLES, on_history,
				    mem_ref(e)))
		mem_deref(e); /* the ref the load did not take */
}

static void on_row(const char *number, const json_t *row, void *arg)
{
	struct health *h = arg;
	json_t *shown = sipmap_render_row(h->map, row);
	struct sipdest eps[ENDPOINTS_MAX];
	const char *why;
	unsigned n = 0;

	(void)number;
	if (endpoints_probed(shown) && !endpoints_of(shown, eps, &n, &why))
		for (unsigned i = 0; i < n; i++)
			want(h, &eps[i]);
	json_decref(shown);
}

static void reconcile(struct health *h)
{
	struct le *le;

	LIST_FOREACH(&h->eps, le)
	{
		((struct hep *)le->data)->seen = false;
	}
	sipmap_rows(h->map, SIPCONF_OUTBOUND, on_row, h);
	sipmap_rows(h->map, SIPCONF_INBOUND, on_row, h);
	for (le = list_head(&h->eps); le;) {
		struct hep *e = le->data;

		le = le->next;
		if (!e->seen)
			mem_deref(e);
	}
}

static void on_tick(void *arg)
{
	struct health *h = arg;
	uint64_t gen = sipmap_generation(h->map);
	uint64_t step = IDLE_TICK_MS;
	unsigned n;

	if (gen != h->generation && sipmap_ready(h->map)) {
		h->generation = gen;
		reconcile(h);
	}
	n = list_count(&h->eps);
	if (n) {
		struct le *le = list_head(&h->eps);

		for (unsigned i = h->turn++ % n; i; i--)
			le = le->next;
		probe(le->data);
		step = h->o.interval_s * 1000ULL / n;
		if (step < MIN_STEP_MS)
			step = MIN_STEP_MS;
	}
	tmr_start(&h->tmr, step, on_tick, h);
}

static void destructor(void *arg)
{
	struct health *h = arg;

	tmr_cancel(&h->tmr);
	list_flush(&h->eps);
	mem_deref(h->log);
	mem_deref(h->map);
}

static int parse_codes(struct health *h, const char *list)
{
	const char *p = list ? list : "";

	while (*p) {
		char *end;
		unsigned long c = strtoul(p, &end, 10);

		if (end == p || c < 100 || c > 699 ||
		    h->nalive == HEALTH_ALIVE_CODES)
			return EINVAL;
		h->alive[h->nalive++] = (uint16_t)c;
		p = end;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

int health_alloc(struct health **hp, struct sip *sip, struct sipmap *map,
		 struct store *st, const struct health_opts *o)
{
	struct health *h;

	if (!o->timeout_ms || !o->fail_threshold || !o->ok_threshold)
		return EINVAL;
	h = mem_zalloc(sizeof(*h), destructor);
	if (!h)
		return ENOMEM;
	h->sip = sip;
	h->map = mem_ref(map);
	h->o = *o;
	h->o.alive_codes = NULL;
	if (parse_codes(h, o->alive_codes)) {
		mem_deref(h);
		return EINVAL;
	}
	tmr_init(&h->tmr);
	if (st && o->interval_s && probelog_alloc(&h->log, st)) {
		mem_deref(h);
		return ENOMEM;
	}
	if (o->interval_s) /* 0: health checks are off */
		tmr_start(&h->tmr, 0, on_tick, h);
	*hp = h;
	return 0;
}

const char *health_state(const struct health *h, const struct sipdest *ep)
{
	const struct hep *e = h ? find(h, ep) : NULL;

	return e ? e->state : "unchecked";
}

bool health_up_since(const struct health *h, const struct sipdest *ep,
		     uint64_t at_ms)
{
	const struct hep *e = h ? find(h, ep) : NULL;

	return e && e->oks >= h->o.ok_threshold && e->streak_from > at_ms;
}

uint64_t health_since(const struct health *h, const struct sipdest *ep)
{
	const struct hep *e = h ? find(h, ep) : NULL;

	return e ? e->state_since : 0;
}

unsigned health_recent_rtt(const struct health *h, const struct sipdest *ep,
			   unsigned n)
{
	const struct hep *e = h ? find(h, ep) : NULL;
	uint64_t sum = 0;
	unsigned got = 0;

	for (unsigned k = 1; e && k <= e->count && got < n; k++) {
		const struct probelog_sample *s =
		    &e->ring[(e->head + HEALTH_SAMPLES - k) % HEALTH_SAMPLES];

		if (s->alive) {
			sum += s->rtt_ms;
			got++;
		}
	}
	return got ? (unsigned)(sum / got) : 0;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* percentage of alive probes sent since from, or null without any */
static json_t *uptime(const struct hep *e, uint64_t from)
{
	unsigned n = 0, up = 0;

	for (unsigned i = 0; i < e->count; i++) {
		const struct probelog_sample *s = &e->ring[i];

		if (s->at_ms >= from) {
			n++;
			up += s->alive;
		}
	}
	return n ? json_real((double)((up * 10000ULL + n / 2) / n) / 100)
		 : json_null();
}

json_t *health_json(const struct health *h, const struct sipdest *ep)
{
	const struct hep *e = h ? find(h, ep) : NULL;
	uint64_t now = walltime_us() / 1000, sum = 0;
	char at[WALLTIME_ISO_LEN];
	uint32_t *rtts;
	unsigned n = 0, probes = 0;
	json_t *o = json_pack("{s:s, s:i, s:s, s:s}", "host", ep->host, "port",
			      (int)ep->port, "transport", ep->transport,
			      "state", e ? e->state : "unchecked");

	if (!o)
		return NULL;
	if (!e) {
		static const char *const keys[] = {
		    "last_check",      "last_code", "last_error",
		    "uptime_24h",      "uptime_7d", "avg_response_ms",
		    "p95_response_ms", "probes_24h"};

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			json_object_set_new(o, keys[i], json_null());
		return o;
	}
	rtts = malloc(HEALTH_SAMPLES * sizeof(*rtts));
	for (unsigned i = 0; rtts && i < e->count; i++) {
		const struct probelog_sample *s = &e->ring[i];

		if (s->at_ms + DAY_MS < now)
			continue;
		probes++;
		if (s->alive) {
			rtts[n++] = s->rtt_ms;
			sum += s->rtt_ms;
		}
	}
	if (n)
		qsort(rtts, n, sizeof(*rtts), by_value);
	if (e->count) {
		walltime_iso(at, e->sent_ms * 1000, 3);
		json_object_set_new(o, "last_check", json_string(at));
	} else {
		json_object_set_new(o, "last_check", json_null());
	}
	json_object_set_new(o, "last_code",
			    e->last_code ? json_integer(e->last_code)
					 : json_null());
	json_object_set_new(o, "last_error",
			    e->last_error[0] ? json_string(e->last_error)
					     : json_null());
	json_object_set_new(o, "uptime_24h", uptime(e, now - DAY_MS));
	json_object_set_new(o, "uptime_7d", uptime(e, now - 7 * DAY_MS));
	json_object_set_new(o, "avg_response_ms",
			    n ? json_integer((json_int_t)((sum + n / 2) / n))
			      : json_null());
	json_object_set_new(o, "p95_response_ms",
			    n ? json_integer(rtts[(n * 95 + 99) / 100 - 1])
			      : json_null());
	json_object_set_new(o, "probes_24h", json_integer(probes));
	free(rtts);
	return o;
}
