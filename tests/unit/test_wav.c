/** @file test_wav.c  WAV files written, read back, converted and refused */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "media/g711.h"
#include "media/wav.h"

/* the group's state: a fresh directory, removed with what is in it */
struct dir {
	char path[256];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	const char *tmp = getenv("TMPDIR");

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/test_wav.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	DIR *dp = opendir(d->path);
	struct dirent *e;
	char p[512];

	while (dp && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d->path, e->d_name);
		unlink(p);
	}
	if (dp)
		closedir(dp);
	rmdir(d->path);
	free(d);
	return 0;
}

static const char *path_of(void **state, const char *name)
{
	static char p[512];
	struct dir *d = *state;

	snprintf(p, sizeof(p), "%s/%s", d->path, name);
	return p;
}

static int16_t sine(double amp, double freq, double rate, size_t i)
{
	return (int16_t)lrint(amp * sin(2 * M_PI * freq * (double)i / rate));
}

/* sign changes, counting 0 as positive */
static size_t zero_crossings(const int16_t *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 1; i < n; i++)
		c += (s[i - 1] < 0) != (s[i] < 0);
	return c;
}

static int peak(const int16_t *s, size_t n)
{
	int m = 0;

	for (size_t i = 0; i < n; i++)
		if (abs(s[i]) > m)
			m = abs(s[i]);
	return m;
}

/* --- building files by hand, little-endian whatever the host --- */

static void le16(FILE *f, unsigned v)
{
	fputc((int)(v & 0xff), f);
	fputc((int)(v >> 8 & 0xff), f);
}

static void le32(FILE *f, uint32_t v)
{
	le16(f, v & 0xffff);
	le16(f, v >> 16);
}

static FILE *riff_begin(const char *path)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fwrite("RIFF\0\0\0\0WAVE", 1, 12, f);
	return f;
}

/* fixes the RIFF size and closes */
static void riff_end(FILE *f)
{
	long len = ftell(f);

	fseek(f, 4, SEEK_SET);
	le32(f, (uint32_t)len - 8);
	assert_int_equal(fclose(f), 0);
}

/* a plain fmt chunk; with_cb adds the cbSize = 0 that G.711 files carry */
static void fmt_chunk(FILE *f, unsigned format, unsigned channels,
		      unsigned rate, unsigned bits, bool with_cb)
{
	unsigned frame = channels * bits / 8;

	fwrite("fmt ", 1, 4, f);
	le32(f, with_cb ? 18 : 16);
	le16(f, format);
	le16(f, channels);
	le32(f, rate);
	le32(f, rate * frame);
	le16(f, frame);
	le16(f, bits);
	if (with_cb)
		le16(f, 0);
}

static void data_begin(FILE *f, uint32_t len)
{
	fwrite("data", 1, 4, f);
	le32(f, len);
}

/* --- the tests --- */

static void write_then_read(void **state)
{
	const char *p = path_of(state, "sine.wav");
	int16_t s[8000];
	uint8_t h[44];
	struct wav_writer *w = NULL;
	struct wav_pcm pcm;
	struct stat st;
	FILE *f;

	for (size_t i = 0; i < 8000; i++)
		s[i] = sine(12000, 1000, 8000, i);
	s[3] = -32768; /* the extremes survive too */
	s[5] = 32767;
	assert_int_equal(wav_writer_open(&w, p, 8000), 0);
	assert_int_equal(wav_writer_write(w, s, 1), 0);
	assert_int_equal(wav_writer_write(w, s + 1, 0), 0);
	assert_int_equal(wav_writer_write(w, s + 1, 3000), 0);
	assert_int_equal(wav_writer_write(w, s + 3001, 4999), 0);
	assert_int_equal(wav_writer_samples(w), 8000);
	assert_int_equal(wav_writer_close(w), 0);

	/* the header, byte by byte */
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 44 + 16000);
	f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fread(h, 1, 44, f), 44);
	fclose(f);
	assert_memory_equal(h, "RIFF", 4);
	assert_memory_equal(h + 4, "\xa4\x3e\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0",
			    20);
	assert_memory_equal(h + 24, "\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0", 12);
	assert_memory_equal(h + 36, "data\x80\x3e\0\0", 8);

	assert_int_equal(wav_read(p, 0, &pcm, NULL), 0);
	assert_int_equal(pcm.rate, 8000);
	assert_int_equal(pcm.count, 8000);
	assert_memory_equal(pcm.samples, s, sizeof(s));
	wav_pcm_free(&pcm);
	assert_null(pcm.samples);
	wav_pcm_free(&pcm); /* twice is fine */

	assert_int_equal(wav_read(p, 8000, &pcm, NULL), 0);
	assert_int_equal(pcm.count, 8000);
	assert_memory_equal(pcm.samples, s, sizeof(s));
	wav_pcm_free(&pcm);
}

