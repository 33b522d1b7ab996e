/** @file calls.c  Inbound calls (see calls.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
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
#include "media/rtp_session.h"
#include "media/sdp_nego.h"
#include "sip/calls.h"
#include "store/sipmap.h"
#include "store/store.h"

struct calls {
	struct sip *sip;	     /* borrowed: outlives calls */
	struct sipsess_sock *sock;   /* owned */
	struct sipmap *map;	     /* ref */
	struct store *store;	     /* ref */
	struct rtp_ports *ports;     /* ref */
	struct calls_opts opts;	     /* public_ip copied */
	char public_ip[64];
	struct list calls;	     /* struct call */
	bool draining;
};

struct call {
	struct le le;		 /* in calls->calls */
	struct calls *cs;	 /* borrowed */
	struct sipsess *sess;	 /* owned */
	struct rtp_session *rtp; /* owned */
	struct tmr answer_tmr, limit_tmr;
	struct mbuf *answer;	 /* owned until sent */
	struct sdp_nego nego;
	char id[37];
	char callid[128];
	char org_id[40];
	char number[SIPCONF_NUMBER_MAX + 1];
	char from[256], to[256];
	const char *transport;
	uint64_t started_ms, answered_ms;
	uint16_t code; /* final answer we gave */
	const char *status;
	char reason[64];
};

static uint64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

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

static void on_recorded(int err, const PGresult *res, void *arg)
{
	struct call *c = arg;

	(void)res;
	if (err)
		log_warn("call", c->id, "call record not stored (%s)",
			 strerror(err));
	mem_deref(c);
}

/* one row in calls; the call object lives until the INSERT is done */
static void record(struct call *c)
{
	struct rtp_stats st = {0};
	uint64_t end = now_ms();
	char started[24], answered[24], ended[24], dur[24], code[8];
	char *stats;
	json_t *js;

	if (c->rtp)
		rtp_session_stats(c->rtp, &st);
	js = json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:f, s:I}",
		       "rx_packets", (json_int_t)st.rx_packets, "rx_bytes",
		       (json_int_t)st.rx_bytes, "tx_packets",
		       (json_int_t)st.tx_packets, "tx_bytes",
		       (json_int_t)st.tx_bytes, "rx_dropped",
		       (json_int_t)st.rx_dropped, "lost", (int)st.lost,
		       "jitter_ms", st.jitter_ms, "rtcp_rx",
		       (json_int_t)st.rtcp_rx);
	stats = json_dumps(js, JSON_COMPACT);
	json_decref(js);
	snprintf(started, sizeof(started), "%llu",
		 (unsigned long long)c->started_ms);
	snprintf(answered, sizeof(answered), "%llu",
		 (unsigned long long)c->answered_ms);
	snprintf(ended, sizeof(ended), "%llu", (unsigned long long)end);
	snprintf(dur, sizeof(dur), "%llu",
		 (unsigned long long)(c->answered_ms ? end - c->answered_ms
						     : 0));
	snprintf(code, sizeof(code), "%u", c->code);
	log_info("call", c->id,
		 "%s %s → %s: %s %u, %s, %llu ms, rx %llu tx %llu lost %u "
		 "dtmf '%s'",
		 c->transport, c->from, c->number, c->status, c->code,
		 c->nego.srtp ? "srtp" : "rtp",
		 (unsigned long long)(c->answered_ms ? end - c->answered_ms
						     : 0),
		 (unsigned long long)st.rx_packets,
		 (unsigned long long)st.tx_packets, st.lost, st.dtmf);
	if (store_query(c->cs->store,
			 "INSERT INTO calls (id, org_id, number, direction, "
			 "from_uri, to_uri, sip_call_id, transport, status, "
			 "sip_code, reason, started_at, answered_at, "
			 "ended_at, duration_ms, codec, srtp, stats, dtmf) "
			 "VALUES ($1::uuid, $2::uuid, $3, 'inbound', $4, $5, "
			 "$6, $7, $8, $9::int, nullif($10, ''), "
			 "to_timestamp($11::float8 / 1000), CASE WHEN $12 = "
			 "'0' THEN NULL ELSE to_timestamp($12::float8 / 1000)"
			 " END, to_timestamp($13::float8 / 1000), $14::bigint,"
			 " $15, $16::boolean, $17::jsonb, $18)",
			 18,
			 (const char *const[]){
			     c->id, c->org_id, c->number, c->from, c->to,
			     c->callid, c->transport, c->status, code,
			     c->reason, started, answered, ended, dur,
			     c->nego.codec, c->nego.srtp ? "true" : "false",
			     stats ? stats : "{}", st.dtmf},
			 on_recorded, mem_ref(c)))
		mem_deref(c); /* the ref store_query did not take */
	free(stats);
}

static void call_destructor(void *arg)
{
	struct call *c = arg;

	tmr_cancel(&c->answer_tmr);
	tmr_cancel(&c->limit_tmr);
	list_unlink(&c->le);
	mem_deref(c->sess);
	mem_deref(c->rtp);
	mem_deref(c->answer);
}

