/**
 * @file loop.h  The one libuv loop, carrying libre's sockets and timers
 *
 * libre normally runs re_main().  trunkd instead defines libre's main-loop
 * primitives (fd_listen, fd_close, fd_setsize) on libuv, and libre's whole
 * timer API (tmr_*: a timing wheel on libuv's clock, timers.c), so every
 * libre socket, timer, SIP transaction and DNS query is a libuv citizen.
 * Because those symbols are defined here, the linker never pulls libre's
 * main.o or tmr.o; never call re_main().
 *
 * Ownership: the backend state is process-wide (libre's API has no context
 * argument) and bound to exactly one uv_loop_t between loop_re_attach() and
 * loop_re_detach().  Each watched fd owns one heap uv_poll_t, freed in its
 * close callback.
 */
#ifndef TRUNKD_LOOP_LOOP_H
#define TRUNKD_LOOP_LOOP_H

#include <uv.h>

/*
 * Bind libre to loop; also runs libre_init().  Returns 0 or an errno.  While
 * attached, the loop stays alive (uv_run does not return by itself).
 */
int loop_re_attach(uv_loop_t *loop);

/*
 * Unbind: stop watching every fd still registered and close the timer
 * handles.  Call after every libre object is freed, then let uv_run() finish
 * the close callbacks.
 */
void loop_re_detach(void);

/* Number of fds libre currently watches (for tests and /metrics) */
unsigned loop_re_fd_count(void);

/*
 * Signals: SIGINT and SIGTERM call stoph once (graceful stop); a second one
 * exits at once.  SIGPIPE is ignored.  The handles are unref'd so they never
 * keep the loop alive.
 */
typedef void(loop_stop_h)(int signum, void *arg);
int loop_signals_start(uv_loop_t *loop, loop_stop_h *stoph, void *arg);
void loop_signals_stop(void);

#endif
