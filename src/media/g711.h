/**
 * @file g711.h  ITU-T G.711 μ-law (PCMU) and A-law (PCMA)
 *
 * Encoding follows the standard's segment tables (μ-law with the 0x84 bias
 * and clipping at 32635; A-law on the 13-bit magnitude).  Decoding goes
 * through two 256-entry tables built on first use.
 */
#ifndef TRUNKD_MEDIA_G711_H
#define TRUNKD_MEDIA_G711_H

#include <stddef.h>
#include <stdint.h>

enum g711_law { G711_ULAW, G711_ALAW };

uint8_t g711_ulaw_encode(int16_t pcm);
int16_t g711_ulaw_decode(uint8_t code);
uint8_t g711_alaw_encode(int16_t pcm);
int16_t g711_alaw_decode(uint8_t code);
void g711_encode(enum g711_law law, uint8_t *dst, const int16_t *src,
		 size_t n);
void g711_decode(enum g711_law law, int16_t *dst, const uint8_t *src,
		 size_t n);

#endif
