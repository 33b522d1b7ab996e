/**
 * @file request.c  Requests: accessors, routing, replies, the envelope,
 *                  access log and metrics
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "http/http_int.h"
#include <re_fmt.h>
#include <re_sys.h>
#include <re_tmr.h>
#include "core/log.h"

static const double lat_bounds_ms[HTTP_LAT_BUCKETS] = {
    0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000};

static void req_destructor(void *arg)
{
	struct http_req *req = arg;

	list_unlink(&req->le);
	mem_deref(req->url);
	mem_deref(req->path);
	mem_deref(req->query);
	mem_deref(req->body);
	mem_deref(req->sink);
	for (unsigned i = 0; i < req->hdrc; i++) {
		mem_deref(req->hdrv[i].name);
		mem_deref(req->hdrv[i].value);
	}
	for (unsigned i = 0; i < HTTP_MAX_PARAMS * 2; i++)
		mem_deref(req->params[i]);
	list_flush(&req->decoded);
	mem_deref(req->principal);
	mem_deref(req->resp);
	mem_deref(req->srv);
}

int http__req_alloc(struct http_req **reqp, struct http_server *srv)
{
	struct http_req *req = mem_zalloc(sizeof(*req), req_destructor);

	if (!req)
		return ENOMEM;
	req->url = mbuf_alloc(64);
	req->body = mbuf_alloc(0);
	if (!req->url || !req->body) {
		mem_deref(req);
		return ENOMEM;
	}
	req->srv = mem_ref(srv);
	req->route_idx = -1;
	req->start_ms = tmr_jiffies();
	snprintf(req->id, sizeof(req->id), "%016llx",
		 (unsigned long long)rand_u64());
	*reqp = req;
	return 0;
}

const char *http_req_method(const struct http_req *req)
{
	return req->method;
}

const char *http_req_path(const struct http_req *req)
{
	return req->path ? req->path : "";
}

const char *http_req_id(const struct http_req *req)
{
	return req->id;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	for (unsigned i = 0; i < req->hdrc; i++) {
		if (req->hdrv[i].name && !strcasecmp(req->hdrv[i].name, name))
			return req->hdrv[i].value ? req->hdrv[i].value : "";
	}
	return NULL;
}

const char *http_req_param(const struct http_req *req, const char *name)
{
	for (unsigned i = 0; i < HTTP_MAX_PARAMS; i++) {
		if (req->params[2 * i] && !strcmp(req->params[2 * i], name))
			return req->params[2 * i + 1];
	}
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* percent-decoding of [p, p+len) into a new string; '+' is a space */
static char *pct_decode(const char *p, size_t len)
{
	char *out = mem_alloc(len + 1, NULL);
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '%' && i + 2 < len + 0 && hexval(p[i + 1]) >= 0 &&
		    hexval(p[i + 2]) >= 0) {
			out[n++] =
			    (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else {
			out[n++] = p[i] == '+' ? ' ' : p[i];
		}
	}
	out[n] = '\0';
	return out;
}

struct decoded {
	struct le le;
	char *s; /* owned */
};

static void decoded_destructor(void *arg)
{
	struct decoded *d = arg;

	mem_deref(d->s);
}

/* the request keeps every decoded value until it is freed */
static const char *keep_decoded(struct http_req *req, char *s)
{
	struct decoded *d =
	    s ? mem_zalloc(sizeof(*d), decoded_destructor) : NULL;

	if (!d) {
		mem_deref(s);
		return NULL;
	}
	d->s = s;
	list_append(&req->decoded, &d->le, d);
	return s;
}

