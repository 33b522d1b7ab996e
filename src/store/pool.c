/**
 * @file pool.c  The libpq connection pool (see store.h)
 *
 * Each connection is a small state machine driven by its socket:
 *   DOWN --(retry timer)--> CONNECTING --(PQconnectPoll OK)--> IDLE
 *   IDLE --(dispatch)--> BUSY --(last PQgetResult)--> IDLE
 *   any --(socket error, PQconsumeInput fails)--> DOWN (back-off)
 * An IDLE connection still watches its socket so that a server going away
 * and NOTIFY messages are seen at once.  The socket may change while libpq
 * connects, so the uv_poll_t lives in its own allocation and is replaced
 * when PQsocket() changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_fmt.h>
#include <re_mbuf.h>
#include "core/log.h"
#include "store/store.h"

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY };

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct query {
	struct le le;
	char *sql; /* owned */
	int nparams;
	char **params;	      /* owned, each owned (NULL allowed) */
	store_result_h *resh; /* borrowed; NULL for internal queries */
	void *arg;	      /* borrowed */
};

struct pollh {
	uv_poll_t h;	   /* freed with this struct in its close callback */
	struct conn *conn; /* borrowed; NULL once detached */
};

struct conn {
	struct le le;
	struct store *st;   /* borrowed: the store outlives its conns */
	PGconn *pg;	    /* owned */
	struct pollh *poll; /* owned until uv_close */
	int fd;
	uv_timer_t retry; /* embedded; conn freed in its close cb */
	unsigned backoff_ms;
	enum conn_state state;
	bool listen_conn;    /* first connection: carries LISTENs */
	bool pgpoll_write;   /* libpq waits for writability to connect */
	bool listen_pending; /* LISTENs to (re-)issue when next idle */
	struct query *q;     /* owned: the query in flight */
	PGresult *res;	     /* owned: last result of q */
	struct list stmts;   /* struct stmt, owned: prepared on this session */
	unsigned nstmts;
	struct stmt *preparing; /* owned: being prepared for q */
};

/*
 * A statement prepared on one connection, keyed by its SQL text.  The first
 * use costs one extra round trip (Parse); later uses send only Bind/Execute.
 * A session forgets them all when it reconnects.
 */
struct stmt {
	struct le le;
	char *sql; /* owned */
	char name[16];
};

#define MAX_STMTS 256

struct listener {
	struct le le;
	char *channel;	   /* owned */
	store_notify_h *h; /* borrowed */
	void *arg;	   /* borrowed */
};

struct store {
	uv_loop_t *loop; /* borrowed */
	char *conninfo;	 /* owned */
	unsigned queue_max;
	struct list conns; /* struct conn, owned */
	struct list queue; /* struct query, owned */
	struct list listeners;
	unsigned queued;
	unsigned long long nqueries, nerrors;
	bool closing;
	bool was_up;
};

static void conn_watch(struct conn *c);
static void conn_connect(struct conn *c);
static void dispatch(struct store *st);
static void conn_down(struct conn *c, const char *why);

static void query_destructor(void *arg)
{
	struct query *q = arg;

	list_unlink(&q->le);
	for (int i = 0; i < q->nparams; i++)
		mem_deref(q->params[i]);
	mem_deref(q->params);
	mem_deref(q->sql);
}

static void query_finish(struct query *q, int err, const PGresult *res)
{
	if (q->resh)
		q->resh(err, res, q->arg);
	mem_deref(q);
}

static void stmt_destructor(void *arg)
{
	struct stmt *st = arg;

	list_unlink(&st->le);
	mem_deref(st->sql);
}

static struct stmt *stmt_find(const struct conn *c, const char *sql)
{
	for (struct le *le = c->stmts.head; le; le = le->next) {
		struct stmt *st = le->data;

		if (!strcmp(st->sql, sql))
			return st;
	}
	return NULL;
}

static void stmts_forget(struct conn *c)
{
	list_flush(&c->stmts);
	c->nstmts = 0;
	c->preparing = mem_deref(c->preparing);
}

/* Send q on c: prepared when known, prepare first when new */
static bool query_send(struct conn *c, struct query *q)
{
	const char *const *params = (const char *const *)q->params;
	struct stmt *st = stmt_find(c, q->sql);

	if (st)
		return PQsendQueryPrepared(c->pg, st->name, q->nparams, params,
					   NULL, NULL, 0);
	if (c->nstmts >= MAX_STMTS)
		return PQsendQueryParams(c->pg, q->sql, q->nparams, NULL,
					 params, NULL, NULL, 0);
	st = mem_zalloc(sizeof(*st), stmt_destructor);
	if (!st || str_dup(&st->sql, q->sql)) {
		mem_deref(st);
		return false;
	}
	snprintf(st->name, sizeof(st->name), "s%u", c->nstmts++);
	c->preparing = st;
	return PQsendPrepare(c->pg, st->name, q->sql, q->nparams, NULL);
}

