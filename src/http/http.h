/**
 * @file http.h  The REST API's HTTP/1.1 server: uv_tcp + llhttp, keep-alive,
 *               pipelining, bounds, the {data, errors} envelope, routing
 *
 * Ownership: http_server_alloc() returns a mem object; mem_deref() closes the
 * listener and every connection (their libuv handles are freed in close
 * callbacks, so run the loop afterwards).  A struct http_req is a mem object
 * owned by its connection until the reply is written; a handler that replies
 * later (after a database query) mem_ref's it and may reply at any time: if
 * the client has gone, the reply is dropped.
 */
#ifndef TRUNKD_HTTP_HTTP_H
#define TRUNKD_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

struct http_server;
struct http_req;
struct mbuf;

struct http_limits {
	unsigned max_header;	 /* request line + headers, bytes */
	unsigned max_body;	 /* body bytes */
	unsigned idle_timeout_s; /* idle keep-alive connections */
	unsigned max_conns;	 /* concurrent connections */
};

typedef void(http_req_h)(struct http_req *req, void *arg);
typedef void(http_done_h)(void *arg);

/*
 * A streamed body: instead of buffering it (up to http_limits.max_body), the
 * server hands it to a sink as it arrives, up to max_body bytes (413 above).
 * open() runs once the headers are in, before authentication: it returns 0
 * and a sink (a mem object the request owns from then on), or an HTTP
 * status to refuse the request with (the connection then closes).  The
 * route's handler finds the sink with http_req_sink().
 */
struct http_stream {
	size_t max_body;
	unsigned (*open)(struct http_req *req, void **sinkp);
	void (*write)(void *sink, const uint8_t *p, size_t n);
};

/* A route: pattern segments starting with ':' capture a parameter */
enum { ROUTE_AUTH = 1 << 0 };
struct http_route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/v1/sip/trunks/:id" */
	http_req_h *h;
	unsigned flags;
	const struct http_stream *stream; /* NULL: the body is buffered */
};

int http_server_alloc(struct http_server **srvp, uv_loop_t *loop,
		      const char *listen, const struct http_limits *lim,
		      const struct http_route *routes, size_t nroutes,
		      void *arg);
/* authh runs before every ROUTE_AUTH handler; it replies (401) or calls
 * http_req_continue() */
void http_server_set_auth(struct http_server *srv, http_req_h *authh);
uint16_t http_server_port(const struct http_server *srv);
/* Stop accepting; doneh runs once no request is in flight */
void http_server_drain(struct http_server *srv, http_done_h *doneh, void *arg);
/* Prometheus text: requests by route and status class, latency histogram */
int http_server_metrics(const struct http_server *srv, struct mbuf *mb);

/* Request accessors; strings are NUL-terminated copies owned by req */
const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);
const char *http_req_id(const struct http_req *req);
const char *http_req_header(const struct http_req *req, const char *name);
const char *http_req_param(const struct http_req *req, const char *name);
/* query parameter, percent-decoded into a string owned by req (valid
 * until the request is freed); NULL if absent */
const char *http_req_query(struct http_req *req, const char *name);
const char *http_req_body(const struct http_req *req, size_t *len);
/* the argument the server's handlers get */
void *http_req_server_arg(const struct http_req *req);
/* the client's address ("127.0.0.1"), "" once it has gone */
void http_req_peer(const struct http_req *req, char *buf, size_t sz);
/* a streamed route's sink (see struct http_stream), or NULL */
void *http_req_sink(const struct http_req *req);
void http_req_set_principal(struct http_req *req, void *p); /* mem_ref'd */
void *http_req_principal(const struct http_req *req);
void http_req_continue(struct http_req *req);

/* Replies (exactly one per request) */
void http_reply_data(struct http_req *req, unsigned status, json_t *data);
void http_reply_error(struct http_req *req, unsigned status, const char *code,
		      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void http_reply_raw(struct http_req *req, unsigned status,
		    const char *content_type, const void *body, size_t len,
		    const char *extra_headers);

#endif
