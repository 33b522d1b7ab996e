/** @file test_loop.c  libre's timers and sockets running on the libuv loop */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <re.h>
#include "loop/loop.h"

static uv_loop_t loop;

static int setup(void **state)
{
	(void)state;
	uv_loop_init(&loop);
	return loop_re_attach(&loop);
}

static int teardown(void **state)
{
	(void)state;
	loop_re_detach();
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop);
}

/* Run the loop until *done or ms elapse; a keep-alive timer bounds it. */
static void run_until(const bool *done, uint64_t ms)
{
	uint64_t end = uv_now(&loop) + ms;

	while (!*done && uv_now(&loop) < end)
		uv_run(&loop, UV_RUN_ONCE);
}

static void on_tmr(void *arg)
{
	uint64_t *fired = arg;

	*fired = tmr_jiffies();
}

static void timer_fires_in_order(void **state)
{
	struct tmr t1, t2;
	uint64_t f1 = 0, f2 = 0, start = tmr_jiffies();
	bool done = false;

	(void)state;
	tmr_init(&t1);
	tmr_init(&t2);
	tmr_start(&t2, 60, on_tmr, &f2);
	tmr_start(&t1, 20, on_tmr, &f1);

	while (!f2 && tmr_jiffies() - start < 2000)
		uv_run(&loop, UV_RUN_ONCE);
	(void)done;

	assert_true(f1 != 0);
	assert_true(f2 != 0);
	assert_true(f1 <= f2);
	assert_true(f1 - start >= 20);
	assert_true(f2 - start >= 60);
	assert_true(f2 - start < 1000);
}

static void on_cancelled(void *arg)
{
	bool *fired = arg;

	*fired = true;
}

static void timer_cancel(void **state)
{
	struct tmr t, keep;
	bool fired = false, kept = false;

	(void)state;
	tmr_init(&t);
	tmr_init(&keep);
	tmr_start(&t, 10, on_cancelled, &fired);
	tmr_start(&keep, 50, on_cancelled, &kept);
	tmr_cancel(&t);
	run_until(&kept, 2000);
	assert_true(kept);
	assert_false(fired);
}

/* timers due the same millisecond fire in the order they were started */
struct order {
	int seen[8];
	int n;
	struct tmr *cancel; /* cancelled by the first handler, if set */
	struct tmr *spawn;  /* started with delay 0 by the first handler */
	bool spawned_fired;
};

struct order_arg {
	struct order *o;
	int id;
};

static void on_spawned(void *arg)
{
	struct order *o = arg;

	o->spawned_fired = true;
	o->seen[o->n++] = 99;
}

static void on_order(void *arg)
{
	struct order_arg *a = arg;
	struct order *o = a->o;

	o->seen[o->n++] = a->id;
	if (o->n == 1 && o->cancel)
		tmr_cancel(o->cancel);
	if (o->n == 1 && o->spawn)
		tmr_start(o->spawn, 0, on_spawned, o);
}

static void timers_same_deadline_in_start_order(void **state)
{
	struct order o = {0};
	struct order_arg a[4];
	struct tmr t[4], spawn, last;
	bool done = false;
	int i;

	(void)state;
	tmr_init(&spawn);
	tmr_init(&last);
	o.cancel = &t[2]; /* the first handler cancels the third */
	o.spawn = &spawn; /* and starts one for "now" */
	for (i = 0; i < 4; i++) {
		a[i] = (struct order_arg){&o, i};
		tmr_init(&t[i]);
		tmr_start(&t[i], 30, on_order, &a[i]);
	}
	tmr_start(&last, 60, on_cancelled, &done);
	run_until(&done, 2000);
	/* 0, then the delay-0 timer in the same poll, 1, (2 cancelled), 3 */
	assert_int_equal(o.n, 4);
	assert_int_equal(o.seen[0], 0);
	assert_true(o.spawned_fired);
	assert_false(tmr_isrunning(&t[2]));
	assert_int_not_equal(o.seen[1], 2);
	assert_int_not_equal(o.seen[2], 2);
	assert_int_not_equal(o.seen[3], 2);
}

/* a deadline more than one lap of the wheel away is not taken early */
static void timer_longer_than_a_lap(void **state)
{
	struct tmr t, far;
	uint64_t fired = 0, start = tmr_jiffies();

	(void)state;
	tmr_init(&t);
	tmr_init(&far);
	tmr_start(&t, 1500, on_tmr, &fired);
	tmr_start(&far, 600000, on_tmr, NULL);
	assert_true(tmr_get_expire(&far) > 599000);
	while (!fired && tmr_jiffies() - start < 5000)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(fired - start >= 1500);
	assert_true(fired - start < 2500);
	assert_true(tmr_isrunning(&far));
	tmr_cancel(&far);
	assert_false(tmr_isrunning(&far));
}

/* thousands of timers: each fires once, none before its deadline, and in
 * the order of their deadlines */
