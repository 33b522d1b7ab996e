/**
 * @file g711.h  ITU-T G.711 μ-law (PCMU) and A-law (PCMA)
 *
 * Linear samples are 16-bit; G.711 itself works on 14-bit (μ-law) and
 * 13-bit (A-law) magnitudes, so the low bits are dropped on the way in and
 * zero on the way out.  Encoding follows the standard's segments and
 * decision values; decoding returns the middle of the code's interval, as
 * the standard's tables do, and goes through constant 256-entry tables.
 * The functions keep no state and are safe to call from any thread.
 * Buffers are borrowed; dst and src must not overlap.
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

void g711_encode(enum g711_law law, uint8_t *dst, const int16_t *src, size_t n);
void g711_decode(enum g711_law law, int16_t *dst, const uint8_t *src, size_t n);

#endif
