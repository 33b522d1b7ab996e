/** @file calls.c  One call's life, both directions (see calls.h, call_int.h) */
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
#include <re_sys.h>
#include <re_tmr.h>
#include <re_uri.h>
#include <re_msg.h>
#include <re_sip.h>
#include <re_sipsess.h>
#include <jansson.h>
#include "core/log.h"
#include "core/sipconf.h"
#include "core/uuid.h"
#include "core/walltime.h"
#include "media/call_app.h"
#include "media/rtp_session.h"
#include "media/sdp_nego.h"
#include "sip/call_int.h"
#include "sip/sip_trace.h"
#include "store/callrec.h"
#include "store/sipmap.h"

#define TRACE_LINGER_MS 1000
#define RECENT_KEEP_MS	15000 /* ended calls GET /v1/calls/:id finds */
#define RECENT_MAX	20000 /* at most (~3.5 KB each) */
#define MEDIA_CHECK_MS	2000
#define SESSION_BUCKETS 8192 /* libre's dialog table: calls up at once */

/* [{"digit", "at_ms" (since the call was answered), "duration_ms"}] */
static json_t *dtmf_events_json(const struct rtp_stats *st)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < st->dtmf_count; i++)
		json_array_append_new(
		    a, json_pack("{s:s#, s:I, s:i}", "digit",
				 &st->dtmf_events[i].digit, 1, "at_ms",
				 (json_int_t)st->dtmf_events[i].at_ms,
				 "duration_ms",
				 (int)st->dtmf_events[i].duration_ms));
	return a;
}

static json_t *stats_json(const struct rtp_stats *st)
{
	return json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:f, s:I, s:I, s:o}",
	    "rx_packets", (json_int_t)st->rx_packets, "rx_bytes",
	    (json_int_t)st->rx_bytes, "tx_packets", (json_int_t)st->tx_packets,
	    "tx_bytes", (json_int_t)st->tx_bytes, "rx_dropped",
	    (json_int_t)st->rx_dropped, "rx_early", (json_int_t)st->rx_early,
	    "lost", (int)st->lost, "jitter_ms", st->jitter_ms, "rtcp_rx",
	    (json_int_t)st->rtcp_rx, "rtcp_tx", (json_int_t)st->rtcp_tx,
	    "dtmf_events", dtmf_events_json(st));
}

static uint64_t duration_ms(const struct call *c)
{
	uint64_t end = c->ended_ms ? c->ended_ms : walltime_us() / 1000;

	return c->answered_ms ? end - c->answered_ms : 0;
}

/* append the messages of trace to a (json_array_extend copies refs) */
static void append_trace(json_t *a, const struct sip_trace *trace)
{
	json_t *msgs = sip_trace_json(trace);

	json_array_extend(a, msgs);
	json_decref(msgs);
}

/* earlier attempts' messages, then the current dialog's */
static json_t *trace_json(const struct call *c)
{
	json_t *a =
	    c->trace_before ? json_deep_copy(c->trace_before) : json_array();

	if (c->trace)
		append_trace(a, c->trace);
	return a;
}

/*
 * What a call shows: the calls table row (store/callrec.h) with full,
 * what GET /v1/calls/:id shows of a call in memory without (the API's
 * names: from, to)
 */
static json_t *call_json(const struct call *c, bool full)
{
	json_t *attempts = dial_attempts_json(c);
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, "
	    "s:I, s:o, s:b, s:s, s:o, s:o, s:o}",
	    "id", c->id, "number", c->number, "direction",
	    c->outbound ? "outbound" : "inbound", full ? "from_uri" : "from",
	    c->from, full ? "to_uri" : "to", c->to, "transport",
	    c->transport ? c->transport : "", "status", c->status, "sip_code",
	    (int)c->code, "reason",
	    c->reason[0] ? json_string(c->reason) : json_null(), "started_at",
	    walltime_json_ms(c->started_ms), "answered_at",
	    walltime_json_ms(c->answered_ms), "ended_at",
	    walltime_json_ms(c->ended_ms), "duration_ms",
	    (json_int_t)duration_ms(c), "codec",
	    c->nego.codec ? json_string(c->nego.codec) : json_null(), "srtp",
	    c->nego.srtp, "app", c->app, "recording",
	    c->recording[0] ? json_string(c->recording) : json_null(),
	    "variables",
	    c->variables ? json_incref(c->variables) : json_object(),
	    "attempts", attempts ? attempts : json_array());

	if (o)
		json_object_set_new(o, "bridge_id",
				    c->bridge_id[0] ? json_string(c->bridge_id)
						    : json_null());
	if (o && c->transfer.to[0])
		json_object_set_new(
		    o, "transfer",
		    json_pack("{s:s, s:s, s:s}", "to", c->transfer.to, "state",
			      c->transfer.state, "detail", c->transfer.detail));
	if (!o || !full)
		return o;
	json_object_set_new(o, "org_id", json_string(c->org_id));
	json_object_set_new(o, "sip_call_id", json_string(c->callid));
	json_object_set_new(o, "stats", stats_json(&c->st));
	json_object_set_new(o, "dtmf", json_string(c->st.dtmf));
	json_object_set_new(o, "trace", trace_json(c));
	return o;
}

