/**
 * @file outbound.c  Placing calls through a customer's SIP provider
 *
 * calls_dial() checks the request against the in-memory map, creates the
 * call (status queued) and starts its dial: the endpoints to try (the
 * number's sip_endpoint, or its trunk's, then the failover endpoints by
 * priority when failover is enabled), one attempt at a time.  Each attempt
 * is a fresh INVITE (libre sipsess_connect: RFC 3263 resolution, digest
 * answers through auth_h) with a fresh SDP offer on the call's RTP port.
 *
 * An attempt fails over to the next endpoint only on a configured trigger:
 *   unreachable   transport or DNS error (libre's close error)
 *   timeout       no provisional response beyond 100 Trying and no final
 *                 one within failover_config.timeout_seconds (default 8;
 *                 Timer B is 32); once the callee rings, trunkd never
 *                 dials another endpoint: the callee would ring twice.
 *                 An endpoint that sent nothing at all by then ends its
 *                 attempt even without failover (the call fails: timeout)
 *   auth_failure  401/407 again after credentials were sent (or none are
 *                 configured), or 403 after credentials were sent
 * Any other final answer ends the call: 486/600/603 busy, 408/480/487
 * no_answer, other codes failed.  The whole dial gives up after
 * --ring-timeout seconds without an answer (CANCEL, no_answer).
 *
 * Ownership: struct dial is owned by its call (call->dial) and freed by
 * dial_close() when the call ends or is freed.
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
#include <re_net.h>
#include <re_tmr.h>
#include <re_uri.h>
#include <re_msg.h>
#include <re_sip.h>
#include <re_sipsess.h>
#include <jansson.h>
#include "core/e164.h"
#include "core/endpoints.h"
#include "core/hdrmap.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/sipconf.h"
#include "core/sipdest.h"
#include "core/walltime.h"
#include "media/rtp_session.h"
#include "media/sdp_nego.h"
#include "sip/call_int.h"
#include "sip/failover.h"
#include "store/sipmap.h"

#define ATTEMPT_TIMEOUT_DEFAULT 8 /* s without a provisional: "timeout" */

enum trigger {
	TRIGGER_NONE = 0,
	TRIGGER_UNREACHABLE = 1,
	TRIGGER_TIMEOUT = 2,
	TRIGGER_AUTH = 4,
};

struct dial {
	struct call *c; /* borrowed: the dial's owner */
	struct sipdest eps[ENDPOINTS_MAX];
	unsigned epc, cur;
	unsigned triggers; /* enum trigger bits that fail over */
	unsigned attempt_timeout_s;
	char to_user[128];
	char auth_user[128];
	char *password; /* owned (mem), NULL without credentials */
	bool auth_sent, provisional;
	bool responded;	  /* anything at all, 100 Trying included */
	bool srtp_wanted; /* secure_media, default true on TLS */
	json_t *row;	  /* owned: the effective outbound row */
	json_t *attempts; /* owned: [{endpoint, transport, result, ...}] */
	char *hdrs;	  /* owned: extra INVITE headers, or NULL */
	bool inbound;	  /* the row: inbound (forwarding), or outbound */
	struct tmr attempt_tmr, ring_tmr;
};

static const char *trigger_name(enum trigger t)
{
	switch (t) {
	case TRIGGER_UNREACHABLE:
		return "unreachable";
	case TRIGGER_TIMEOUT:
		return "timeout";
	case TRIGGER_AUTH:
		return "auth_failure";
	default:
		return "final";
	}
}

static void dial_destructor(void *arg)
{
	struct dial *d = arg;

	tmr_cancel(&d->attempt_tmr);
	tmr_cancel(&d->ring_tmr);
	mem_deref(d->password);
	mem_deref(d->hdrs);
	json_decref(d->row);
	json_decref(d->attempts);
}

void dial_close(struct call *c)
{
	if (!c->dial)
		return;
	tmr_cancel(&c->dial->attempt_tmr);
	tmr_cancel(&c->dial->ring_tmr);
}

json_t *dial_attempts_json(const struct call *c)
{
	return c->dial ? json_deep_copy(c->dial->attempts) : NULL;
}

