/**
 * @file server.c  HTTP connections: accept, parse with llhttp, keep replies
 *                 in request order, enforce the bounds, close cleanly
 *
 * A connection owns the requests it parsed, in order (conn->reqs).  Replies
 * may come in any order; http__conn_flush() writes the answered prefix of
 * the queue, so pipelined replies always leave in request order.  Reading
 * stops while HTTP_MAX_PENDING requests wait for answers (rule 9).
 * A connection is freed only in its uv_close callback; its requests are
 * detached first so late replies find conn == NULL and are dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http/http_int.h"
#include <re_fmt.h>
#include <re_sa.h>
#include <re_sys.h>
#include "core/log.h"

struct http_listener {
	uv_tcp_t tcp;		 /* freed with this struct in close cb */
	struct http_server *srv; /* borrowed; NULL once detached */
};

struct http_conn {
	struct le le;		 /* in srv->conns */
	uv_tcp_t tcp;		 /* conn freed in its close callback */
	uv_timer_t idle;	 /* closed before tcp */
	struct http_server *srv; /* borrowed; outlives conns */
	llhttp_t parser;
	struct list reqs;     /* struct http_req, ref'd, in order */
	struct http_req *cur; /* borrowed: being parsed (in reqs) */
	size_t head_bytes;    /* request line + headers so far */
	unsigned pending;     /* parsed, not yet written */
	unsigned writes;      /* uv_write in flight */
	bool reading;
	bool closing;
	bool close_when_flushed;
};

struct write_req {
	uv_write_t w;
	struct http_conn *conn; /* borrowed */
	struct mbuf *mb;	/* owned */
};

static void conn_close(struct http_conn *conn);

static int conn_req_new(struct http_conn *conn, struct http_req **reqp)
{
	int err = http__req_alloc(reqp, conn->srv);

	if (err)
		return err;
	(*reqp)->conn = conn;
	list_append(&conn->reqs, &(*reqp)->le, *reqp);
	return 0;
}

static void on_conn_closed(uv_handle_t *h)
{
	struct http_conn *conn = h->data;

	free(conn);
}

static void on_idle_closed(uv_handle_t *h)
{
	struct http_conn *conn = h->data;

	uv_close((uv_handle_t *)&conn->tcp, on_conn_closed);
}

static void conn_close(struct http_conn *conn)
{
	struct http_server *srv = conn->srv;
	struct le *le;

	if (conn->closing)
		return;
	conn->closing = true;
	while ((le = list_head(&conn->reqs))) {
		struct http_req *req = le->data;

		list_unlink(&req->le);
		req->conn = NULL;
		mem_deref(req);
	}
	conn->cur = NULL;
	list_unlink(&conn->le);
	--srv->nconns;
	uv_timer_stop(&conn->idle);
	uv_close((uv_handle_t *)&conn->idle, on_idle_closed);
	http__check_drained(srv);
}

/* A protocol error: answer it after what is already queued, then close. */
static void conn_fail(struct http_conn *conn, unsigned status, const char *code,
		      const char *msg)
{
	struct http_req *req;

	if (conn->cur && !conn->cur->complete) {
		req = conn->cur;
	} else if (conn_req_new(conn, &req)) {
		conn_close(conn);
		return;
	} else {
		++conn->pending;
	}
	conn->cur = NULL;
	req->close_after = true;
	req->complete = true;
	conn->close_when_flushed = true;
	if (conn->reading) {
		uv_read_stop((uv_stream_t *)&conn->tcp);
		conn->reading = false;
	}
	http_reply_error(req, status, code, "%s", msg);
}

static void on_write(uv_write_t *w, int status)
{
	struct write_req *wr = w->data;
	struct http_conn *conn = wr->conn;

	mem_deref(wr->mb);
	free(wr);
	--conn->writes;
	if (conn->closing)
		return;
	if (status < 0) {
		conn_close(conn);
		return;
	}
	if (conn->close_when_flushed && !conn->writes &&
	    list_isempty(&conn->reqs))
		conn_close(conn);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(16384);
	buf->len = buf->base ? 16384 : 0;
}

