/** @file test_e164.c  What customers type, and what trunkd stores */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "core/e164.h"

static void accept(const char *in, const char *want)
{
	char out[E164_MAX + 1];
	int err = e164_normalize(in, strlen(in), out);

	if (err)
		fail_msg("'%s' refused", in);
	assert_string_equal(out, want);
}

static void refuse(const char *in)
{
	char out[E164_MAX + 1];

	if (!e164_normalize(in, strlen(in), out))
		fail_msg("'%s' accepted as %s", in, out);
}

static void north_american(void **state)
{
	(void)state;
	accept("+14150000000", "+14150000000");
	accept("14150000000", "+14150000000");
	accept("4150000000", "+14150000000");
	accept("(415) 000-0000", "+14150000000");
	accept("+1 415.555.0100", "+14155550100");
	accept("1-415-555-0100", "+14155550100");
	refuse("+1415000000");	 /* ten digits after +1 is too short */
	refuse("+141500000000"); /* too long for +1 */
	refuse("+10150000000");	 /* area code cannot start with 0 or 1 */
	refuse("1150000000");
}

static void international(void **state)
{
	(void)state;
	accept("+447911123456", "+447911123456");
	accept("447911123456", "+447911123456");
	accept("+33 1 23 45 67 89", "+33123456789");
	refuse("+0441234567");
	refuse("+1234567");	     /* too short */
	refuse("+1234567890123456"); /* 16 digits */
	refuse("2001");		     /* an extension is not E.164 */
}

static void garbage(void **state)
{
	(void)state;
	refuse("");
	refuse("+");
	refuse("abc");
	refuse("+1415000000a");
	refuse("++14150000000");
	refuse("sip:+14150000000@host");
	refuse("+1415\x00"
	       "0000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(north_american),
	    cmocka_unit_test(international),
	    cmocka_unit_test(garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
