/** @file endpoints.c  Where a number's calls go (see endpoints.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/endpoints.h"

static int by_priority(const void *a, const void *b)
{
	json_int_t pa =
	    json_integer_value(json_object_get(*(json_t **)a, "priority"));
	json_int_t pb =
	    json_integer_value(json_object_get(*(json_t **)b, "priority"));

	return pa < pb ? -1 : pa > pb;
}

int endpoints_of(const json_t *row, struct sipdest eps[ENDPOINTS_MAX],
		 unsigned *n, const char **why)
{
	const json_t *opts = json_object_get(row, "options");
	const json_t *fo = json_object_get(row, "failover_config");
	const json_t *list = json_object_get(fo, "endpoints");
	const json_t *sorted[ADVCONF_MAX_ENDPOINTS];
	const char *endpoint, *tp;
	json_int_t port;
	size_t i, m = 0;

	endpoint = json_string_value(json_object_get(row, "sip_endpoint"));
	if (!endpoint || sipdest_parse(&eps[0], endpoint, why)) {
		*why = "the number has no usable sip_endpoint";
		return ENOENT;
	}
	tp = json_string_value(json_object_get(opts, "transport"));
	port = json_integer_value(json_object_get(opts, "port"));
	if (tp)
		snprintf(eps[0].transport, sizeof(eps[0].transport), "%s", tp);
	if (port > 0)
		eps[0].port = (uint16_t)port;
	*n = 1;
	if (!json_is_true(json_object_get(fo, "enabled")))
		return 0;
	for (i = 0; i < json_array_size(list) && m < ADVCONF_MAX_ENDPOINTS; i++)
		sorted[m++] = json_array_get(list, i);
	qsort(sorted, m, sizeof(sorted[0]), by_priority);
	for (i = 0; i < m; i++) {
		struct sipdest *ep = &eps[(*n)++];

		memset(ep, 0, sizeof(*ep));
		snprintf(ep->host, sizeof(ep->host), "%s",
			 json_string_value(json_object_get(sorted[i], "host")));
		snprintf(
		    ep->transport, sizeof(ep->transport), "%s",
		    json_string_value(json_object_get(sorted[i], "transport")));
		ep->port = (uint16_t)json_integer_value(
		    json_object_get(sorted[i], "port"));
	}
	return 0;
}

bool endpoints_forwarding(const json_t *row)
{
	const char *mode = json_string_value(
	    json_object_get(json_object_get(row, "options"), "auth_mode"));

	return json_string_value(json_object_get(row, "sip_endpoint")) &&
	       !(mode && !strcmp(mode, "register"));
}

bool endpoints_probed(const json_t *row)
{
	const char *dir = json_string_value(json_object_get(row, "direction"));

	return dir && (!strcmp(dir, "outbound") ||
		       (!strcmp(dir, "inbound") && endpoints_forwarding(row)));
}

void endpoints_key(const struct sipdest *d, char *out, size_t size)
{
	char hp[300];

	sipdest_hostport(d, hp, sizeof(hp));
	snprintf(out, size, "%s:%s", d->transport, hp);
}
