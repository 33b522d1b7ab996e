/**
 * @file lg_media.c  Every call's RTP on one UDP socket: a 20-slot send
 *                   wheel drained by sendmmsg, recvmmsg on readiness, and
 *                   the echo demultiplexed by SSRC
 *
 * A call joins slot (start ms + 1) % 20 of the wheel and sends one packet
 * each time its millisecond of the 20 ms cycle comes round, so a thousand
 * calls make an even stream, not a burst every 20 ms.  If the loop runs
 * late, the slots it missed are sent at once (that lateness is part of
 * what the jitter figures show, for trunkd and the ceiling alike).
 *
 * Payload: "LGEN", the call's serial, the send time (ns), the packet's
 * index; the rest is G.711 silence.  An echo returns the payload as it was
 * sent, so the round trip is now - send time, and the RFC 3550 jitter
 * estimator over those transit times gives the jitter the path added.
 *
 * Demultiplexing: an echo from trunkd comes with trunkd's SSRC, unknown
 * until its first packet, but from the port trunkd gave that call in SDP:
 * the first packet from that port binds its SSRC to the call.  A bare echo
 * returns our own SSRC, bound when the call starts.  Lookups are by SSRC
 * in an open-addressing table (linear probing, backward-shift deletion).
 *
 * RTCP: the socket at RTP + 1 is drained; nothing is sent on it.
 */
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../sockbuf.h"
#include "lg.h"

#define WHEEL	  LG_FRAME_MS
#define RX_ROUNDS 16	      /* recvmmsg batches per readiness event */
#define MAGIC	  0x4c47454eu /* "LGEN" */

struct ssrc_ent {
	uint32_t ssrc;
	uint32_t slot1; /* slot + 1; 0 = empty */
};

struct lg_media {
	int rtp_fd, rtcp_fd;
	uint16_t port;
	uv_poll_t rtp_poll, rtcp_poll; /* closed by lg_media_close */
	struct lg_call *wheel[WHEEL];  /* borrowed call lists */
	struct ssrc_ent *map;	       /* owned, mask + 1 entries */
	uint32_t mask;
	uint32_t *port_slot1; /* owned [65536]: RTP source port -> slot + 1 */
	/* send batch */
	struct mmsghdr msgs[LG_BATCH];
	struct iovec iov[LG_BATCH];
	uint8_t buf[LG_BATCH][LG_PKT_MAX];
	unsigned batched;
	/* receive batch */
	uint8_t rxbuf[LG_BATCH][LG_PKT_MAX + 64];
};

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static struct ssrc_ent *map_find(struct lg_media *m, uint32_t ssrc)
{
	uint32_t i = hash32(ssrc) & m->mask;

	while (m->map[i].slot1 && m->map[i].ssrc != ssrc)
		i = (i + 1) & m->mask;
	return &m->map[i];
}

static void map_put(struct lg_media *m, uint32_t ssrc, unsigned slot)
{
	struct ssrc_ent *e = map_find(m, ssrc);

	e->ssrc = ssrc;
	e->slot1 = slot + 1;
}

/* backward-shift deletion keeps every probe chain unbroken */
static void map_del(struct lg_media *m, uint32_t ssrc)
{
	struct ssrc_ent *e = map_find(m, ssrc);
	uint32_t i = (uint32_t)(e - m->map), j = i;

	if (!e->slot1)
		return;
	for (;;) {
		j = (j + 1) & m->mask;
		if (!m->map[j].slot1)
			break;
		uint32_t home = hash32(m->map[j].ssrc) & m->mask;
		/* can j's entry move to i?  only if home is not in (i, j] */
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->map[i] = m->map[j];
			i = j;
		}
	}
	m->map[i].slot1 = 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void flush(struct lg *lg)
{
	struct lg_media *m = lg->media;
	unsigned done = 0;

	while (done < m->batched) {
		int n = sendmmsg(m->rtp_fd, m->msgs + done, m->batched - done,
				 MSG_DONTWAIT);
		if (n <= 0) {
			/* a full socket buffer: those packets are lost on
			   our side and said so, never sent late */
			lg->t.tx_dropped += m->batched - done;
			break;
		}
		done += (unsigned)n;
	}
	m->batched = 0;
}