static void on_forgotten(void *arg)
{
	struct call *c = arg;

	c->cs->nrecent--;
	mem_deref(c);
}

static void on_lingered(void *arg)
{
	struct call *c = arg;
	json_t *row = call_json(c, true);

	list_unlink(&c->le);
	if (row)
		callrec_submit(c->cs->rec, row);
	else
		log_error("call", c->id, "call record could not be built");
	c->trace = mem_deref(c->trace);
	json_decref(c->trace_before);
	c->trace_before = NULL;
	if (c->cs->draining) {
		mem_deref(c);
		return;
	}
	list_append(&c->cs->recent, &c->le, c);
	tmr_start(&c->linger_tmr, RECENT_KEEP_MS, on_forgotten, c);
	if (++c->cs->nrecent > RECENT_MAX) /* the oldest goes first */
		on_forgotten(list_ledata(list_head(&c->cs->recent)));
}

static void call_destructor(void *arg)
{
	struct call *c = arg;

	tmr_cancel(&c->answer_tmr);
	tmr_cancel(&c->limit_tmr);
	tmr_cancel(&c->linger_tmr);
	tmr_cancel(&c->session_tmr);
	tmr_cancel(&c->media_tmr);
	tmr_cancel(&c->follow.tmr);
	list_unlink(&c->le);
	dial_close(c);
	mem_deref(c->media_app);
	mem_deref(c->sess);
	mem_deref(c->dial);
	mem_deref(c->transfer.req);
	mem_deref(c->rtp);
	mem_deref(c->answer);
	mem_deref(c->trace);
	sdp_nego_close(&c->nego);
	json_decref(c->trace_before);
	json_decref(c->variables);
	json_decref(c->app_opts_own);
}

void call_end(struct call *c, const char *status, const char *reason)
{
	c->status = status;
	if (reason)
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
	c->ended_ms = walltime_us() / 1000;
	if (c->answered_ms)
		c->cs->answered++;
	else
		c->cs->unanswered++;
	if (c->referrer[0])
		transfer_referred(c, false);
	tmr_cancel(&c->answer_tmr);
	tmr_cancel(&c->limit_tmr);
	tmr_cancel(&c->session_tmr);
	tmr_cancel(&c->media_tmr);
	tmr_cancel(&c->follow.tmr);
	list_unlink(&c->le);
	dial_close(c);
	bridge_ended(c);
	if (c->media_app)
		snprintf(c->recording, sizeof(c->recording), "%s",
			 call_app_recording(c->media_app));
	c->media_app = mem_deref(c->media_app);
	if (c->rtp)
		rtp_session_stats(c->rtp, &c->st);
	c->rtp = mem_deref(c->rtp);
	/* a REFER in flight: its response must not reach a freed call */
	c->transfer.req = mem_deref(c->transfer.req);
	c->sess = mem_deref(c->sess); /* BYE if established, else CANCEL */
	sdp_nego_close(&c->nego);
	log_info("call", c->id,
		 "%s %s %s → %s: %s %u%s%s, %s, %llu ms, rx %llu tx %llu "
		 "lost %u dtmf '%s'",
		 c->outbound ? "outbound" : "inbound",
		 c->transport ? c->transport : "-", c->from, c->to, c->status,
		 c->code, c->reason[0] ? " " : "", c->reason,
		 c->nego.srtp ? "srtp" : "rtp",
		 (unsigned long long)duration_ms(c),
		 (unsigned long long)c->st.rx_packets,
		 (unsigned long long)c->st.tx_packets, c->st.lost, c->st.dtmf);
	list_append(&c->cs->lingering, &c->le, c);
	tmr_start(&c->linger_tmr, c->cs->draining ? 0 : TRACE_LINGER_MS,
		  on_lingered, c);
}

