/**
 * @file wav.h  WAV files for call prompts (read) and recordings (write)
 *
 * Plain malloc/free and blocking stdio: prompts are read once per call and
 * recordings go through stdio's buffer.  Multi-byte fields are little-endian
 * on disk whatever the host.
 */
#ifndef TRUNKD_MEDIA_WAV_H
#define TRUNKD_MEDIA_WAV_H

#include <stddef.h>
#include <stdint.h>

/* Mono audio; samples is owned and released with wav_pcm_free(). */
struct wav_pcm {
	int16_t *samples; /* owned; count entries */
	size_t count;
	unsigned rate;
};

/*
 * Reads a RIFF/WAVE file: 16-bit PCM (any rate, 1 or 2 channels; stereo is
 * mixed to mono) or 8-bit G.711 μ-law (format 7) / A-law (format 6), also
 * inside WAVE_FORMAT_EXTENSIBLE.  Chunks other than "fmt " and "data" (LIST,
 * fact, ...) are skipped.  A data chunk that claims more than the file holds
 * (a recording that was never closed) is read to the end of the file.
 *
 * rate 0 keeps the file's rate; otherwise the audio is resampled to rate by
 * linear interpolation, after a moving-average low-pass when the rate goes
 * down.
 *
 * Returns 0, an errno from opening or reading (ENOENT, EACCES, EIO, ENOMEM),
 * or EINVAL for a file it cannot read; then *why, if why is not NULL,
 * points to a static string saying what is wrong.  *out is written only on
 * success; an empty data chunk gives count 0 (and samples may be NULL).
 */
int wav_read(const char *path, unsigned rate, struct wav_pcm *out,
	     const char **why);
/* frees the samples and zeroes *pcm; a zeroed pcm is fine */
void wav_pcm_free(struct wav_pcm *pcm);

/*
 * Writes 16-bit PCM mono at a given rate.  Until wav_writer_close() fixes
 * them, the header's sizes say "unknown" (0xffffffff), so the file of a
 * process that died mid-call still reads to its end.  Errors are sticky: once
 * a write fails, later writes return the same errno and close reports it.
 */
struct wav_writer;

int wav_writer_open(struct wav_writer **wp, const char *path, unsigned rate);
int wav_writer_write(struct wav_writer *w, const int16_t *samples, size_t n);
/* fixes the RIFF and data sizes in the header, closes, frees; 0 or errno */
int wav_writer_close(struct wav_writer *w);
size_t wav_writer_samples(const struct wav_writer *w);

#endif
