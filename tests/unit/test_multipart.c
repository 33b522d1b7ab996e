/** @file test_multipart.c  The streaming multipart/form-data parser */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <re_types.h>
#include <re_mem.h>
#include "../fuzz/multipart_trace.h"

#define B "----trunkdB0undary"

/* body parsed whole, then in every chunk size from 1 to 17: one trace */
static void parses_as(const char *body, size_t len, const char *want)
{
	char *whole = mp_trace_parse(B, (const uint8_t *)body, len, NULL, 0);

	assert_string_equal(whole, want);
	for (size_t k = 1; k <= 17; k++) {
		char *t = mp_trace_parse(B, (const uint8_t *)body, len, &k, 1);

		if (strcmp(t, whole))
			fail_msg("chunks of %zu: %s", k, t);
		free(t);
	}
	free(whole);
}

static void form(void **state)
{
	static const char body[] =
	    "preamble\r\n--" B "\r\n"
	    "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
	    "hello\r\n--" B "\r\n"
	    "Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"bill \\\"march\\\".pdf\"\r\n"
	    "Content-Type: application/pdf\r\n\r\n"
	    "%PDF-1.4 \r\n------trunkdB0undarX \r\r\n-- not the end\r\n"
	    "\r\n--" B "--\r\nepilogue";

	(void)state;
	parses_as(body, sizeof(body) - 1,
		  "<note||>hello</><file|bill \"march\".pdf|application/pdf>"
		  "%PDF-1.4 \r\n------trunkdB0undarX \r\r\n-- not the "
		  "end\r\n</> = 0");
}

static void binary(void **state)
{
	uint8_t body[600];
	size_t n = 0;
	char want[700];
	const char *head = "--" B "\r\nContent-Disposition: form-data; "
			   "name=file\r\n\r\n";

	(void)state;
	memcpy(body, head, strlen(head));
	n = strlen(head);
	for (int i = 0; i < 256; i++)
		body[n++] = (uint8_t)i; /* NULs, CRs and dashes */
	memcpy(body + n, "\r\n--" B "--", strlen(B) + 6);
	n += strlen(B) + 6;
	snprintf(want, sizeof(want), "<file||>");
	{
		char *t = mp_trace_parse(B, body, n, NULL, 0);

		assert_memory_equal(t, want, 8);
		for (int i = 0; i < 256; i++)
			assert_int_equal((uint8_t)t[8 + i], i);
		assert_string_equal(t + 8 + 256, "</> = 0");
		free(t);
	}
}

static void malformed(void **state)
{
	static const struct {
		const char *body, *trace;
	} cases[] = {
	    {"", " = 74"},
	    {"no boundary at all", " = 74"},
	    {"--" B "\r\nContent-Disposition: form-data; name=a\r\n\r\nxx",
	     "<a||>xx = 74"},
	    {"--" B "\r\nContent-Type: text/plain\r\n\r\nxx\r\n--" B "--",
	     " = 74"},
	    {"--" B "\r\nContent-Disposition: attachment\r\n\r\n", " = 74"},
	    {"--" B "\r\nno colon\r\n\r\n", " = 74"},
	    {"--" B "junk\r\n", " = 74"},
	    {"--" B "\rX", " = 74"},
	    {"--" B "-x", " = 74"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parses_as(cases[i].body, strlen(cases[i].body), cases[i].trace);
}

static void limits(void **state)
{
	char body[20000];
	size_t n = 0;
	char *t;

	(void)state;
	/* 17 parts */
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      "--" B "\r\nContent-Disposition: "
				      "form-data; name=p%d\r\n\r\nv\r\n",
				      i);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "--" B "--");
	t = mp_trace_parse(B, (const uint8_t *)body, n, NULL, 0);
	assert_non_null(strstr(t, "<p15||>v</> = 74"));
	free(t);
	/* 9 KiB of headers */
	n = (size_t)snprintf(body, sizeof(body), "--" B "\r\nX-Long: ");
	memset(body + n, 'a', 9000);
	n += 9000;
	t = mp_trace_parse(B, (const uint8_t *)body, n, NULL, 0);
	assert_string_equal(t, " = 74");
	free(t);
}

static void boundaries(void **state)
{
	char b[MULTIPART_BOUNDARY_MAX + 1];

	(void)state;
	assert_int_equal(
	    multipart_boundary("multipart/form-data; boundary=abc", b), 0);
	assert_string_equal(b, "abc");
	assert_int_equal(
	    multipart_boundary("Multipart/Form-Data;boundary=\"a b:c\"", b), 0);
	assert_string_equal(b, "a b:c");
	assert_int_equal(multipart_boundary("multipart/mixed; boundary=abc", b),
			 EINVAL);
	assert_int_equal(multipart_boundary("multipart/form-data", b), EINVAL);
	assert_int_equal(
	    multipart_boundary("multipart/form-data; boundary=", b), EINVAL);
	assert_int_equal(
	    multipart_boundary("multipart/form-data; boundary=a{b", b), EINVAL);
	assert_int_equal(multipart_boundary(
			     "multipart/form-data; boundary="
			     "0123456789012345678901234567890123456789012345678"
			     "901234567890123456789x",
			     b),
			 EINVAL);
	assert_int_equal(multipart_boundary(NULL, b), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(form),	  cmocka_unit_test(binary),
	    cmocka_unit_test(malformed),  cmocka_unit_test(limits),
	    cmocka_unit_test(boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
