/**
 * @file sipdest.h  What customers type as a SIP destination, made exact
 *
 * Accepts "sip:user@host:5061;transport=tls", "sips:host", "host:port",
 * "tls://host", "udp://host:5080", bare host names and IPv4/IPv6 literals
 * ("[2001:db8::1]:5080" or "2001:db8::1").  Scheme shorthands are rewritten
 * to a sip:/sips: URI and then parsed by libre's uri_decode(); nothing else
 * is parsed by hand.  Defaults (RFC 3261/3263 when no NAPTR/SRV is looked
 * up): transport udp, or tls for sips:; port 5060, or 5061 for tls.
 */
#ifndef TRUNKD_CORE_SIPDEST_H
#define TRUNKD_CORE_SIPDEST_H

#include <stddef.h>
#include <stdint.h>

struct sipdest {
	char host[256];
	char user[128];
	char transport[4]; /* udp, tcp, tls */
	uint16_t port;
	char uri[512]; /* canonical sip:[user@]host:port;transport=x */
};

/* 0, or EINVAL with why (static text) */
int sipdest_parse(struct sipdest *d, const char *in, const char **why);

/* "host:port", an IPv6 literal in brackets */
void sipdest_hostport(const struct sipdest *d, char *out, size_t size);
/* "sip:[user@]host:port;transport=x" (user "" for none); d->uri is this
 * with d->user */
void sipdest_uri(const struct sipdest *d, const char *user, char *out,
		 size_t size);

#endif
