/**
 * @file lg_sip.c  The load generator's SIP side: libre's UA with one
 *                 transport (UDP, TCP or TLS on trunkd's mbedTLS layer),
 *                 one INVITE dialog per call
 *
 * libre keeps one TCP or TLS connection per peer and reuses it, so every
 * call of a run shares one persistent connection: the call-setup figures
 * never include a handshake.  The offer comes from trunkd's own SDP code
 * (src/media/sdp_nego.c) for the shared RTP port; with --srtp it carries
 * an SDES key and the answer's key opens the call's libsrtp2 contexts (on
 * trunkd's fast primitives, installed by main).
 */
#include <string.h>
#include "loop/tls.h"
#include "lg.h"

static enum sip_transp transport(const struct lg *lg)
{
	if (!strcmp(lg->o.transport, "tcp"))
		return SIP_TRANSP_TCP;
	if (!strcmp(lg->o.transport, "tls"))
		return SIP_TRANSP_TLS;
	return SIP_TRANSP_UDP;
}

/* nobody calls the load generator */
static void on_incoming(const struct sip_msg *msg, void *arg)
{
	struct lg *lg = arg;

	(void)sip_treply(NULL, lg->sip, msg, 486, "Busy Here");
}

int lg_sip_open(struct lg *lg)
{
	enum sip_transp tp = transport(lg);
	struct tls_opts topts = {NULL, NULL, NULL, false};
	int err;

	/* large tables, as trunkd's: thousands of transactions linger */
	err = sip_alloc(&lg->sip, NULL, 8192, 8192, 8192, "trunkd-loadgen",
			NULL, NULL);
	if (err)
		return err;
	if (tp == SIP_TRANSP_TLS) {
		err = tls_ctx_alloc(&lg->tls, &topts);
		if (!err)
			err = sip_transp_add(lg->sip, tp, &lg->laddr, lg->tls);
	} else {
		err = sip_transp_add(lg->sip, tp, &lg->laddr);
	}
	if (!err)
		err = sipsess_listen(&lg->sock, lg->sip, 8192, on_incoming, lg);
	return err;
}

void lg_sip_close(struct lg *lg)
{
	lg->sock = mem_deref(lg->sock);
	if (lg->sip)
		sip_close(lg->sip, true);
	lg->sip = mem_deref(lg->sip);
	lg->tls = mem_deref(lg->tls);
}

static int on_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	return EPROTO; /* trunkd never re-offers to us */
}

static int on_answer(const struct sip_msg *msg, void *arg)
{
	struct lg_call *c = arg;
	struct mbuf *mb = mbuf_alloc(mbuf_get_left(msg->mb) + 1);
	int err;

	if (!mb)
		return ENOMEM;
	(void)mbuf_write_mem(mb, mbuf_buf(msg->mb), mbuf_get_left(msg->mb));
	mb->pos = 0;
	err = sdp_nego_answered(&c->nego, mb);
	mem_deref(mb);
	if (err)
		return err;
	sa_cpy(&c->remote, &c->nego.remote);
	c->pt = c->nego.pt;
	if (c->nego.srtp) {
		err = srtp_pair_open(&c->srtp, &c->nego.ours, &c->nego.theirs);
		if (err)
			return err;
		c->srtp_on = true;
	}
	return 0;
}

static void on_progress(const struct sip_msg *msg, void *arg)
{
}

static void on_estab(const struct sip_msg *msg, void *arg)
{
	lg_call_answered(arg);
}

static void on_close(int err, const struct sip_msg *msg, void *arg)
{
	struct lg_call *c = arg;

	if (c->answered)
		lg_call_hung_up(c);
	else
		lg_call_failed(c, err, msg ? msg->scode : 0);
}

int lg_sip_invite(struct lg *lg, struct lg_call *c)
{
	struct sdp_nego_opts o = {
	    .laddr = &lg->laddr,
	    .lport = lg_media_port(lg),
	    .srtp_required = lg->o.srtp,
	    .codecs = {lg->o.codec, NULL},
	};
	char uri[256], from[128];
	struct mbuf *offer = NULL;
	int err;

	err = sdp_nego_offer(&c->nego, &offer, &o, lg->o.srtp);
	if (err)
		return err;
	snprintf(uri, sizeof(uri), "sip:%s@%s:%u;transport=%s", lg->o.number,
		 lg->o.host, lg->o.port, lg->o.transport);
	re_snprintf(from, sizeof(from), "sip:loadgen@%j", &lg->laddr);
	err = sipsess_connect(&c->sess, lg->sock, uri, NULL, from, "loadgen",
			      NULL, 0, "application/sdp", offer, NULL, NULL,
			      false, on_offer, on_answer, on_progress, on_estab,
			      NULL, NULL, on_close, c, "X-Loadgen-Call: %u\r\n",
			      c->serial);
	mem_deref(offer);
	return err;
}

/* BYE when established, CANCEL before: libre does either on deref */
void lg_sip_hangup(struct lg_call *c)
{
	c->sess = mem_deref(c->sess);
}
