/** @file test_migrate.c  The migration plan: order, gaps, and refusals */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "store/migrate.h"

static struct migration mig(unsigned v, const char *sum)
{
	struct migration m;

	memset(&m, 0, sizeof(m));
	m.version = v;
	snprintf(m.name, sizeof(m.name), "%04u_x.sql", v);
	snprintf(m.checksum, sizeof(m.checksum), "%s", sum);
	return m;
}

static void applies_missing_in_order(void **state)
{
	struct migration files[] = {mig(3, "c"), mig(1, "a"), mig(10, "d")};
	struct migration applied[] = {mig(1, "a")};
	size_t todo[3], n = 99;
	char why[256];

	(void)state;
	assert_int_equal(
	    migrate_plan(files, 3, applied, 1, todo, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(files[todo[0]].version, 3);
	assert_int_equal(files[todo[1]].version, 10);
}

static void nothing_to_do(void **state)
{
	struct migration files[] = {mig(1, "a"), mig(2, "b")};
	struct migration applied[] = {mig(2, "b"), mig(1, "a")};
	size_t todo[2], n = 99;
	char why[256];

	(void)state;
	assert_int_equal(
	    migrate_plan(files, 2, applied, 2, todo, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 0);
}

static void refusals(void **state)
{
	struct migration dup[] = {mig(1, "a"), mig(1, "b")};
	struct migration files[] = {mig(1, "a"), mig(2, "b")};
	struct migration changed[] = {mig(1, "tampered")};
	struct migration unknown[] = {mig(7, "z")};
	size_t todo[2], n;
	char why[256];

	(void)state;
	assert_int_not_equal(
	    migrate_plan(dup, 2, NULL, 0, todo, &n, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "share version 1"));
	assert_int_not_equal(
	    migrate_plan(files, 2, changed, 1, todo, &n, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "changed after it was applied"));
	assert_int_not_equal(
	    migrate_plan(files, 2, unknown, 1, todo, &n, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "not in the migrations directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(applies_missing_in_order),
	    cmocka_unit_test(nothing_to_do),
	    cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
