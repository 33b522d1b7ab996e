/** @file test_sipdest.c  Destinations as customers type them */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "core/sipdest.h"

static void accept(const char *in, const char *host, unsigned port,
		   const char *tp, const char *user, const char *uri)
{
	struct sipdest d;
	const char *why;

	if (sipdest_parse(&d, in, &why))
		fail_msg("'%s' refused: %s", in, why);
	assert_string_equal(d.host, host);
	assert_int_equal(d.port, port);
	assert_string_equal(d.transport, tp);
	assert_string_equal(d.user, user);
	assert_string_equal(d.uri, uri);
}

static void refuse(const char *in)
{
	struct sipdest d;
	const char *why;

	if (!sipdest_parse(&d, in, &why))
		fail_msg("'%s' accepted as %s", in, d.uri);
	assert_non_null(why);
}

static void forms(void **state)
{
	(void)state;
	accept("sip:user@host.example:5061;transport=tls", "host.example", 5061,
	       "tls", "user", "sip:user@host.example:5061;transport=tls");
	accept("sips:pbx.example", "pbx.example", 5061, "tls", "",
	       "sip:pbx.example:5061;transport=tls");
	accept("sip:trunk.provider.com", "trunk.provider.com", 5060, "udp", "",
	       "sip:trunk.provider.com:5060;transport=udp");
	accept("pbx.example:5080", "pbx.example", 5080, "udp", "",
	       "sip:pbx.example:5080;transport=udp");
	accept("tls://pbx.example", "pbx.example", 5061, "tls", "",
	       "sip:pbx.example:5061;transport=tls");
	accept("udp://10.0.0.1:5080", "10.0.0.1", 5080, "udp", "",
	       "sip:10.0.0.1:5080;transport=udp");
	accept("TCP://pbx.example", "pbx.example", 5060, "tcp", "",
	       "sip:pbx.example:5060;transport=tcp");
	accept("sip.customer.com", "sip.customer.com", 5060, "udp", "",
	       "sip:sip.customer.com:5060;transport=udp");
	accept("[2001:db8::1]:5080", "2001:db8::1", 5080, "udp", "",
	       "sip:[2001:db8::1]:5080;transport=udp");
	accept("2001:db8::1", "2001:db8::1", 5060, "udp", "",
	       "sip:[2001:db8::1]:5060;transport=udp");
}

static void refusals(void **state)
{
	(void)state;
	refuse("");
	refuse("http://pbx.example");
	refuse("sip:pbx.example;transport=sctp");
	refuse("sips:pbx.example;transport=udp");
	refuse("pbx.example:99999");
	refuse("pbx.example:0");
	refuse("pbx example");
	refuse("bad_host!:5060");
	refuse("sip:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(forms),
	    cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
