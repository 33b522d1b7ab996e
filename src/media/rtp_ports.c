/** @file rtp_ports.c  RTP port-pair allocator (see rtp_ports.h) */
#include <errno.h>
#include <stdbool.h>
#include <re_types.h>
#include <re_mem.h>
#include "media/rtp_ports.h"

struct rtp_ports {
	uint16_t base;	/* first (even) RTP port */
	unsigned pairs; /* capacity */
	unsigned nfree;
	unsigned next;	/* where the round-robin search starts */
	uint8_t *taken; /* owned: one bit per pair */
};

static void destructor(void *arg)
{
	mem_deref(((struct rtp_ports *)arg)->taken);
}

static bool bit(const struct rtp_ports *rp, unsigned i)
{
	return rp->taken[i / 8] & (1u << (i % 8));
}

int rtp_ports_alloc(struct rtp_ports **rpp, uint16_t min, uint16_t max)
{
	uint32_t lo = (uint32_t)min + (min & 1u);
	struct rtp_ports *rp;

	if (min > max || lo + 1 > max)
		return EINVAL;
	rp = mem_zalloc(sizeof(*rp), destructor);
	if (!rp)
		return ENOMEM;
	rp->base = (uint16_t)lo;
	rp->pairs = ((uint32_t)max - lo + 1) / 2;
	rp->nfree = rp->pairs;
	rp->taken = mem_zalloc((rp->pairs + 7) / 8, NULL);
	if (!rp->taken) {
		mem_deref(rp);
		return ENOMEM;
	}
	*rpp = rp;
	return 0;
}

int rtp_ports_take(struct rtp_ports *rp, uint16_t *port)
{
	if (!rp->nfree)
		return ENOSPC;
	for (unsigned n = 0; n < rp->pairs; n++) {
		unsigned i = (rp->next + n) % rp->pairs;

		if (bit(rp, i))
			continue;
		rp->taken[i / 8] |= (uint8_t)(1u << (i % 8));
		rp->nfree--;
		rp->next = (i + 1) % rp->pairs;
		*port = (uint16_t)(rp->base + 2 * i);
		return 0;
	}
	return ENOSPC;
}

void rtp_ports_give(struct rtp_ports *rp, uint16_t port)
{
	unsigned i;

	if (port < rp->base || (port - rp->base) % 2)
		return;
	i = (unsigned)(port - rp->base) / 2;
	if (i >= rp->pairs || !bit(rp, i))
		return;
	rp->taken[i / 8] &= (uint8_t) ~(1u << (i % 8));
	rp->nfree++;
}

unsigned rtp_ports_free_count(const struct rtp_ports *rp)
{
	return rp->nfree;
}

unsigned rtp_ports_capacity(const struct rtp_ports *rp)
{
	return rp->pairs;
}
