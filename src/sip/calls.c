/** @file calls.c  Inbound calls (see calls.h) */
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
#include "core/cidr.h"
#include "core/log.h"
#include "core/sipconf.h"
#include "core/walltime.h"
#include "media/call_app.h"
#include "media/rtp_session.h"
#include "media/sdp_nego.h"
#include "sip/calls.h"
#include "sip/sip_trace.h"
#include "store/callrec.h"
#include "store/sipmap.h"

#define TRACE_LINGER_MS		1000
#define SESSION_EXPIRES_DEFAULT 1800 /* s, RFC 4028's recommendation */
#define MEDIA_CHECK_MS		2000

struct calls {
	struct sip *sip;	   /* borrowed: outlives calls */
	struct sipsess_sock *sock; /* owned */
	struct sipmap *map;	   /* ref */
	struct callrec *rec;	   /* ref */
	struct sip_tracer *tracer; /* ref */
	struct rtp_ports *ports;   /* ref */
	struct calls_opts opts;	   /* public_ip copied */
	char public_ip[64];
	struct list calls;     /* struct call, in progress */
	struct list lingering; /* struct call, ended, not recorded */
	bool draining;
};

struct call {
	struct le le;		    /* in calls->calls */
	struct calls *cs;	    /* borrowed */
	struct sipsess *sess;	    /* owned */
	struct rtp_session *rtp;    /* owned */
	struct call_app *media_app; /* owned, from the answer on */
	struct sip_trace *trace;    /* owned */
	struct tmr answer_tmr, limit_tmr, linger_tmr, session_tmr, media_tmr;
	unsigned session_expires; /* s, 0 without RFC 4028 */
	struct mbuf *answer;	  /* owned until sent */
	struct sdp_nego nego;
	struct rtp_stats st; /* taken when the media stops */
	const char *app;     /* "echo", ... */
	char recording[256];
	char id[37];
	char callid[128];
	char org_id[40];
	char number[SIPCONF_NUMBER_MAX + 1];
	char from[256], to[256];
	const char *transport;
	uint64_t started_ms, answered_ms, ended_ms;
	uint16_t code; /* final answer we gave */
	const char *status;
	char reason[64];
};

static void uuid4(char out[37])
{
	uint8_t b[16];

	rand_bytes(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	re_snprintf(out, 37,
		    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		    "%02x%02x%02x%02x%02x%02x",
		    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		    b[10], b[11], b[12], b[13], b[14], b[15]);
}

static json_t *ts_json(uint64_t ms)
{
	char iso[WALLTIME_ISO_LEN];

	if (!ms)
		return json_null();
	walltime_iso(iso, ms * 1000, 3);
	return json_string(iso);
}

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
	    "{s:I, s:I, s:I, s:I, s:I, s:i, s:f, s:I, s:I, s:o}", "rx_packets",
	    (json_int_t)st->rx_packets, "rx_bytes", (json_int_t)st->rx_bytes,
	    "tx_packets", (json_int_t)st->tx_packets, "tx_bytes",
	    (json_int_t)st->tx_bytes, "rx_dropped", (json_int_t)st->rx_dropped,
	    "lost", (int)st->lost, "jitter_ms", st->jitter_ms, "rtcp_rx",
	    (json_int_t)st->rtcp_rx, "rtcp_tx", (json_int_t)st->rtcp_tx,
	    "dtmf_events", dtmf_events_json(st));
}

/* the calls table row (store/callrec.h) */
static json_t *call_row(const struct call *c)
{
	json_t *row = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, "
	    "s:o, s:o, s:I, s:o, s:b, s:o, s:s, s:o, s:s, s:o}",
	    "id", c->id, "org_id", c->org_id, "number", c->number, "direction",
	    "inbound", "from_uri", c->from, "to_uri", c->to, "sip_call_id",
	    c->callid, "transport", c->transport, "status", c->status,
	    "sip_code", (int)c->code, "reason",
	    c->reason[0] ? json_string(c->reason) : json_null(), "started_at",
	    ts_json(c->started_ms), "answered_at", ts_json(c->answered_ms),
	    "ended_at", ts_json(c->ended_ms), "duration_ms",
	    (json_int_t)(c->answered_ms ? c->ended_ms - c->answered_ms : 0),
	    "codec", c->nego.codec ? json_string(c->nego.codec) : json_null(),
	    "srtp", c->nego.srtp, "stats", stats_json(&c->st), "dtmf",
	    c->st.dtmf, "trace",
	    c->trace ? sip_trace_json(c->trace) : json_array(), "app", c->app,
	    "recording",
	    c->recording[0] ? json_string(c->recording) : json_null());

	return row;
}

