/**
 * @file test_tls.c  mbedTLS under libre's TCP: a real handshake and an echo
 *                   over loopback, and a client that must refuse a server it
 *                   cannot verify.  Uses the pair scripts/test generates
 *                   (TRUNKD_TEST_TLS_DIR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "loop/loop.h"
#include "loop/tls.h"

struct side {
	struct tcp_conn *tc;  /* owned */
	struct tls_conn *tls; /* owned */
	struct mbuf *rx;      /* owned: plaintext received */
	bool estab;
	int closed_err;
	bool closed;
};

struct pair {
	struct tls *srv_tls, *cli_tls;
	struct tcp_sock *ts;
	struct side srv, cli;
	size_t want; /* bytes the client expects back */
};

static uv_loop_t loop;
static char cert[512], key[512];

static int setup(void **state)
{
	const char *dir = getenv("TRUNKD_TEST_TLS_DIR");

	if (!dir)
		dir = TRUNKD_SOURCE_DIR "/var/tls";
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	*state = calloc(1, sizeof(struct pair));
	uv_loop_init(&loop);
	return loop_re_attach(&loop);
}

static int teardown(void **state)
{
	struct pair *p = *state;

	mem_deref(p->srv.tls);
	mem_deref(p->srv.tc);
	mem_deref(p->cli.tls);
	mem_deref(p->cli.tc);
	mem_deref(p->srv.rx);
	mem_deref(p->cli.rx);
	mem_deref(p->ts);
	mem_deref(p->srv_tls);
	mem_deref(p->cli_tls);
	free(p);
	loop_re_detach();
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop);
}

static void noop(void *arg)
{
	(void)arg;
}

static void run_until(bool (*done)(const struct pair *), struct pair *p)
{
	uint64_t end = tmr_jiffies() + 5000;
	struct tmr tick;

	/* a ticking libre timer bounds every uv_run step */
	tmr_init(&tick);
	while (!done(p) && tmr_jiffies() < end) {
		tmr_start(&tick, 50, noop, NULL);
		uv_run(&loop, UV_RUN_ONCE);
	}
	tmr_cancel(&tick);
}

static void srv_recv(struct mbuf *mb, void *arg)
{
	struct pair *p = arg;

	/* echo the plaintext back, encrypted by the helper */
	tcp_send(p->srv.tc, mb);
}

static void srv_close(int err, void *arg)
{
	struct pair *p = arg;

	p->srv.closed = true;
	p->srv.closed_err = err;
}

static void srv_estab(void *arg)
{
	struct pair *p = arg;

	p->srv.estab = true;
}

static void on_conn(const struct sa *peer, void *arg)
{
	struct pair *p = arg;

	(void)peer;
	assert_int_equal(
	    tcp_accept(&p->srv.tc, p->ts, srv_estab, srv_recv, srv_close, p),
	    0);
	assert_int_equal(tls_start_tcp(&p->srv.tls, p->srv_tls, p->srv.tc, 0),
			 0);
}

static void cli_estab(void *arg)
{
	struct pair *p = arg;
	struct mbuf *mb = mbuf_alloc(p->want);

	p->cli.estab = true;
	for (size_t i = 0; i < p->want; i++)
		mbuf_write_u8(mb, (uint8_t)('a' + i % 26));
	mb->pos = 0;
	assert_int_equal(tcp_send(p->cli.tc, mb), 0);
	mem_deref(mb);
}

static void cli_recv(struct mbuf *mb, void *arg)
{
	struct pair *p = arg;

	mbuf_write_mem(p->cli.rx, mbuf_buf(mb), mbuf_get_left(mb));
}

static void cli_close(int err, void *arg)
{
	struct pair *p = arg;

	p->cli.closed = true;
	p->cli.closed_err = err;
}

static void start(struct pair *p, const char *client_ca)
{
	struct tls_opts so = {cert, key, NULL, false};
	struct tls_opts co = {NULL, NULL, client_ca, true};
	struct sa laddr;

	assert_int_equal(tls_ctx_alloc(&p->srv_tls, &so), 0);
	assert_int_equal(tls_ctx_alloc(&p->cli_tls, &co), 0);
	p->cli.rx = mbuf_alloc(1024);
	sa_set_str(&laddr, "127.0.0.1", 0);
	assert_int_equal(tcp_listen(&p->ts, &laddr, on_conn, p), 0);
	assert_int_equal(tcp_sock_local_get(p->ts, &laddr), 0);
	assert_int_equal(
	    tcp_connect(&p->cli.tc, &laddr, cli_estab, cli_recv, cli_close, p),
	    0);
	assert_int_equal(tls_start_tcp(&p->cli.tls, p->cli_tls, p->cli.tc, 0),
			 0);
}

static bool echoed(const struct pair *p)
{
	return p->cli.closed || p->cli.rx->end >= p->want;
}

static void handshake_and_echo(void **state)
{
	struct pair *p = *state;

	p->want = 100000; /* many TLS records */
	start(p, cert);
	run_until(echoed, p);
	assert_true(p->cli.estab);
	assert_false(p->cli.closed);
	assert_int_equal(p->cli.rx->end, p->want);
	for (size_t i = 0; i < p->want; i++) {
		if (p->cli.rx->buf[i] != (uint8_t)('a' + i % 26))
			fail_msg("byte %zu differs", i);
	}
}

static bool closed(const struct pair *p)
{
	return p->cli.closed;
}

static void untrusted_server_refused(void **state)
{
	struct pair *p = *state;

	p->want = 10;
	/* the client trusts only an unrelated CA bundle (empty file) */
	start(p, "/dev/null");
	run_until(closed, p);
	assert_true(p->cli.closed);
	assert_int_not_equal(p->cli.closed_err, 0);
	assert_false(p->cli.estab);
	assert_int_equal(p->cli.rx->end, 0);
}

static void missing_certificate(void **state)
{
	struct pair *p = *state;
	struct tls_opts so = {"/nonexistent.pem", "/nonexistent.key", NULL,
			      false};

	assert_int_not_equal(tls_ctx_alloc(&p->srv_tls, &so), 0);
	assert_null(p->srv_tls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(handshake_and_echo, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(untrusted_server_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(missing_certificate, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
