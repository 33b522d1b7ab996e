/**
 * @file bench/srtp.c  What one SRTP protect and one unprotect cost: a
 * G.711 20 ms packet (12 + 160 bytes) with AES_CM_128_HMAC_SHA1_80 through
 * trunkd's libsrtp2 wrapper (src/media/sdes.c), and G.711 encoding of the
 * same frame for scale.  Prints the median of 7 runs of 100,000 packets.
 *   build-release/bench/bench_srtp
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "media/g711.h"
#include "media/sdes.h"

#define PACKETS 100000
#define RUNS	7
#define PAYLOAD 160

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

static void rtp_header(uint8_t *p, uint16_t seq)
{
	memset(p, 0, 12);
	p[0] = 0x80;
	p[1] = 8;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = 0x12;
	p[11] = 0x34;
}

int main(void)
{
	struct sdes_crypto ka = {1, SDES_AES_CM_128_HMAC_SHA1_80, {0}},
			   kb = {1, SDES_AES_CM_128_HMAC_SHA1_80, {0}};
	double prot[RUNS], unprot[RUNS], enc[RUNS];
	int16_t pcm[PAYLOAD];
	uint8_t pkt[12 + PAYLOAD + SDES_TAG_MAX];

	for (int i = 0; i < SDES_KEY_LEN; i++) {
		ka.key[i] = (uint8_t)(i * 7 + 1);
		kb.key[i] = (uint8_t)(i * 13 + 5);
	}
	for (int i = 0; i < PAYLOAD; i++)
		pcm[i] = (int16_t)(i * 200 - 16000);
	if (sdes_init())
		return 1;
	for (int r = 0; r < RUNS; r++) {
		struct srtp_pair a, b;
		double t0, t1, t2 = 0;
		size_t len;

		if (srtp_pair_open(&a, &ka, &kb) ||
		    srtp_pair_open(&b, &kb, &ka))
			return 1;
		prot[r] = unprot[r] = 0;
		for (uint32_t i = 0; i < PACKETS; i++) {
			rtp_header(pkt, (uint16_t)i);
			memset(pkt + 12, 0xd5, PAYLOAD);
			len = 12 + PAYLOAD;
			t0 = now_ns();
			if (srtp_pair_protect(&a, pkt, &len, false))
				return 1;
			t1 = now_ns();
			if (srtp_pair_unprotect(&b, pkt, &len, false))
				return 1;
			t2 = now_ns();
			prot[r] += t1 - t0;
			unprot[r] += t2 - t1;
		}
		srtp_pair_close(&a);
		srtp_pair_close(&b);
		t0 = now_ns();
		for (uint32_t i = 0; i < PACKETS; i++) {
			g711_encode(G711_ALAW, pkt + 12, pcm, PAYLOAD);
			pcm[i % PAYLOAD] ^= (int16_t)pkt[12 + i % PAYLOAD];
		}
		enc[r] = now_ns() - t0;
	}
	printf("packets per run: %d, runs: %d (medians)\n", PACKETS, RUNS);
	printf("srtp protect   (AES_CM_128_HMAC_SHA1_80, 172 B): %.2f us\n",
	       median(prot) / PACKETS / 1000);
	printf("srtp unprotect (AES_CM_128_HMAC_SHA1_80, 172 B): %.2f us\n",
	       median(unprot) / PACKETS / 1000);
	printf("g711 A-law encode, 160 samples:                  %.2f us\n",
	       median(enc) / PACKETS / 1000);
	return 0;
}
