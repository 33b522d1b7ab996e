/** @file rtp_session.c  Per-call RTP/RTCP with SRTP and echo (see .h) */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include <re_sys.h>
#include <re_tmr.h>
#include <re_udp.h>
#include "media/rtp_ports.h"
#include "media/rtp_session.h"

#define RTP_HDR_MIN 12

struct rtp_session {
	struct rtp_ports *ports; /* ref */
	uint16_t port;		 /* 0 until bound */
	struct udp_sock *rtp;	 /* owned */
	struct udp_sock *rtcp;	 /* owned */
	struct sa remote;	 /* SDP address, then latched */
	bool latched, started, srtp;
	struct srtp_pair keys;
	uint8_t dtmf_pt;
	uint32_t ssrc;	   /* ours */
	uint16_t tx_seq;   /* ours */
	uint16_t rx_seq;   /* highest seen */
	bool rx_seq_valid;
	uint32_t last_event_ts; /* timestamp of the last DTMF event counted */
	double jitter;		/* in timestamp units (8 kHz) */
	int64_t last_transit;
	struct rtp_stats st;
};

static void destructor(void *arg)
{
	struct rtp_session *rs = arg;

	rs->rtp = mem_deref(rs->rtp);
	rs->rtcp = mem_deref(rs->rtcp);
	if (rs->port)
		rtp_ports_give(rs->ports, rs->port);
	srtp_pair_close(&rs->keys);
	mem_deref(rs->ports);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* sequence gaps and RFC 3550 A.8 jitter, 8 kHz clock */
static void account(struct rtp_session *rs, const uint8_t *p)
{
	uint16_t seq = rd16(p + 2);
	uint32_t ts = rd32(p + 4);
	int64_t arrival = (int64_t)(tmr_jiffies() * 8); /* ms → 8 kHz */
	int64_t transit = arrival - ts, d;

	if (rs->rx_seq_valid) {
		uint16_t gap = (uint16_t)(seq - rs->rx_seq);

		if (gap > 0 && gap < 0x8000) {
			rs->st.lost += gap - 1u;
			rs->rx_seq = seq;
		}
		d = transit - rs->last_transit;
		if (d < 0)
			d = -d;
		rs->jitter += ((double)d - rs->jitter) / 16.0;
	} else {
		rs->rx_seq = seq;
		rs->rx_seq_valid = true;
	}
	rs->last_transit = transit;
}

/* RFC 4733: count an event once, when its end bit first appears */
static void dtmf_event(struct rtp_session *rs, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789*#ABCD";
	const uint8_t *ev = p + RTP_HDR_MIN + 4u * (p[0] & 0x0f);
	uint32_t ts = rd32(p + 4);
	size_t n = strlen(rs->st.dtmf);

	if ((size_t)(ev - p) + 4 > len || !(ev[1] & 0x80) ||
	    ts == rs->last_event_ts)
		return;
	rs->last_event_ts = ts;
	if (ev[0] < 16 && n + 1 < sizeof(rs->st.dtmf)) {
		rs->st.dtmf[n] = digits[ev[0]];
		rs->st.dtmf[n + 1] = '\0';
	}
}

static void send_packet(struct rtp_session *rs, struct udp_sock *us,
			struct mbuf *mb, const struct sa *dst, bool rtcp)
{
	size_t len = mbuf_get_left(mb);

	if (rs->srtp &&
	    srtp_pair_protect(&rs->keys, mbuf_buf(mb), &len, rtcp))
		return;
	mb->end = mb->pos + len;
	if (!udp_send(us, dst, mb) && !rtcp) {
		rs->st.tx_packets++;
		rs->st.tx_bytes += len;
	}
}

static void on_rtp(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct rtp_session *rs = arg;
	size_t len = mbuf_get_left(mb);
	uint8_t *p = mbuf_buf(mb);

	if (!rs->started || len < RTP_HDR_MIN || (p[0] >> 6) != 2 ||
	    mbuf_get_space(mb) < SDES_TAG_MAX)
		goto drop;
	if (rs->srtp && srtp_pair_unprotect(&rs->keys, p, &len, false))
		goto drop;
	mb->end = mb->pos + len;
	rs->st.rx_packets++;
	rs->st.rx_bytes += len;
	if (!rs->latched || !sa_cmp(src, &rs->remote, SA_ALL)) {
		rs->remote = *src; /* symmetric RTP: answer where it came from */
		rs->latched = true;
	}
	account(rs, p);
	if (rs->dtmf_pt && (p[1] & 0x7f) == rs->dtmf_pt)
		dtmf_event(rs, p, len);

	/* echo: our SSRC, our sequence, their timestamp and payload */
	wr16(p + 2, rs->tx_seq++);
	wr32(p + 8, rs->ssrc);
	send_packet(rs, rs->rtp, mb, &rs->remote, false);
	return;
drop:
	rs->st.rx_dropped++;
}

static void on_rtcp(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct rtp_session *rs = arg;
	size_t len = mbuf_get_left(mb);

	(void)src;
	if (!rs->started || len < 8 ||
	    (rs->srtp && mbuf_get_space(mb) >= SDES_TAG_MAX &&
	     srtp_pair_unprotect(&rs->keys, mbuf_buf(mb), &len, true))) {
		rs->st.rx_dropped++;
		return;
	}
	rs->st.rtcp_rx++;
}

int rtp_session_alloc(struct rtp_session **rsp, struct rtp_ports *ports,
		      const struct sa *ip)
{
	struct rtp_session *rs = mem_zalloc(sizeof(*rs), destructor);
	unsigned tries = rtp_ports_capacity(ports);
	struct sa a = *ip;
	uint16_t port;
	int err = ENOSPC;

	if (!rs)
		return ENOMEM;
	rs->ports = mem_ref(ports);
	rs->ssrc = rand_u32();
	rs->tx_seq = (uint16_t)rand_u32();
	/* a port another program holds is skipped, not fatal */
	while (tries-- && !rtp_ports_take(ports, &port)) {
		sa_set_port(&a, port);
		err = udp_listen(&rs->rtp, &a, on_rtp, rs);
		if (!err) {
			sa_set_port(&a, (uint16_t)(port + 1));
			err = udp_listen(&rs->rtcp, &a, on_rtcp, rs);
		}
		if (!err) {
			rs->port = port;
			break;
		}
		rs->rtp = mem_deref(rs->rtp);
		rtp_ports_give(ports, port);
		err = ENOSPC;
	}
	if (err) {
		mem_deref(rs);
		return err;
	}
	*rsp = rs;
	return 0;
}

uint16_t rtp_session_port(const struct rtp_session *rs)
{
	return rs->port;
}

int rtp_session_start(struct rtp_session *rs, const struct sa *remote,
		      const struct sdes_crypto *ours,
		      const struct sdes_crypto *theirs, uint8_t dtmf_pt)
{
	int err;

	if (ours && theirs) {
		err = srtp_pair_open(&rs->keys, ours, theirs);
		if (err)
			return err;
		rs->srtp = true;
	}
	if (remote && !rs->latched)
		rs->remote = *remote;
	rs->dtmf_pt = dtmf_pt;
	rs->started = true;
	return 0;
}

void rtp_session_stats(const struct rtp_session *rs, struct rtp_stats *st)
{
	*st = rs->st;
	st->jitter_ms = rs->jitter / 8.0;
}