/* 48 kHz stereo, with a LIST chunk of odd size in the way, read at 8 kHz */
static void stereo_48k_to_8k(void **state)
{
	const char *p = path_of(state, "stereo48.wav");
	struct wav_pcm pcm;
	FILE *f = riff_begin(p);
	size_t n = 48000;

	fmt_chunk(f, 1, 2, 48000, 16, false);
	fwrite("LIST\x05\0\0\0INFOx\0", 1, 14, f); /* 5 bytes + pad */
	data_begin(f, (uint32_t)n * 4);
	for (size_t i = 0; i < n; i++) {
		le16(f, (uint16_t)sine(10000, 1000, 48000, i));
		le16(f, (uint16_t)sine(6000, 1000, 48000, i));
	}
	riff_end(f);

	/* kept at 48 kHz: just the mix */
	assert_int_equal(wav_read(p, 0, &pcm, NULL), 0);
	assert_int_equal(pcm.rate, 48000);
	assert_int_equal(pcm.count, n);
	for (size_t i = 0; i < n; i += 997)
		assert_in_range(pcm.samples[i] - sine(8000, 1000, 48000, i) + 1,
				0, 2);
	wav_pcm_free(&pcm);

	assert_int_equal(wav_read(p, 8000, &pcm, NULL), 0);
	assert_int_equal(pcm.rate, 8000);
	assert_in_range(pcm.count, n / 6 - 1, n / 6 + 1);
	assert_in_range(zero_crossings(pcm.samples, pcm.count), 1998, 2002);
	assert_in_range(peak(pcm.samples, pcm.count), 7200, 8100);
	wav_pcm_free(&pcm);
}

static void upsample(void **state)
{
	const char *p = path_of(state, "up.wav");
	struct wav_writer *w;
	struct wav_pcm pcm;
	int16_t s[8000];

	for (size_t i = 0; i < 8000; i++)
		s[i] = sine(10000, 1000, 8000, i);
	assert_int_equal(wav_writer_open(&w, p, 8000), 0);
	assert_int_equal(wav_writer_write(w, s, 8000), 0);
	assert_int_equal(wav_writer_close(w), 0);
	assert_int_equal(wav_read(p, 16000, &pcm, NULL), 0);
	assert_int_equal(pcm.rate, 16000);
	assert_int_equal(pcm.count, 16000);
	assert_in_range(zero_crossings(pcm.samples, pcm.count), 1998, 2002);
	for (size_t i = 0; i < 16000; i += 2)
		assert_int_equal(pcm.samples[i], s[i / 2]);
	wav_pcm_free(&pcm);
}

