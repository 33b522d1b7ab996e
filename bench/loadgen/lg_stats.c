/**
 * @file lg_stats.c  Fixed-width histograms for the load generator's
 *                   percentiles (setup time, round trip, jitter)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lg.h"

int lg_hist_init(struct lg_hist *h, unsigned n, double unit)
{
	memset(h, 0, sizeof(*h));
	h->b = calloc(n, sizeof(*h->b));
	if (!h->b)
		return ENOMEM;
	h->n = n;
	h->unit = unit;
	return 0;
}

void lg_hist_add(struct lg_hist *h, double v)
{
	double i = v < 0 ? 0 : v / h->unit;
	unsigned k = i >= h->n - 1 ? h->n - 1 : (unsigned)i;

	h->b[k]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

double lg_hist_pct(const struct lg_hist *h, double p)
{
	uint64_t want, seen = 0;
	unsigned k;

	if (!h->count)
		return 0;
	want = (uint64_t)(p / 100.0 * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (k = 0; k < h->n; k++) {
		seen += h->b[k];
		if (seen > want)
			break;
	}
	/* the bucket's upper edge, never above the largest sample */
	double v = (k + 1) * h->unit;
	return v > h->max ? h->max : v;
}

void lg_hist_free(struct lg_hist *h)
{
	free(h->b);
	h->b = NULL;
}
