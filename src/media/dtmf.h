/**
 * @file dtmf.h  RFC 4733 telephone-event payloads: parse and build
 *
 * The payload is 4 bytes: event (0-9, 10 '*', 11 '#', 12-15 'A'-'D'), an
 * end bit with the volume, and the duration in timestamp units (8 kHz).
 */
#ifndef TRUNKD_MEDIA_DTMF_H
#define TRUNKD_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_PAYLOAD_LEN 4

struct dtmf_event {
	char digit;	   /* '0'-'9', '*', '#', 'A'-'D' */
	bool end;	   /* the E bit */
	uint8_t volume;	   /* dBm0 below zero, 0-63 */
	uint16_t duration; /* timestamp units */
};

/* 0, or EINVAL (too short) / ENOTSUP (an event that is not a DTMF digit) */
int dtmf_parse(const uint8_t *payload, size_t len, struct dtmf_event *ev);
/* EINVAL for a character that is not a DTMF digit */
int dtmf_build(uint8_t out[DTMF_PAYLOAD_LEN], const struct dtmf_event *ev);

#endif
