/** @file wav.c  WAV reading (with mixing and resampling) and writing */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "media/g711.h"
#include "media/wav.h"

#define FMT_PCM	       1
#define FMT_FLOAT      3
#define FMT_ALAW       6
#define FMT_ULAW       7
#define FMT_EXTENSIBLE 0xfffe

#define RATE_MIN     1000
#define RATE_MAX     384000
#define SIZE_UNKNOWN 0xffffffffu
#define HEADER_LEN   44
#define FMT_LEN_MAX  40	  /* enough for WAVE_FORMAT_EXTENSIBLE */
#define IO_BYTES     4096 /* a multiple of every frame size we accept */
/* the most samples whose RIFF size still fits in 32 bits */
#define WRITER_MAX_SAMPLES ((SIZE_UNKNOWN - 1 - (HEADER_LEN - 8)) / 2)

struct wav_writer {
	FILE *f; /* owned */
	unsigned rate;
	size_t samples;
	int err; /* sticky: the first write error */
};

/* what the fmt chunk says */
struct wav_fmt {
	unsigned format; /* FMT_PCM, FMT_ALAW or FMT_ULAW once checked */
	unsigned channels, rate, bits;
	bool have;
};

/* one file being read */
struct reader {
	FILE *f;	 /* borrowed */
	off_t size;	 /* of the file */
	const char *why; /* static; set when returning EINVAL */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* errno after a failed stdio call, which does not always set one */
static int io_errno(void)
{
	return errno ? errno : EIO;
}

static int invalid(struct reader *r, const char *why)
{
	r->why = why;
	return EINVAL;
}

/* n bytes, or EINVAL saying at_eof when the file ends first */
static int read_all(struct reader *r, void *buf, size_t n, const char *at_eof)
{
	errno = 0;
	if (fread(buf, 1, n, r->f) == n)
		return 0;
	return ferror(r->f) ? io_errno() : invalid(r, at_eof);
}

static const char *bits_why(unsigned bits)
{
	switch (bits) {
	case 8:
		return "8-bit PCM samples are not supported";
	case 24:
		return "24-bit samples are not supported";
	case 32:
		return "32-bit samples are not supported";
	default:
		return "only 16-bit PCM samples are supported";
	}
}

/* fills fmt from the first n bytes of a fmt chunk; NULL or why not */
static const char *parse_fmt(const uint8_t *b, size_t n, struct wav_fmt *fmt)
{
	if (n < 16)
		return "fmt chunk too short";
	fmt->format = get16(b);
	fmt->channels = get16(b + 2);
	fmt->rate = get32(b + 4);
	fmt->bits = get16(b + 14);
	if (fmt->format == FMT_EXTENSIBLE) {
		/* the real format code starts the SubFormat GUID */
		if (n < 40 || get16(b + 16) < 22)
			return "extensible fmt chunk too short";
		fmt->format = get16(b + 24);
	}
	if (fmt->channels == 0)
		return "fmt chunk says 0 channels";
	if (fmt->channels > 2)
		return "more than 2 channels are not supported";
	if (fmt->rate < RATE_MIN || fmt->rate > RATE_MAX)
		return "sample rate out of range";
	if (fmt->format == FMT_FLOAT)
		return "floating-point samples are not supported";
	if (fmt->format == FMT_ULAW || fmt->format == FMT_ALAW)
		return fmt->bits == 8 ? NULL : "G.711 samples must be 8-bit";
	if (fmt->format != FMT_PCM)
		return "only PCM, μ-law and A-law files are supported";
	return fmt->bits == 16 ? NULL : bits_why(fmt->bits);
}

static int read_fmt(struct reader *r, uint32_t len, struct wav_fmt *fmt)
{
	uint8_t b[FMT_LEN_MAX];
	size_t take = len < sizeof(b) ? len : sizeof(b);
	int err = read_all(r, b, take, "file ends inside the fmt chunk");

	if (err)
		return err;
	r->why = parse_fmt(b, take, fmt);
	if (r->why)
		return EINVAL;
	fmt->have = true;
	return 0;
}

/*
 * Walks the chunks up to the data chunk, reading fmt on the way, and leaves
 * the file at the start of the samples.  *len is what the data chunk holds,
 * cut to the end of the file (a recording that was never closed says
 * 0xffffffff).
 */
static int find_data(struct reader *r, struct wav_fmt *fmt, uint64_t *len)
{
	uint8_t h[12];
	int err = read_all(r, h, 12, "not a RIFF/WAVE file");

	if (err)
		return err;
	if (memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
		return invalid(r, "not a RIFF/WAVE file");
	for (;;) {
		uint32_t n;
		off_t skip, at;

		err = read_all(r, h, 8,
			       fmt->have ? "no data chunk" : "no fmt chunk");
		if (err)
			return err;
		n = get32(h + 4);
		skip = (off_t)n + (n & 1); /* chunks are padded to even */
		if (!memcmp(h, "data", 4)) {
			if (!fmt->have)
				return invalid(r, "no fmt chunk before data");
			at = ftello(r->f);
			if (at < 0)
				return io_errno();
			*len = (off_t)n <= r->size - at
				   ? n
				   : (uint64_t)(r->size - at);
			return 0;
		}
		if (!memcmp(h, "fmt ", 4)) {
			err = read_fmt(r, n, fmt);
			if (err)
				return err;
			skip -= n < FMT_LEN_MAX ? n : FMT_LEN_MAX;
		}
		if (fseeko(r->f, skip, SEEK_CUR))
			return io_errno();
	}
}

/* one linear sample of the given format at p */
static int sample(unsigned format, const uint8_t *p)
{
	unsigned v;

	switch (format) {
	case FMT_ULAW:
		return g711_ulaw_decode(*p);
	case FMT_ALAW:
		return g711_alaw_decode(*p);
	default:
		v = get16(p);
		return v < 0x8000 ? (int)v : (int)v - 0x10000;
	}
}

/* one frame of the file, mixed to mono */
static int16_t mono_frame(const struct wav_fmt *fmt, const uint8_t *p)
{
	int sum = sample(fmt->format, p);

	if (fmt->channels == 2)
		sum = (sum + sample(fmt->format, p + fmt->bits / 8)) / 2;
	return (int16_t)sum;
}

/*
 * Reads the samples of len bytes of data, mixing stereo to mono, into
 * *mono (owned by the caller on success).  A file that ends early keeps
 * what it has.
 */
static int read_frames(struct reader *r, const struct wav_fmt *fmt,
		       uint64_t len, int16_t **mono, size_t *frames)
{
	uint8_t buf[IO_BYTES];
	size_t frame = fmt->bits / 8 * fmt->channels, n = 0;
	size_t per_read = sizeof(buf) / frame;
	uint64_t total = len / frame;
	int16_t *s;

	if (total > SIZE_MAX / sizeof(*s))
		return ENOMEM;
	s = malloc((total ? total : 1) * sizeof(*s));
	if (!s)
		return ENOMEM;
	while (n < total) {
		size_t want, got;

		want = frame *
		       (total - n < per_read ? (size_t)(total - n) : per_read);
		errno = 0;
		got = fread(buf, 1, want, r->f);
		if (got < want && ferror(r->f)) {
			free(s);
			return io_errno();
		}
		for (size_t at = 0; at + frame <= got; at += frame)
			s[n++] = mono_frame(fmt, buf + at);
		if (got < want)
			break; /* the file is shorter than it was */
	}
	*mono = s;
	*frames = n;
	return 0;
}

/* mean of the len samples from first, clamped to [0, n) */
static double box(const int16_t *in, size_t n, int64_t first, unsigned len)
{
	int64_t sum = 0;

	for (int64_t j = first; j < first + (int64_t)len; j++)
		sum += in[j < 0 ? 0 : (size_t)j < n ? (size_t)j : n - 1];
	return (double)sum / len;
}

static int16_t round16(double v)
{
	return (int16_t)(v < 0 ? -(int)(-v + 0.5) : (int)(v + 0.5));
}

/*
 * Linear interpolation from rate `from` to rate `to`.  Going down, each
 * input point is first the mean of about one output period of samples
 * around it: a crude low-pass (its first zero is at the new rate) that is
 * enough for speech prompts.
 */
static int resample(const int16_t *in, size_t n, unsigned from, unsigned to,
		    int16_t **outp, size_t *countp)
{
	uint64_t count = (uint64_t)n * to / from;
	unsigned len = from > to ? (from + to / 2) / to : 1;
	int64_t back = len / 2;
	int16_t *out;

	if (count > SIZE_MAX / sizeof(*out))
		return ENOMEM;
	out = malloc((count ? count : 1) * sizeof(*out));
	if (!out)
		return ENOMEM;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t pos = i * from, k = pos / to, frac = pos % to;
		double a = box(in, n, (int64_t)k - back, len);
		double b = box(in, n, (int64_t)k + 1 - back, len);

		out[i] =
		    round16((a * (double)(to - frac) + b * (double)frac) / to);
	}
	*outp = out;
	*countp = count;
	return 0;
}

static int open_reader(struct reader *r, const char *path)
{
	struct stat st;

	r->f = fopen(path, "rbe");
	if (!r->f)
		return errno;
	if (fstat(fileno(r->f), &st))
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return invalid(r, "not a regular file");
	r->size = st.st_size;
	return 0;
}

int wav_read(const char *path, unsigned rate, struct wav_pcm *out,
	     const char **why)
{
	struct reader r = {0};
	struct wav_fmt fmt = {0};
	int16_t *mono = NULL, *res;
	size_t frames = 0, count;
	uint64_t len;
	int err;

	if (rate && (rate < RATE_MIN || rate > RATE_MAX)) {
		err = invalid(&r, "requested sample rate out of range");
		goto out;
	}
	err = open_reader(&r, path);
	if (!err)
		err = find_data(&r, &fmt, &len);
	if (!err)
		err = read_frames(&r, &fmt, len, &mono, &frames);
	if (err)
		goto out;
	if (rate && rate != fmt.rate) {
		err = resample(mono, frames, fmt.rate, rate, &res, &count);
		if (err)
			goto out;
		free(mono);
		mono = res;
		frames = count;
	}
	out->samples = mono;
	out->count = frames;
	out->rate = rate ? rate : fmt.rate;
	mono = NULL;
out:
	if (r.f)
		fclose(r.f);
	free(mono);
	if (err == EINVAL && why)
		*why = r.why;
	return err;
}

void wav_pcm_free(struct wav_pcm *pcm)
{
	if (!pcm)
		return;
	free(pcm->samples);
	memset(pcm, 0, sizeof(*pcm));
}

/* the 44-byte header of a 16-bit mono file with data_len bytes of data */
static int write_header(struct wav_writer *w, uint32_t data_len)
{
	uint8_t h[HEADER_LEN];
	uint32_t riff =
	    data_len == SIZE_UNKNOWN ? SIZE_UNKNOWN : data_len + HEADER_LEN - 8;

	memcpy(h, "RIFF", 4);
	put32(h + 4, riff);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	put16(h + 20, FMT_PCM);
	put16(h + 22, 1); /* channels */
	put32(h + 24, w->rate);
	put32(h + 28, w->rate * 2); /* bytes per second */
	put16(h + 32, 2);	    /* bytes per frame */
	put16(h + 34, 16);	    /* bits per sample */
	memcpy(h + 36, "data", 4);
	put32(h + 40, data_len);
	errno = 0;
	if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
		return io_errno();
	return 0;
}

int wav_writer_open(struct wav_writer **wp, const char *path, unsigned rate)
{
	struct wav_writer *w;
	int err;

	if (!wp || !path || rate < RATE_MIN || rate > RATE_MAX)
		return EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->rate = rate;
	w->f = fopen(path, "wbe");
	if (!w->f) {
		err = errno;
		goto out;
	}
	err = write_header(w, SIZE_UNKNOWN);
out:
	if (err) {
		if (w->f)
			fclose(w->f);
		free(w);
		return err;
	}
	*wp = w;
	return 0;
}

int wav_writer_write(struct wav_writer *w, const int16_t *samples, size_t n)
{
	uint8_t buf[IO_BYTES];
	size_t done = 0;

	if (w->err)
		return w->err;
	if (n > WRITER_MAX_SAMPLES - w->samples) {
		w->err = EFBIG;
		return w->err;
	}
	while (done < n) {
		size_t k =
		    n - done < sizeof(buf) / 2 ? n - done : sizeof(buf) / 2;

		for (size_t i = 0; i < k; i++)
			put16(buf + 2 * i, (uint16_t)samples[done + i]);
		errno = 0;
		if (fwrite(buf, 2, k, w->f) != k) {
			w->err = io_errno();
			return w->err;
		}
		done += k;
		w->samples += k;
	}
	return 0;
}

int wav_writer_close(struct wav_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = w->err;
	errno = 0;
	if (!err && fseeko(w->f, 0, SEEK_SET))
		err = io_errno();
	if (!err)
		err = write_header(w, (uint32_t)(w->samples * 2));
	errno = 0;
	if (fclose(w->f) && !err)
		err = io_errno();
	free(w);
	return err;
}

size_t wav_writer_samples(const struct wav_writer *w)
{
	return w ? w->samples : 0;
}
