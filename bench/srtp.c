/**
 * @file bench/srtp.c  What one SRTP protect and one unprotect cost, on
 * libsrtp2's own primitives (NSS on Debian) and on trunkd's fast path
 * (src/media/srtp_fast.c), in one run: G.711 20 ms packets (12 + 160
 * bytes), AES_CM_128_HMAC_SHA1_80 and _32, through trunkd's libsrtp2
 * wrapper (src/media/sdes.c); G.711 encoding of the same frame for scale.
 *
 * The clock is read once per batch of BATCH packets, not per packet, so
 * that reading it costs nothing measurable.  Runs alternate between the two
 * implementations so that a busy neighbour slows both alike.  Prints the
 * median of RUNS runs per figure and the ratio, after checking that both
 * implementations protect a packet to the same bytes.
 *   taskset -c 1 build-release/bench/bench_srtp [packets per run]
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "media/g711.h"
#include "media/sdes.h"
#include "media/srtp_fast.h"

#define PACKETS	   102400 /* per run, unless given */
#define RUNS	   7
#define BATCH	   64
#define PAYLOAD	   160
#define PKT_MAX	   (12 + PAYLOAD + SDES_TAG_MAX)
#define HEAP_PAIRS 200 /* contexts opened to weigh one */

enum { LIBSRTP, FAST, IMPLS };
enum { SUITES = 2 };

static const enum sdes_suite suites[SUITES] = {SDES_AES_CM_128_HMAC_SHA1_80,
					       SDES_AES_CM_128_HMAC_SHA1_32};

/* One implementation keyed for one suite: what tx protects, rx takes */
struct bench_ctx {
	struct srtp_pair pair;
	uint16_t seq;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(v[0]), cmp);
	return v[RUNS / 2];
}

static size_t rtp_packet(uint8_t *p, uint16_t seq)
{
	memset(p, 0, 12);
	p[0] = 0x80;
	p[1] = 8;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = 0x12;
	p[11] = 0x34;
	memset(p + 12, 0xd5, PAYLOAD);
	return 12 + PAYLOAD;
}

static int ctx_open(struct bench_ctx *c, enum sdes_suite suite)
{
	struct sdes_crypto k = {1, suite, {0}};

	for (int i = 0; i < SDES_KEY_LEN; i++)
		k.key[i] = (uint8_t)(i * 7 + 1);
	c->seq = 0;
	return srtp_pair_open(&c->pair, &k, &k);
}

/* packets through protect then unprotect, BATCH at a time; adds the time
 * each step took to *prot and *unprot (ns) */
static int run(struct bench_ctx *c, unsigned packets, double *prot,
	       double *unprot)
{
	uint8_t pkt[BATCH][PKT_MAX];
	size_t len[BATCH];

	for (unsigned done = 0; done < packets; done += BATCH) {
		double t0, t1, t2;

		for (int i = 0; i < BATCH; i++)
			len[i] = rtp_packet(pkt[i], c->seq++);
		t0 = now_ns();
		for (int i = 0; i < BATCH; i++)
			if (srtp_pair_protect(&c->pair, pkt[i], &len[i], false))
				return 1;
		t1 = now_ns();
		for (int i = 0; i < BATCH; i++)
			if (srtp_pair_unprotect(&c->pair, pkt[i], &len[i],
						false))
				return 1;
		t2 = now_ns();
		*prot += t1 - t0;
		*unprot += t2 - t1;
	}
	return 0;
}

/* The first packet of each context, protected by both: the same bytes? */
static int same_bytes(struct bench_ctx ctx[IMPLS][SUITES])
{
	for (int s = 0; s < SUITES; s++) {
		uint8_t a[PKT_MAX], b[PKT_MAX];
		size_t la = rtp_packet(a, ctx[LIBSRTP][s].seq++);
		size_t lb = rtp_packet(b, ctx[FAST][s].seq++);

		if (srtp_pair_protect(&ctx[LIBSRTP][s].pair, a, &la, false) ||
		    srtp_pair_protect(&ctx[FAST][s].pair, b, &lb, false) ||
		    la != lb || memcmp(a, b, la) ||
		    srtp_pair_unprotect(&ctx[LIBSRTP][s].pair, b, &lb, false) ||
		    srtp_pair_unprotect(&ctx[FAST][s].pair, a, &la, false))
			return 1;
	}
	return 0;
}

/*
 * Heap that one call's SRTP holds (a pair: tx and rx contexts, each with
 * the stream its first packet creates), averaged over HEAP_PAIRS pairs.
 */
static long heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return (long)(m.uordblks + m.hblkhd);
}

