/**
 * @file transfer.c  Blind transfer (RFC 3515, RFC 5589), both ways
 *
 * By trunkd (POST /v1/calls/:id/transfer): on an answered call trunkd sends
 * REFER (Refer-To: the target, Referred-By:
 * our side of the dialog) and the other side places the new call.  A 202
 * means it will try; the NOTIFYs that follow carry a message/sipfrag with
 * the new call's progress: a 2xx there ends our call with BYE ("transferred
 * to ..."), a final failure leaves the call as it was.  A refused REFER
 * (4xx-6xx) or a 3xx-6xx sipfrag shows in the call's transfer state.
 *
 * The target: a sip:/sips: URI as given, or an E.164 number sent to the
 * host the other side's requests come from (its From host, or for our own
 * outbound calls the endpoint we dialled).
 *
 * To trunkd (REFER received, libre's referh): 202, NOTIFY 100, and the new
 * call is placed like POST /v1/calls from the same number with the same
 * application (the number's inbound row serves when it has no outbound
 * one: the target is a SIP URI).  The new call carries the referrer's id;
 * when it is answered the referrer gets NOTIFY 200 and BYE, when it ends
 * unanswered a NOTIFY with its code (transfer_referred()).
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
#include "core/e164.h"
#include "core/log.h"
#include "sip/call_int.h"

static void set_state(struct call *c, const char *state, const char *detail)
{
	snprintf(c->transfer.state, sizeof(c->transfer.state), "%s", state);
	snprintf(c->transfer.detail, sizeof(c->transfer.detail), "%s",
		 detail ? detail : "");
	log_info("call", c->id, "transfer to %s: %s%s%s", c->transfer.to, state,
		 detail ? " " : "", detail ? detail : "");
}

static void on_refer_response(int err, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	char detail[96];

	if (err || !msg) {
		set_state(c, "failed", strerror(err ? err : EPROTO));
		return;
	}
	if (msg->scode < 200)
		return;
	re_snprintf(detail, sizeof(detail), "%u %r", msg->scode, &msg->reason);
	if (msg->scode < 300)
		set_state(c, "accepted", detail);
	else
		set_state(c, "refused", detail);
}

/* RFC 3515 2.4.1: a REFER carries a Contact */
static int send_h(enum sip_transp tp, const struct sa *src,
		  const struct sa *dst, struct mbuf *mb, void *arg)
{
	struct call *c = arg;
	struct sip_contact contact;

	(void)dst;
	sip_contact_set(&contact, c->number, src, tp);
	return mbuf_printf(mb, "%H", sip_contact_print, &contact);
}

int calls_transfer(struct calls *cs, const char *org_id, const char *id,
		   const char *to)
{
	struct call *c = calls_find(cs, org_id, id);
	char e164[E164_MAX + 1], from[600];
	struct sip_dialog *dlg;
	int err;

	if (!c)
		return ENOENT;
	if (c->ended_ms)
		return EALREADY;
	if (!c->answered_ms || !c->sess)
		return EAGAIN;
	if (c->transfer.req || !strcmp(c->transfer.state, "accepted"))
		return EBUSY;
	if (!strncmp(to, "sip:", 4) || !strncmp(to, "sips:", 5))
		snprintf(c->transfer.to, sizeof(c->transfer.to), "%s", to);
	else if (!e164_normalize(to, strlen(to), e164))
		snprintf(c->transfer.to, sizeof(c->transfer.to), "sip:%s@%s",
			 e164, c->peer_host);
	else
		return EINVAL;
	dlg = sipsess_dialog(c->sess);
	snprintf(from, sizeof(from), "%s", c->outbound ? c->from : c->to);
	err = sip_drequestf(&c->transfer.req, c->cs->sip, true, "REFER", dlg, 0,
			    NULL, send_h, on_refer_response, c,
			    "Refer-To: <%s>\r\n"
			    "Referred-By: <%s>\r\n"
			    "Content-Length: 0\r\n\r\n",
			    c->transfer.to, from);
	if (err)
		return err;
	set_state(c, "requested", NULL);
	return 0;
}

/* "SIP/2.0 180 Ringing" in a message/sipfrag body: its code, or 0 */
static uint16_t sipfrag_code(const struct sip_msg *msg, char *line, size_t size)
{
	const char *p = (const char *)mbuf_buf(msg->mb);
	size_t n = mbuf_get_left(msg->mb), eol;

	line[0] = '\0';
	if (n < 12 || strncmp(p, "SIP/2.0 ", 8))
		return 0;
	for (eol = 0; eol < n && p[eol] != '\r' && p[eol] != '\n'; eol++)
		;
	snprintf(line, size, "%.*s", (int)(eol - 8), p + 8);
	return (uint16_t)strtoul(line, NULL, 10);
}