static void conn_read_start(struct http_conn *conn);

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct http_conn *conn = s->data;
	llhttp_errno_t e;

	if (n < 0) {
		free(buf->base);
		if (!conn->closing && conn->pending && n == UV_EOF) {
			/* half-close: answer what was asked, then close */
			uv_read_stop(s);
			conn->reading = false;
			conn->close_when_flushed = true;
			return;
		}
		conn_close(conn);
		return;
	}
	uv_timer_again(&conn->idle);
	e = n ? llhttp_execute(&conn->parser, buf->base, (size_t)n) : HPE_OK;
	free(buf->base);
	if (conn->closing)
		return;

	if (e == HPE_PAUSED) {
		/* too many unanswered requests: resume once they drain */
		uv_read_stop(s);
		conn->reading = false;
		llhttp_resume(&conn->parser);
		return;
	}
	if (conn->close_when_flushed)
		return; /* a bound was hit: its answer is queued */
	if (e == HPE_USER || e == HPE_CB_HEADERS_COMPLETE) {
		conn_fail(conn, 500, "INTERNAL",
			  "the request could not be processed");
		return;
	}
	if (e != HPE_OK) {
		log_info("http", NULL, "bad request: %s",
			 llhttp_get_error_reason(&conn->parser));
		conn_fail(conn, 400, "BAD_REQUEST",
			  "the request is not valid HTTP/1.1");
	}
}

static void conn_read_start(struct http_conn *conn)
{
	if (conn->reading || conn->closing || conn->close_when_flushed)
		return;
	if (!uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read))
		conn->reading = true;
}

void http__conn_flush(struct http_conn *conn)
{
	struct le *le;

	while ((le = list_head(&conn->reqs))) {
		struct http_req *req = le->data;
		struct write_req *wr;
		uv_buf_t b;
		bool close_after;

		if (!req->resp || !req->complete)
			break;
		wr = calloc(1, sizeof(*wr));
		if (!wr) {
			conn_close(conn);
			return;
		}
		wr->conn = conn;
		wr->mb = mem_ref(req->resp);
		wr->w.data = wr;
		b = uv_buf_init((char *)wr->mb->buf, (unsigned)wr->mb->end);
		close_after = req->close_after;
		list_unlink(&req->le);
		req->conn = NULL;
		--conn->pending;
		mem_deref(req);
		++conn->writes;
		if (uv_write(&wr->w, (uv_stream_t *)&conn->tcp, &b, 1,
			     on_write)) {
			--conn->writes;
			mem_deref(wr->mb);
			free(wr);
			conn_close(conn);
			return;
		}
		if (close_after) {
			conn->close_when_flushed = true;
			break;
		}
	}
	if (conn->close_when_flushed) {
		if (conn->reading) {
			uv_read_stop((uv_stream_t *)&conn->tcp);
			conn->reading = false;
		}
		if (!conn->writes)
			conn_close(conn);
		return;
	}
	if (conn->pending < HTTP_MAX_PENDING)
		conn_read_start(conn);
	http__check_drained(conn->srv);
}

static void on_idle_timeout(uv_timer_t *t)
{
	struct http_conn *conn = t->data;

	if (!conn->pending)
		conn_close(conn);
}

/* llhttp callbacks */

static struct http_conn *pconn(llhttp_t *p)
{
	return p->data;
}

static int head_bound(struct http_conn *conn, size_t len)
{
	conn->head_bytes += len;
	if (conn->head_bytes > conn->srv->lim.max_header) {
		conn_fail(conn, 431, "HEADERS_TOO_LARGE",
			  "request line and headers exceed the limit");
		return HPE_USER;
	}
	return 0;
}

static int on_message_begin(llhttp_t *p)
{
	struct http_conn *conn = pconn(p);
	struct http_req *req;

	if (conn_req_new(conn, &req))
		return HPE_USER;
	conn->cur = req;
	conn->head_bytes = 0;
	++conn->pending;
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *conn = pconn(p);

	if (head_bound(conn, len))
		return HPE_USER;
	return mbuf_write_mem(conn->cur->url, (const uint8_t *)at, len)
		   ? HPE_USER
		   : 0;
}

