/** @file test_g711.c  G.711 against the standard's values, and round trips */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "media/g711.h"

static void ulaw_known_values(void **state)
{
	(void)state;
	assert_int_equal(g711_ulaw_encode(0), 0xff);
	assert_int_equal(g711_ulaw_decode(0xff), 0);
	assert_int_equal(g711_ulaw_decode(0x7f), 0); /* "-0" */
	assert_int_equal(g711_ulaw_decode(0x00), -32124);
	assert_int_equal(g711_ulaw_decode(0x80), 32124);
	assert_int_equal(g711_ulaw_decode(0xfe), 8);
	assert_int_equal(g711_ulaw_decode(0xef), 132); /* segment 1 starts */
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
	assert_int_equal(g711_alaw_decode(0xc5), 264); /* segment 1 starts */
	assert_int_equal(g711_alaw_encode(32767), 0xaa);
	assert_int_equal(g711_alaw_encode(-32768), 0x2a);
}

/* the code of sign (1 = positive) and magnitude index i (0..127, segment
 * and step), undoing each law's bit inversion */
static uint8_t ulaw_code(unsigned sign, unsigned i)
{
	return (uint8_t)(sign << 7 | (0x7f ^ i));
}

static uint8_t alaw_code(unsigned sign, unsigned i)
{
	return (uint8_t)(0x55 ^ (sign << 7 | i));
}

/* the width of the step that code's magnitude index i falls in */
static int ulaw_step(unsigned i)
{
	return 8 << (i >> 4);
}

static int alaw_step(unsigned i)
{
	return i < 32 ? 16 : 8 << (i >> 4);
}

/* louder index, louder sound; and the two halves mirror each other */
static void decode_monotonic(void **state)
{
	(void)state;
	for (unsigned i = 1; i < 128; i++) {
		for (unsigned sign = 0; sign < 2; sign++) {
			int dir = sign ? 1 : -1;
			int u0 = g711_ulaw_decode(ulaw_code(sign, i - 1));
			int u1 = g711_ulaw_decode(ulaw_code(sign, i));
			int a0 = g711_alaw_decode(alaw_code(sign, i - 1));
			int a1 = g711_alaw_decode(alaw_code(sign, i));

			if (dir * u1 <= dir * u0 || dir * a1 <= dir * a0)
				fail_msg("index %u sign %u: μ %d %d, A %d %d",
					 i, sign, u0, u1, a0, a1);
		}
		assert_int_equal(g711_ulaw_decode(ulaw_code(1, i)),
				 -g711_ulaw_decode(ulaw_code(0, i)));
		assert_int_equal(g711_alaw_decode(alaw_code(1, i)),
				 -g711_alaw_decode(alaw_code(0, i)));
	}
}

/* every code survives decode then encode (μ-law's -0 becomes +0) */
static void codes_round_trip(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t u = g711_ulaw_encode(g711_ulaw_decode((uint8_t)c));
		uint8_t a = g711_alaw_encode(g711_alaw_decode((uint8_t)c));

		if (u != (c == 0x7f ? 0xff : c) || a != c)
			fail_msg("code %02x: μ-law gives %02x, A-law %02x", c,
				 u, a);
	}
}

/*
 * Every 16-bit sample comes back within half a step of its segment (plus
 * the one unit of the mirroring of negatives); past the largest code, the
 * error is what clipping costs, still under a step.
 */
static void samples_round_trip(void **state)
{
	(void)state;
	for (int x = -32768; x <= 32767; x++) {
		uint8_t uc = g711_ulaw_encode((int16_t)x);
		uint8_t ac = g711_alaw_encode((int16_t)x);
		unsigned ui = (uc & 0x7fu) ^ 0x7fu, ai = (ac ^ 0x55u) & 0x7fu;
		int u = g711_ulaw_decode(uc), a = g711_alaw_decode(ac);
		int ut = ulaw_step(ui), at = alaw_step(ai);

		if (abs(x) <= 32124)
			ut = ut / 2 + 1;
		if (abs(x) <= 32256)
			at = at / 2 + 1;
		if (abs(u - x) > ut)
			fail_msg("μ-law %d -> %02x -> %d", x, uc, u);
		if (abs(a - x) > at)
			fail_msg("A-law %d -> %02x -> %d", x, ac, a);
	}
}

/* a louder input never gives a quieter output */
static void encode_monotonic(void **state)
{
	int pu = -32768, pa = -32768;

	(void)state;
	for (int x = -32768; x <= 32767; x++) {
		int u = g711_ulaw_decode(g711_ulaw_encode((int16_t)x));
		int a = g711_alaw_decode(g711_alaw_encode((int16_t)x));

		if (u < pu || a < pa)
			fail_msg("at %d", x);
		pu = u;
		pa = a;
	}
}

static void buffers(void **state)
{
	int16_t pcm[5] = {0, 1000, -1000, 32000, -5}, out[5];
	uint8_t enc[5];

	(void)state;
	for (int law = G711_ULAW; law <= G711_ALAW; law++) {
		g711_encode((enum g711_law)law, enc, pcm, 5);
		g711_decode((enum g711_law)law, out, enc, 5);
		for (int i = 0; i < 5; i++) {
			uint8_t c = law == G711_ULAW ? g711_ulaw_encode(pcm[i])
						     : g711_alaw_encode(pcm[i]);

			assert_int_equal(enc[i], c);
			assert_int_equal(out[i], law == G711_ULAW
						     ? g711_ulaw_decode(c)
						     : g711_alaw_decode(c));
		}
		assert_in_range(out[1], 950, 1050);
		assert_in_range(out[2] + 1050, 0, 100);
	}
	g711_encode(G711_ULAW, enc, pcm, 0); /* nothing to do is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ulaw_known_values),
	    cmocka_unit_test(alaw_known_values),
	    cmocka_unit_test(decode_monotonic),
	    cmocka_unit_test(codes_round_trip),
	    cmocka_unit_test(samples_round_trip),
	    cmocka_unit_test(encode_monotonic),
	    cmocka_unit_test(buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
