/**
 * @file re_backend.c  libre's fd_listen() implemented on libuv, and the
 *                     loop's side of libre's timers
 *
 * fd_listen(fd, flags, fh, arg) maps to one uv_poll_t per fd; flags 0 with
 * no handler means "forget this fd" (that is what libre's fd_close() does).
 * libre calls fd_close() and then close(2) synchronously, often from inside
 * the fd's own callback, so the uv_poll_t is stopped at once (libuv removes
 * the fd from epoll immediately) and freed later in its close callback.
 *
 * Timers (timers.c replaces libre's tmr.o): before every poll a
 * uv_prepare_t runs the expired ones and re-arms one uv_timer_t for the
 * next deadline; the timer's callback runs tmr_poll().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <re.h>
#include "loop/loop.h"
#include "loop/loop_int.h"

struct fd_watch {
	uv_poll_t poll; /* owned; freed in on_poll_closed */
	int fd;
	int flags; /* libre FD_* flags currently wanted */
	fd_h *fh;  /* borrowed handler */
	void *arg; /* borrowed */
};

static struct {
	uv_loop_t *loop;       /* borrowed: the one loop */
	struct fd_watch **fdv; /* owned array indexed by fd */
	int fdc;	       /* size of fdv */
	unsigned nwatch;       /* fds currently watched */
	uv_prepare_t prepare;  /* arms the timer before each poll */
	uv_timer_t timer;      /* next libre deadline */
	bool attached;
} be;

int fd_setsize(int maxfds)
{
	(void)maxfds;
	return 0;
}

static void on_poll_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct fd_watch *w = h->data;
	int flags = 0;

	if (status < 0) {
		flags = FD_EXCEPT;
	} else {
		if (events & (UV_READABLE | UV_DISCONNECT))
			flags |= FD_READ;
		if (events & UV_WRITABLE)
			flags |= FD_WRITE;
	}

	/* only what the owner asked for; the handler may close the fd */
	flags &= w->flags | FD_EXCEPT;
	if (flags && w->fh)
		w->fh(flags, w->arg);
}

static void watch_forget(int fd)
{
	struct fd_watch *w;

	if (fd < 0 || fd >= be.fdc || !be.fdv[fd])
		return;

	w = be.fdv[fd];
	be.fdv[fd] = NULL;
	--be.nwatch;
	uv_poll_stop(&w->poll);
	w->fh = NULL;
	uv_close((uv_handle_t *)&w->poll, on_poll_closed);
}

static int fdv_grow(int fd)
{
	int n = be.fdc ? be.fdc : 64;
	struct fd_watch **v;

	while (n <= fd)
		n *= 2;
	v = realloc(be.fdv, (size_t)n * sizeof(*v));
	if (!v)
		return ENOMEM;
	memset(v + be.fdc, 0, (size_t)(n - be.fdc) * sizeof(*v));
	be.fdv = v;
	be.fdc = n;
	return 0;
}

/*
 * libre never turns Nagle off on its TCP connections, so SIP over TCP and
 * TLS waited for the peer's (delayed) ACK before each reply that followed
 * another: 100 Trying went out, 180 and 200 sat for up to 40 ms.  Every
 * stream socket libre asks us to watch gets TCP_NODELAY once, when its
 * watch is made (a listening socket passes it to those it accepts).  Not a
 * TCP socket: the call fails and nothing changes.
 */
static void tcp_nodelay(int fd)
{
	int type = 0, one = 1;
	socklen_t len = sizeof(type);

	if (!getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) &&
	    type == SOCK_STREAM)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
}

static int uv_events(int flags)
{
	return ((flags & FD_READ) ? UV_READABLE : 0) |
	       ((flags & FD_WRITE) ? UV_WRITABLE : 0);
}

int fd_listen(int fd, int flags, fd_h *fh, void *arg)
{
	struct fd_watch *w;
	int err;

	if (fd < 0)
		return EBADF;
	if (!be.attached)
		return EINVAL;

	if (!flags && !fh) {
		watch_forget(fd);
		return 0;
	}

	if (fd >= be.fdc) {
		err = fdv_grow(fd);
		if (err)
			return err;
	}

	w = be.fdv[fd];
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return ENOMEM;
		err = uv_poll_init(be.loop, &w->poll, fd);
		if (err) {
			free(w);
			return -err;
		}
		w->poll.data = w;
		w->fd = fd;
		be.fdv[fd] = w;
		++be.nwatch;
		tcp_nodelay(fd);
	}

	w->fh = fh;
	w->arg = arg;
	if (w->flags == flags && uv_is_active((uv_handle_t *)&w->poll))
		return 0;

	w->flags = flags;
	err = flags ? uv_poll_start(&w->poll, uv_events(flags), on_poll)
		    : uv_poll_stop(&w->poll);
	if (err) {
		watch_forget(fd);
		return -err;
	}
	return 0;
}

void fd_close(int fd)
{
	watch_forget(fd);
}

unsigned loop_re_fd_count(void)
{
	return be.nwatch;
}

static void on_timer(uv_timer_t *t)
{
	(void)t;
	tmr_poll(NULL);
}

/* Run what is due, then sleep until the next libre deadline (at once if
 * the poll left due timers behind). */
static void on_prepare(uv_prepare_t *p)
{
	uint64_t to;

	(void)p;
	tmr_poll(NULL);
	to = tmr_next_timeout(NULL);
	if (to == 0)
		uv_timer_stop(&be.timer);
	else
		uv_timer_start(&be.timer, on_timer,
			       loop__timers_due_now() ? 0 : to, 0);
}

int loop_re_attach(uv_loop_t *loop)
{
	int err;

	if (be.attached)
		return EALREADY;

	be.loop = loop;
	be.attached = true;
	loop__timers_attach(loop);

	err = libre_init();
	if (err)
		goto out;

	uv_prepare_init(loop, &be.prepare);
	/* ref'd on purpose: while libre is attached the loop stays alive, so
	 * a libre timer started outside any callback is never stranded */
	uv_prepare_start(&be.prepare, on_prepare);
	uv_timer_init(loop, &be.timer);

out:
	if (err)
		be.attached = false;
	return err;
}

void loop_re_detach(void)
{
	if (!be.attached)
		return;

	for (int fd = 0; fd < be.fdc; fd++)
		watch_forget(fd);

	uv_close((uv_handle_t *)&be.prepare, NULL);
	uv_close((uv_handle_t *)&be.timer, NULL);
	free(be.fdv);
	be.fdv = NULL;
	be.fdc = 0;
	be.attached = false;
	loop__timers_detach();
	libre_close();
}