static int str_append(char **s, const char *at, size_t len)
{
	size_t old = *s ? strlen(*s) : 0;
	char *n =
	    *s ? mem_realloc(*s, old + len + 1) : mem_alloc(len + 1, NULL);

	if (!n)
		return ENOMEM;
	memcpy(n + old, at, len);
	n[old + len] = '\0';
	*s = n;
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *conn = pconn(p);
	struct http_req *req = conn->cur;

	if (head_bound(conn, len))
		return HPE_USER;
	if (req->in_value || !req->hdrc) {
		if (req->hdrc == HTTP_MAX_HEADERS) {
			conn_fail(conn, 431, "HEADERS_TOO_LARGE",
				  "too many headers");
			return HPE_USER;
		}
		req->hdrc++;
		req->in_value = false;
	}
	return str_append(&req->hdrv[req->hdrc - 1].name, at, len) ? HPE_USER
								   : 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *conn = pconn(p);
	struct http_req *req = conn->cur;

	if (head_bound(conn, len))
		return HPE_USER;
	req->in_value = true;
	if (!req->hdrc)
		return HPE_USER;
	if (!req->hdrv[req->hdrc - 1].value &&
	    str_append(&req->hdrv[req->hdrc - 1].value, "", 0))
		return HPE_USER;
	return str_append(&req->hdrv[req->hdrc - 1].value, at, len) ? HPE_USER
								    : 0;
}

void http__conn_peer(const struct http_conn *conn, char *buf, size_t sz)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	buf[0] = '\0';
	if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)&ss, buf, sz);
	else
		uv_ip4_name((struct sockaddr_in *)&ss, buf, sz);
}

/* the body bytes route r accepts (r may be NULL: no route) */
static size_t body_limit(const struct http_server *srv,
			 const struct http_route *r)
{
	return r && r->stream ? r->stream->max_body : srv->lim.max_body;
}

