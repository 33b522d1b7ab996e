/** @file sipdest.c  Destination shorthands → libre URI → exact fields */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_sa.h>
#include <re_uri.h>
#include "core/sipdest.h"

static bool host_ok(const char *h)
{
	struct sa sa;

	if (!sa_set_str(&sa, h, 0))
		return true; /* an IP literal */
	if (!h[0] || strlen(h) > 253 || h[0] == '-' || h[0] == '.')
		return false;
	for (const char *c = h; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
			return false;
	}
	return true;
}

/* "tls://h", "h:p", "2001:db8::1" → a sip:/sips: URI in buf */
static int to_uri(char *buf, size_t sz, const char *in, const char **why)
{
	static const char *const schemes[] = {"udp", "tcp", "tls"};
	const char *rest = in;
	char tp[8] = "";
	int colons = 0;

	if (!strncasecmp(in, "sip:", 4) || !strncasecmp(in, "sips:", 5)) {
		snprintf(buf, sz, "%s", in);
		return 0;
	}
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(schemes[i]);

		if (!strncasecmp(in, schemes[i], n) &&
		    !strncmp(in + n, "://", 3)) {
			snprintf(tp, sizeof(tp), "%s", schemes[i]);
			rest = in + n + 3;
		}
	}
	if (strstr(rest, "://")) {
		*why = "unknown scheme: use sip:, sips:, udp://, tcp:// or "
		       "tls://";
		return EINVAL;
	}
	for (const char *c = rest; *c; c++)
		colons += *c == ':';
	/* a bare IPv6 literal has several colons and no brackets */
	if (colons > 1 && rest[0] != '[')
		snprintf(buf, sz, "sip:[%s]%s%s", rest,
			 tp[0] ? ";transport=" : "", tp);
	else
		snprintf(buf, sz, "sip:%s%s%s", rest,
			 tp[0] ? ";transport=" : "", tp);
	return 0;
}

int sipdest_parse(struct sipdest *d, const char *in, const char **why)
{
	struct pl pl, tp = PL_INIT, tpname = PL("transport");
	char buf[600];
	struct uri uri;
	bool sips;

	*why = NULL;
	memset(d, 0, sizeof(*d));
	if (!in || !in[0] || strlen(in) > 500) {
		*why = "the destination is empty or longer than 500 characters";
		return EINVAL;
	}
	for (const char *c = in; *c; c++) {
		if ((unsigned char)*c <= ' ') {
			*why = "the destination contains spaces or control "
			       "characters";
			return EINVAL;
		}
	}
	if (to_uri(buf, sizeof(buf), in, why))
		return EINVAL;
	pl_set_str(&pl, buf);
	if (uri_decode(&uri, &pl) || !pl_isset(&uri.host)) {
		*why = "not a SIP URI, host, or host:port";
		return EINVAL;
	}
	sips = !pl_strcasecmp(&uri.scheme, "sips");
	uri_param_get(&uri.params, &tpname, &tp);
	if (pl_isset(&tp)) {
		if (pl_strcasecmp(&tp, "udp") && pl_strcasecmp(&tp, "tcp") &&
		    pl_strcasecmp(&tp, "tls")) {
			*why = "transport must be udp, tcp or tls";
			return EINVAL;
		}
		pl_strcpy(&tp, d->transport, sizeof(d->transport));
		for (char *c = d->transport; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		if (sips && strcmp(d->transport, "tls")) {
			*why = "sips: requires transport tls";
			return EINVAL;
		}
	} else {
		snprintf(d->transport, sizeof(d->transport), "%s",
			 sips ? "tls" : "udp");
	}
	if (uri.host.l >= sizeof(d->host) || uri.user.l >= sizeof(d->user)) {
		*why = "host or user is too long";
		return EINVAL;
	}
	{
		/* libre stores the port as uint16_t: check the text itself */
		const char *c = uri.host.p + uri.host.l;
		unsigned long port;

		if (*c == ']')
			c++;
		if (*c == ':') {
			port = strtoul(c + 1, NULL, 10);
			if (port < 1 || port > 65535) {
				*why = "port must be between 1 and 65535";
				return EINVAL;
			}
		}
	}
	pl_strcpy(&uri.host, d->host, sizeof(d->host));
	pl_strcpy(&uri.user, d->user, sizeof(d->user));
	if (!host_ok(d->host)) {
		*why = "the host is not a valid name or IP address";
		return EINVAL;
	}
	d->port =
	    uri.port ? uri.port : (strcmp(d->transport, "tls") ? 5060 : 5061);
	sipdest_uri(d, d->user, d->uri, sizeof(d->uri));
	return 0;
}

void sipdest_hostport(const struct sipdest *d, char *out, size_t size)
{
	bool v6 = strchr(d->host, ':') != NULL; /* host_ok: only IPv6 */

	snprintf(out, size, "%s%s%s:%u", v6 ? "[" : "", d->host, v6 ? "]" : "",
		 d->port);
}

void sipdest_uri(const struct sipdest *d, const char *user, char *out,
		 size_t size)
{
	char hostport[sizeof(d->host) + 8];

	sipdest_hostport(d, hostport, sizeof(hostport));
	snprintf(out, size, "sip:%s%s%s;transport=%s", user, user[0] ? "@" : "",
		 hostport, d->transport);
}