static void send_one(struct lg *lg, struct lg_call *c, uint64_t now)
{
	struct lg_media *m = lg->media;
	unsigned k = m->batched;
	uint8_t *p = m->buf[k];
	size_t len = 12 + LG_PAYLOAD;

	p[0] = 0x80;
	p[1] = (uint8_t)(c->pt | (c->seq == 0 ? 0x80 : 0));
	p[2] = (uint8_t)(c->seq >> 8);
	p[3] = (uint8_t)c->seq;
	put_be32(p + 4, c->ts);
	put_be32(p + 8, c->ssrc_tx);
	memset(p + 12, c->pt == 8 ? 0xd5 : 0xff, LG_PAYLOAD);
	put_be32(p + 12, MAGIC);
	put_be32(p + 16, c->serial);
	put_be64(p + 20, now);
	put_be32(p + 28, (uint32_t)c->tx);
	if (c->srtp_on && srtp_pair_protect(&c->srtp, p, &len, false)) {
		lg->t.tx_dropped++;
		return;
	}
	c->seq++;
	c->ts += LG_PAYLOAD;
	c->tx++;
	lg->t.tx++;
	m->iov[k].iov_base = p;
	m->iov[k].iov_len = len;
	m->msgs[k].msg_hdr.msg_name = &c->remote.u.sa;
	m->msgs[k].msg_hdr.msg_namelen = c->remote.len;
	if (++m->batched == LG_BATCH)
		flush(lg);
}

void lg_media_send_due(struct lg *lg, uint64_t ms)
{
	struct lg_call *c = lg->media->wheel[ms % WHEEL];
	uint64_t now = lg_now_ns();

	for (; c; c = c->wnext)
		send_one(lg, c, now);
	flush(lg);
}

/* RFC 3550 A.8 over echo transit times (ns) */
static void take_echo(struct lg *lg, struct lg_call *c, const uint8_t *pl,
		      size_t len, uint64_t now)
{
	int64_t transit, d;

	if (len < 32 || get_be32(pl) != MAGIC ||
	    get_be32(pl + 4) != c->serial) {
		c->rx_bad++;
		lg->t.rx_bad++;
		return;
	}
	transit = (int64_t)(now - get_be64(pl + 8));
	if (c->have_transit) {
		d = transit - c->last_transit;
		c->jitter_ns += ((double)(d < 0 ? -d : d) - c->jitter_ns) / 16;
	}
	c->last_transit = transit;
	c->have_transit = true;
	c->rx++;
	lg->t.rx++;
	lg_hist_add(&lg->rtt_ms, (double)transit / 1e6);
	if (lg->steady)
		lg_hist_add(&lg->steady_rtt_ms, (double)transit / 1e6);
}

static struct lg_call *owner(struct lg *lg, const uint8_t *p,
			     const struct sockaddr_in *src)
{
	struct lg_media *m = lg->media;
	uint32_t ssrc = get_be32(p + 8);
	struct ssrc_ent *e = map_find(m, ssrc);
	struct lg_call *c;
	uint32_t s1;

	if (e->slot1)
		return &lg->callv[e->slot1 - 1];
	s1 = m->port_slot1[ntohs(src->sin_port)];
	if (!s1)
		return NULL;
	c = &lg->callv[s1 - 1];
	if (c->rx_bound)
		return NULL; /* a second SSRC from that port */
	c->ssrc_rx = ssrc;
	c->rx_bound = true;
	map_put(m, ssrc, c->slot);
	return c;
}

static void take_packet(struct lg *lg, uint8_t *p, size_t len,
			const struct sockaddr_in *src, uint64_t now)
{
	struct lg_call *c;
	size_t hl;

	if (len < 12 || (p[0] >> 6) != 2 || !(c = owner(lg, p, src)) ||
	    (c->state != LG_MEDIA && c->state != LG_DRAINING)) {
		lg->t.rx_unknown++;
		return;
	}
	if (c->srtp_on && srtp_pair_unprotect(&c->srtp, p, &len, false)) {
		c->rx_bad++;
		lg->t.rx_bad++;
		return;
	}
	hl = 12 + 4 * (size_t)(p[0] & 0x0f);
	if ((p[0] & 0x10) && len >= hl + 4)
		hl += 4 + 4 * (size_t)(p[hl + 2] << 8 | p[hl + 3]);
	if (len < hl || (p[1] & 0x7f) != c->pt) {
		c->rx_bad++;
		lg->t.rx_bad++;
		return;
	}
	take_echo(lg, c, p + hl, len - hl, now);
}

static void on_rtp(uv_poll_t *h, int status, int events)
{
	struct lg *lg = h->data;
	uint8_t(*buf)[LG_PKT_MAX + 64] = lg->media->rxbuf;
	struct mmsghdr msgs[LG_BATCH];
	struct iovec iov[LG_BATCH];
	struct sockaddr_in src[LG_BATCH];
	int n, i, round;

	if (status < 0)
		return;
	for (round = 0; round < RX_ROUNDS; round++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < LG_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &src[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(src[i]);
		}
		n = recvmmsg(lg->media->rtp_fd, msgs, LG_BATCH, MSG_DONTWAIT,
			     NULL);
		if (n <= 0)
			return;
		uint64_t now = lg_now_ns();
		for (i = 0; i < n; i++)
			take_packet(lg, buf[i], msgs[i].msg_len, &src[i], now);
		if (n < LG_BATCH)
			return;
	}
}