static void on_limit(void *arg)
{
	struct call *c = arg;

	log_info("call", c->id, "max call duration reached: hanging up");
	call_end(c, "completed", "max_call_duration");
}

static void on_session_expired(void *arg)
{
	struct call *c = arg;

	log_info("call", c->id, "no session refresh in %u s: hanging up",
		 c->session_expires);
	call_end(c, "completed", "session expired");
}

/* RFC 4028 10: the refresher (the caller) has until SE - min(32, SE/3) */
void call_session_refreshed(struct call *c)
{
	unsigned se = c->session_expires;

	if (se)
		tmr_start(&c->session_tmr,
			  (se - (se / 3 < 32 ? se / 3 : 32)) * 1000ULL,
			  on_session_expired, c);
}

static void on_media_check(void *arg)
{
	struct call *c = arg;
	unsigned limit = c->cs->opts.media_timeout;

	if (!c->nego.held && rtp_session_idle_ms(c->rtp) > limit * 1000ULL) {
		log_info("call", c->id, "no RTP for %u s: hanging up", limit);
		call_end(c, "completed", "media timeout");
		return;
	}
	tmr_start(&c->media_tmr, MEDIA_CHECK_MS, on_media_check, c);
}

static void on_app_done(const char *reason, void *arg)
{
	struct call *c = arg;

	log_info("call", c->id, "%s: %s, hanging up", c->app, reason);
	call_end(c, "completed", reason);
}

/* the application takes over the media once the call is up */
static void start_app(struct call *c)
{
	const json_t *opts =
	    c->app_opts ? c->app_opts
			: json_object_get(sipmap_row(c->cs->map, c->number,
						     SIPCONF_INBOUND),
					  "options");
	struct call_app_opts o = {
	    .app = c->app,
	    .prompts_dir = c->cs->opts.prompts_dir,
	    .prompt = json_string_value(json_object_get(opts, "prompt")),
	    .loop = json_is_true(json_object_get(opts, "loop")),
	    .max_digits = (unsigned)json_integer_value(
		json_object_get(opts, "max_digits")),
	    .recordings_dir = c->cs->opts.recordings_dir,
	    .call_id = c->id,
	    .pt = c->nego.codec && !strcmp(c->nego.codec, "PCMU") ? 0 : 8,
	};
	int err = call_app_start(&c->media_app, c->rtp, &o, on_app_done, c);

	if (err)
		log_warn("call", c->id, "%s cannot start (%s): echo instead",
			 c->app, strerror(err));
}

void call_answered(struct call *c)
{
	unsigned limit =
	    c->max_duration ? c->max_duration : c->cs->opts.max_call_duration;

	c->status = "in_progress";
	c->answered_ms = walltime_us() / 1000;
	if (c->referrer[0])
		transfer_referred(c, true);
	if (limit)
		tmr_start(&c->limit_tmr, limit * 1000ULL, on_limit, c);
}

void call_established(struct call *c)
{
	log_info("call", c->id, "established (%s %s%s)", c->nego.codec,
		 c->nego.srtp ? "SRTP " : "RTP",
		 c->nego.srtp ? sdes_suite_name(c->nego.ours.suite) : "");
	if (c->media_app)
		return;
	if (!c->bridge_id[0])
		start_app(c); /* on the ACK: a BYE before it would be early */
	call_session_refreshed(c);
	if (c->cs->opts.media_timeout)
		tmr_start(&c->media_tmr, MEDIA_CHECK_MS, on_media_check, c);
}

void call_on_estab(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	call_established(arg);
}

/* the configuration row of the call's number in its direction */
static const json_t *call_row(const struct call *c)
{
	return sipmap_row(c->cs->map, c->number,
			  c->outbound ? SIPCONF_OUTBOUND : SIPCONF_INBOUND);
}