static void attempt_done(struct dial *d, const char *result, uint16_t code,
			 const char *reason)
{
	const struct sipdest *ep = &d->eps[d->cur];
	char at[WALLTIME_ISO_LEN];

	walltime_iso(at, walltime_us(), 3);
	json_array_append_new(d->attempts,
			      json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:s}",
					"host", ep->host, "port", (int)ep->port,
					"transport", ep->transport, "result",
					result, "sip_code", (int)code, "reason",
					reason ? reason : "", "ended_at", at));
}

/* 486/600/603 busy, 408/480/487 no_answer, the rest failed */
static const char *status_of(uint16_t code)
{
	switch (code) {
	case 486:
	case 600:
	case 603:
		return "busy";
	case 408:
	case 480:
	case 487:
		return "no_answer";
	default:
		return "failed";
	}
}

static int attempt(struct dial *d);

/* the current attempt failed with t: next endpoint, or the call ends */
static void attempt_failed(struct dial *d, enum trigger t, uint16_t code,
			   const char *reason)
{
	struct call *c = d->c;

	attempt_done(d, trigger_name(t), code, reason);
	c->sess = mem_deref(c->sess);
	c->code = code;
	if ((t & d->triggers) && d->cur == 0 && d->epc > 1)
		failover_moved(c->cs->opts.failover, c->number, d->inbound,
			       reason);
	while ((t & d->triggers) && d->cur + 1 < d->epc) {
		d->cur++;
		log_info("call", c->id, "%s: failing over to %s:%u (%s)",
			 trigger_name(t), d->eps[d->cur].host,
			 d->eps[d->cur].port, d->eps[d->cur].transport);
		if (!attempt(d))
			return;
		attempt_done(d, "unreachable", 0, "could not send the INVITE");
		t = TRIGGER_UNREACHABLE;
	}
	call_end(c, t == TRIGGER_NONE ? status_of(code) : "failed", reason);
}

static int auth_h(char **user, char **pass, const char *realm, void *arg)
{
	struct dial *d = arg;
	int err;

	if (!d->password) {
		log_info("call", d->c->id,
			 "challenged by realm '%s': no "
			 "credentials configured",
			 realm);
		return EAUTH;
	}
	err = str_dup(user, d->auth_user);
	if (!err)
		err = str_dup(pass, d->password);
	if (err) {
		*user = mem_deref(*user);
		return err;
	}
	d->auth_sent = true;
	return 0;
}

static void on_progress(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	struct dial *d = c->dial;

	d->responded = true;
	if (msg->scode <= 100 || d->provisional)
		return;
	d->provisional = true;
	c->status = "ringing";
	tmr_cancel(&d->attempt_tmr);
	log_info("call", c->id, "%u %.*s from %s:%u", msg->scode,
		 (int)msg->reason.l, msg->reason.p, d->eps[d->cur].host,
		 d->eps[d->cur].port);
	bridge_ringing(c);
}

static int on_sdp_answer(const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	struct dial *d = c->dial;
	struct mbuf *body = call_body_of(msg);
	int err = body ? sdp_nego_answered(&c->nego, body) : ENOMEM;

	mem_deref(body);
	if (err) {
		log_warn("call", c->id, "answer refused: %s",
			 c->nego.refusal ? c->nego.refusal : strerror(err));
		return err;
	}
	err = rtp_session_start(
	    c->rtp, &c->nego.remote, c->nego.srtp ? &c->nego.ours : NULL,
	    c->nego.srtp ? &c->nego.theirs : NULL, c->nego.dtmf_pt);
	if (err)
		return err;
	rtp_session_hold(c->rtp, c->nego.held);
	tmr_cancel(&d->attempt_tmr);
	tmr_cancel(&d->ring_tmr);
	attempt_done(d, "answered", msg->scode, NULL);
	c->code = msg->scode;
	call_answered(c);
	bridge_answered(c);
	return 0;
}

/* an error before any answer from a host name that is not a transport
 * error: the name did not resolve (libre's DNS client or its absence) */