#define MANY 5000
struct many {
	struct tmr t[MANY];
	uint64_t due[MANY];
	uint64_t last_due;
	unsigned fired, early, out_of_order;
};
struct many_arg {
	struct many *m;
	unsigned i;
};

static void on_many(void *arg)
{
	struct many_arg *a = arg;
	struct many *m = a->m;

	m->fired++;
	if (tmr_jiffies() < m->due[a->i])
		m->early++;
	if (m->due[a->i] < m->last_due)
		m->out_of_order++;
	m->last_due = m->due[a->i];
}

static void timers_many(void **state)
{
	static struct many m;
	static struct many_arg args[MANY];
	struct tmr end;
	bool over = false;
	unsigned i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < MANY; i++) {
		uint64_t delay = (i * 7919u) % 300;
		args[i] = (struct many_arg){&m, i};
		tmr_init(&m.t[i]);
		m.due[i] = tmr_jiffies() + delay;
		tmr_start(&m.t[i], delay, on_many, &args[i]);
	}
	for (i = 0; i < MANY; i += 2) { /* restart every other one, later */
		tmr_start(&m.t[i], 350, on_many, &args[i]);
		m.due[i] = tmr_jiffies() + 350;
	}
	tmr_init(&end);
	tmr_start(&end, 500, on_cancelled, &over);
	run_until(&over, 2000);
	assert_int_equal(m.fired, MANY);
	assert_int_equal(m.early, 0);
	assert_int_equal(m.out_of_order, 0);
}

struct udp_rx {
	char buf[64];
	bool got;
};

static void on_udp(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct udp_rx *rx = arg;
	size_t n = mbuf_get_left(mb);

	(void)src;
	if (n >= sizeof(rx->buf))
		n = sizeof(rx->buf) - 1;
	memcpy(rx->buf, mbuf_buf(mb), n);
	rx->buf[n] = '\0';
	rx->got = true;
}

static void udp_socket_receives(void **state)
{
	struct udp_sock *rxs = NULL, *txs = NULL;
	struct udp_rx rx = {.got = false};
	struct sa laddr, dst;
	struct mbuf *mb;

	(void)state;
	sa_set_str(&laddr, "127.0.0.1", 0);
	assert_int_equal(udp_listen(&rxs, &laddr, on_udp, &rx), 0);
	assert_int_equal(udp_local_get(rxs, &dst), 0);
	assert_int_equal(udp_listen(&txs, NULL, NULL, NULL), 0);
	assert_true(loop_re_fd_count() >= 1);

	mb = mbuf_alloc(16);
	mbuf_write_str(mb, "hello libuv");
	mb->pos = 0;
	assert_int_equal(udp_send(txs, &dst, mb), 0);
	mem_deref(mb);

	run_until(&rx.got, 2000);
	assert_true(rx.got);
	assert_string_equal(rx.buf, "hello libuv");

	mem_deref(rxs);
	mem_deref(txs);
	assert_int_equal(loop_re_fd_count(), 0);
}

struct tcp_pair {
	struct tcp_sock *ts;
	struct tcp_conn *server, *client;
	bool accepted, connected;
};

static void on_tcp_conn(const struct sa *peer, void *arg)
{
	struct tcp_pair *tp = arg;

	(void)peer;
	(void)tcp_accept(&tp->server, tp->ts, NULL, NULL, NULL, NULL);
	tp->accepted = true;
}

static void on_tcp_estab(void *arg)
{
	struct tcp_pair *tp = arg;

	tp->connected = true;
}

static int nodelay_of(const struct tcp_conn *tc)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(tcp_conn_fd(tc), IPPROTO_TCP, TCP_NODELAY, &v, &len))
		return -1;
	return v;
}

/* SIP over TCP/TLS must not wait for ACKs: both ends of a libre TCP
 * connection run with Nagle off (libre never sets it itself) */
static void tcp_connections_have_nodelay(void **state)
{
	struct tcp_pair tp = {0};
	struct sa laddr;

	(void)state;
	sa_set_str(&laddr, "127.0.0.1", 0);
	assert_int_equal(tcp_listen(&tp.ts, &laddr, on_tcp_conn, &tp), 0);
	assert_int_equal(tcp_sock_local_get(tp.ts, &laddr), 0);
	assert_int_equal(
	    tcp_connect(&tp.client, &laddr, on_tcp_estab, NULL, NULL, &tp), 0);
	run_until(&tp.connected, 2000);
	run_until(&tp.accepted, 2000);
	assert_true(tp.connected && tp.accepted && tp.server);
	assert_true(nodelay_of(tp.client) > 0);
	assert_true(nodelay_of(tp.server) > 0);

	mem_deref(tp.client);
	mem_deref(tp.server);
	mem_deref(tp.ts);
	assert_int_equal(loop_re_fd_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(timer_fires_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(timer_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(timers_same_deadline_in_start_order,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(timer_longer_than_a_lap, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(timers_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(udp_socket_receives, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(tcp_connections_have_nodelay, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
