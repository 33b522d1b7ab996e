/**
 * @file inbound.c  Answering INVITEs for numbers attached for inbound SIP
 *
 * Routing from the in-memory map (404), admission (403: entitlement or
 * source address; 503: call limits), RFC 4028 (422 under Min-SE), the SDP
 * answer (488 for an offer we cannot take), then 180 Ringing and 200 OK
 * after --answer-delay-ms.  A number whose inbound direction has a
 * sip_endpoint (and does not register there) is forwarded instead: 183
 * Session Progress, and bridge.c places the second leg (483 when the
 * INVITE has been forwarded too often).  The rest of the call's life is
 * calls.c's.
 */
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
#include <re_sipsess.h>
#include <jansson.h>
#include "core/cidr.h"
#include "core/endpoints.h"
#include "core/hdrmap.h"
#include "core/log.h"
#include "core/sipconf.h"
#include "media/rtp_session.h"
#include "media/sdp_nego.h"
#include "sip/call_int.h"
#include "sip/sip_trace.h"
#include "store/sipmap.h"

#define SESSION_EXPIRES_DEFAULT 1800 /* s, RFC 4028's recommendation */

int inbound_answer(struct call *c)
{
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
		return err;
	}
	c->code = 200;
	call_answered(c);
	return 0;
}

static void on_answer(void *arg)
{
	(void)inbound_answer(arg);
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

static struct call *inbound_call(struct calls *cs, const struct sip_msg *msg,
				 const char *number, const json_t *row)
{
	struct call *c =
	    call_new(cs, false,
		     json_string_value(json_object_get(row, "org_id")), number);

	if (!c)
		return NULL;
	pl_strcpy(&msg->from.auri, c->from, sizeof(c->from));
	pl_strcpy(&msg->to.auri, c->to, sizeof(c->to));
	pl_strcpy(&msg->from.uri.user, c->caller, sizeof(c->caller));
	if (msg->from.uri.port)
		re_snprintf(c->peer_host, sizeof(c->peer_host), "%r:%u",
			    &msg->from.uri.host, msg->from.uri.port);
	else
		pl_strcpy(&msg->from.uri.host, c->peer_host,
			  sizeof(c->peer_host));
	c->transport = sip_transp_name(msg->tp);
	cs->started[0]++;
	c->app = app_of(row);
	c->variables = json_object();
	hdrmap_inbound(json_object_get(row, "headers"), call_msg_header,
		       (void *)msg, c->variables);
	call_follow(c, &msg->callid);
	return c;
}

void inbound_invite(const struct sip_msg *msg, void *arg)
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
	bool forward;
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
	forward = endpoints_forwarding(row);
	if (forward && bridge_hops_check(msg)) {
		reject(cs, msg, 483, "Too Many Hops", NULL, callid);
		return;
	}
	if (session_expires_of(cs, msg, &se)) {
		snprintf(warn, sizeof(warn), "Min-SE: %u\r\n", cs->opts.min_se);
		reject(cs, msg, 422, "Session Interval Too Small", warn,
		       callid);
		return;
	}
	c = inbound_call(cs, msg, number, row);
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
	call_nego_opts(&o, row, msg->tp == SIP_TRANSP_TLS);
	o.laddr = &laddr;
	o.lport = rtp_session_port(c->rtp);
	offer = call_body_of(msg);
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
		err = sipsess_accept(
		    &c->sess, cs->sock, msg, forward ? 183 : 180,
		    forward ? "Session Progress" : "Ringing", "trunkd",
		    "application/sdp", NULL, NULL, NULL, false, call_on_offer,
		    call_on_answer, call_on_estab, NULL, call_on_refer,
		    on_close, c, "X-Call-Id: %s\r\n", c->id);
	if (err) {
		reject(cs, msg, 500, "Server Internal Error", NULL, callid);
		c->code = 500;
		call_end(c, "failed", strerror(err));
		return;
	}
	re_snprintf(warn, sizeof(warn), "%J", &msg->src);
	log_info("call", c->id, "INVITE %s from %s via %s (%s): %s", c->number,
		 c->from, c->transport, warn,
		 forward ? "forwarding" : "ringing");
	if (!forward) {
		tmr_start(&c->answer_tmr, cs->opts.answer_delay_ms, on_answer,
			  c);
		return;
	}
	err = bridge_forward(c, msg, row, &why);
	if (err) {
		snprintf(warn, sizeof(warn),
			 "Warning: 399 trunkd \"%.100s\"\r\n"
			 "Content-Length: 0\r\n\r\n",
			 why);
		(void)sipsess_reject(c->sess, 503, "Service Unavailable", "%s",
				     warn);
		c->code = 503;
		call_end(c, "failed", why);
	}
}