const char *http_req_query(struct http_req *req, const char *name)
{
	const char *p = req->query;
	size_t nlen = strlen(name);

	while (p && *p) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *kend = eq ? eq : end;

		if ((size_t)(kend - p) == nlen && !memcmp(p, name, nlen))
			return keep_decoded(
			    req, eq ? pct_decode(eq + 1, (size_t)(end - eq - 1))
				    : pct_decode("", 0));
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

const char *http_req_body(const struct http_req *req, size_t *len)
{
	*len = req->body->end;
	return (const char *)req->body->buf;
}

void *http_req_server_arg(const struct http_req *req)
{
	return req->srv->arg;
}

void http_req_peer(const struct http_req *req, char *buf, size_t sz)
{
	if (req->conn)
		http__conn_peer(req->conn, buf, sz);
	else if (sz)
		buf[0] = '\0';
}

void *http_req_sink(const struct http_req *req)
{
	return req->sink;
}

void http_req_set_principal(struct http_req *req, void *p)
{
	mem_deref(req->principal);
	req->principal = mem_ref(p);
}

void *http_req_principal(const struct http_req *req)
{
	return req->principal;
}

/* pattern "/v1/sip/trunks/:id" against path; fills params on a match */
static bool route_match(struct http_req *req, const char *pattern)
{
	const char *p = pattern, *s = req->path;
	unsigned np = 0;

	while (*p && *s) {
		if (*p == ':') {
			const char *pe = strchr(p, '/'), *se = strchr(s, '/');
			size_t pl = pe ? (size_t)(pe - p - 1) : strlen(p + 1);
			size_t sl = se ? (size_t)(se - s) : strlen(s);

			if (!sl || np == HTTP_MAX_PARAMS)
				return false;
			mem_deref(req->params[2 * np]);
			mem_deref(req->params[2 * np + 1]);
			req->params[2 * np] = NULL;
			req->params[2 * np + 1] = NULL;
			if (re_sdprintf(&req->params[2 * np], "%b", p + 1, pl))
				return false;
			req->params[2 * np + 1] = pct_decode(s, sl);
			np++;
			p += pl + 1;
			s += sl;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return !*p && !*s;
}

static void split_url(struct http_req *req)
{
	const char *u = (const char *)req->url->buf;
	size_t len = req->url->end;
	const char *q = memchr(u, '?', len);
	size_t plen = q ? (size_t)(q - u) : len;

	if (req->path)
		return; /* split at the end of the headers already */
	req->path = pct_decode(u, plen);
	if (q)
		re_sdprintf(&req->query, "%b", q + 1, len - plen - 1);
}

const struct http_route *http__route_early(struct http_req *req)
{
	struct http_server *srv = req->srv;

	split_url(req);
	if (!req->path)
		return NULL;
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct http_route *r = &srv->routes[i];

		if (!strcmp(r->method, req->method) &&
		    route_match(req, r->pattern))
			return r;
	}
	return NULL;
}

void http__route(struct http_req *req)
{
	struct http_server *srv = req->srv;
	char allow[96] = "";
	size_t n = 0;

	split_url(req);
	if (!req->path) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
		return;
	}
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct http_route *r = &srv->routes[i];

		if (!route_match(req, r->pattern))
			continue;
		if (!strcmp(r->method, req->method)) {
			req->route = r;
			req->route_idx = (int)i;
			break;
		}
		if (n < sizeof(allow) - 12)
			n += (size_t)snprintf(allow + n, sizeof(allow) - n,
					      "%s%s", n ? ", " : "", r->method);
	}

	if (!req->route && n) {
		char hdr[128];

		snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
		req->status = 405;
		{
			json_t *e =
			    json_pack("{s:n, s:[{s:s, s:s+}]}", "data",
				      "errors", "error", "METHOD_NOT_ALLOWED",
				      "message", "this path accepts ", allow);
			char *body = json_dumps(e, JSON_COMPACT);

			http_reply_raw(req, 405, "application/json", body,
				       body ? strlen(body) : 0, hdr);
			free(body);
			json_decref(e);
		}
		return;
	}
	if (!req->route) {
		http_reply_error(req, 404, "NOT_FOUND",
				 "no route for %s %.100s", req->method,
				 req->path);
		return;
	}
	if ((req->route->flags & ROUTE_AUTH) && srv->authh) {
		srv->authh(req, srv->arg);
		return;
	}
	req->route->h(req, srv->arg);
}

void http_req_continue(struct http_req *req)
{
	req->route->h(req, req->srv->arg);
}