bool calls_notify(struct calls *cs, const struct sip_msg *msg)
{
	struct call *c = NULL;
	char line[96];
	uint16_t code;

	for (struct le *le = list_head(&cs->calls); le; le = le->next) {
		struct call *k = le->data;

		if (k->sess && sip_dialog_cmp(sipsess_dialog(k->sess), msg)) {
			c = k;
			break;
		}
	}
	if (!c || !c->transfer.to[0])
		return false; /* not ours: the caller answers 481 */
	(void)sip_reply(cs->sip, msg, 200, "OK");
	code = sipfrag_code(msg, line, sizeof(line));
	if (code >= 200 && code < 300) {
		set_state(c, "completed", line);
		call_end(c, "completed", "transferred");
	} else if (code >= 300) {
		set_state(c, "failed", line);
	} else if (code) {
		set_state(c, "trying", line);
	}
	return true;
}

/* ---- REFER received: trunkd places the new call (RFC 3515 as the
 * recipient); the old dialog hears the progress in NOTIFYs ---- */

/* NOTIFY with "SIP/2.0 code reason" as message/sipfrag in c's dialog */
static void notify(struct call *c, uint16_t code, const char *reason)
{
	char frag[96];
	int n = snprintf(frag, sizeof(frag), "SIP/2.0 %u %s\r\n", code, reason);
	int err;

	if (!c->sess)
		return;
	err = sip_drequestf(NULL, c->cs->sip, true, "NOTIFY",
			    sipsess_dialog(c->sess), 0, NULL, NULL, NULL, NULL,
			    "Event: refer\r\n"
			    "Subscription-State: %s\r\n"
			    "Content-Type: message/sipfrag;version=2.0\r\n"
			    "Content-Length: %d\r\n\r\n%s",
			    code < 200 ? "active;expires=60"
				       : "terminated;reason=noresource",
			    n, frag);
	if (err)
		log_warn("call", c->id, "NOTIFY failed: %s", strerror(err));
}

void call_on_refer(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	struct call *c = arg;
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REFER_TO);
	struct calls_dial_req r = {.org_id = c->org_id,
				   .from = c->number,
				   .app = c->app,
				   .referrer_id = c->id};
	char target[320] = "", new_id[37];
	const char *code, *why;
	struct pl uri;

	if (!h || re_regex(h->val.p, h->val.l, "<[^>]+>", &uri))
		uri = h ? h->val : (struct pl)PL_INIT;
	pl_strcpy(&uri, target, sizeof(target));
	if (c->bridge_id[0]) { /* the caller is not ours to hand on */
		(void)sip_reply(sip, msg, 501, "Not Implemented");
		log_info("call", c->id, "REFER on a forwarded call: 501");
		return;
	}
	if (!c->answered_ms || c->ended_ms ||
	    (strncmp(target, "sip:", 4) && strncmp(target, "sips:", 5))) {
		(void)sip_reply(sip, msg, c->answered_ms ? 400 : 491,
				c->answered_ms ? "Bad Refer-To"
					       : "Request Pending");
		return;
	}
	(void)sip_reply(sip, msg, 202, "Accepted");
	snprintf(c->transfer.to, sizeof(c->transfer.to), "%s", target);
	set_state(c, "trying", "REFER received");
	notify(c, 100, "Trying");
	r.to = target;
	if (calls_dial(c->cs, &r, new_id, &code, &why)) {
		set_state(c, "failed", why);
		notify(c, 503, "Service Unavailable");
	}
}

void transfer_referred(struct call *nc, bool answered)
{
	struct call *old = calls_find(nc->cs, nc->org_id, nc->referrer);
	char line[96];

	nc->referrer[0] = '\0'; /* once */
	if (!old || old->ended_ms)
		return;
	if (answered) {
		notify(old, 200, "OK");
		set_state(old, "completed", nc->id);
		call_end(old, "completed", "transferred");
		return;
	}
	snprintf(line, sizeof(line), "%u %s", nc->code ? nc->code : 500,
		 nc->status);
	notify(old, nc->code >= 300 ? nc->code : 500, "Transfer Failed");
	set_state(old, "failed", line);
}