/* The Parse of c->preparing finished: keep it and execute, or fail q */
static bool prepared(struct conn *c)
{
	struct stmt *st = c->preparing;

	c->preparing = NULL;
	if (!c->res || PQresultStatus(c->res) != PGRES_COMMAND_OK) {
		mem_deref(st);
		return false; /* the error result goes to the caller */
	}
	list_append(&c->stmts, &st->le, st);
	PQclear(c->res);
	c->res = NULL;
	if (!query_send(c, c->q)) {
		conn_down(c, PQerrorMessage(c->pg));
		return true;
	}
	conn_watch(c);
	return true;
}

const char *store_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

static unsigned conns_up(const struct store *st)
{
	unsigned n = 0;

	for (struct le *le = st->conns.head; le; le = le->next) {
		const struct conn *c = le->data;

		n += c->state == CONN_IDLE || c->state == CONN_BUSY;
	}
	return n;
}

static void fail_queue(struct store *st, int err)
{
	struct le *le;

	while ((le = list_head(&st->queue))) {
		--st->queued;
		query_finish(le->data, err, NULL);
	}
}

static void on_poll_closed(uv_handle_t *h)
{
	mem_deref(h->data);
}

static void poll_detach(struct conn *c)
{
	if (!c->poll)
		return;
	c->poll->conn = NULL;
	uv_poll_stop(&c->poll->h);
	uv_close((uv_handle_t *)&c->poll->h, on_poll_closed);
	c->poll = NULL;
	c->fd = -1;
}

static void on_retry(uv_timer_t *t)
{
	conn_connect(t->data);
}

/* The connection broke or never came up: fail its work, retry later. */
static void conn_down(struct conn *c, const char *why)
{
	struct store *st = c->st;
	bool was_up = c->state == CONN_IDLE || c->state == CONN_BUSY;

	/* why may point into c->pg: report before PQfinish() frees it */
	if (was_up || st->was_up)
		log_warn("store", NULL, "connection lost: %s", why);
	poll_detach(c);
	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	stmts_forget(c);
	c->state = CONN_DOWN;
	if (c->res) {
		PQclear(c->res);
		c->res = NULL;
	}
	if (c->q) {
		struct query *q = c->q;

		c->q = NULL;
		query_finish(q, ENOTCONN, NULL);
	}
	if (!conns_up(st)) {
		st->was_up = false;
		fail_queue(st, ENOTCONN);
	}
	if (st->closing)
		return;
	uv_timer_start(&c->retry, on_retry, c->backoff_ms, 0);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							   : c->backoff_ms * 2;
}

static void notifications(struct conn *c)
{
	PGnotify *n;

	while ((n = PQnotifies(c->pg))) {
		for (struct le *le = c->st->listeners.head; le; le = le->next) {
			struct listener *l = le->data;

			if (!strcmp(l->channel, n->relname))
				l->h(n->relname, n->extra, l->arg);
		}
		PQfreemem(n);
	}
}

static void query_done(struct conn *c)
{
	struct query *q = c->q;
	PGresult *res = c->res;
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int err = 0;

	c->q = NULL;
	c->res = NULL;
	c->state = CONN_IDLE;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		err = EPROTO;
		++c->st->nerrors;
		log_warn("store", NULL, "query failed (%s): %s",
			 store_sqlstate(res),
			 res ? PQresultErrorMessage(res) : "no result");
	}
	query_finish(q, err, res);
	if (res)
		PQclear(res);
}