static bool dns_error(const struct dial *d, int err)
{
	struct sa ip;

	if (d->responded || !sa_set_str(&ip, d->eps[d->cur].host, 0))
		return false;
	switch (err) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EPIPE:
	case EAUTH:
		return false;
	default:
		return true;
	}
}

static void on_close(int err, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	struct dial *d = c->dial;
	uint16_t code = msg ? msg->scode : 0;
	char reason[128];

	if (c->answered_ms) {
		if (!err || err == ECONNRESET)
			call_end(c, "completed", "callee hung up");
		else
			call_end(c, "failed", strerror(err));
		return;
	}
	tmr_cancel(&d->attempt_tmr);
	if (msg && msg->scode >= 200 && msg->scode < 300) {
		/* a 200 whose SDP answer we could not take */
		attempt_done(d, "final", code, c->nego.refusal);
		c->code = code;
		call_end(c, "failed",
			 c->nego.refusal ? c->nego.refusal
					 : "the answer could not be used");
		return;
	}
	if (msg)
		re_snprintf(reason, sizeof(reason), "%u %r", code,
			    &msg->reason);
	else if (dns_error(d, err))
		re_snprintf(reason, sizeof(reason),
			    "DNS: %s does not resolve (%s)",
			    d->eps[d->cur].host, strerror(err));
	else if (err == EAUTH) /* from the TLS layer */
		re_snprintf(reason, sizeof(reason),
			    "TLS: the certificate of %s did not verify",
			    d->eps[d->cur].host);
	else
		re_snprintf(reason, sizeof(reason), "%s", strerror(err));
	if (err)
		attempt_failed(
		    d, err == ETIMEDOUT ? TRIGGER_TIMEOUT : TRIGGER_UNREACHABLE,
		    0, reason);
	else if (code == 401 || code == 407 || (code == 403 && d->auth_sent))
		attempt_failed(d, TRIGGER_AUTH, code, reason);
	else
		attempt_failed(d, TRIGGER_NONE, code, reason);
}

static void on_attempt_timeout(void *arg)
{
	struct dial *d = arg;
	char reason[96];

	snprintf(reason, sizeof(reason), "no answer from %.60s in %u s",
		 d->eps[d->cur].host, d->attempt_timeout_s);
	/* silence (not even 100 Trying) ends the attempt; a 100 without a
	 * ringing only when failing over to another endpoint */
	if (d->responded &&
	    (!(d->triggers & TRIGGER_TIMEOUT) || d->cur + 1 >= d->epc))
		return; /* keep waiting: Timer B or the ring timeout ends it */
	log_info("call", d->c->id, "%s", reason);
	attempt_failed(d, TRIGGER_TIMEOUT, 0, reason);
}

static void on_ring_timeout(void *arg)
{
	struct dial *d = arg;
	char reason[64];

	snprintf(reason, sizeof(reason), "no answer in %u s",
		 d->c->cs->opts.ring_timeout);
	attempt_done(d, "no_answer", 0, reason);
	call_end(d->c, "no_answer", reason);
}

static enum sip_transp transp_of(const char *name)
{
	if (!strcmp(name, "tcp"))
		return SIP_TRANSP_TCP;
	if (!strcmp(name, "tls"))
		return SIP_TRANSP_TLS;
	return SIP_TRANSP_UDP;
}

/* our address for SDP and From on this transport */
static int local_addr(struct calls *cs, enum sip_transp tp, struct sa *laddr)
{
	int err = sip_transp_laddr(cs->sip, laddr, tp, NULL);

	if (err)
		return err;
	if (!sa_is_any(laddr))
		return 0;
	return net_default_source_addr_get(sa_af(laddr), laddr);
}

