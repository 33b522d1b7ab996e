/**
 * @file wavtool.c  WAV helper for the integration tests
 *
 *   wavtool make FILE FREQ MS [RATE]  a sine (16-bit mono, default 8000 Hz)
 *   wavtool stats FILE                samples=N rate=R seconds=S rms=X
 *   wavtool tone FILE FREQ            blocks=N tone_blocks=M max_ratio=R
 *
 * tone: over 100 ms blocks, the Goertzel power at FREQ as a share of the
 * block's power; tone_blocks counts blocks where the tone is over half of
 * it (blocks of near silence count as no tone).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "media/wav.h"

static int usage(void)
{
	fputs("usage: wavtool make FILE FREQ MS [RATE]\n"
	      "       wavtool stats FILE\n"
	      "       wavtool tone FILE FREQ\n",
	      stderr);
	return 2;
}

static int make(const char *path, double freq, unsigned ms, unsigned rate)
{
	struct wav_writer *w;
	size_t n = (size_t)ms * rate / 1000;
	int err = wav_writer_open(&w, path, rate);

	for (size_t i = 0; !err && i < n; i++) {
		int16_t s = (int16_t)(12000.0 *
				      sin(2 * M_PI * freq * (double)i / rate));

		err = wav_writer_write(w, &s, 1);
	}
	if (!err)
		err = wav_writer_close(w);
	if (err)
		fprintf(stderr, "wavtool: %s: %s\n", path, strerror(err));
	return err ? 1 : 0;
}

static int load(const char *path, struct wav_pcm *pcm)
{
	const char *why = NULL;
	int err = wav_read(path, 0, pcm, &why);

	if (err)
		fprintf(stderr, "wavtool: %s: %s\n", path,
			why ? why : strerror(err));
	return err;
}

static int stats(const char *path)
{
	struct wav_pcm pcm;
	double sum = 0;

	if (load(path, &pcm))
		return 2;
	for (size_t i = 0; i < pcm.count; i++)
		sum += (double)pcm.samples[i] * pcm.samples[i];
	printf("samples=%zu rate=%u seconds=%.2f rms=%.0f\n", pcm.count,
	       pcm.rate, (double)pcm.count / pcm.rate,
	       pcm.count ? sqrt(sum / (double)pcm.count) : 0.0);
	wav_pcm_free(&pcm);
	return 0;
}

/* share of a block's power at freq (Goertzel) */
static double tone_ratio(const int16_t *s, size_t n, double freq, unsigned rate)
{
	double k = 2 * cos(2 * M_PI * freq / rate), s1 = 0, s2 = 0, total = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = s[i] + k * s1 - s2;

		s2 = s1;
		s1 = s0;
		total += (double)s[i] * s[i];
	}
	if (total / (double)n < 100.0) /* below -50 dBFS: silence */
		return 0;
	/* |X(f)|^2 relative to total energy, scaled so a pure tone is ~1 */
	return (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / ((double)n * total);
}

static int tone(const char *path, double freq)
{
	struct wav_pcm pcm;
	size_t block, blocks = 0, hits = 0;
	double max = 0;

	if (load(path, &pcm))
		return 2;
	block = pcm.rate / 10;
	for (size_t at = 0; block && at + block <= pcm.count; at += block) {
		double r = tone_ratio(pcm.samples + at, block, freq, pcm.rate);

		blocks++;
		hits += r > 0.5;
		if (r > max)
			max = r;
	}
	printf("blocks=%zu tone_blocks=%zu max_ratio=%.2f\n", blocks, hits,
	       max);
	wav_pcm_free(&pcm);
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc >= 5 && !strcmp(argv[1], "make"))
		return make(argv[2], atof(argv[3]), (unsigned)atoi(argv[4]),
			    argc > 5 ? (unsigned)atoi(argv[5]) : 8000);
	if (argc == 3 && !strcmp(argv[1], "stats"))
		return stats(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "tone"))
		return tone(argv[2], atof(argv[3]));
	return usage();
}
