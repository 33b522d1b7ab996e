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
#include "core/walltime.h"
#include "media/dtmf.h"
#include "media/rtp_ports.h"
#include "media/rtp_session.h"

#define RTP_HDR_MIN	 12
#define RTCP_INTERVAL_MS 5000
#define RTCP_SR		 200
#define RTCP_RR		 201
#define RTP_SAMPLES_20MS 160
#define DTMF_TONE_TICKS	 5 /* 100 ms of tone per digit */
#define DTMF_END_PACKETS 3 /* RFC 4733 2.5.1.4: the end packet, thrice */
#define DTMF_GAP_TICKS	 3 /* 60 ms between digits */

struct rtp_session {
	struct rtp_ports *ports; /* ref */
	uint16_t port;		 /* 0 until bound */
	struct udp_sock *rtp;	 /* owned */
	struct udp_sock *rtcp;	 /* owned */
	struct sa remote;	 /* SDP address, then latched */
	struct sa remote_rtcp;	 /* RTP + 1, then latched */
	bool latched, rtcp_latched, started, srtp;
	struct srtp_pair keys;
	uint8_t dtmf_pt;
	uint32_t ssrc;	 /* ours */
	uint16_t tx_seq; /* ours */
	uint16_t rx_seq; /* highest seen */
	bool rx_seq_valid;
	uint32_t rx_cycles; /* sequence wraps, << 16 */
	uint32_t remote_ssrc;
	uint32_t tx_ts;		/* ours, for our own audio */
	uint32_t last_event_ts; /* timestamp of the last DTMF event counted */
	bool event_seen, event_recorded;
	double jitter; /* in timestamp units (8 kHz) */
	int64_t last_transit;
	bool transit_valid;
	uint64_t start_ms;
	uint32_t lsr;		 /* middle of the peer's last SR NTP time */
	uint64_t lsr_at_ms;	 /* when it arrived */
	uint64_t rr_rx, rr_lost; /* at our previous report */
	struct tmr rtcp_tmr;
	struct {
		char queue[RTP_DTMF_QUEUE_MAX + 1]; /* digits still to send */
		unsigned tick;	/* 20 ms steps into the current digit */
		uint32_t ts;	/* its event timestamp */
		struct tmr tmr; /* running while digits are queued */
	} dtmf_tx;
	bool echo, held;
	uint64_t last_rx_ms;
	rtp_recv_h *recvh;
	rtp_digit_h *digith;
	void *app_arg;
	struct rtp_stats st;
};