void call_nego_opts(struct sdp_nego_opts *o, const json_t *row, bool tls)
{
	const json_t *codecs =
	    json_object_get(json_object_get(row, "codec_config"), "codecs");
	const json_t *secure =
	    json_object_get(json_object_get(row, "options"), "secure_media");
	size_t i, n = 0;
	json_t *e;

	o->srtp_required = tls && !json_is_false(secure);
	json_array_foreach(codecs, i, e)
	{
		const char *s = json_string_value(e);

		if (s && n < SDP_NEGO_MAX_CODECS &&
		    (!strcmp(s, "PCMU") || !strcmp(s, "PCMA")))
			o->codecs[n++] = s;
	}
	o->codecs[n] = NULL;
}

bool call_msg_header(const char *name, char *buf, size_t size, void *arg)
{
	const struct sip_hdr *h = sip_msg_xhdr(arg, name);

	if (!h)
		return false;
	pl_strcpy(&h->val, buf, size);
	return true;
}

struct mbuf *call_body_of(const struct sip_msg *msg)
{
	struct mbuf *mb = mbuf_alloc(mbuf_get_left(msg->mb) + 1);

	if (!mb)
		return NULL;
	(void)mbuf_write_mem(mb, mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
	mb->pos = 0;
	return mb;
}

/* re-INVITE with an offer: answer again with the same port */
int call_on_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	struct sdp_nego_opts o = {0};
	struct mbuf *offer;
	struct sa laddr;
	bool held;
	int err;

	call_nego_opts(&o, call_row(c), msg->tp == SIP_TRANSP_TLS);
	sa_cpy(&laddr, &msg->dst);
	if (c->cs->public_ip[0])
		sa_set_str(&laddr, c->cs->public_ip, 0);
	o.laddr = &laddr;
	o.lport = rtp_session_port(c->rtp);
	held = c->nego.held;
	offer = call_body_of(msg);
	err = offer ? sdp_nego_answer(&c->nego, descp, offer, &o) : ENOMEM;
	mem_deref(offer);
	if (err)
		return err;
	call_session_refreshed(c);
	if (held != c->nego.held)
		log_info("call", c->id, "%s",
			 c->nego.held ? "on hold" : "resumed");
	rtp_session_hold(c->rtp, c->nego.held);
	return rtp_session_start(
	    c->rtp, &c->nego.remote, c->nego.srtp ? &c->nego.ours : NULL,
	    c->nego.srtp ? &c->nego.theirs : NULL, c->nego.dtmf_pt);
}

int call_on_answer(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return 0;
}

struct call *call_new(struct calls *cs, bool outbound, const char *org_id,
		      const char *number)
{
	struct call *c = mem_zalloc(sizeof(*c), call_destructor);

	if (!c)
		return NULL;
	c->cs = cs;
	c->outbound = outbound;
	uuid4(c->id);
	tmr_init(&c->answer_tmr);
	tmr_init(&c->limit_tmr);
	tmr_init(&c->linger_tmr);
	tmr_init(&c->session_tmr);
	tmr_init(&c->media_tmr);
	tmr_init(&c->follow.tmr);
	snprintf(c->org_id, sizeof(c->org_id), "%s", org_id ? org_id : "");
	snprintf(c->number, sizeof(c->number), "%s", number);
	c->started_ms = walltime_us() / 1000;
	c->app = "echo";
	c->status = outbound ? "queued" : "ringing";
	list_append(&cs->calls, &c->le, c);
	return c;
}

void call_follow(struct call *c, const struct pl *callid)
{
	if (c->trace) {
		if (!c->trace_before)
			c->trace_before = json_array();
		append_trace(c->trace_before, c->trace);
		c->trace = mem_deref(c->trace);
	}
	pl_strcpy(callid, c->callid, sizeof(c->callid));
	if (sip_trace_follow(&c->trace, c->cs->tracer, callid))
		c->trace = NULL; /* the call goes on without its trace */
}

static void calls_destructor(void *arg)
{
	struct calls *cs = arg;

	calls_hangup_all(cs);
	while (!list_isempty(&cs->lingering))
		on_lingered(list_ledata(list_head(&cs->lingering)));
	list_flush(&cs->recent);
	cs->sock = mem_deref(cs->sock);
	mem_deref(cs->map);
	mem_deref(cs->rec);
	mem_deref(cs->tracer);
	mem_deref(cs->ports);
}