static void on_rtcp(uv_poll_t *h, int status, int events)
{
	struct lg_media *m = h->data;
	uint8_t buf[1500];

	while (status >= 0 &&
	       recv(m->rtcp_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int udp_bind(const struct sa *ip, uint16_t port)
{
	struct sa a;
	int fd;

	sa_cpy(&a, ip);
	sa_set_port(&a, port);
	fd = socket(sa_af(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	bench_sockbuf(fd);
	if (bind(fd, &a.u.sa, a.len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * An even RTP port with RTCP on the next one, from 62000 up: above Linux's
 * ephemeral range (32768-60999) and the ranges trunkd's tests and benches
 * give trunkd, so a run never takes a port another process counts on.
 */
static int bind_pair(struct lg_media *m, const struct sa *ip)
{
	uint32_t p;

	for (p = 62000; p < 65534; p += 2) {
		m->rtp_fd = udp_bind(ip, (uint16_t)p);
		if (m->rtp_fd < 0)
			continue;
		m->rtcp_fd = udp_bind(ip, (uint16_t)(p + 1));
		if (m->rtcp_fd >= 0) {
			m->port = (uint16_t)p;
			return 0;
		}
		close(m->rtp_fd);
	}
	return EADDRINUSE;
}

int lg_media_open(struct lg *lg)
{
	struct lg_media *m = calloc(1, sizeof(*m));
	uint32_t size = 64;
	unsigned i;
	int err;

	if (!m)
		return ENOMEM;
	m->rtp_fd = m->rtcp_fd = -1;
	lg->media = m;
	while (size < 4 * lg->o.concurrency)
		size <<= 1;
	m->mask = size - 1;
	m->map = calloc(size, sizeof(*m->map));
	m->port_slot1 = calloc(65536, sizeof(*m->port_slot1));
	if (!m->map || !m->port_slot1)
		return ENOMEM;
	err = bind_pair(m, &lg->laddr);
	if (err)
		return err;
	for (i = 0; i < LG_BATCH; i++) {
		m->msgs[i].msg_hdr.msg_iov = &m->iov[i];
		m->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	uv_poll_init(lg->loop, &m->rtp_poll, m->rtp_fd);
	uv_poll_init(lg->loop, &m->rtcp_poll, m->rtcp_fd);
	m->rtp_poll.data = lg;
	m->rtcp_poll.data = m;
	uv_poll_start(&m->rtp_poll, UV_READABLE, on_rtp);
	uv_poll_start(&m->rtcp_poll, UV_READABLE, on_rtcp);
	return 0;
}

void lg_media_close(struct lg *lg)
{
	struct lg_media *m = lg->media;

	if (!m)
		return;
	if (m->rtp_fd >= 0) {
		uv_close((uv_handle_t *)&m->rtp_poll, NULL);
		uv_close((uv_handle_t *)&m->rtcp_poll, NULL);
	}
}

void lg_media_free(struct lg *lg)
{
	struct lg_media *m = lg->media;

	if (!m)
		return;
	if (m->rtp_fd >= 0)
		close(m->rtp_fd);
	if (m->rtcp_fd >= 0)
		close(m->rtcp_fd);
	free(m->map);
	free(m->port_slot1);
	free(m);
	lg->media = NULL;
}

uint16_t lg_media_port(const struct lg *lg)
{
	return lg->media->port;
}

int lg_media_start(struct lg *lg, struct lg_call *c)
{
	struct lg_media *m = lg->media;
	uint64_t ms = (lg_now_ns() - lg->t0) / 1000000;

	if (lg->o.ceiling) {
		/* a bare echo sends our own SSRC back */
		c->ssrc_rx = c->ssrc_tx;
		c->rx_bound = true;
		map_put(m, c->ssrc_tx, c->slot);
	} else {
		m->port_slot1[sa_port(&c->remote)] = c->slot + 1;
	}
	c->wslot = (unsigned)((ms + 1) % WHEEL);
	c->wprev = NULL;
	c->wnext = m->wheel[c->wslot];
	if (c->wnext)
		c->wnext->wprev = c;
	m->wheel[c->wslot] = c;
	c->state = LG_MEDIA;
	return 0;
}

void lg_media_stop(struct lg *lg, struct lg_call *c)
{
	struct lg_media *m = lg->media;

	if (c->state != LG_MEDIA)
		return;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		m->wheel[c->wslot] = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	c->wnext = c->wprev = NULL;
	c->state = LG_DRAINING;
}

void lg_media_forget(struct lg *lg, struct lg_call *c)
{
	struct lg_media *m = lg->media;

	lg_media_stop(lg, c);
	if (c->rx_bound)
		map_del(m, c->ssrc_rx);
	if (!lg->o.ceiling && m->port_slot1[sa_port(&c->remote)] == c->slot + 1)
		m->port_slot1[sa_port(&c->remote)] = 0;
	c->rx_bound = false;
}
