/**
 * @file http_int.h  Internals shared by the HTTP server's files
 */
#ifndef TRUNKD_HTTP_HTTP_INT_H
#define TRUNKD_HTTP_HTTP_INT_H

#include <llhttp.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include "http/http.h"

#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_PARAMS	 4
#define HTTP_MAX_PENDING 64 /* unanswered pipelined requests per conn */
#define HTTP_LAT_BUCKETS 12

struct http_conn;

struct http_hdr {
	char *name;  /* owned, lower-case */
	char *value; /* owned */
};

struct http_req {
	struct le le;		 /* in conn->reqs */
	struct http_conn *conn;	 /* borrowed; NULL once the client left */
	struct http_server *srv; /* ref */
	const struct http_route *route; /* borrowed from srv's table */
	int route_idx;
	char method[12];
	char id[17];
	struct mbuf *url;  /* owned; NUL-terminated when complete */
	char *path;	   /* owned */
	char *query;	   /* owned, may be NULL */
	struct mbuf *body; /* owned */
	void *sink;	   /* owned: a streamed route's body sink */
	const struct http_stream *stream; /* borrowed: the sink's route's */
	size_t streamed;		  /* body bytes given to the sink */
	struct http_hdr hdrv[HTTP_MAX_HEADERS];
	unsigned hdrc;
	bool in_value;			   /* parser is inside a header value */
	char *params[HTTP_MAX_PARAMS * 2]; /* owned name/value pairs */
	struct list decoded; /* owned: query values returned (struct decoded) */
	void *principal;     /* ref */
	struct mbuf *resp;   /* owned: the reply, once given */
	unsigned status;
	bool close_after; /* Connection: close */
	bool complete;	  /* whole request parsed */
	uint64_t start_ms;
};

struct http_server {
	uv_loop_t *loop;	   /* borrowed */
	struct http_listener *lsn; /* owned until uv_close */
	struct http_limits lim;
	const struct http_route *routes; /* borrowed, static table */
	size_t nroutes;
	void *arg;	   /* borrowed: handlers' argument */
	http_req_h *authh; /* borrowed */
	struct list conns; /* struct http_conn */
	unsigned nconns;
	uint16_t port;
	bool draining;
	http_done_h *doneh;
	void *done_arg;
	llhttp_settings_t settings;
	/* metrics: [route][status class 1..5], [nroutes] = unrouted */
	unsigned long long (*counts)[6];
	unsigned long long lat[HTTP_LAT_BUCKETS + 1];
	double lat_sum;
	unsigned long long lat_count;
};

void http__route(struct http_req *req);
/* "ip" of the connection's peer into buf ("" if unknown) */
void http__conn_peer(const struct http_conn *conn, char *buf, size_t sz);
/* at the end of the headers: the route the request will take, or NULL */
const struct http_route *http__route_early(struct http_req *req);
void http__conn_flush(struct http_conn *conn);
void http__check_drained(struct http_server *srv);
/* a new request, not yet in any connection's queue */
int http__req_alloc(struct http_req **reqp, struct http_server *srv);

#endif
