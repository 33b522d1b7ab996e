/** @file test_portcheck.c  The built-in portability rules */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "core/portcheck.h"

static void builtin(void **state)
{
	struct port_verdict v;

	(void)state;
	portcheck_judge("+14155550100", false, false, NULL, &v);
	assert_true(v.portable);
	assert_string_equal(v.number_type, "local");
	assert_string_equal(v.reason, "");
	portcheck_judge("+18885550100", false, false, NULL, &v);
	assert_true(v.portable);
	assert_string_equal(v.number_type, "toll_free");
	portcheck_judge("+447911123456", false, false, NULL, &v);
	assert_false(v.portable);
	assert_string_equal(v.number_type, "unknown");
	assert_string_not_equal(v.reason, "");
}

static void facts_win(void **state)
{
	struct port_verdict v;
	struct port_rule yes = {true, "mobile", true, NULL};

	(void)state;
	portcheck_judge("+14155550100", true, false, NULL, &v);
	assert_false(v.portable);
	assert_string_equal(v.reason, "the number is already active in trunkd");
	portcheck_judge("+447911123456", false, true, &yes, &v);
	assert_false(v.portable);
	assert_string_equal(v.reason,
			    "a port request for this number is already open");
}

static void rules(void **state)
{
	struct port_verdict v;
	struct port_rule uk = {true, "mobile", true, NULL};
	struct port_rule premium = {false, "unknown", false, "premium rate"};
	struct port_rule quiet = {false, "local", false, NULL};

	(void)state;
	portcheck_judge("+447911123456", false, false, &uk, &v);
	assert_true(v.portable);
	assert_string_equal(v.number_type, "mobile");
	assert_true(v.pin_required);
	portcheck_judge("+19005550100", false, false, &premium, &v);
	assert_false(v.portable);
	assert_string_equal(v.reason, "premium rate");
	portcheck_judge("+19005550100", false, false, &quiet, &v);
	assert_string_equal(v.reason, "not portable by the operator's rules");
}

static void dates(void **state)
{
	char why[160];
	time_t now = 1795478400; /* Tuesday 2026-11-24 00:00 UTC */

	(void)state;
	assert_int_equal(portcheck_date("2026-12-01", now, why), 0); /* Tue */
	assert_int_equal(portcheck_date("2026-11-30", now, why), EINVAL);
	assert_non_null(strstr(why, "at least 7 days"));
	assert_int_equal(portcheck_date("2026-12-05", now, why), EINVAL);
	assert_non_null(strstr(why, "Saturday"));
	assert_int_equal(portcheck_date("2026-02-30", now, why), EINVAL);
	assert_int_equal(portcheck_date("2026-12-1", now, why), EINVAL);
	assert_int_equal(portcheck_date("2026-12-01x", now, why), EINVAL);
	assert_int_equal(portcheck_date("2028-12-01", now, why), EINVAL);
	assert_int_equal(portcheck_date(NULL, now, why), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(builtin),
	    cmocka_unit_test(facts_win),
	    cmocka_unit_test(rules),
	    cmocka_unit_test(dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