static int attempt(struct dial *d)
{
	struct call *c = d->c;
	const struct sipdest *ep = &d->eps[d->cur];
	enum sip_transp tp = transp_of(ep->transport);
	struct sdp_nego_opts o = {0};
	struct mbuf *offer = NULL;
	char uri[600], from[256], host[64];
	struct sa laddr, sdpaddr;
	struct pl callid;
	int err;

	err = local_addr(c->cs, tp, &laddr);
	if (err)
		return err;
	sa_cpy(&sdpaddr, &laddr);
	if (c->cs->public_ip[0])
		sa_set_str(&sdpaddr, c->cs->public_ip, 0);
	if (!c->rtp) {
		sa_set_port(&laddr, 0);
		err = rtp_session_alloc(&c->rtp, c->cs->ports, &laddr);
		if (err)
			return err;
		bridge_media(c);
	}
	call_nego_opts(&o, d->row, false);
	bridge_codecs(c, d->row, &o);
	o.laddr = &sdpaddr;
	o.lport = rtp_session_port(c->rtp);
	err = sdp_nego_offer(&c->nego, &offer, &o,
			     tp == SIP_TRANSP_TLS && d->srtp_wanted);
	if (err)
		return err;
	re_snprintf(host, sizeof(host), "%j", &sdpaddr);
	snprintf(from, sizeof(from), "sip:%s@%s",
		 c->bridge && c->bridge->caller[0] ? c->bridge->caller
						   : c->number,
		 host);
	sipdest_uri(ep, d->to_user, uri, sizeof(uri));
	snprintf(c->from, sizeof(c->from), "%s", from);
	snprintf(c->to, sizeof(c->to), "%s", uri);
	sipdest_hostport(ep, c->peer_host, sizeof(c->peer_host));
	c->transport = ep->transport;
	d->auth_sent = d->provisional = d->responded = false;
	err = sipsess_connect(
	    &c->sess, c->cs->sock, uri, NULL, from, c->number, NULL, 0,
	    "application/sdp", offer, auth_h, d, false, call_on_offer,
	    on_sdp_answer, on_progress, call_on_estab, NULL, call_on_refer,
	    on_close, c, "X-Call-Id: %s\r\n%s", c->id, d->hdrs ? d->hdrs : "");
	mem_deref(offer);
	if (err)
		return err;
	pl_set_str(&callid, sip_dialog_callid(sipsess_dialog(c->sess)));
	call_follow(c, &callid);
	log_info("call", c->id, "INVITE %s from %s (attempt %u of %u)", uri,
		 c->number, d->cur + 1, d->epc);
	tmr_start(&d->attempt_tmr, d->attempt_timeout_s * 1000ULL,
		  on_attempt_timeout, d);
	return 0;
}

/* the number's credentials: its own sealed secret, else its trunk's */
static int open_password(struct dial *d, struct calls *cs, const json_t *row)
{
	const char *tid = json_string_value(json_object_get(row, "trunk_id"));
	const json_t *trunk = tid ? sipmap_trunk(cs->map, tid) : NULL;
	const char *sealed = json_string_value(json_object_get(row, "secret"));
	int err;

	if (!sealed && trunk)
		sealed = json_string_value(json_object_get(trunk, "secret"));
	if (!sealed)
		return 0;
	err = secret_open_member(cs->server_secret, sealed, "sip_password",
				 &d->password);
	return err == ENOENT ? 0 : err;
}

/*
 * "Name: value\r\n" for each of the request's headers (validated by the
 * API, or passed through by a bridge), then what the header mappings make
 * of the variables (mapping NULL: none)
 */
static int render_headers(struct dial *d, const json_t *mapping,
			  const json_t *headers, const json_t *vars)
{
	char *mapped = hdrmap_outbound(mapping, vars);
	struct mbuf *mb;
	const char *name;
	json_t *v;
	int err = 0;

	if (!mapped)
		return ENOMEM;
	mb = mbuf_alloc(256);
	if (!mb) {
		free(mapped);
		return ENOMEM;
	}
	json_object_foreach((json_t *)headers, name, v)
	{
		err |=
		    mbuf_printf(mb, "%s: %s\r\n", name, json_string_value(v));
	}
	err |= mbuf_write_str(mb, mapped);
	free(mapped);
	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, &d->hdrs, mb->end);
	}
	mem_deref(mb);
	return err;
}

