/** @file pcap.c  pcap writer for SIP traces (see pcap.h) */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <re_types.h>
#include <re_mbuf.h>
#include <re_sa.h>
#include "core/pcap.h"

#define LINKTYPE_RAW 101

/* pcap headers are in the writer's byte order (we write little-endian);
 * IP and UDP headers in network order */
static int le32(struct mbuf *mb, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};

	return mbuf_write_mem(mb, b, sizeof(b));
}

static int le16(struct mbuf *mb, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	return mbuf_write_mem(mb, b, sizeof(b));
}

int pcap_write_header(struct mbuf *mb)
{
	int err = le32(mb, 0xa1b2c3d4); /* microsecond timestamps */

	err |= le16(mb, 2);
	err |= le16(mb, 4);
	err |= le32(mb, 0);	/* thiszone */
	err |= le32(mb, 0);	/* sigfigs */
	err |= le32(mb, 65535); /* snaplen */
	err |= le32(mb, LINKTYPE_RAW);
	return err;
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* the IP header; returns its length */
static size_t ip_header(uint8_t *h, const struct sa *src, const struct sa *dst,
			size_t udp_len)
{
	if (sa_af(src) == AF_INET6) {
		memset(h, 0, 40);
		h[0] = 0x60;
		put16(h + 4, (uint16_t)udp_len);
		h[6] = IPPROTO_UDP;
		h[7] = 64;
		memcpy(h + 8, &src->u.in6.sin6_addr, 16);
		memcpy(h + 24, &dst->u.in6.sin6_addr, 16);
		return 40;
	}
	memset(h, 0, 20);
	h[0] = 0x45;
	put16(h + 2, (uint16_t)(20 + udp_len));
	h[8] = 64;
	h[9] = IPPROTO_UDP;
	memcpy(h + 12, &src->u.in.sin_addr, 4);
	memcpy(h + 16, &dst->u.in.sin_addr, 4);
	put16(h + 10, ip_checksum(h, 20));
	return 20;
}

int pcap_write_udp(struct mbuf *mb, uint64_t time_us, const struct sa *src,
		   const struct sa *dst, const uint8_t *payload, size_t len)
{
	uint8_t h[48];
	size_t iplen, udp_len;
	int err;

	if (sa_af(src) != sa_af(dst) ||
	    (sa_af(src) != AF_INET && sa_af(src) != AF_INET6))
		return EAFNOSUPPORT;
	if (len > PCAP_MAX_PAYLOAD)
		len = PCAP_MAX_PAYLOAD;
	udp_len = 8 + len;
	iplen = ip_header(h, src, dst, udp_len);
	put16(h + iplen, sa_port(src));
	put16(h + iplen + 2, sa_port(dst));
	put16(h + iplen + 4, (uint16_t)udp_len);
	put16(h + iplen + 6, 0); /* no checksum: allowed over IPv4 */

	err = le32(mb, (uint32_t)(time_us / 1000000));
	err |= le32(mb, (uint32_t)(time_us % 1000000));
	err |= le32(mb, (uint32_t)(iplen + udp_len));
	err |= le32(mb, (uint32_t)(iplen + udp_len));
	err |= mbuf_write_mem(mb, h, iplen + 8);
	err |= mbuf_write_mem(mb, payload, len);
	return err;
}