/* 8 kHz G.711 as telephony tools write it: cbSize, a fact chunk */
static void g711_file(void **state, enum g711_law law)
{
	const char *p = path_of(state, law == G711_ULAW ? "u.wav" : "a.wav");
	uint8_t code[1600];
	int16_t s[1600];
	struct wav_pcm pcm;
	FILE *f = riff_begin(p);

	for (size_t i = 0; i < 1600; i++)
		s[i] = sine(20000, 400, 8000, i);
	g711_encode(law, code, s, 1600);
	fmt_chunk(f, law == G711_ULAW ? 7 : 6, 1, 8000, 8, true);
	fwrite("fact\4\0\0\0", 1, 8, f);
	le32(f, 1600);
	data_begin(f, 1600);
	fwrite(code, 1, 1600, f);
	riff_end(f);

	assert_int_equal(wav_read(p, 0, &pcm, NULL), 0);
	assert_int_equal(pcm.rate, 8000);
	assert_int_equal(pcm.count, 1600);
	for (size_t i = 0; i < 1600; i++)
		assert_int_equal(pcm.samples[i],
				 law == G711_ULAW ? g711_ulaw_decode(code[i])
						  : g711_alaw_decode(code[i]));
	wav_pcm_free(&pcm);
}

static void ulaw_file(void **state)
{
	g711_file(state, G711_ULAW);
}

static void alaw_file(void **state)
{
	g711_file(state, G711_ALAW);
}

/* WAVE_FORMAT_EXTENSIBLE with the PCM sub-format, as sox writes */
static void extensible_pcm(void **state)
{
	const char *p = path_of(state, "ext.wav");
	struct wav_pcm pcm;
	FILE *f = riff_begin(p);

	fwrite("fmt \x28\0\0\0", 1, 8, f);
	le16(f, 0xfffe);
	le16(f, 1);
	le32(f, 16000);
	le32(f, 32000);
	le16(f, 2);
	le16(f, 16);
	le16(f, 22); /* cbSize */
	le16(f, 16); /* valid bits */
	le32(f, 4);  /* front centre */
	fwrite("\x01\0\0\0\0\0\x10\0\x80\0\0\xaa\0\x38\x9b\x71", 1, 16, f);
	data_begin(f, 6);
	le16(f, 100);
	le16(f, (uint16_t)-200);
	le16(f, 300);
	riff_end(f);
	assert_int_equal(wav_read(p, 0, &pcm, NULL), 0);
	assert_int_equal(pcm.rate, 16000);
	assert_int_equal(pcm.count, 3);
	assert_int_equal(pcm.samples[1], -200);
	wav_pcm_free(&pcm);
}

/*
 * A recording whose writer died says 0xffffffff for its sizes; a copy cut
 * short says more than it holds.  Both read to the end of the file, whole
 * frames only.
 */
static void sizes_past_the_end(void **state)
{
	const char *p = path_of(state, "unclosed.wav");
	struct wav_pcm pcm;
	uint32_t claims[] = {0xffffffffu, 100000};

	for (size_t k = 0; k < 2; k++) {
		FILE *f = riff_begin(p);

		fmt_chunk(f, 1, 1, 8000, 16, false);
		data_begin(f, claims[k]);
		for (unsigned i = 0; i < 100; i++)
			le16(f, i);
		fputc(7, f); /* half a sample */
		riff_end(f);
		assert_int_equal(wav_read(p, 0, &pcm, NULL), 0);
		assert_int_equal(pcm.count, 100);
		assert_int_equal(pcm.samples[99], 99);
		wav_pcm_free(&pcm);
	}
}

static void empty_data(void **state)
{
	const char *p = path_of(state, "empty.wav");
	struct wav_pcm pcm;
	FILE *f = riff_begin(p);

	fmt_chunk(f, 1, 1, 8000, 16, false);
	data_begin(f, 0);
	riff_end(f);
	assert_int_equal(wav_read(p, 0, &pcm, NULL), 0);
	assert_int_equal(pcm.count, 0);
	wav_pcm_free(&pcm);
	assert_int_equal(wav_read(p, 16000, &pcm, NULL), 0);
	assert_int_equal(pcm.count, 0);
	wav_pcm_free(&pcm);
}

/* EINVAL with a reason; *out and *why untouched otherwise */
static void refused(const char *path, unsigned rate, const char *want)
{
	struct wav_pcm pcm = {(int16_t *)1, 42, 7};
	const char *why = NULL;
	int err = wav_read(path, rate, &pcm, &why);

	if (err != EINVAL)
		fail_msg("%s: got %d, not EINVAL", path, err);
	assert_non_null(why);
	if (want && !strstr(why, want))
		fail_msg("%s: '%s' does not say '%s'", path, why, want);
	assert_ptr_equal(pcm.samples, (int16_t *)1);
	assert_int_equal(pcm.count, 42);
	assert_int_equal(wav_read(path, rate, &pcm, NULL), EINVAL);
}