/* primary then failover endpoints; a SIP URI target is its own endpoint */
static int endpoints(struct dial *d, const char *to, const char **why)
{
	if (!strncmp(to, "sip:", 4) || !strncmp(to, "sips:", 5)) {
		d->epc = 1;
		if (sipdest_parse(&d->eps[0], to, why))
			return EINVAL;
		snprintf(d->to_user, sizeof(d->to_user), "%s", d->eps[0].user);
		return 0;
	}
	return endpoints_of(d->row, d->eps, &d->epc, why);
}

/* failed over, or known unreachable: the attempts start further on */
static void skip_endpoints(struct dial *d, struct failover *f)
{
	unsigned first =
	    failover_first(f, d->c->number, d->inbound, d->row, d->eps, d->epc);

	for (d->cur = 0; d->cur < first; d->cur++)
		attempt_done(d, "skipped", 0,
			     d->cur ? "unreachable by health checks"
				    : "failed over from the primary");
}

static unsigned triggers_of(const json_t *fo)
{
	const json_t *list = json_object_get(fo, "triggers");
	unsigned t = 0;
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
	{
		const char *s = json_string_value(e);

		t |= !strcmp(s, "unreachable")	  ? TRIGGER_UNREACHABLE
		     : !strcmp(s, "timeout")	  ? TRIGGER_TIMEOUT
		     : !strcmp(s, "auth_failure") ? TRIGGER_AUTH
						  : 0;
	}
	return t;
}

static int dial_alloc(struct dial **dp, struct call *c, const json_t *row,
		      const json_t *shown, const struct calls_dial_req *r,
		      const char **why)
{
	const json_t *fo = json_object_get(row, "failover_config");
	const json_t *opts = json_object_get(shown, "options");
	json_int_t timeout =
	    json_integer_value(json_object_get(fo, "timeout_seconds"));
	const char *user =
	    json_string_value(json_object_get(opts, "sip_username"));
	struct dial *d = mem_zalloc(sizeof(*d), dial_destructor);
	char e164[E164_MAX + 1];
	const char *to = r->to;
	int err;

	if (!d)
		return ENOMEM;
	d->c = c;
	tmr_init(&d->attempt_tmr);
	tmr_init(&d->ring_tmr);
	d->row = json_deep_copy(shown);
	d->attempts = json_array();
	d->triggers =
	    json_is_true(json_object_get(fo, "enabled")) ? triggers_of(fo) : 0;
	d->attempt_timeout_s =
	    timeout > 0 ? (unsigned)timeout : ATTEMPT_TIMEOUT_DEFAULT;
	d->srtp_wanted = !json_is_false(json_object_get(opts, "secure_media"));
	d->inbound = !strcmp(
	    json_string_value(json_object_get(row, "direction")), "inbound");
	snprintf(d->auth_user, sizeof(d->auth_user), "%s",
		 user ? user : c->number);
	json_object_set(d->row, "failover_config", (json_t *)fo);
	err = endpoints(d, to, why);
	if (!err && strncmp(to, "sip", 3)) {
		if (e164_normalize(to, strlen(to), e164)) {
			*why = "to must be an E.164 number or a sip: URI";
			err = EINVAL;
		} else {
			snprintf(d->to_user, sizeof(d->to_user), "%s", e164);
		}
	}
	if (!err && strncmp(to, "sip", 3))
		skip_endpoints(d, c->cs->opts.failover);
	/* a forward to sip:ext@pbx rings ext, not the dialled number */
	if (!err && c->bridge && d->eps[0].user[0])
		snprintf(d->to_user, sizeof(d->to_user), "%s", d->eps[0].user);
	if (!err)
		err = open_password(d, c->cs, row);
	if (!err)
		err = render_headers(
		    d, c->bridge ? NULL : json_object_get(d->row, "headers"),
		    r->headers, r->variables);
	if (err) {
		mem_deref(d);
		return err;
	}
	*dp = d;
	return 0;
}

int dial_start(struct calls *cs, const json_t *row,
	       const struct calls_dial_req *r, struct call *bridge,
	       struct call **cp, const char **code, const char **why)
{
	json_t *shown;
	struct call *c;
	int err;

