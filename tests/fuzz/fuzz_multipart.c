/**
 * @file fuzz_multipart.c  Fuzz harness for the multipart/form-data parser
 *
 * The property: a body parses to the same trace whether it arrives whole or
 * in chunks of any sizes (the first input byte picks them), and nothing
 * crashes or leaks (run it in the ASan build).  Two ways to drive it:
 *   - libFuzzer: clang -fsanitize=fuzzer,address -DTRUNKD_LIBFUZZER ...
 *     (LLVMFuzzerTestOneInput below);
 *   - stand-alone (what ctest runs): fuzz_multipart [--seconds S]
 *     [--seed N] mutates a few valid bodies (byte flips, insertions of
 *     delimiter fragments, cuts, copies) for S seconds, and prints the
 *     count of inputs and how many parsed cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re_types.h>
#include <re_mem.h>
#include "multipart_trace.h"

#define B "xYz-b0und4ry"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long long clean_parses;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cuts[4];
	char *whole, *chunked;

	if (!size)
		return 0;
	for (int i = 0; i < 4; i++)
		cuts[i] = 1 + ((data[0] >> (2 * i)) & 3) * (i + 1);
	whole = mp_trace_parse(B, data + 1, size - 1, NULL, 0);
	chunked = mp_trace_parse(B, data + 1, size - 1, cuts, 4);
	if (strcmp(whole, chunked)) {
		fprintf(stderr, "whole:   %s\nchunked: %s\n", whole, chunked);
		abort();
	}
	if (strstr(whole, " = 0"))
		clean_parses++;
	free(whole);
	free(chunked);
	return 0;
}

#ifndef TRUNKD_LIBFUZZER
static const char *const seeds[] = {
    "\x01--" B "\r\nContent-Disposition: form-data; name=\"file\"; "
    "filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 "
    "\r\n-- " B "\r\r\n\r\n--" B "--\r\n",
    "\x1bpre\r\n--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\n1"
    "\r\n--" B "\r\nContent-Disposition: form-data; name=b\r\n\r\n\r\n--" B
    "--",
    "\xe4--" B "  \r\nContent-Disposition: form-data; name=\"q\\\"x\"\r\n"
    "X-Other: y\r\n\r\n\r\n\r\n--" B "\r\n--" B "--epilogue",
};

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* one mutation of buf (len, capacity cap) in place; the new length */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	static const char frag[] = "\r\n--" B "--\r\n";
	size_t at = len ? next() % len : 0, n;

	switch (next() % 6) {
	case 0: /* flip a byte */
		if (len)
			buf[at] ^= (uint8_t)(1 + next() % 255);
		return len;
	case 1: /* insert a piece of the delimiter */
		n = 1 + next() % (sizeof(frag) - 1);
		if (len + n > cap)
			return len;
		memmove(buf + at + n, buf + at, len - at);
		memcpy(buf + at, frag + next() % (sizeof(frag) - n), n);
		return len + n;
	case 2: /* cut a range */
		n = len - at ? next() % (len - at) : 0;
		memmove(buf + at, buf + at + n, len - at - n);
		return len - n;
	case 3: /* copy a range elsewhere */
		n = len - at ? 1 + next() % (len - at) : 0;
		if (len + n > cap || !n || n > 512)
			return len;
		{
			uint8_t tmp[512];
			size_t to = next() % (len + 1);

			memcpy(tmp, buf + at, n);
			memmove(buf + to + n, buf + to, len - to);
			memcpy(buf + to, tmp, n);
		}
		return len + n;
	case 4: /* truncate */
		return at;
	default: /* a random byte */
		if (len + 1 > cap)
			return len;
		memmove(buf + at + 1, buf + at, len - at);
		buf[at] = (uint8_t)next();
		return len + 1;
	}
}

int main(int argc, char *argv[])
{
	double seconds = 3;
	unsigned long long runs = 0;
	uint8_t buf[4096];
	time_t end;

	rng = 0x9e3779b97f4a7c15ULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			rng = strtoull(argv[i + 1], NULL, 0) | 1;
	}
	end = time(NULL) + (time_t)seconds;
	do {
		for (int r = 0; r < 1000; r++, runs++) {
			const char *s = seeds[next() % 3];
			size_t len = strlen(s), rounds = next() % 8;

			memcpy(buf, s, len);
			for (size_t m = 0; m < rounds; m++)
				len = mutate(buf, len, sizeof(buf));
			LLVMFuzzerTestOneInput(buf, len);
		}
	} while (time(NULL) < end);
	printf("fuzz_multipart: %llu inputs, %llu parsed cleanly, no "
	       "difference between whole and chunked parses\n",
	       runs, clean_parses);
	return 0;
}
#endif