static void destructor(void *arg)
{
	struct rtp_session *rs = arg;

	tmr_cancel(&rs->rtcp_tmr);
	tmr_cancel(&rs->dtmf_tx.tmr);
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

/* sequence gaps and RFC 3550 A.8 jitter (audio only: an RFC 4733 event
 * keeps its timestamp for its whole duration), 8 kHz clock */
static void account(struct rtp_session *rs, const uint8_t *p, bool audio)
{
	uint16_t seq = rd16(p + 2);
	uint32_t ts = rd32(p + 4);
	int64_t arrival = (int64_t)(tmr_jiffies() * 8); /* ms → 8 kHz */
	int64_t transit = arrival - ts, d;

	if (rs->rx_seq_valid) {
		uint16_t gap = (uint16_t)(seq - rs->rx_seq);

		if (gap > 0 && gap < 0x8000) {
			rs->st.lost += gap - 1u;
			if (seq < rs->rx_seq)
				rs->rx_cycles += 0x10000;
			rs->rx_seq = seq;
		}
	} else {
		rs->rx_seq = seq;
		rs->rx_seq_valid = true;
	}
	if (!audio)
		return;
	if (rs->transit_valid) {
		d = transit - rs->last_transit;
		if (d < 0)
			d = -d;
		rs->jitter += ((double)d - rs->jitter) / 16.0;
	}
	rs->last_transit = transit;
	rs->transit_valid = true;
}

/*
 * RFC 4733: an event is counted when its first packet arrives (a new
 * timestamp), so that a digit whose end packets are lost still counts;
 * later packets of the same event only lengthen its duration.
 */
static void dtmf_event(struct rtp_session *rs, const uint8_t *p, size_t len)
{
	size_t hdr = RTP_HDR_MIN + 4u * (p[0] & 0x0f);
	uint32_t ts = rd32(p + 4);
	size_t n = strlen(rs->st.dtmf);
	struct dtmf_event ev;
	struct rtp_dtmf_record *r;

	if (hdr > len || dtmf_parse(p + hdr, len - hdr, &ev))
		return;
	if (rs->event_seen && ts == rs->last_event_ts) {
		if (rs->st.dtmf_count && rs->event_recorded) {
			r = &rs->st.dtmf_events[rs->st.dtmf_count - 1];
			r->duration_ms = ev.duration / 8;
		}
		return;
	}
	rs->last_event_ts = ts;
	rs->event_seen = true;
	rs->event_recorded = false;
	if (n + 1 < sizeof(rs->st.dtmf)) {
		rs->st.dtmf[n] = ev.digit;
		rs->st.dtmf[n + 1] = '\0';
	}
	if (rs->st.dtmf_count < RTP_DTMF_EVENTS_MAX) {
		r = &rs->st.dtmf_events[rs->st.dtmf_count++];
		r->digit = ev.digit;
		r->duration_ms = ev.duration / 8;
		r->at_ms = tmr_jiffies() - rs->start_ms;
		rs->event_recorded = true;
	}
	if (rs->digith)
		rs->digith(ev.digit, rs->app_arg);
}

static void send_packet(struct rtp_session *rs, struct udp_sock *us,
			struct mbuf *mb, const struct sa *dst, bool rtcp)
{
	size_t len = mbuf_get_left(mb);

	if (rs->held || (rs->srtp && srtp_pair_protect(&rs->keys, mbuf_buf(mb),
						       &len, rtcp)))
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
	bool is_event;

	if (!rs->started) {
		rs->st.rx_early++; /* before the answer was taken in */
		return;
	}
	if (len < RTP_HDR_MIN || (p[0] >> 6) != 2 ||
	    mbuf_get_space(mb) < SDES_TAG_MAX)
		goto drop;
	if (rs->srtp && srtp_pair_unprotect(&rs->keys, p, &len, false))
		goto drop;
	mb->end = mb->pos + len;
	rs->last_rx_ms = tmr_jiffies();
	rs->st.rx_packets++;
	rs->st.rx_bytes += len;
	if (!rs->latched || !sa_cmp(src, &rs->remote, SA_ALL)) {
		rs->remote =
		    *src; /* symmetric RTP: answer where it came from */
		if (!rs->rtcp_latched) {
			rs->remote_rtcp = *src;
			sa_set_port(&rs->remote_rtcp,
				    (uint16_t)(sa_port(src) + 1));
		}
		rs->latched = true;
	}
	is_event = rs->dtmf_pt && (p[1] & 0x7f) == rs->dtmf_pt;
	account(rs, p, !is_event);
	rs->remote_ssrc = rd32(p + 8);
	if (is_event) {
		dtmf_event(rs, p, len);
	} else if (rs->recvh) {
		size_t hdr = RTP_HDR_MIN + 4u * (p[0] & 0x0f);

		if (hdr <= len)
			rs->recvh(p + hdr, len - hdr, p[1] & 0x7f, rs->app_arg);
	}
	if (!rs->echo)
		return;

	/* echo: our SSRC, our sequence, their timestamp and payload */
	rs->tx_ts = rd32(p + 4);
	wr16(p + 2, rs->tx_seq++);
	wr32(p + 8, rs->ssrc);
	send_packet(rs, rs->rtp, mb, &rs->remote, false);
	return;
drop:
	rs->st.rx_dropped++;
}

/* NTP time now: seconds since 1900 << 32 | fraction */
static uint64_t ntp_now(void)
{
	uint64_t us = walltime_us();

	return (us / 1000000 + 2208988800u) << 32 |
	       (((us % 1000000) << 32) / 1000000u);
}

/* the report blocks of one SR/RR: the one about our stream gives the RTT */
static void rtcp_blocks(struct rtp_session *rs, const uint8_t *p, size_t len,
			unsigned count)
{
	for (unsigned i = 0; i < count && len >= 24; i++, p += 24, len -= 24) {
		uint32_t lsr = rd32(p + 16), dlsr = rd32(p + 20);
		uint32_t now = (uint32_t)(ntp_now() >> 16);

		if (rd32(p) != rs->ssrc || !lsr)
			continue;
		rs->st.rtt_ms =
		    (double)(uint32_t)(now - lsr - dlsr) * 1000.0 / 65536.0;
	}
}

/* a compound RTCP packet: SR and RR are read, the rest skipped */
static void rtcp_parse(struct rtp_session *rs, const uint8_t *p, size_t len)
{
	while (len >= 8 && (p[0] >> 6) == 2) {
		size_t plen = 4u * (rd16(p + 2) + 1u);
		unsigned count = p[0] & 0x1f;

		if (plen > len)
			return;
		if (p[1] == RTCP_SR && plen >= 28) {
			rs->lsr =
			    (uint32_t)(rd32(p + 8) << 16 | rd32(p + 12) >> 16);
			rs->lsr_at_ms = tmr_jiffies();
			rtcp_blocks(rs, p + 28, plen - 28, count);
		} else if (p[1] == RTCP_RR) {
			rtcp_blocks(rs, p + 8, plen - 8, count);
		}
		p += plen;
		len -= plen;
	}
}

static void on_rtcp(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct rtp_session *rs = arg;
	size_t len = mbuf_get_left(mb);

	if (!rs->started) {
		rs->st.rx_early++;
		return;
	}
	if (len < 8 ||
	    (rs->srtp &&
	     (mbuf_get_space(mb) < SDES_TAG_MAX ||
	      srtp_pair_unprotect(&rs->keys, mbuf_buf(mb), &len, true)))) {
		rs->st.rx_dropped++;
		return;
	}
	rs->st.rtcp_rx++;
	rs->remote_rtcp = *src;
	rs->rtcp_latched = true;
	rtcp_parse(rs, mbuf_buf(mb), len);
}

/* RFC 3550 6.4.1: our SR, with one report block once the peer has sent */
static void rtcp_send_sr(struct rtp_session *rs)
{
	struct mbuf *mb = mbuf_alloc(128);
	uint64_t ntp = ntp_now();
	bool block = rs->rx_seq_valid;
	uint64_t rx = rs->st.rx_packets, lost = rs->st.lost;
	uint8_t *p;

	if (!mb)
		return;
	p = mb->buf;
	memset(p, 0, 52);
	p[0] = (uint8_t)(0x80 | (block ? 1 : 0));
	p[1] = RTCP_SR;
	wr16(p + 2, block ? 12 : 6);
	wr32(p + 4, rs->ssrc);
	wr32(p + 8, (uint32_t)(ntp >> 32));
	wr32(p + 12, (uint32_t)ntp);
	wr32(p + 16, rs->tx_ts);
	wr32(p + 20, (uint32_t)rs->st.tx_packets);
	wr32(p + 24, (uint32_t)rs->st.tx_bytes);
	if (block) {
		uint64_t d_rx = rx - rs->rr_rx, d_lost = lost - rs->rr_lost;
		uint8_t fraction =
		    d_rx + d_lost ? (uint8_t)(d_lost * 256 / (d_rx + d_lost))
				  : 0;

		wr32(p + 28, rs->remote_ssrc);
		wr32(p + 32, (uint32_t)fraction << 24 | (lost & 0xffffff));
		wr32(p + 36, rs->rx_cycles + rs->rx_seq);
		wr32(p + 40, (uint32_t)rs->jitter);
		wr32(p + 44, rs->lsr);
		wr32(p + 48, rs->lsr
				 ? (uint32_t)((tmr_jiffies() - rs->lsr_at_ms) *
					      65536 / 1000)
				 : 0);
		rs->rr_rx = rx;
		rs->rr_lost = lost;
	}
	mb->end = block ? 52 : 28;
	send_packet(rs, rs->rtcp, mb, &rs->remote_rtcp, true);
	rs->st.rtcp_tx++;
	mem_deref(mb);
}

static void on_rtcp_tmr(void *arg)
{
	struct rtp_session *rs = arg;

	tmr_start(&rs->rtcp_tmr, RTCP_INTERVAL_MS, on_rtcp_tmr, rs);
	rtcp_send_sr(rs);
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
	rs->tx_ts = rand_u32();
	rs->echo = true;
	tmr_init(&rs->rtcp_tmr);
	tmr_init(&rs->dtmf_tx.tmr);
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

	if (rs->srtp) { /* a re-INVITE brings new keys */
		srtp_pair_close(&rs->keys);
		rs->srtp = false;
	}
	if (ours && theirs) {
		err = srtp_pair_open(&rs->keys, ours, theirs);
		if (err)
			return err;
		rs->srtp = true;
	}
	if (remote && !rs->latched) {
		rs->remote = *remote;
		rs->remote_rtcp = *remote;
		sa_set_port(&rs->remote_rtcp, (uint16_t)(sa_port(remote) + 1));
	}
	rs->dtmf_pt = dtmf_pt;
	if (!rs->started) {
		rs->start_ms = rs->last_rx_ms = tmr_jiffies();
		tmr_start(&rs->rtcp_tmr, RTCP_INTERVAL_MS, on_rtcp_tmr, rs);
	}
	rs->started = true;
	return 0;
}

void rtp_session_hold(struct rtp_session *rs, bool held)
{
	rs->held = held;
}

uint64_t rtp_session_idle_ms(const struct rtp_session *rs)
{
	return tmr_jiffies() - rs->last_rx_ms;
}

void rtp_session_app(struct rtp_session *rs, bool echo, rtp_recv_h *recvh,
		     rtp_digit_h *digith, void *arg)
{
	rs->echo = echo;
	rs->recvh = recvh;
	rs->digith = digith;
	rs->app_arg = arg;
}

static int send_rtp(struct rtp_session *rs, uint8_t pt, bool marker,
		    uint32_t ts, const uint8_t *payload, size_t len)
{
	struct mbuf *mb;
	uint8_t *p;

	if (!rs->started || !sa_isset(&rs->remote, SA_ALL))
		return ENOTCONN;
	mb = mbuf_alloc(RTP_HDR_MIN + len + SDES_TAG_MAX);
	if (!mb)
		return ENOMEM;
	p = mb->buf;
	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	wr16(p + 2, rs->tx_seq++);
	wr32(p + 4, ts);
	wr32(p + 8, rs->ssrc);
	memcpy(p + RTP_HDR_MIN, payload, len);
	mb->end = RTP_HDR_MIN + len;
	send_packet(rs, rs->rtp, mb, &rs->remote, false);
	mem_deref(mb);
	return 0;
}

int rtp_session_send(struct rtp_session *rs, uint8_t pt, const uint8_t *payload,
		     size_t len, uint32_t samples)
{
	int err = send_rtp(rs, pt, false, rs->tx_ts, payload, len);

	if (!err)
		rs->tx_ts += samples;
	return err;
}

/*
 * One 20 ms step of the digit at the head of the queue (RFC 4733 2.5):
 * DTMF_TONE_TICKS packets with the duration so far (the first marked),
 * then DTMF_END_PACKETS copies of the end packet, then DTMF_GAP_TICKS of
 * silence before the next digit.  Our audio timestamps move past the event
 * so that the next one never reuses a timestamp.
 */
static void on_dtmf_tick(void *arg)
{
	struct rtp_session *rs = arg;
	struct dtmf_event ev = {.digit = rs->dtmf_tx.queue[0], .volume = 10};
	unsigned tick = rs->dtmf_tx.tick++;
	uint8_t payload[DTMF_PAYLOAD_LEN];

	if (tick == 0)
		rs->dtmf_tx.ts = rs->tx_ts;
	if (tick < DTMF_TONE_TICKS + 1) {
		ev.end = tick == DTMF_TONE_TICKS;
		ev.duration =
		    (uint16_t)((ev.end ? tick : tick + 1) * RTP_SAMPLES_20MS);
		(void)dtmf_build(payload, &ev);
		for (unsigned i = 0; i < (ev.end ? DTMF_END_PACKETS : 1u); i++)
			(void)send_rtp(rs, rs->dtmf_pt, tick == 0,
				       rs->dtmf_tx.ts, payload,
				       sizeof(payload));
	}
	if (tick + 1 < DTMF_TONE_TICKS + 1 + DTMF_GAP_TICKS) {
		tmr_start(&rs->dtmf_tx.tmr, 20, on_dtmf_tick, rs);
		return;
	}
	if ((int32_t)(rs->tx_ts - rs->dtmf_tx.ts) <
	    (int32_t)((tick + 1) * RTP_SAMPLES_20MS))
		rs->tx_ts = rs->dtmf_tx.ts + (tick + 1) * RTP_SAMPLES_20MS;
	memmove(rs->dtmf_tx.queue, rs->dtmf_tx.queue + 1,
		strlen(rs->dtmf_tx.queue));
	rs->dtmf_tx.tick = 0;
	if (rs->dtmf_tx.queue[0])
		tmr_start(&rs->dtmf_tx.tmr, 20, on_dtmf_tick, rs);
}

int rtp_session_send_digits(struct rtp_session *rs, const char *digits)
{
	size_t have = strlen(rs->dtmf_tx.queue), n = strlen(digits);
	uint8_t payload[DTMF_PAYLOAD_LEN];
	struct dtmf_event ev = {0};

	if (!rs->started)
		return ENOTCONN;
	if (!rs->dtmf_pt)
		return ENOTSUP;
	for (size_t i = 0; i < n; i++) {
		ev.digit = digits[i];
		if (dtmf_build(payload, &ev))
			return EINVAL;
	}
	if (have + n > RTP_DTMF_QUEUE_MAX)
		return ENOSPC;
	memcpy(rs->dtmf_tx.queue + have, digits, n + 1);
	if (!have && n)
		tmr_start(&rs->dtmf_tx.tmr, 0, on_dtmf_tick, rs);
	return 0;
}

void rtp_session_stats(const struct rtp_session *rs, struct rtp_stats *st)
{
	*st = rs->st;
	st->jitter_ms = rs->jitter / 8.0;
}