static void one_format(const char *p, unsigned format, unsigned channels,
		       unsigned bits)
{
	FILE *f = riff_begin(p);

	fmt_chunk(f, format, channels, 8000, bits, false);
	data_begin(f, 48);
	for (int i = 0; i < 48; i++)
		fputc(0, f);
	riff_end(f);
}

static void garbage(void **state)
{
	const char *p = path_of(state, "bad.wav");
	FILE *f = fopen(p, "wb");

	fputs("this is not audio at all, just some text\n", f);
	fclose(f);
	refused(p, 0, "RIFF");

	f = fopen(p, "wb");
	fclose(f);
	refused(p, 0, NULL); /* empty */

	one_format(p, 1, 1, 24);
	refused(p, 0, "24-bit");
	one_format(p, 1, 1, 8);
	refused(p, 0, "8-bit");
	one_format(p, 3, 1, 32);
	refused(p, 0, "floating-point");
	one_format(p, 1, 3, 16);
	refused(p, 0, "channels");
	one_format(p, 0x11, 1, 4); /* IMA ADPCM */
	refused(p, 0, NULL);
	one_format(p, 7, 1, 16);
	refused(p, 0, "8-bit");

	f = riff_begin(p); /* data before fmt */
	data_begin(f, 2);
	le16(f, 0);
	fmt_chunk(f, 1, 1, 8000, 16, false);
	riff_end(f);
	refused(p, 0, "fmt");

	one_format(p, 1, 1, 16); /* fine, but not at that rate */
	refused(p, 5, "rate");
}

static void truncated(void **state)
{
	const char *p = path_of(state, "cut.wav");
	const off_t cuts[] = {4, 11, 20, 30, 40};

	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		one_format(p, 1, 1, 16);
		assert_int_equal(truncate(p, cuts[k]), 0);
		refused(p, 0, NULL);
	}
}

static void missing(void **state)
{
	struct wav_pcm pcm = {NULL, 42, 7};
	const char *why = "untouched";
	struct dir *d = *state;

	assert_int_equal(wav_read(path_of(state, "nope.wav"), 0, &pcm, &why),
			 ENOENT);
	assert_string_equal(why, "untouched");
	assert_int_equal(pcm.count, 42);
	assert_int_equal(wav_read(d->path, 0, &pcm, &why), EISDIR);
}

static void writer_errors(void **state)
{
	struct wav_writer *w = (struct wav_writer *)1;
	int16_t s[4096] = {0};

	assert_int_equal(
	    wav_writer_open(&w, path_of(state, "no/such.wav"), 8000), ENOENT);
	assert_ptr_equal(w, (struct wav_writer *)1);
	assert_int_equal(wav_writer_open(&w, path_of(state, "r0.wav"), 0),
			 EINVAL);
	assert_int_equal(wav_writer_close(NULL), 0);

	/* a full disk shows up at the latest when the header is fixed */
	if (access("/dev/full", W_OK))
		return;
	assert_int_equal(wav_writer_open(&w, "/dev/full", 8000), 0);
	for (int i = 0; i < 4; i++)
		wav_writer_write(w, s, 4096);
	assert_int_equal(wav_writer_close(w), ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(write_then_read),
	    cmocka_unit_test(stereo_48k_to_8k),
	    cmocka_unit_test(upsample),
	    cmocka_unit_test(ulaw_file),
	    cmocka_unit_test(alaw_file),
	    cmocka_unit_test(extensible_pcm),
	    cmocka_unit_test(sizes_past_the_end),
	    cmocka_unit_test(empty_data),
	    cmocka_unit_test(garbage),
	    cmocka_unit_test(truncated),
	    cmocka_unit_test(missing),
	    cmocka_unit_test(writer_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
