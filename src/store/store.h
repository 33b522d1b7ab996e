/**
 * @file store.h  Asynchronous PostgreSQL: a pool of libpq connections on the
 *                one libuv loop
 *
 * Ownership: store_alloc() returns a mem object.  store_close() fails every
 * queued query with ECANCELED and closes the connections; each connection's
 * libuv handles are freed in their close callbacks, so after store_close()
 * the loop must run once more before uv_loop_close().
 *
 * store_query() either returns an errno (ENOTCONN: no connection is up;
 * EBUSY: the queue is full; ECANCELED: closing) and never calls resh, or
 * returns 0 and calls resh exactly once, later, from the loop.  The caller
 * keeps arg alive until then (mem_ref it).
 */
#ifndef TRUNKD_STORE_STORE_H
#define TRUNKD_STORE_STORE_H

#include <stdbool.h>
#include <libpq-fe.h>
#include <uv.h>

struct store;

/*
 * err: 0; ENOTCONN when the connection broke; EPROTO for an SQL error (res
 * is then the error result: see store_sqlstate); ECANCELED on close.
 * res is borrowed and valid only during the call; NULL unless err is 0 or
 * EPROTO.
 */
typedef void(store_result_h)(int err, const PGresult *res, void *arg);
typedef void(store_notify_h)(const char *channel, const char *payload,
			     void *arg);

struct store_stats {
	unsigned conns_up;
	unsigned conns_busy;
	unsigned queued;
	unsigned prepared; /* statements prepared, all connections */
	unsigned long long queries;
	unsigned long long errors;
};

int store_alloc(struct store **stp, uv_loop_t *loop, const char *conninfo,
		unsigned size, unsigned queue_max);
int store_query(struct store *st, const char *sql, int nparams,
		const char *const params[], store_result_h *resh, void *arg);
/*
 * LISTEN on channel (re-issued after every reconnect); handler borrowed.
 * Each time the LISTEN is (re-)established the handler is called once with
 * payload NULL: notifications may have been missed, resynchronise.
 */
int store_listen(struct store *st, const char *channel, store_notify_h *h,
		 void *arg);
bool store_is_up(const struct store *st);
void store_stats(const struct store *st, struct store_stats *stats);
void store_close(struct store *st);

/* SQLSTATE of an EPROTO result ("23505" is a unique violation), or "" */
const char *store_sqlstate(const PGresult *res);

#endif
