/** @file test_cidr.c  allowed_cidrs: parsing and matching */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "core/cidr.h"

static bool in(const char *block, const char *ip)
{
	struct sockaddr_storage ss;
	struct cidr c;

	memset(&ss, 0, sizeof(ss));
	assert_int_equal(cidr_parse(block, &c), 0);
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return cidr_contains(&c, (struct sockaddr *)&ss);
}

static void matching(void **state)
{
	(void)state;
	assert_true(in("203.0.113.0/24", "203.0.113.77"));
	assert_false(in("203.0.113.0/24", "203.0.114.1"));
	assert_true(in("10.0.0.0/8", "10.255.1.2"));
	assert_true(in("192.0.2.7", "192.0.2.7"));
	assert_false(in("192.0.2.7", "192.0.2.8"));
	assert_true(in("0.0.0.0/0", "8.8.8.8"));
	assert_true(in("192.0.2.0/25", "192.0.2.127"));
	assert_false(in("192.0.2.0/25", "192.0.2.128"));
	assert_true(in("2001:db8::/32", "2001:db8:1::5"));
	assert_false(in("2001:db8::/32", "2001:db9::5"));
	assert_false(in("2001:db8::/32", "192.0.2.1"));
	assert_true(in("192.0.2.0/24", "::ffff:192.0.2.9")); /* mapped */
	assert_false(in("192.0.2.0/24", "::ffff:198.51.100.1"));
}

static void parsing(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.bits, 8);
	assert_int_equal(cidr_parse("10.0.0.1/8", &c), EINVAL); /* host bits */
	assert_int_equal(cidr_parse("10.0.0.0/33", &c), EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/", &c), EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/8x", &c), EINVAL);
	assert_int_equal(cidr_parse("/8", &c), EINVAL);
	assert_int_equal(cidr_parse("example.com", &c), EINVAL);
	assert_int_equal(cidr_parse("", &c), EINVAL);
	assert_int_equal(cidr_parse("::/0", &c), 0);
	assert_int_equal(cidr_parse("2001:db8::/129", &c), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(matching),
	    cmocka_unit_test(parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
