/** @file test_sipconf.c  Attach bodies: the seeds' examples and the errors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <re_types.h>
#include <re_mem.h>
#include "core/sipconf.h"

/* parse text; returns the attach (or NULL) and fills v */
static struct sipconf_attach *parse(const char *text, struct jsonv *v)
{
	struct sipconf_attach *att = NULL;
	json_error_t jerr;
	json_t *body = json_loads(text, 0, &jerr);

	memset(v, 0, sizeof(*v));
	if (!body)
		fail_msg("test JSON does not parse: %s", jerr.text);
	if (sipconf_attach_parse(&att, body, v))
		att = NULL;
	json_decref(body);
	return att;
}

static void expect_error(const char *text, const char *code, const char *needle)
{
	struct jsonv v;
	struct sipconf_attach *att = parse(text, &v);

	if (att)
		fail_msg("accepted: %s", text);
	assert_string_equal(v.code, code);
	if (!strstr(v.message, needle))
		fail_msg("message '%s' lacks '%s'", v.message, needle);
}

static void seed_examples(void **state)
{
	struct jsonv v;
	struct sipconf_attach *att;

	(void)state;
	att = parse("{\"phone_number\": \"+14150000000\", \"directions\": ["
		    "{\"type\": \"inbound\"}, {\"type\": \"outbound\", "
		    "\"sip_endpoint\": \"sip.customer.com\"}], "
		    "\"service\": \"sip\"}",
		    &v);
	assert_non_null(att);
	assert_int_equal(att->numberc, 1);
	assert_string_equal(att->numbers[0].number, "+14150000000");
	assert_true(att->dir[SIPCONF_INBOUND].present);
	assert_string_equal(
	    json_string_value(json_object_get(att->dir[SIPCONF_INBOUND].options,
					      "auth_mode")),
	    "ip");
	assert_string_equal(att->dir[SIPCONF_OUTBOUND].sip_endpoint,
			    "sip.customer.com");
	mem_deref(att);

	att =
	    parse("{\"phone_number\": \"+14150000000\", \"directions\": [{"
		  "\"type\": \"outbound\", \"sip_endpoint\": "
		  "\"sip:your.provider.com\", \"options\": {\"port\": 5061, "
		  "\"transport\": \"tls\", \"secure_media\": true, "
		  "\"sip_username\": \"bland\", \"sip_password\": "
		  "\"password\"}, \"headers\": {\"direction\": \"outbound\", "
		  "\"headers\": [{\"type\": \"custom\", \"key\": \"x-id\", "
		  "\"value\": \"12345\", \"passthrough\": true}, {\"type\": "
		  "\"uui\", \"target\": \"CustomerKV\", \"purpose\": "
		  "\"bland\", \"content\": \"c1\", \"encoding\": \"hex\"}]}}],"
		  " \"service\": \"sip\"}",
		  &v);
	assert_non_null(att);
	assert_string_equal(att->dir[SIPCONF_OUTBOUND].sip_password,
			    "password");
	/* the password is a secret: never in the stored options */
	assert_null(json_object_get(att->dir[SIPCONF_OUTBOUND].options,
				    "sip_password"));
	assert_int_equal(json_integer_value(json_object_get(
			     att->dir[SIPCONF_OUTBOUND].options, "port")),
			 5061);
	mem_deref(att);

	att =
	    parse("{\"phone_numbers\": [\"+14155550100\", \"2001\"], "
		  "\"directions\": [{\"type\": \"inbound\"}, {\"type\": "
		  "\"outbound\"}], \"service\": \"sip\", \"trunk_id\": \"t1\"}",
		  &v);
	assert_non_null(att);
	assert_int_equal(att->numberc, 2);
	assert_null(att->numbers[1].error_code);
	assert_string_equal(att->numbers[1].number, "2001");
	mem_deref(att);
}