static const char *reason(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

static void account(struct http_req *req, unsigned status)
{
	struct http_server *srv = req->srv;
	double ms = (double)(tmr_jiffies() - req->start_ms);
	size_t row =
	    req->route_idx >= 0 ? (size_t)req->route_idx : srv->nroutes;
	unsigned cls = status / 100 <= 5 ? status / 100 : 5;
	unsigned b = 0;

	srv->counts[row][cls]++;
	while (b < HTTP_LAT_BUCKETS && ms > lat_bounds_ms[b])
		b++;
	srv->lat[b]++;
	srv->lat_sum += ms;
	srv->lat_count++;
	log_info("http", req->id, "%s %.200s %u %.0fms", req->method,
		 req->path ? req->path : "-", status, ms);
}

void http_reply_raw(struct http_req *req, unsigned status,
		    const char *content_type, const void *body, size_t len,
		    const char *extra_headers)
{
	struct mbuf *mb;

	if (req->resp)
		return; /* one reply per request */
	mb = mbuf_alloc(256 + len);
	if (!mb)
		return;
	if (req->srv->draining)
		req->close_after = true;
	mbuf_printf(mb,
		    "HTTP/1.1 %u %s\r\n"
		    "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n"
		    "X-Request-Id: %s\r\n"
		    "%s%s\r\n",
		    status, reason(status), content_type, len, req->id,
		    req->close_after ? "Connection: close\r\n" : "",
		    extra_headers ? extra_headers : "");
	mbuf_write_mem(mb, body, len);
	req->resp = mb;
	req->status = status;
	account(req, status);
	if (req->conn)
		http__conn_flush(req->conn);
}

static void reply_json(struct http_req *req, unsigned status, json_t *env)
{
	char *body = env ? json_dumps(env, JSON_COMPACT) : NULL;

	if (!body)
		http_reply_raw(req, 500, "application/json",
			       "{\"data\":null,\"errors\":[{\"error\":"
			       "\"INTERNAL\",\"message\":\"out of memory\"}]}",
			       73, NULL);
	else
		http_reply_raw(req, status, "application/json", body,
			       strlen(body), NULL);
	free(body);
	json_decref(env);
}

void http_reply_data(struct http_req *req, unsigned status, json_t *data)
{
	reply_json(req, status,
		   json_pack("{s:o?, s:n}", "data", data, "errors"));
}

void http_reply_error(struct http_req *req, unsigned status, const char *code,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_json(req, status,
		   json_pack("{s:n, s:[{s:s, s:s}]}", "data", "errors", "error",
			     code, "message", msg));
}

int http_server_metrics(const struct http_server *srv, struct mbuf *mb)
{
	unsigned long long cum = 0;
	int err = 0;

	err |= mbuf_printf(mb, "# HELP trunkd_http_requests_total HTTP "
			       "requests by route and status class\n"
			       "# TYPE trunkd_http_requests_total counter\n");
	for (size_t i = 0; i <= srv->nroutes; i++) {
		for (unsigned c = 1; c <= 5; c++) {
			if (!srv->counts[i][c])
				continue;
			err |= mbuf_printf(
			    mb,
			    "trunkd_http_requests_total{method=\"%s\","
			    "route=\"%s\",status=\"%uxx\"} %llu\n",
			    i < srv->nroutes ? srv->routes[i].method : "",
			    i < srv->nroutes ? srv->routes[i].pattern
					     : "unmatched",
			    c, srv->counts[i][c]);
		}
	}
	err |= mbuf_printf(mb, "# HELP trunkd_http_request_duration_seconds "
			       "time from request to reply\n"
			       "# TYPE trunkd_http_request_duration_seconds "
			       "histogram\n");
	for (unsigned b = 0; b < HTTP_LAT_BUCKETS; b++) {
		cum += srv->lat[b];
		err |= mbuf_printf(mb,
				   "trunkd_http_request_duration_seconds_"
				   "bucket{le=\"%g\"} %llu\n",
				   lat_bounds_ms[b] / 1000, cum);
	}
	cum += srv->lat[HTTP_LAT_BUCKETS];
	err |=
	    mbuf_printf(mb,
			"trunkd_http_request_duration_seconds_bucket{le="
			"\"+Inf\"} %llu\n"
			"trunkd_http_request_duration_seconds_sum %g\n"
			"trunkd_http_request_duration_seconds_count %llu\n"
			"trunkd_http_connections %u\n",
			cum, srv->lat_sum / 1000, srv->lat_count, srv->nconns);
	return err;
}
