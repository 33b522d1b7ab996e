/** @file dtmf.c  RFC 4733 telephone-event payloads (see dtmf.h) */
#include <errno.h>
#include <string.h>
#include "media/dtmf.h"

static const char digits[] = "0123456789*#ABCD";

int dtmf_parse(const uint8_t *payload, size_t len, struct dtmf_event *ev)
{
	if (len < DTMF_PAYLOAD_LEN)
		return EINVAL;
	if (payload[0] >= 16)
		return ENOTSUP; /* flash, tones: not digits */
	ev->digit = digits[payload[0]];
	ev->end = payload[1] & 0x80;
	ev->volume = payload[1] & 0x3f;
	ev->duration = (uint16_t)(payload[2] << 8 | payload[3]);
	return 0;
}

int dtmf_build(uint8_t out[DTMF_PAYLOAD_LEN], const struct dtmf_event *ev)
{
	const char *p = ev->digit ? strchr(digits, ev->digit) : NULL;

	if (!p || ev->volume > 63)
		return EINVAL;
	out[0] = (uint8_t)(p - digits);
	out[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	out[2] = (uint8_t)(ev->duration >> 8);
	out[3] = (uint8_t)ev->duration;
	return 0;
}
