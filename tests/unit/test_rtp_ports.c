/** @file test_rtp_ports.c  RTP port pairs: even, in range, round-robin,
 *  exhaustion (the call gets 503), and nothing leaks */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <cmocka.h>
#include <re_types.h>
#include <re_mem.h>
#include "media/rtp_ports.h"

static void range_and_exhaustion(void **state)
{
	struct rtp_ports *rp;
	uint16_t ports[8], p;
	unsigned n = 0;

	(void)state;
	assert_int_equal(rtp_ports_alloc(&rp, 30001, 30010), 0);
	assert_int_equal(rtp_ports_capacity(rp), 4); /* 30002..30009 */
	while (!rtp_ports_take(rp, &p)) {
		assert_true(p % 2 == 0 && p >= 30002 && p + 1 <= 30010);
		for (unsigned i = 0; i < n; i++)
			assert_int_not_equal(ports[i], p);
		ports[n++] = p;
	}
	assert_int_equal(n, 4);
	assert_int_equal(rtp_ports_take(rp, &p), ENOSPC);
	assert_int_equal(rtp_ports_free_count(rp), 0);

	/* junk given back changes nothing */
	rtp_ports_give(rp, 30003);
	rtp_ports_give(rp, 40000);
	rtp_ports_give(rp, 0);
	assert_int_equal(rtp_ports_free_count(rp), 0);

	/* every port given back can be taken again: no leak */
	for (unsigned i = 0; i < n; i++)
		rtp_ports_give(rp, ports[i]);
	rtp_ports_give(rp, ports[0]); /* twice: ignored */
	assert_int_equal(rtp_ports_free_count(rp), 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(rtp_ports_take(rp, &p), 0);
	assert_int_equal(rtp_ports_take(rp, &p), ENOSPC);
	mem_deref(rp);
}

static void round_robin(void **state)
{
	struct rtp_ports *rp;
	uint16_t a, b;

	(void)state;
	assert_int_equal(rtp_ports_alloc(&rp, 20000, 20011), 0);
	assert_int_equal(rtp_ports_take(rp, &a), 0);
	rtp_ports_give(rp, a);
	assert_int_equal(rtp_ports_take(rp, &b), 0);
	assert_int_not_equal(a, b); /* a just-freed port is not reused */
	mem_deref(rp);
}

static void bad_ranges(void **state)
{
	struct rtp_ports *rp;

	(void)state;
	assert_int_equal(rtp_ports_alloc(&rp, 20001, 20002), EINVAL);
	assert_int_equal(rtp_ports_alloc(&rp, 20010, 20000), EINVAL);
	assert_int_equal(rtp_ports_alloc(&rp, 20000, 20001), 0);
	assert_int_equal(rtp_ports_capacity(rp), 1);
	mem_deref(rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(range_and_exhaustion),
	    cmocka_unit_test(round_robin),
	    cmocka_unit_test(bad_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
