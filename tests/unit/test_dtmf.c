/** @file test_dtmf.c  RFC 4733 telephone-event payloads */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <cmocka.h>
#include "media/dtmf.h"

static void parse_events(void **state)
{
	const uint8_t five_end[] = {5, 0x8a, 0x03, 0x20};  /* end, -10 dBm0 */
	const uint8_t hash_mid[] = {11, 0x0a, 0x00, 0xa0}; /* '#', going on */
	const uint8_t flash[] = {16, 0x80, 0, 160};
	struct dtmf_event ev;

	(void)state;
	assert_int_equal(dtmf_parse(five_end, 4, &ev), 0);
	assert_int_equal(ev.digit, '5');
	assert_true(ev.end);
	assert_int_equal(ev.volume, 10);
	assert_int_equal(ev.duration, 800); /* 100 ms at 8 kHz */
	assert_int_equal(dtmf_parse(hash_mid, 4, &ev), 0);
	assert_int_equal(ev.digit, '#');
	assert_false(ev.end);
	assert_int_equal(dtmf_parse(flash, 4, &ev), ENOTSUP);
	assert_int_equal(dtmf_parse(five_end, 3, &ev), EINVAL);
}

static void build_and_parse_every_digit(void **state)
{
	const char *digits = "0123456789*#ABCD";
	uint8_t p[DTMF_PAYLOAD_LEN];
	struct dtmf_event in = {0}, out;

	(void)state;
	for (const char *d = digits; *d; d++) {
		in.digit = *d;
		in.end = (*d & 1);
		in.volume = 10;
		in.duration = 1234;
		assert_int_equal(dtmf_build(p, &in), 0);
		assert_int_equal(p[0], d - digits);
		assert_int_equal(dtmf_parse(p, sizeof(p), &out), 0);
		assert_int_equal(out.digit, *d);
		assert_int_equal(out.end, in.end);
		assert_int_equal(out.duration, 1234);
	}
	in.digit = 'x';
	assert_int_equal(dtmf_build(p, &in), EINVAL);
	in.digit = '1';
	in.volume = 64;
	assert_int_equal(dtmf_build(p, &in), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_events),
	    cmocka_unit_test(build_and_parse_every_digit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