static long heap_per_pair(void)
{
	struct bench_ctx c[HEAP_PAIRS];
	long before = heap_in_use(), after;

	for (int i = 0; i < HEAP_PAIRS; i++) {
		uint8_t pkt[PKT_MAX];
		size_t len = rtp_packet(pkt, 0);

		if (ctx_open(&c[i], suites[0]) ||
		    srtp_pair_protect(&c[i].pair, pkt, &len, false) ||
		    srtp_pair_unprotect(&c[i].pair, pkt, &len, false))
			return -1;
	}
	after = heap_in_use();
	for (int i = 0; i < HEAP_PAIRS; i++)
		srtp_pair_close(&c[i].pair);
	return (after - before) / HEAP_PAIRS;
}

/* Contexts for each suite on the primitives libsrtp2 has now (they keep
 * them), and what one call's SRTP weighs on them */
static int impl_open(struct bench_ctx ctx[SUITES], long *heap)
{
	for (int s = 0; s < SUITES; s++)
		if (ctx_open(&ctx[s], suites[s]))
			return 1;
	*heap = heap_per_pair();
	return *heap == -1;
}

static double g711_ns(unsigned packets)
{
	int16_t pcm[PAYLOAD];
	uint8_t out[PAYLOAD];
	double t0;

	for (int i = 0; i < PAYLOAD; i++)
		pcm[i] = (int16_t)(i * 200 - 16000);
	t0 = now_ns();
	for (unsigned i = 0; i < packets; i++) {
		g711_encode(G711_ALAW, out, pcm, PAYLOAD);
		pcm[i % PAYLOAD] ^= (int16_t)out[i % PAYLOAD];
	}
	return (now_ns() - t0) / packets;
}

int main(int argc, char **argv)
{
	static double t[IMPLS][SUITES][2][RUNS]; /* [..][protect|unprotect] */
	struct bench_ctx ctx[IMPLS][SUITES];
	double enc[RUNS];
	long heap[IMPLS];
	long arg = argc > 1 ? strtol(argv[1], NULL, 10) : PACKETS;
	unsigned packets;

	if (arg < BATCH || arg > 100000000) {
		fprintf(stderr, "usage: bench_srtp [packets per run, >= %d]\n",
			BATCH);
		return 2;
	}
	packets = (unsigned)arg / BATCH * BATCH;
	/* contexts made before the install keep libsrtp2's primitives */
	if (sdes_init())
		return 1;
	if (impl_open(ctx[LIBSRTP], &heap[LIBSRTP]) || srtp_fast_install() ||
	    impl_open(ctx[FAST], &heap[FAST]))
		return 1;
	if (same_bytes(ctx)) {
		fprintf(stderr, "bench_srtp: the two implementations differ\n");
		return 1;
	}
	for (int r = 0; r < RUNS; r++) {
		for (int m = 0; m < IMPLS; m++)
			for (int s = 0; s < SUITES; s++)
				if (run(&ctx[m][s], packets, &t[m][s][0][r],
					&t[m][s][1][r]))
					return 1;
		enc[r] = g711_ns(packets);
	}

	printf("SRTP, RTP packets of 12 + %d bytes, %u per run, median of %d "
	       "runs, ns per packet\n",
	       PAYLOAD, packets, RUNS);
	printf("%-24s %-10s %9s %9s %7s\n", "suite", "operation", "libsrtp2",
	       "fast", "ratio");
	for (int s = 0; s < SUITES; s++)
		for (int op = 0; op < 2; op++) {
			double slow = median(t[LIBSRTP][s][op]) / packets;
			double fast = median(t[FAST][s][op]) / packets;

			printf("%-24s %-10s %9.0f %9.0f %6.1fx\n",
			       sdes_suite_name(suites[s]),
			       op ? "unprotect" : "protect", slow, fast,
			       slow / fast);
		}
	printf("first packet of each suite, protected by both: same bytes\n");
	if (heap[LIBSRTP] > 0 && heap[FAST] > 0)
		printf("heap per call (tx + rx context, one stream each): "
		       "libsrtp2 %ld B, fast %ld B\n",
		       heap[LIBSRTP], heap[FAST]);
	else /* a sanitizer's allocator: glibc's counters stay still */
		printf("heap per call: not measurable in this build\n");
	printf("g711 A-law encode, 160 samples: %.0f ns\n", median(enc));
	for (int m = 0; m < IMPLS; m++)
		for (int s = 0; s < SUITES; s++)
			srtp_pair_close(&ctx[m][s].pair);
	return 0;
}
