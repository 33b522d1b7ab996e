/**
 * @file wav.h  WAV files for prompts (read) and recordings (write)
 *
 * Reading accepts RIFF/WAVE with 16-bit PCM (mono or stereo, mixed to
 * mono, any rate), or 8-bit G.711 μ-law/A-law; the audio is resampled to
 * the rate asked for (linear interpolation after a moving-average low-pass
 * when the rate goes down).  Unknown chunks are skipped.  Writing produces
 * 16-bit PCM mono; the header's sizes are fixed when the file is closed.
 * Plain malloc/free; file I/O is blocking (prompts are read once per call,
 * recordings written through stdio's buffer).
 */
#ifndef TRUNKD_MEDIA_WAV_H
#define TRUNKD_MEDIA_WAV_H

#include <stddef.h>
#include <stdint.h>

struct wav_pcm {
	int16_t *samples; /* mono */
	size_t count;
	unsigned rate;
};

/* 0, an errno from open/read, or EINVAL with *why saying what is wrong */
int wav_read(const char *path, unsigned rate, struct wav_pcm *out,
	     const char **why);
void wav_pcm_free(struct wav_pcm *pcm);

struct wav_writer;
int wav_writer_open(struct wav_writer **wp, const char *path, unsigned rate);
int wav_writer_write(struct wav_writer *w, const int16_t *samples, size_t n);
size_t wav_writer_samples(const struct wav_writer *w);
/* fixes the header, closes and frees; 0 or an errno */
int wav_writer_close(struct wav_writer *w);

#endif
