/**
 * @file cidr.h  Address blocks ("203.0.113.0/24", "2001:db8::/32", or a
 *               single address) for source-address allow-lists
 */
#ifndef TRUNKD_CORE_CIDR_H
#define TRUNKD_CORE_CIDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

/* 0, or EINVAL for anything but an address with an optional /prefix (host
 * bits must be zero: "10.0.0.1/8" is refused as ambiguous) */
int cidr_parse(const char *s, struct cidr *out);
/* IPv4-mapped IPv6 addresses match IPv4 blocks */
bool cidr_contains(const struct cidr *c, const struct sockaddr *sa);

#endif
