/** @file cidr.c  Address blocks (see cidr.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "core/cidr.h"

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(a, b, whole))
		return false;
	return !rest || ((a[whole] ^ b[whole]) & mask) == 0;
}

/* "10.0.0.1/8" has host bits set: the writer meant something else */
static bool host_bits_zero(const uint8_t *addr, unsigned bits, unsigned max)
{
	for (unsigned i = bits; i < max; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

int cidr_parse(const char *s, struct cidr *out)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	char *end;

	if (!n || n >= sizeof(ip))
		return EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, ip, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, ip, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return EINVAL;
	}
	out->bits = max;
	if (slash) {
		unsigned long b;

		if (slash[1] < '0' || slash[1] > '9')
			return EINVAL;
		b = strtoul(slash + 1, &end, 10);
		if (*end || b > max)
			return EINVAL;
		out->bits = (unsigned)b;
	}
	return host_bits_zero(out->addr, out->bits, max) ? 0 : EINVAL;
}

bool cidr_contains(const struct cidr *c, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	const uint8_t *a;

	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)
			->sin_addr;
		return c->family == AF_INET && prefix_eq(a, c->addr, c->bits);
	}
	if (sa->sa_family != AF_INET6)
		return false;
	a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (c->family == AF_INET6)
		return prefix_eq(a, c->addr, c->bits);
	return !memcmp(a, mapped, sizeof(mapped)) &&
	       prefix_eq(a + 12, c->addr, c->bits);
}