static void on_readable(struct conn *c)
{
	PGresult *r;

	if (!PQconsumeInput(c->pg)) {
		conn_down(c, PQerrorMessage(c->pg));
		return;
	}
	notifications(c);
	if (c->state != CONN_BUSY)
		return;

	while (!PQisBusy(c->pg)) {
		r = PQgetResult(c->pg);
		if (!r) {
			if (c->preparing && prepared(c))
				return;
			query_done(c);
			dispatch(c->st);
			return;
		}
		/* keep the last result of a multi-statement query, or the
		 * first error */
		if (c->res && PQresultStatus(c->res) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		if (c->res)
			PQclear(c->res);
		c->res = r;
	}
}

static void on_connect_step(struct conn *c)
{
	PostgresPollingStatusType ps = PQconnectPoll(c->pg);

	c->pgpoll_write = ps == PGRES_POLLING_WRITING;
	switch (ps) {
	case PGRES_POLLING_OK:
		c->state = CONN_IDLE;
		c->backoff_ms = BACKOFF_MIN_MS;
		if (!c->st->was_up)
			log_info("store", NULL, "connected to PostgreSQL");
		c->st->was_up = true;
		PQsetnonblocking(c->pg, 1);
		conn_watch(c);
		c->listen_pending = c->listen_conn;
		dispatch(c->st);
		break;
	case PGRES_POLLING_FAILED:
		conn_down(c, PQerrorMessage(c->pg));
		break;
	default:
		conn_watch(c);
		break;
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct pollh *p = h->data;
	struct conn *c = p->conn;

	if (!c)
		return;
	if (status < 0) {
		conn_down(c, uv_strerror(status));
		return;
	}
	if (c->state == CONN_CONNECTING) {
		on_connect_step(c);
		return;
	}
	if ((events & UV_WRITABLE) && PQflush(c->pg) < 0) {
		conn_down(c, PQerrorMessage(c->pg));
		return;
	}
	if (events & UV_READABLE)
		on_readable(c);
	else
		conn_watch(c);
}

/* Watch the socket for what the state needs, replacing the poll handle if
 * libpq changed sockets. */
static void conn_watch(struct conn *c)
{
	int fd = PQsocket(c->pg), ev = UV_READABLE;

	if (fd < 0) {
		conn_down(c, "no socket");
		return;
	}
	if (c->poll && fd != c->fd)
		poll_detach(c);
	if (!c->poll) {
		c->poll = mem_zalloc(sizeof(*c->poll), NULL);
		if (!c->poll || uv_poll_init(c->st->loop, &c->poll->h, fd)) {
			c->poll = mem_deref(c->poll);
			conn_down(c, "cannot watch socket");
			return;
		}
		c->poll->h.data = c->poll;
		c->poll->conn = c;
		c->fd = fd;
	}

	if (c->state == CONN_CONNECTING)
		ev = c->pgpoll_write ? UV_WRITABLE : UV_READABLE;
	else if (c->state == CONN_BUSY && PQisnonblocking(c->pg) &&
		 PQflush(c->pg) == 1)
		ev |= UV_WRITABLE;
	uv_poll_start(&c->poll->h, ev, on_poll);
}

/* server messages outside a query ("terminating connection ...") go to
 * our log, not to stderr */
static void on_pg_notice(void *arg, const char *message)
{
	size_t n = strlen(message);

	(void)arg;
	while (n && (message[n - 1] == '\n' || message[n - 1] == ' '))
		n--;
	log_warn("store", NULL, "PostgreSQL: %.*s", (int)n, message);
}

static void conn_connect(struct conn *c)
{
	c->pg = PQconnectStart(c->st->conninfo);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		conn_down(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
		return;
	}
	PQsetNoticeProcessor(c->pg, on_pg_notice, NULL);
	c->state = CONN_CONNECTING;
	c->pgpoll_write = true;
	conn_watch(c);
}

/* LISTEN is in place: tell every listener it may have missed notifications */
static void on_listening(int err, const PGresult *res, void *arg)
{
	struct store *st = arg;

	(void)res;
	if (err)
		return;
	for (struct le *le = st->listeners.head; le; le = le->next) {
		struct listener *l = le->data;

		l->h(l->channel, NULL, l->arg);
	}
}

/*
 * LISTEN must run on the connection that reads the notifications, so it is
 * sent there directly (simple protocol: several statements in one string).
 */
static bool send_listens(struct conn *c)
{
	struct query *q;
	struct mbuf *mb;

	c->listen_pending = false;
	if (list_isempty(&c->st->listeners))
		return false;
	q = mem_zalloc(sizeof(*q), query_destructor);
	mb = mbuf_alloc(128);
	if (!q || !mb)
		goto fail;
	for (struct le *le = c->st->listeners.head; le; le = le->next) {
		struct listener *l = le->data;
		char *id =
		    PQescapeIdentifier(c->pg, l->channel, strlen(l->channel));

		if (!id || mbuf_printf(mb, "LISTEN %s;", id)) {
			PQfreemem(id);
			goto fail;
		}
		PQfreemem(id);
	}
	mb->pos = 0;
	q->resh = on_listening;
	q->arg = c->st;
	if (mbuf_strdup(mb, &q->sql, mb->end) || !PQsendQuery(c->pg, q->sql))
		goto fail;
	mem_deref(mb);
	c->q = q;
	c->state = CONN_BUSY;
	conn_watch(c);
	return true;

fail:
	log_warn("store", NULL, "cannot issue LISTEN");
	mem_deref(mb);
	mem_deref(q);
	return false;
}

static void dispatch(struct store *st)
{
	for (struct le *le = st->conns.head; le; le = le->next) {
		struct conn *c = le->data;
		struct query *q;

		if (c->state != CONN_IDLE)
			continue;
		if (c->listen_pending && send_listens(c))
			continue;
		if (!st->queued)
			break;
		q = list_ledata(list_head(&st->queue));
		list_unlink(&q->le);
		--st->queued;
		if (!query_send(c, q)) {
			c->q = q;
			conn_down(c, PQerrorMessage(c->pg));
			continue;
		}
		++st->nqueries;
		c->q = q;
		c->state = CONN_BUSY;
		conn_watch(c);
	}
}

int store_query(struct store *st, const char *sql, int nparams,
		const char *const params[], store_result_h *resh, void *arg)
{
	struct query *q;
	int err = 0;

	if (st->closing)
		return ECANCELED;
	if (!conns_up(st))
		return ENOTCONN;
	if (st->queued >= st->queue_max)
		return EBUSY;

	q = mem_zalloc(sizeof(*q), query_destructor);
	if (!q)
		return ENOMEM;
	err = str_dup(&q->sql, sql);
	if (!err && nparams) {
		q->params = mem_zalloc(sizeof(char *) * (size_t)nparams, NULL);
		err = q->params ? 0 : ENOMEM;
	}
	q->nparams = err ? 0 : nparams;
	for (int i = 0; !err && i < nparams; i++) {
		if (params[i])
			err = str_dup(&q->params[i], params[i]);
	}
	if (err) {
		mem_deref(q);
		return err;
	}
	q->resh = resh;
	q->arg = arg;
	list_append(&st->queue, &q->le, q);
	++st->queued;
	dispatch(st);
	return 0;
}

static void listener_destructor(void *arg)
{
	struct listener *l = arg;

	list_unlink(&l->le);
	mem_deref(l->channel);
}

int store_listen(struct store *st, const char *channel, store_notify_h *h,
		 void *arg)
{
	struct listener *l = mem_zalloc(sizeof(*l), listener_destructor);
	struct conn *c = list_ledata(list_head(&st->conns));
	int err;

	if (!l)
		return ENOMEM;
	err = str_dup(&l->channel, channel);
	if (err) {
		mem_deref(l);
		return err;
	}
	l->h = h;
	l->arg = arg;
	list_append(&st->listeners, &l->le, l);

	/* re-issue every LISTEN on the listen connection when it is next idle
	 */
	if (c) {
		c->listen_pending = true;
		dispatch(st);
	}
	return 0;
}

bool store_is_up(const struct store *st)
{
	return conns_up(st) > 0;
}

void store_stats(const struct store *st, struct store_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	for (struct le *le = st->conns.head; le; le = le->next) {
		const struct conn *c = le->data;

		stats->conns_up +=
		    c->state == CONN_IDLE || c->state == CONN_BUSY;
		stats->conns_busy += c->state == CONN_BUSY;
		stats->prepared += c->nstmts;
	}
	stats->queued = st->queued;
	stats->queries = st->nqueries;
	stats->errors = st->nerrors;
}

static void on_conn_closed(uv_handle_t *h)
{
	mem_deref(h->data);
}

void store_close(struct store *st)
{
	struct le *le;

	if (st->closing)
		return;
	st->closing = true;
	fail_queue(st, ECANCELED);
	while ((le = list_head(&st->conns))) {
		struct conn *c = le->data;

		list_unlink(&c->le);
		if (c->q) {
			struct query *q = c->q;

			c->q = NULL;
			query_finish(q, ECANCELED, NULL);
		}
		if (c->res)
			PQclear(c->res);
		c->res = NULL;
		poll_detach(c);
		if (c->pg)
			PQfinish(c->pg);
		c->pg = NULL;
		stmts_forget(c);
		uv_timer_stop(&c->retry);
		uv_close((uv_handle_t *)&c->retry, on_conn_closed);
	}
	list_flush(&st->listeners);
}

static void store_destructor(void *arg)
{
	struct store *st = arg;

	store_close(st);
	mem_deref(st->conninfo);
}

int store_alloc(struct store **stp, uv_loop_t *loop, const char *conninfo,
		unsigned size, unsigned queue_max)
{
	struct store *st;
	int err;

	st = mem_zalloc(sizeof(*st), store_destructor);
	if (!st)
		return ENOMEM;
	st->loop = loop;
	st->queue_max = queue_max;
	err = str_dup(&st->conninfo, conninfo);
	if (err)
		goto out;

	for (unsigned i = 0; i < size; i++) {
		struct conn *c = mem_zalloc(sizeof(*c), NULL);

		if (!c) {
			err = ENOMEM;
			goto out;
		}
		c->st = st;
		c->fd = -1;
		c->listen_conn = i == 0;
		c->backoff_ms = BACKOFF_MIN_MS;
		uv_timer_init(loop, &c->retry);
		c->retry.data = c;
		list_append(&st->conns, &c->le, c);
		conn_connect(c);
	}

out:
	if (err)
		mem_deref(st);
	else
		*stp = st;
	return err;
}
