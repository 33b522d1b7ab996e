/**
 * @file pcap.h  pcap files of SIP messages (Wireshark, tshark, sngrep)
 *
 * The file's link type is LINKTYPE_RAW (an IPv4 or IPv6 header first).
 * Each message becomes one IP/UDP packet between its real addresses and
 * ports, whatever transport carried it (TLS is shown decrypted, as UDP),
 * so every SIP dissector reads it; a payload longer than one UDP datagram
 * can carry is cut at PCAP_MAX_PAYLOAD.
 */
#ifndef TRUNKD_CORE_PCAP_H
#define TRUNKD_CORE_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_MAX_PAYLOAD 65000

struct mbuf;
struct sa;

/* the 24-byte global header */
int pcap_write_header(struct mbuf *mb);
/* one packet; src and dst must be of the same family */
int pcap_write_udp(struct mbuf *mb, uint64_t time_us, const struct sa *src,
		   const struct sa *dst, const uint8_t *payload, size_t len);

#endif
