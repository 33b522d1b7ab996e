/**
 * @file api.h  The REST API: route table, authentication, shared context
 *
 * Ownership: api_alloc() returns a mem object holding a ref to the store and
 * owning the HTTP server it starts and the API-key cache.
 */
#ifndef TRUNKD_HTTP_API_H
#define TRUNKD_HTTP_API_H

#include <uv.h>

struct api;
struct config;
struct store;
struct http_server;

int api_alloc(struct api **apip, uv_loop_t *loop, const struct config *cfg,
	      struct store *store);
struct http_server *api_http(const struct api *api);

#endif
