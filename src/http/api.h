/**
 * @file api.h  The REST API: route table, authentication, shared context
 *
 * Ownership: api_alloc() returns a mem object holding refs to the store and
 * the SIP configuration map, and owning the HTTP servers it starts (the API,
 * and with --metrics-listen the admin listener for /metrics) and the API-key
 * cache.
 */
#ifndef TRUNKD_HTTP_API_H
#define TRUNKD_HTTP_API_H

#include <uv.h>

struct api;
struct config;
struct store;
struct sipmap;
struct sip_server;
struct http_server;

int api_alloc(struct api **apip, uv_loop_t *loop, const struct config *cfg,
	      struct store *store, struct sipmap *map, struct sip_server *sip);
/* Stop accepting on every listener; doneh once no request is in flight */
void api_drain(struct api *api, void (*doneh)(void *arg), void *arg);

#endif
