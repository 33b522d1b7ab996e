/** @file g711.c  G.711 μ-law and A-law (see g711.h) */
#include <stdbool.h>
#include "media/g711.h"

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

/* index of the highest set bit of v (v < 256), 0 for 0 */
static unsigned top_bit(unsigned v)
{
	unsigned n = 0;

	while (v >>= 1)
		n++;
	return n;
}

uint8_t g711_ulaw_encode(int16_t pcm)
{
	int v = pcm;
	uint8_t sign = 0;
	unsigned exponent, mantissa;

	if (v < 0) {
		sign = 0x80;
		v = -v;
	}
	if (v > ULAW_CLIP)
		v = ULAW_CLIP;
	v += ULAW_BIAS;
	exponent = top_bit((unsigned)v >> 7);
	mantissa = ((unsigned)v >> (exponent + 3)) & 0x0f;
	return (uint8_t)~(sign | exponent << 4 | mantissa);
}

static int16_t ulaw_expand(uint8_t code)
{
	unsigned c = (uint8_t)~code;
	int v = (int)((((c & 0x0f) << 3) + ULAW_BIAS) << ((c >> 4) & 7)) -
		ULAW_BIAS;

	return (int16_t)(c & 0x80 ? -v : v);
}

uint8_t g711_alaw_encode(int16_t pcm)
{
	int v = pcm >> 3; /* 13-bit */
	uint8_t mask = 0xd5;
	unsigned seg;

	if (v < 0) {
		mask = 0x55;
		v = -v - 1;
	}
	if (v > 0xfff)
		return (uint8_t)(0x7f ^ mask);
	seg = v < 0x20 ? 0 : top_bit((unsigned)v >> 4);
	return (uint8_t)(((seg << 4) |
			  (((unsigned)v >> (seg < 2 ? 1 : seg)) & 0x0f)) ^
			 mask);
}

static int16_t alaw_expand(uint8_t code)
{
	unsigned a = code ^ 0x55u;
	unsigned seg = (a >> 4) & 7;
	int t = (int)((a & 0x0f) << 4);

	if (seg == 0)
		t += 8;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)(a & 0x80 ? t : -t);
}

static int16_t ulaw_table[256], alaw_table[256];

static void tables_init(void)
{
	static bool done;

	if (done)
		return;
	for (unsigned i = 0; i < 256; i++) {
		ulaw_table[i] = ulaw_expand((uint8_t)i);
		alaw_table[i] = alaw_expand((uint8_t)i);
	}
	done = true;
}

int16_t g711_ulaw_decode(uint8_t code)
{
	tables_init();
	return ulaw_table[code];
}

int16_t g711_alaw_decode(uint8_t code)
{
	tables_init();
	return alaw_table[code];
}

void g711_encode(enum g711_law law, uint8_t *dst, const int16_t *src,
		 size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = law == G711_ULAW ? g711_ulaw_encode(src[i])
					  : g711_alaw_encode(src[i]);
}

void g711_decode(enum g711_law law, int16_t *dst, const uint8_t *src,
		 size_t n)
{
	const int16_t *t;

	tables_init();
	t = law == G711_ULAW ? ulaw_table : alaw_table;
	for (size_t i = 0; i < n; i++)
		dst[i] = t[src[i]];
}