/* the call is over: record it and let go of it */
static void call_end(struct call *c, const char *status, const char *reason)
{
	c->status = status;
	if (reason)
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
	tmr_cancel(&c->answer_tmr);
	tmr_cancel(&c->limit_tmr);
	list_unlink(&c->le);
	record(c);
	c->rtp = mem_deref(c->rtp);
	c->sess = mem_deref(c->sess); /* sends BYE if still established */
	mem_deref(c);
}

static void on_limit(void *arg)
{
	struct call *c = arg;

	log_info("call", c->id, "max call duration reached: hanging up");
	call_end(c, "completed", "max_call_duration");
}

static void on_answer(void *arg)
{
	struct call *c = arg;
	int err = sipsess_answer(c->sess, 200, "OK", c->answer, NULL);

	c->answer = mem_deref(c->answer);
	if (err) {
		log_warn("call", c->id, "200 OK failed: %s", strerror(err));
		call_end(c, "failed", "answer failed");
		return;
	}
	c->code = 200;
	c->status = "in_progress";
	c->answered_ms = now_ms();
	if (c->cs->opts.max_call_duration)
		tmr_start(&c->limit_tmr,
			  c->cs->opts.max_call_duration * 1000ULL, on_limit,
			  c);
}

/* negotiation options for this number and transport */
static void nego_opts(struct sdp_nego_opts *o, const json_t *row,
		      bool tls)
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

/* re-INVITE with an offer: answer again with the same port */
static int on_offer(struct mbuf **descp, const struct sip_msg *msg,
		    void *arg)
{
	struct call *c = arg;
	const json_t *row = sipmap_row(c->cs->map, c->number, SIPCONF_INBOUND);
	struct sdp_nego_opts o = {0};
	struct sa laddr;
	int err;

	nego_opts(&o, row, msg->tp == SIP_TRANSP_TLS);
	sa_cpy(&laddr, &msg->dst);
	if (c->cs->public_ip[0])
		sa_set_str(&laddr, c->cs->public_ip, 0);
	o.laddr = &laddr;
	o.lport = rtp_session_port(c->rtp);
	err = sdp_nego_answer(&c->nego, descp, msg->mb, &o);
	if (err)
		return err;
	return rtp_session_start(c->rtp, &c->nego.remote,
				 c->nego.srtp ? &c->nego.ours : NULL,
				 c->nego.srtp ? &c->nego.theirs : NULL,
				 c->nego.dtmf_pt);
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

static void reject(struct calls *cs, const struct sip_msg *msg,
		   uint16_t scode, const char *reason, const char *hdrs,
		   const char *callid)
{
	if (sip_treplyf(NULL, NULL, cs->sip, msg, false, scode, reason,
			"%sContent-Length: 0\r\n\r\n", hdrs ? hdrs : ""))
		log_warn("call", callid, "cannot send %u", scode);
	char src[64];

	re_snprintf(src, sizeof(src), "%J", &msg->src);
	log_info("call", callid, "INVITE for %.*s from %s: %u %s",
		 (int)msg->uri.user.l, msg->uri.user.p, src, scode, reason);
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
	pl_strcpy(&msg->callid, c->callid, sizeof(c->callid));
	snprintf(c->org_id, sizeof(c->org_id), "%s",
		 json_string_value(json_object_get(row, "org_id")));
	snprintf(c->number, sizeof(c->number), "%s", number);
	pl_strcpy(&msg->from.auri, c->from, sizeof(c->from));
	pl_strcpy(&msg->to.auri, c->to, sizeof(c->to));
	c->transport = sip_transp_name(msg->tp);
	c->started_ms = now_ms();
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
	int err;

	pl_strcpy(&msg->callid, callid, sizeof(callid));
	if (cs->draining) {
		reject(cs, msg, 503, "Service Unavailable",
		       "Retry-After: 30\r\n", callid);
		return;
	}
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
	if (list_count(&cs->calls) >= cs->opts.max_calls) {
		reject(cs, msg, 503, "Service Unavailable",
		       "Retry-After: 5\r\nReason: SIP;cause=503;text=\"too "
		       "many calls\"\r\n",
		       callid);
		return;
	}
	c = call_new(cs, msg, number, row);
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
	offer = mbuf_alloc(mbuf_get_left(msg->mb) + 1);
	if (offer) {
		mbuf_write_mem(offer, mbuf_buf(msg->mb),
			       mbuf_get_left(msg->mb));
		offer->pos = 0;
	}
	err = offer ? sdp_nego_answer(&c->nego, &c->answer, offer, &o)
		    : ENOMEM;
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

	while (!list_isempty(&cs->calls))
		call_end(list_ledata(list_head(&cs->calls)), "failed",
			 "server stopping");
	cs->sock = mem_deref(cs->sock);
	mem_deref(cs->map);
	mem_deref(cs->store);
	mem_deref(cs->ports);
}

int calls_alloc(struct calls **csp, struct sip *sip, struct sipmap *map,
		struct store *store, struct rtp_ports *ports,
		const struct calls_opts *opts)
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
	cs->store = mem_ref(store);
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

unsigned calls_active(const struct calls *cs)
{
	return list_count(&cs->calls);
}
