/** @file test_g711.c  G.711 against values from the standard's tables */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include "media/g711.h"

static void ulaw_known_values(void **state)
{
	(void)state;
	assert_int_equal(g711_ulaw_encode(0), 0xff);
	assert_int_equal(g711_ulaw_decode(0xff), 0);
	assert_int_equal(g711_ulaw_decode(0x7f), 0);
	assert_int_equal(g711_ulaw_decode(0x00), -32124);
	assert_int_equal(g711_ulaw_decode(0x80), 32124);
	assert_int_equal(g711_ulaw_encode(32767), 0x80);
	assert_int_equal(g711_ulaw_encode(-32768), 0x00);
}

static void alaw_known_values(void **state)
{
	(void)state;
	assert_int_equal(g711_alaw_encode(0), 0xd5);
	assert_int_equal(g711_alaw_decode(0xd5), 8);
	assert_int_equal(g711_alaw_decode(0x55), -8);
	assert_int_equal(g711_alaw_decode(0xaa), 32256);
	assert_int_equal(g711_alaw_decode(0x2a), -32256);
	assert_int_equal(g711_alaw_encode(32767), 0xaa);
	assert_int_equal(g711_alaw_encode(-32768), 0x2a);
}

/* every code survives decode then encode (μ-law's -0 becomes +0) */
static void codes_round_trip(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t u = g711_ulaw_encode(g711_ulaw_decode((uint8_t)c));

		assert_int_equal(u, c == 0x7f ? 0xff : c);
		assert_int_equal(g711_alaw_encode(g711_alaw_decode((uint8_t)c)),
				 c);
	}
}

/* the quantisation error stays within half a step of the segment, and
 * the expansion is monotonic */
static void samples_round_trip(void **state)
{
	(void)state;
	for (int x = -32768; x <= 32767; x += 7) {
		int u = g711_ulaw_decode(g711_ulaw_encode((int16_t)x));
		int a = g711_alaw_decode(g711_alaw_encode((int16_t)x));
		int ax = abs(x), tol = ax < 64 ? 8 : ax / 16 + 4;

		if (abs(u - x) > tol && ax < 32124)
			fail_msg("μ-law %d -> %d", x, u);
		if (abs(a - x) > tol && ax < 32256)
			fail_msg("A-law %d -> %d", x, a);
	}
	for (int x = -32767, pu = -40000, pa = -40000; x <= 32767; x++) {
		int u = g711_ulaw_decode(g711_ulaw_encode((int16_t)x));
		int a = g711_alaw_decode(g711_alaw_encode((int16_t)x));

		assert_true(u >= pu && a >= pa);
		pu = u;
		pa = a;
	}
}

static void buffers(void **state)
{
	int16_t pcm[4] = {0, 1000, -1000, 32000}, out[4];
	uint8_t enc[4];

	(void)state;
	g711_encode(G711_ALAW, enc, pcm, 4);
	assert_int_equal(enc[0], 0xd5);
	g711_decode(G711_ALAW, out, enc, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(out[i], g711_alaw_decode(enc[i]));
	g711_encode(G711_ULAW, enc, pcm, 4);
	assert_int_equal(enc[0], 0xff);
	g711_decode(G711_ULAW, out, enc, 4);
	assert_true(out[1] > 950 && out[1] < 1050);
	assert_true(out[2] < -950 && out[2] > -1050);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ulaw_known_values),
	    cmocka_unit_test(alaw_known_values),
	    cmocka_unit_test(codes_round_trip),
	    cmocka_unit_test(samples_round_trip),
	    cmocka_unit_test(buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