static int on_headers_complete(llhttp_t *p)
{
	struct http_conn *conn = pconn(p);
	struct http_req *req = conn->cur;
	const struct http_route *r;
	unsigned status;

	snprintf(req->method, sizeof(req->method), "%s",
		 llhttp_method_name((llhttp_method_t)p->method));
	req->close_after = !llhttp_should_keep_alive(p);
	for (unsigned i = 0; i < req->hdrc; i++) {
		for (char *c = req->hdrv[i].name; c && *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	}
	r = http__route_early(req);
	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > body_limit(conn->srv, r)) {
		conn_fail(conn, 413, "PAYLOAD_TOO_LARGE",
			  "the request body exceeds the limit");
		return HPE_USER;
	}
	if (r && r->stream) {
		req->stream = r->stream;
		status = r->stream->open(req, &req->sink);
		if (status) {
			conn_fail(conn, status,
				  status == 401 ? "UNAUTHORIZED" : "REFUSED",
				  status == 401 ? "missing API key"
						: "the request is refused");
			return HPE_USER;
		}
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct http_conn *conn = pconn(p);
	struct http_req *req = conn->cur;
	const struct http_stream *st = req->sink ? req->stream : NULL;

	if ((st ? req->streamed : req->body->end) + len >
	    (st ? st->max_body : conn->srv->lim.max_body)) {
		conn_fail(conn, 413, "PAYLOAD_TOO_LARGE",
			  "the request body exceeds the limit");
		return HPE_USER;
	}
	if (st) {
		req->streamed += len;
		st->write(req->sink, (const uint8_t *)at, len);
		return 0;
	}
	return mbuf_write_mem(req->body, (const uint8_t *)at, len) ? HPE_USER
								   : 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct http_conn *conn = pconn(p);
	struct http_req *req = conn->cur;

	conn->cur = NULL;
	req->complete = true;
	http__route(req);
	if (conn->closing)
		return HPE_USER;
	return conn->pending >= HTTP_MAX_PENDING ? HPE_PAUSED : 0;
}

static void on_connection(uv_stream_t *s, int status)
{
	struct http_listener *lsn = s->data;
	struct http_server *srv = lsn->srv;
	struct http_conn *conn;

	if (status < 0 || !srv)
		return;
	conn = calloc(1, sizeof(*conn));
	if (!conn)
		return;
	uv_tcp_init(srv->loop, &conn->tcp);
	conn->tcp.data = conn;
	if (uv_accept(s, (uv_stream_t *)&conn->tcp)) {
		uv_close((uv_handle_t *)&conn->tcp, on_conn_closed);
		return;
	}
	if (srv->draining || srv->nconns >= srv->lim.max_conns) {
		uv_close((uv_handle_t *)&conn->tcp, on_conn_closed);
		return;
	}
	uv_tcp_nodelay(&conn->tcp, 1);
	conn->srv = srv;
	llhttp_init(&conn->parser, HTTP_REQUEST, &srv->settings);
	conn->parser.data = conn;
	uv_timer_init(srv->loop, &conn->idle);
	conn->idle.data = conn;
	uv_timer_start(&conn->idle, on_idle_timeout,
		       srv->lim.idle_timeout_s * 1000ULL,
		       srv->lim.idle_timeout_s * 1000ULL);
	list_append(&srv->conns, &conn->le, conn);
	++srv->nconns;
	conn_read_start(conn);
}

static void on_listener_closed(uv_handle_t *h)
{
	free(h->data);
}

static void listener_close(struct http_server *srv)
{
	if (!srv->lsn)
		return;
	srv->lsn->srv = NULL;
	uv_close((uv_handle_t *)&srv->lsn->tcp, on_listener_closed);
	srv->lsn = NULL;
}

static void server_destructor(void *arg)
{
	struct http_server *srv = arg;
	struct le *le;

	listener_close(srv);
	srv->doneh = NULL;
	while ((le = list_head(&srv->conns)))
		conn_close(le->data);
	mem_deref(srv->counts);
}

void http__check_drained(struct http_server *srv)
{
	http_done_h *h = srv->doneh;

	if (!srv->draining || !h)
		return;
	for (struct le *le = srv->conns.head; le; le = le->next) {
		struct http_conn *conn = le->data;

		if (conn->pending || conn->writes)
			return;
	}
	srv->doneh = NULL;
	h(srv->done_arg);
}

void http_server_drain(struct http_server *srv, http_done_h *doneh, void *arg)
{
	struct le *le = srv->conns.head;

	srv->draining = true;
	srv->doneh = doneh;
	srv->done_arg = arg;
	listener_close(srv);
	/* idle keep-alive connections go now; busy ones after their reply */
	while (le) {
		struct http_conn *conn = le->data;

		le = le->next;
		if (!conn->pending && !conn->writes)
			conn_close(conn);
		else
			conn->close_when_flushed = true;
	}
	http__check_drained(srv);
}

static int listen_on(struct http_server *srv, const char *listen)
{
	struct sockaddr_storage ss;
	struct sa sa;
	int err, len;

	if (sa_decode(&sa, listen, strlen(listen))) {
		log_error("http", NULL, "bad listen address '%s'", listen);
		return EINVAL;
	}
	srv->lsn = calloc(1, sizeof(*srv->lsn));
	if (!srv->lsn)
		return ENOMEM;
	srv->lsn->srv = srv;
	uv_tcp_init(srv->loop, &srv->lsn->tcp);
	srv->lsn->tcp.data = srv->lsn;
	err = uv_tcp_bind(&srv->lsn->tcp, &sa.u.sa, 0);
	if (!err)
		err = uv_listen((uv_stream_t *)&srv->lsn->tcp, 511,
				on_connection);
	if (err) {
		log_error("http", NULL, "cannot listen on %s: %s", listen,
			  uv_strerror(err));
		return -err;
	}
	len = sizeof(ss);
	uv_tcp_getsockname(&srv->lsn->tcp, (struct sockaddr *)&ss, &len);
	sa_set_sa(&sa, (struct sockaddr *)&ss);
	srv->port = sa_port(&sa);
	log_info("http", NULL, "listening on %s (port %u)", listen, srv->port);
	return 0;
}

int http_server_alloc(struct http_server **srvp, uv_loop_t *loop,
		      const char *listen, const struct http_limits *lim,
		      const struct http_route *routes, size_t nroutes,
		      void *arg)
{
	struct http_server *srv;
	int err;

	srv = mem_zalloc(sizeof(*srv), server_destructor);
	if (!srv)
		return ENOMEM;
	srv->loop = loop;
	srv->lim = *lim;
	srv->routes = routes;
	srv->nroutes = nroutes;
	srv->arg = arg;
	srv->counts = mem_zalloc((nroutes + 1) * sizeof(*srv->counts), NULL);
	if (!srv->counts) {
		err = ENOMEM;
		goto out;
	}
	llhttp_settings_init(&srv->settings);
	srv->settings.on_message_begin = on_message_begin;
	srv->settings.on_url = on_url;
	srv->settings.on_header_field = on_header_field;
	srv->settings.on_header_value = on_header_value;
	srv->settings.on_headers_complete = on_headers_complete;
	srv->settings.on_body = on_body;
	srv->settings.on_message_complete = on_message_complete;
	err = listen_on(srv, listen);

out:
	if (err)
		mem_deref(srv);
	else
		*srvp = srv;
	return err;
}

void http_server_set_auth(struct http_server *srv, http_req_h *authh)
{
	srv->authh = authh;
}

uint16_t http_server_port(const struct http_server *srv)
{
	return srv->port;
}