	c = call_new(cs, true, r->org_id, r->from);
	if (!c) {
		*code = "INTERNAL_ERROR";
		*why = "out of memory";
		return ENOMEM;
	}
	c->app = r->app;
	c->max_duration = r->max_duration;
	c->variables = r->variables ? json_deep_copy(r->variables) : NULL;
	c->app_opts_own =
	    r->app_opts ? json_deep_copy(r->app_opts) : json_object();
	c->app_opts = c->app_opts_own;
	if (bridge) {
		c->bridge = bridge;
		bridge->bridge = c;
		snprintf(c->bridge_id, sizeof(c->bridge_id), "%s", bridge->id);
		snprintf(bridge->bridge_id, sizeof(bridge->bridge_id), "%s",
			 c->id);
	}
	shown = sipmap_render_row(cs->map, row);
	err = dial_alloc(&c->dial, c, row, shown, r, why);
	json_decref(shown);
	if (err) {
		*code = err == ENOENT	? "NO_SIP_ENDPOINT"
			: err == EINVAL ? "INVALID_FIELD"
					: "INTERNAL_ERROR";
		if (err != EINVAL && err != ENOENT)
			*why = "the number's credentials cannot be opened";
		if (bridge)
			bridge->bridge = NULL;
		list_unlink(&c->le);
		mem_deref(c);
		return err;
	}
	cs->started[1]++; /* a call from here on: it will be recorded */
	if (r->referrer_id)
		snprintf(c->referrer, sizeof(c->referrer), "%s",
			 r->referrer_id);
	snprintf(c->to, sizeof(c->to), "%s", r->to);
	*cp = c;
	if (cs->opts.ring_timeout)
		tmr_start(&c->dial->ring_tmr, cs->opts.ring_timeout * 1000ULL,
			  on_ring_timeout, c->dial);
	err = attempt(c->dial);
	if (err) {
		char reason[96];

		snprintf(reason, sizeof(reason), "cannot place the call: %s",
			 strerror(err));
		/* the same path as a failed attempt: failover applies */
		attempt_failed(c->dial, TRIGGER_UNREACHABLE, 0, reason);
	}
	return 0;
}

int calls_dial(struct calls *cs, const struct calls_dial_req *r, char id[37],
	       const char **code, const char **why)
{
	static const char *const apps[] = {"echo", "play", "record", "dtmf",
					   "tone"};
	char number[SIPCONF_NUMBER_MAX + 1];
	struct calls_dial_req req = *r;
	const json_t *row;
	struct call *c;
	size_t i;
	int err;

	*code = "INVALID_FIELD";
	for (i = 0; r->app && i < sizeof(apps) / sizeof(apps[0]); i++)
		if (!strcmp(r->app, apps[i]))
			break;
	if (i == sizeof(apps) / sizeof(apps[0])) {
		*why = "app must be one of echo, play, record, dtmf, tone";
		return EINVAL;
	}
	row = NULL;
	if (!sipconf_number_normalize(r->from, true, number)) {
		row = sipmap_row(cs->map, number, SIPCONF_OUTBOUND);
		if (!row &&
		    r->referrer_id) /* a transfer from an inbound call */
			row = sipmap_row(cs->map, number, SIPCONF_INBOUND);
	}
	if (!row || strcmp(json_string_value(json_object_get(row, "org_id")),
			   r->org_id)) {
		*code = "NUMBER_NOT_FOUND";
		*why = "from is not a number of this organization attached "
		       "for outbound SIP";
		return ENOENT;
	}
	if (!json_is_true(json_object_get(row, "sip_enabled"))) {
		*code = "SIP_NOT_ENABLED";
		*why = "SIP is not enabled for this organization";
		return EPERM;
	}
	if (cs->draining || list_count(&cs->calls) >= cs->opts.max_calls) {
		*code = "TOO_MANY_CALLS";
		*why = cs->draining ? "the server is stopping"
				    : "the server is at --max-calls";
		return EBUSY;
	}
	req.from = number;
	req.app = r->app ? apps[i] : "echo";
	err = dial_start(cs, row, &req, NULL, &c, code, why);
	if (!err)
		snprintf(id, 37, "%s", c->id);
	return err;
}
