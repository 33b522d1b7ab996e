/** @file wav.c  WAV reading and writing (see wav.h) */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "media/g711.h"
#include "media/wav.h"

#define FMT_PCM	 1
#define FMT_ALAW 6
#define FMT_ULAW 7

struct wav_writer {
	FILE *f;
	unsigned rate;
	size_t samples;
	int err;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

struct wav_format {
	unsigned format, channels, rate, bits;
	const uint8_t *data;
	size_t data_len;
};

/* walk the chunks of a whole file held in memory */
static const char *parse(const uint8_t *b, size_t len, struct wav_format *f)
{
	size_t pos = 12;
	bool have_fmt = false;

	if (len < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4))
		return "not a RIFF/WAVE file";
	while (pos + 8 <= len) {
		const uint8_t *id = b + pos;
		size_t n = rd32(b + pos + 4), body = pos + 8;

		if (n > len - body)
			n = len - body; /* a truncated last chunk: keep what is there */
		if (!memcmp(id, "fmt ", 4) && n >= 16) {
			f->format = rd16(b + body);
			f->channels = rd16(b + body + 2);
			f->rate = rd32(b + body + 4);
			f->bits = rd16(b + body + 14);
			have_fmt = true;
		} else if (!memcmp(id, "data", 4) && have_fmt) {
			f->data = b + body;
			f->data_len = n;
			return NULL;
		}
		pos = body + n + (n & 1);
	}
	return have_fmt ? "no data chunk" : "no fmt chunk";
}

static const char *check(const struct wav_format *f)
{
	if (f->channels < 1 || f->channels > 2)
		return "only mono and stereo files are supported";
	if (f->rate < 4000 || f->rate > 192000)
		return "sample rate out of range";
	if (f->format == FMT_PCM && f->bits == 16)
		return NULL;
	if ((f->format == FMT_ULAW || f->format == FMT_ALAW) && f->bits == 8)
		return NULL;
	return "only 16-bit PCM, μ-law and A-law files are supported";
}

/* one mono sample from frame i */
static int frame(const struct wav_format *f, size_t i)
{
	size_t width = f->bits / 8, at = i * width * f->channels;
	int sum = 0;

	for (unsigned c = 0; c < f->channels; c++, at += width) {
		const uint8_t *p = f->data + at;

		if (f->format == FMT_PCM)
			sum += (int16_t)rd16(p);
		else if (f->format == FMT_ULAW)
			sum += g711_ulaw_decode(*p);
		else
			sum += g711_alaw_decode(*p);
	}
	return sum / (int)f->channels;
}

/* resample the file's frames to rate into out */
static int convert(const struct wav_format *f, unsigned rate,
		   struct wav_pcm *out)
{
	size_t frames = f->data_len / (f->bits / 8 * f->channels);
	double step = (double)f->rate / rate;
	size_t n = (size_t)((double)frames / step);
	unsigned span = step > 1.0 ? (unsigned)(step + 0.5) : 1;

	out->samples = malloc((n ? n : 1) * sizeof(int16_t));
	if (!out->samples)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		double x = (double)i * step;
		size_t k = (size_t)x;
		double a = 0, b = 0, t = x - (double)k;

		/* moving average over the span of one output sample */
		for (unsigned j = 0; j < span; j++) {
			a += frame(f, k + j < frames ? k + j : frames - 1);
			b += frame(f, k + 1 + j < frames ? k + 1 + j
							  : frames - 1);
		}
		out->samples[i] =
		    (int16_t)((a * (1.0 - t) + b * t) / (double)span);
	}
	out->count = n;
	out->rate = rate;
	return 0;
}

int wav_read(const char *path, unsigned rate, struct wav_pcm *out,
	     const char **why)
{
	struct wav_format f = {0};
	const char *bad;
	uint8_t *buf;
	long len;
	FILE *fp = fopen(path, "rb");
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!fp)
		return errno;
	if (fseek(fp, 0, SEEK_END) || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET)) {
		err = errno;
		fclose(fp);
		return err;
	}
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len)
		err = buf ? EIO : ENOMEM;
	fclose(fp);
	bad = err ? NULL : parse(buf, (size_t)len, &f);
	if (!err && !bad)
		bad = check(&f);
	if (bad) {
		if (why)
			*why = bad;
		err = EINVAL;
	}
	if (!err)
		err = convert(&f, rate ? rate : f.rate, out);
	free(buf);
	return err;
}

void wav_pcm_free(struct wav_pcm *pcm)
{
	free(pcm->samples);
	memset(pcm, 0, sizeof(*pcm));
}

static int write_header(struct wav_writer *w)
{
	uint8_t h[44];
	uint32_t data = (uint32_t)(w->samples * 2);

	memcpy(h, "RIFF", 4);
	wr32(h + 4, 36 + data);
	memcpy(h + 8, "WAVEfmt ", 8);
	wr32(h + 16, 16);
	wr16(h + 20, FMT_PCM);
	wr16(h + 22, 1);
	wr32(h + 24, w->rate);
	wr32(h + 28, w->rate * 2);
	wr16(h + 32, 2);
	wr16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	wr32(h + 40, data);
	if (fseek(w->f, 0, SEEK_SET) || fwrite(h, 1, 44, w->f) != 44)
		return EIO;
	return fseek(w->f, 0, SEEK_END) ? EIO : 0;
}

int wav_writer_open(struct wav_writer **wp, const char *path, unsigned rate)
{
	struct wav_writer *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return ENOMEM;
	w->rate = rate;
	w->f = fopen(path, "wb");
	if (!w->f) {
		err = errno;
		free(w);
		return err;
	}
	err = write_header(w);
	if (err) {
		fclose(w->f);
		free(w);
		return err;
	}
	*wp = w;
	return 0;
}

int wav_writer_write(struct wav_writer *w, const int16_t *samples, size_t n)
{
	uint8_t b[2];

	for (size_t i = 0; i < n && !w->err; i++) {
		wr16(b, (uint16_t)samples[i]);
		if (fwrite(b, 1, 2, w->f) != 2)
			w->err = EIO;
	}
	if (!w->err)
		w->samples += n;
	return w->err;
}

size_t wav_writer_samples(const struct wav_writer *w)
{
	return w->samples;
}

int wav_writer_close(struct wav_writer *w)
{
	int err = w->err ? w->err : write_header(w);

	if (fclose(w->f) && !err)
		err = EIO;
	free(w);
	return err;
}
