/**
 * @file rtp_ports.h  RTP port pairs over the configured range: RTP even,
 *                    RTCP = RTP + 1, both inside [min, max]
 *
 * Pairs are handed out round-robin after the last one given, so a port
 * just returned is not reused at once (late packets of the old call).
 * Ownership: rtp_ports_alloc() returns a mem object.
 */
#ifndef TRUNKD_MEDIA_RTP_PORTS_H
#define TRUNKD_MEDIA_RTP_PORTS_H

#include <stdint.h>

struct rtp_ports;

/* EINVAL if min > max or not one pair fits (min is rounded up to even) */
int rtp_ports_alloc(struct rtp_ports **rpp, uint16_t min, uint16_t max);
/* 0 and an even port, or ENOSPC when every pair is taken */
int rtp_ports_take(struct rtp_ports *rp, uint16_t *port);
/* A port not taken, odd, or out of range is ignored */
void rtp_ports_give(struct rtp_ports *rp, uint16_t port);
unsigned rtp_ports_free_count(const struct rtp_ports *rp);
unsigned rtp_ports_capacity(const struct rtp_ports *rp);

#endif