int calls_alloc(struct calls **csp, struct sip *sip, struct sipmap *map,
		struct callrec *rec, struct sip_tracer *tracer,
		struct rtp_ports *ports, const struct calls_opts *opts)
{
	struct calls *cs = mem_zalloc(sizeof(*cs), calls_destructor);
	int err;

	if (!cs)
		return ENOMEM;
	err = sdes_init();
	if (err) {
		mem_deref(cs);
		return err;
	}
	cs->sip = sip;
	cs->map = mem_ref(map);
	cs->rec = mem_ref(rec);
	cs->tracer = mem_ref(tracer);
	cs->ports = mem_ref(ports);
	cs->opts = *opts;
	snprintf(cs->public_ip, sizeof(cs->public_ip), "%s",
		 opts->public_ip ? opts->public_ip : "");
	cs->opts.public_ip = cs->public_ip;
	snprintf(cs->server_secret, sizeof(cs->server_secret), "%s",
		 opts->server_secret ? opts->server_secret : "");
	cs->opts.server_secret = cs->server_secret;
	err =
	    sipsess_listen(&cs->sock, sip, SESSION_BUCKETS, inbound_invite, cs);
	if (err) {
		mem_deref(cs);
		return err;
	}
	*csp = cs;
	return 0;
}

void calls_drain(struct calls *cs)
{
	cs->draining = true;
}

void calls_hangup_all(struct calls *cs)
{
	cs->draining = true;
	while (!list_isempty(&cs->calls))
		call_end(list_ledata(list_head(&cs->calls)), "completed",
			 "server stopping");
}

unsigned calls_active(const struct calls *cs)
{
	return list_count(&cs->calls);
}

void calls_stats(const struct calls *cs, struct calls_stats *st)
{
	struct callrec_stats rs;

	callrec_stats(cs->rec, &rs);
	st->active = list_count(&cs->calls);
	st->inbound_total = cs->started[0];
	st->outbound_total = cs->started[1];
	st->answered_total = cs->answered;
	st->unanswered_total = cs->unanswered;
	st->record_queue = rs.queued;
	st->records_written = rs.written;
	st->records_dropped = rs.dropped;
}

static struct call *find_in(const struct list *l, const char *org_id,
			    const char *id)
{
	for (struct le *le = list_head(l); le; le = le->next) {
		struct call *c = le->data;

		if (!strcmp(c->id, id) && !strcmp(c->org_id, org_id))
			return c;
	}
	return NULL;
}

/* a call of the org in memory; *live tells whether it is in progress */
static struct call *find(struct calls *cs, const char *org_id, const char *id,
			 bool *live)
{
	struct call *c = find_in(&cs->calls, org_id, id);

	*live = c != NULL;
	if (!c)
		c = find_in(&cs->lingering, org_id, id);
	if (!c)
		c = find_in(&cs->recent, org_id, id);
	return c;
}

struct call *calls_find(struct calls *cs, const char *org_id, const char *id)
{
	bool live;

	return find(cs, org_id, id, &live);
}

json_t *calls_find_json(struct calls *cs, const char *org_id, const char *id,
			bool with_trace)
{
	bool live;
	struct call *c = find(cs, org_id, id, &live);
	json_t *o = c ? call_json(c, false) : NULL;

	if (o && with_trace)
		json_object_set_new(o, "trace", trace_json(c));
	return o;
}

int calls_hangup(struct calls *cs, const char *org_id, const char *id)
{
	bool live;
	struct call *c = find(cs, org_id, id, &live);

	if (!c)
		return ENOENT;
	if (!live)
		return EALREADY;
	log_info("call", c->id, "hang-up requested through the API");
	if (c->answered_ms)
		call_end(c, "completed", "hung up through the API");
	else
		call_end(c, "canceled", "canceled through the API");
	return 0;
}

int calls_send_dtmf(struct calls *cs, const char *org_id, const char *id,
		    const char *digits)
{
	bool live;
	struct call *c = find(cs, org_id, id, &live);
	int err;

	if (!c)
		return ENOENT;
	if (!live)
		return EALREADY;
	if (!c->answered_ms || !c->rtp)
		return EAGAIN;
	err = rtp_session_send_digits(c->rtp, digits);
	if (!err)
		log_info("call", c->id, "sending DTMF '%s'", digits);
	return err == ENOTCONN ? EAGAIN : err;
}