static void per_number_errors(void **state)
{
	struct jsonv v;
	struct sipconf_attach *att;

	(void)state;
	att = parse("{\"phone_numbers\": [\"+14150000001\", \"2001\", "
		    "\"4150000001\"], \"directions\": [{\"type\": "
		    "\"inbound\"}], \"service\": \"sip\"}",
		    &v);
	assert_non_null(att);
	assert_null(att->numbers[0].error_code);
	assert_string_equal(att->numbers[1].error_code, "INVALID_PHONE_NUMBER");
	assert_string_equal(att->numbers[2].error_code, "DUPLICATE_NUMBER");
	mem_deref(att);
}

static void request_errors(void **state)
{
	(void)state;
	expect_error("{\"directions\": [{\"type\": \"inbound\"}], "
		     "\"service\": \"sip\"}",
		     "MISSING_FIELD", "phone_number");
	expect_error("{\"phone_number\": \"+14150000000\", \"phone_numbers\": "
		     "[\"+14150000001\"], \"directions\": [{\"type\": "
		     "\"inbound\"}], \"service\": \"sip\"}",
		     "INVALID_FIELD", "not both");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"inbound\"}], \"service\": \"voice\"}",
		     "INVALID_FIELD", "service");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"inbound\"}]}",
		     "MISSING_FIELD", "service");
	expect_error("{\"phone_number\": \"+14150000000\", \"service\": "
		     "\"sip\"}",
		     "MISSING_FIELD", "directions");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"outbound\"}], \"service\": \"sip\"}",
		     "MISSING_FIELD", "directions[0].sip_endpoint");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"sideways\"}], \"service\": \"sip\"}",
		     "INVALID_FIELD", "directions[0].type");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"inbound\", \"auth_mode\": \"register\"}], "
		     "\"service\": \"sip\"}",
		     "MISSING_FIELD", "register_auth");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"inbound\", \"auth_mode\": \"register\", "
		     "\"register_auth\": {\"username\": \"u\", \"password\": "
		     "\"short\"}}], \"service\": \"sip\"}",
		     "INVALID_FIELD", "at least 8");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"outbound\", \"sip_endpoint\": \"h\", "
		     "\"options\": {\"transport\": \"sctp\"}}], \"service\": "
		     "\"sip\"}",
		     "INVALID_FIELD",
		     "directions[0].options."
		     "transport");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"outbound\", \"sip_endpoint\": \"h\", "
		     "\"options\": {\"port\": 70000}}], \"service\": \"sip\"}",
		     "INVALID_FIELD", "between 1 and 65535");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"inbound\", \"colour\": 1}], \"service\": "
		     "\"sip\"}",
		     "INVALID_FIELD",
		     "unknown field "
		     "'directions[0].colour'");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"inbound\"}], \"service\": \"sip\", "
		     "\"extra\": 1}",
		     "INVALID_FIELD", "unknown field 'extra'");
	expect_error("{\"phone_number\": \"+14150000000\", \"directions\": "
		     "[{\"type\": \"inbound\"}, {\"type\": \"inbound\"}], "
		     "\"service\": \"sip\"}",
		     "INVALID_FIELD", "twice");
}

static void too_many_numbers(void **state)
{
	char body[4096];
	size_t n;
	struct jsonv v;

	(void)state;
	n = (size_t)snprintf(body, sizeof(body), "{\"phone_numbers\": [");
	for (int i = 0; i < 101; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      "%s\"+1415555%04d\"", i ? "," : "", i);
	snprintf(body + n, sizeof(body) - n,
		 "], \"directions\": [{\"type\":"
		 " \"inbound\"}], \"service\": \"sip\"}");
	assert_null(parse(body, &v));
	assert_string_equal(v.code, "TOO_MANY_NUMBERS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(seed_examples),
	    cmocka_unit_test(per_number_errors),
	    cmocka_unit_test(request_errors),
	    cmocka_unit_test(too_many_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