static void on_lingered(void *arg)
{
	struct call *c = arg;
	json_t *row = call_row(c);

	list_unlink(&c->le);
	if (row)
		callrec_submit(c->cs->rec, row);
	else
		log_error("call", c->id, "call record could not be built");
	mem_deref(c);
}

static void call_destructor(void *arg)
{
	struct call *c = arg;

	tmr_cancel(&c->answer_tmr);
	tmr_cancel(&c->limit_tmr);
	tmr_cancel(&c->linger_tmr);
	tmr_cancel(&c->session_tmr);
	tmr_cancel(&c->media_tmr);
	list_unlink(&c->le);
	mem_deref(c->media_app);
	mem_deref(c->sess);
	mem_deref(c->rtp);
	mem_deref(c->answer);
	mem_deref(c->trace);
}

/*
 * The call is over: hang up (BYE if established), free the media, and keep
 * the call for TRACE_LINGER_MS so that its trace also holds the last
 * messages (the 200 to our BYE, the ACK of a 487) before it is recorded.
 */
static void call_end(struct call *c, const char *status, const char *reason)
{
	c->status = status;
	if (reason)
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
	c->ended_ms = walltime_us() / 1000;
	tmr_cancel(&c->answer_tmr);
	tmr_cancel(&c->limit_tmr);
	tmr_cancel(&c->session_tmr);
	tmr_cancel(&c->media_tmr);
	list_unlink(&c->le);
	if (c->media_app)
		snprintf(c->recording, sizeof(c->recording), "%s",
			 call_app_recording(c->media_app));
	c->media_app = mem_deref(c->media_app);
	if (c->rtp)
		rtp_session_stats(c->rtp, &c->st);
	c->rtp = mem_deref(c->rtp);
	c->sess = mem_deref(c->sess); /* sends BYE if still established */
	log_info("call", c->id,
		 "%s %s → %s: %s %u, %s, %llu ms, rx %llu tx %llu lost %u "
		 "dtmf '%s'",
		 c->transport, c->from, c->number, c->status, c->code,
		 c->nego.srtp ? "srtp" : "rtp",
		 (unsigned long long)(c->answered_ms
					  ? c->ended_ms - c->answered_ms
					  : 0),
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
static void session_refreshed(struct call *c)
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

/* the number's application takes over the media once the call is up */
static void start_app(struct call *c)
{
	const json_t *opts = json_object_get(
	    sipmap_row(c->cs->map, c->number, SIPCONF_INBOUND), "options");
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

static void on_answer(void *arg)
{
	struct call *c = arg;
	int err = c->session_expires
		      ? sipsess_answer(c->sess, 200, "OK", c->answer,
				       "Session-Expires: %u;refresher=uac\r\n"
				       "Require: timer\r\n",
				       c->session_expires)
		      : sipsess_answer(c->sess, 200, "OK", c->answer, NULL);

	c->answer = mem_deref(c->answer);
	if (err) {
		log_warn("call", c->id, "200 OK failed: %s", strerror(err));
		call_end(c, "failed", "answer failed");
		return;
	}
	c->code = 200;
	c->status = "in_progress";
	c->answered_ms = walltime_us() / 1000;
	if (c->cs->opts.max_call_duration)
		tmr_start(&c->limit_tmr,
			  c->cs->opts.max_call_duration * 1000ULL, on_limit, c);
}

/* negotiation options for this number and transport */
static void nego_opts(struct sdp_nego_opts *o, const json_t *row, bool tls)
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

/* the SDP body of a request, on its own (sdp_nego reads from the start) */
static struct mbuf *body_of(const struct sip_msg *msg)
{
	struct mbuf *mb = mbuf_alloc(mbuf_get_left(msg->mb) + 1);

	if (!mb)
		return NULL;
	(void)mbuf_write_mem(mb, mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
	mb->pos = 0;
	return mb;
}

/* re-INVITE with an offer: answer again with the same port */
static int on_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	const json_t *row = sipmap_row(c->cs->map, c->number, SIPCONF_INBOUND);
	struct sdp_nego_opts o = {0};
	struct mbuf *offer;
	struct sa laddr;
	bool held;
	int err;

	nego_opts(&o, row, msg->tp == SIP_TRANSP_TLS);
	sa_cpy(&laddr, &msg->dst);
	if (c->cs->public_ip[0])
		sa_set_str(&laddr, c->cs->public_ip, 0);
	o.laddr = &laddr;
	o.lport = rtp_session_port(c->rtp);
	held = c->nego.held;
	offer = body_of(msg);
	err = offer ? sdp_nego_answer(&c->nego, descp, offer, &o) : ENOMEM;
	mem_deref(offer);
	if (err)
		return err;
	session_refreshed(c);
	if (held != c->nego.held)
		log_info("call", c->id, "%s",
			 c->nego.held ? "on hold" : "resumed");
	rtp_session_hold(c->rtp, c->nego.held);
	return rtp_session_start(
	    c->rtp, &c->nego.remote, c->nego.srtp ? &c->nego.ours : NULL,
	    c->nego.srtp ? &c->nego.theirs : NULL, c->nego.dtmf_pt);
}

static int on_sdp_answer(const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return 0;
}

static void on_estab(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;

	(void)msg;
	log_info("call", c->id, "established (%s %s%s)", c->nego.codec,
		 c->nego.srtp ? "SRTP " : "RTP",
		 c->nego.srtp ? sdes_suite_name(c->nego.ours.suite) : "");
	if (c->media_app)
		return;
	start_app(c); /* on the ACK: a BYE before it would be early */
	session_refreshed(c);
	if (c->cs->opts.media_timeout)
		tmr_start(&c->media_tmr, MEDIA_CHECK_MS, on_media_check, c);
}

static void on_close(int err, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;

	(void)msg;
	/* libre reports the caller's BYE and CANCEL as ECONNRESET */
	if (!c->answered_ms && err == ECONNRESET) {
		c->code = 487;
		call_end(c, "canceled", "caller canceled");
	} else if (!c->answered_ms) {
		call_end(c, "failed", strerror(err ? err : EPROTO));
	} else if (!err || err == ECONNRESET) {
		call_end(c, "completed", "caller hung up");
	} else {
		call_end(c, "failed", strerror(err));
	}
}

static void reject(struct calls *cs, const struct sip_msg *msg, uint16_t scode,
		   const char *reason, const char *hdrs, const char *callid)
{
	if (sip_treplyf(NULL, NULL, cs->sip, msg, false, scode, reason,
			"%sContent-Length: 0\r\n\r\n", hdrs ? hdrs : ""))
		log_warn("call", callid, "cannot send %u", scode);
	char src[64];

	re_snprintf(src, sizeof(src), "%J", &msg->src);
	log_info("call", callid, "INVITE for %.*s from %s: %u %s",
		 (int)msg->uri.user.l, msg->uri.user.p, src, scode, reason);
}

static const char *app_of(const json_t *row)
{
	static const char *const apps[] = {"echo", "play", "record", "dtmf"};
	const char *app = json_string_value(
	    json_object_get(json_object_get(row, "options"), "app"));

	for (size_t i = 0; app && i < sizeof(apps) / sizeof(apps[0]); i++)
		if (!strcmp(app, apps[i]))
			return apps[i];
	return apps[0];
}

/* options.allowed_cidrs: absent or empty lets every source in */
static bool source_allowed(const json_t *row, const struct sa *src)
{
	const json_t *list =
	    json_object_get(json_object_get(row, "options"), "allowed_cidrs");
	const json_t *e;
	struct cidr c;
	size_t i;

	if (!json_array_size(list))
		return true;
	json_array_foreach(list, i, e)
	{
		if (!cidr_parse(json_string_value(e), &c) &&
		    cidr_contains(&c, &src->u.sa))
			return true;
	}
	return false;
}

static unsigned calls_to(const struct calls *cs, const char *number)
{
	unsigned n = 0;

	for (struct le *le = list_head(&cs->calls); le; le = le->next)
		n += !strcmp(((struct call *)le->data)->number, number);
	return n;
}

/* 403/503 for a known number, or 0 to go on */
static uint16_t admission(const struct calls *cs, const json_t *row,
			  const struct sip_msg *msg, const char *number,
			  const char **why)
{
	json_int_t limit = json_integer_value(json_object_get(
	    json_object_get(row, "options"), "max_concurrent_calls"));

	if (!json_is_true(json_object_get(row, "sip_enabled"))) {
		*why = "SIP is not enabled for this account";
		return 403;
	}
	if (!source_allowed(row, &msg->src)) {
		*why = "source address not allowed";
		return 403;
	}
	if (list_count(&cs->calls) >= cs->opts.max_calls) {
		*why = "too many calls";
		return 503;
	}
	if (limit > 0 && calls_to(cs, number) >= (unsigned)limit) {
		*why = "too many calls to this number";
		return 503;
	}
	return 0;
}

/*
 * RFC 4028 as the UAS: a caller that supports timers refreshes; its
 * Session-Expires (or ours) is kept, under Min-SE it gets 422.  Returns the
 * interval in seconds (0: no session timer) or 422.
 */
static unsigned session_expires_of(const struct calls *cs,
				   const struct sip_msg *msg, unsigned *se)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES);
	char v[16] = "";

	*se = 0;
	if (!h && !sip_msg_hdr_has_value(msg, SIP_HDR_SUPPORTED, "timer"))
		return 0;
	if (h)
		pl_strcpy(&h->val, v, sizeof(v));
	*se = h ? (unsigned)strtoul(v, NULL, 10) : SESSION_EXPIRES_DEFAULT;
	return *se < cs->opts.min_se ? 422 : 0;
}

static struct call *call_new(struct calls *cs, const struct sip_msg *msg,
			     const char *number, const json_t *row)
{
	struct call *c = mem_zalloc(sizeof(*c), call_destructor);

	if (!c)
		return NULL;
	c->cs = cs;
	uuid4(c->id);
	tmr_init(&c->answer_tmr);
	tmr_init(&c->limit_tmr);
	tmr_init(&c->session_tmr);
	tmr_init(&c->media_tmr);
	pl_strcpy(&msg->callid, c->callid, sizeof(c->callid));
	snprintf(c->org_id, sizeof(c->org_id), "%s",
		 json_string_value(json_object_get(row, "org_id")));
	snprintf(c->number, sizeof(c->number), "%s", number);
	pl_strcpy(&msg->from.auri, c->from, sizeof(c->from));
	pl_strcpy(&msg->to.auri, c->to, sizeof(c->to));
	c->transport = sip_transp_name(msg->tp);
	c->started_ms = walltime_us() / 1000;
	c->app = app_of(row);
	if (sip_trace_follow(&c->trace, cs->tracer, &msg->callid))
		c->trace = NULL; /* the call goes on without its trace */
	c->status = "ringing";
	list_append(&cs->calls, &c->le, c);
	return c;
}

static void on_invite(const struct sip_msg *msg, void *arg)
{
	struct calls *cs = arg;
	char user[64] = "", number[SIPCONF_NUMBER_MAX + 1], callid[64];
	char warn[160];
	struct sdp_nego_opts o = {0};
	const json_t *row;
	struct mbuf *offer = NULL;
	struct call *c = NULL;
	struct sa laddr;
	const char *why;
	uint16_t code;
	unsigned se;
	int err;

	pl_strcpy(&msg->callid, callid, sizeof(callid));
	if (cs->draining) {
		reject(cs, msg, 503, "Service Unavailable",
		       "Retry-After: 30\r\n", callid);
		return;
	}
	/* stateless: libre's sipsess_accept starts at 101 */
	(void)sip_replyf(cs->sip, msg, 100, "Trying",
			 "Content-Length: 0\r\n\r\n");
	pl_strcpy(&msg->uri.user, user, sizeof(user));
	if (!user[0])
		pl_strcpy(&msg->to.uri.user, user, sizeof(user));
	row = sipconf_number_normalize(user, true, number)
		  ? NULL
		  : sipmap_row(cs->map, number, SIPCONF_INBOUND);
	if (!row) {
		reject(cs, msg, 404, "Not Found", NULL, callid);
		return;
	}
	code = admission(cs, row, msg, number, &why);
	if (code) {
		snprintf(warn, sizeof(warn),
			 "%sReason: SIP;cause=%u;text=\"%s\"\r\n",
			 code == 503 ? "Retry-After: 5\r\n" : "", code, why);
		reject(cs, msg, code,
		       code == 503 ? "Service Unavailable" : "Forbidden", warn,
		       callid);
		return;
	}
	if (session_expires_of(cs, msg, &se)) {
		snprintf(warn, sizeof(warn), "Min-SE: %u\r\n", cs->opts.min_se);
		reject(cs, msg, 422, "Session Interval Too Small", warn,
		       callid);
		return;
	}
	c = call_new(cs, msg, number, row);
	if (c)
		c->session_expires = se;
	if (!c) {
		reject(cs, msg, 500, "Server Internal Error", NULL, callid);
		return;
	}
	sa_cpy(&laddr, &msg->dst);
	sa_set_port(&laddr, 0);
	err = rtp_session_alloc(&c->rtp, cs->ports, &laddr);
	if (err) {
		reject(cs, msg, 503, "Service Unavailable",
		       "Retry-After: 5\r\nReason: SIP;cause=503;text=\"no "
		       "media port\"\r\n",
		       callid);
		c->code = 503;
		call_end(c, "failed", "no media port");
		return;
	}
	if (cs->public_ip[0])
		sa_set_str(&laddr, cs->public_ip, 0);
	nego_opts(&o, row, msg->tp == SIP_TRANSP_TLS);
	o.laddr = &laddr;
	o.lport = rtp_session_port(c->rtp);
	offer = body_of(msg);
	err = offer ? sdp_nego_answer(&c->nego, &c->answer, offer, &o) : ENOMEM;
	mem_deref(offer);
	if (err == EPROTO) {
		snprintf(warn, sizeof(warn), "Warning: 399 trunkd \"%s\"\r\n",
			 c->nego.refusal);
		reject(cs, msg, 488, "Not Acceptable Here", warn, callid);
		c->code = 488;
		call_end(c, "failed", c->nego.refusal);
		return;
	}
	if (!err)
		err = rtp_session_start(c->rtp, &c->nego.remote,
					c->nego.srtp ? &c->nego.ours : NULL,
					c->nego.srtp ? &c->nego.theirs : NULL,
					c->nego.dtmf_pt);
	if (!err)
		err = sipsess_accept(&c->sess, cs->sock, msg, 180, "Ringing",
				     "trunkd", "application/sdp", NULL, NULL,
				     NULL, false, on_offer, on_sdp_answer,
				     on_estab, NULL, NULL, on_close, c,
				     "X-Call-Id: %s\r\n", c->id);
	if (err) {
		reject(cs, msg, 500, "Server Internal Error", NULL, callid);
		c->code = 500;
		call_end(c, "failed", strerror(err));
		return;
	}
	re_snprintf(warn, sizeof(warn), "%J", &msg->src);
	log_info("call", c->id, "INVITE %s from %s via %s (%s): ringing",
		 c->number, c->from, c->transport, warn);
	tmr_start(&c->answer_tmr, cs->opts.answer_delay_ms, on_answer, c);
}

static void calls_destructor(void *arg)
{
	struct calls *cs = arg;

	calls_hangup_all(cs);
	while (!list_isempty(&cs->lingering))
		on_lingered(list_ledata(list_head(&cs->lingering)));
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
	err = sipsess_listen(&cs->sock, sip, 1024, on_invite, cs);
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
