/**
 * @file endpoints.h  Where a number's calls go: its sip_endpoint (with
 *                    options.transport and options.port) and then, when
 *                    failover is enabled, the failover endpoints by
 *                    priority
 *
 * Reads a row as sipmap_render_row() shows it (a trunk's endpoint and
 * options already merged in).  Pure functions: no I/O.
 */
#ifndef TRUNKD_CORE_ENDPOINTS_H
#define TRUNKD_CORE_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "core/advconf.h"
#include "core/sipdest.h"

#define ENDPOINTS_MAX (1 + ADVCONF_MAX_ENDPOINTS)

/* 0 with eps[0] the primary and *n set, or ENOENT with why (no usable
 * sip_endpoint) */
int endpoints_of(const json_t *row, struct sipdest eps[ENDPOINTS_MAX],
		 unsigned *n, const char **why);
/* An inbound row whose calls are forwarded: it has a sip_endpoint and
 * does not register there (auth_mode register: the endpoint is the PBX's
 * registrar, which sends its calls to us) */
bool endpoints_forwarding(const json_t *row);
/* Calls go to this row's endpoints: outbound, or inbound forwarding */
bool endpoints_probed(const json_t *row);
/* "transport:host:port", the name health checks know an endpoint by */
void endpoints_key(const struct sipdest *d, char *out, size_t size);

#endif
