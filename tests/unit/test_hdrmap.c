/** @file test_hdrmap.c  Header mappings: headers to variables and back */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include "core/hdrmap.h"

/* a message as "Name: value" lines */
static bool get(const char *name, char *buf, size_t size, void *arg)
{
	const char *const *hdrs = arg;
	size_t n = strlen(name);

	for (size_t i = 0; hdrs[i]; i++)
		if (!strncasecmp(hdrs[i], name, n) && hdrs[i][n] == ':') {
			snprintf(buf, size, "%s", hdrs[i] + n + 2);
			return true;
		}
	return false;
}

static json_t *cfg(const char *rules)
{
	json_t *c = json_loads(rules, 0, NULL);

	assert_non_null(c);
	return c;
}

static void inbound(void **state)
{
	const char *hdrs[] = {"X-Cool-Guy: Alice",
			      "User-to-User: 3432;encoding=hex;purpose=bland",
			      NULL};
	json_t *c = cfg("{\"headers\": ["
			"{\"type\": \"custom\", \"key\": \"X-Cool-Guy\", "
			"\"value\": \"First_Name\"},"
			"{\"type\": \"custom\", \"key\": \"X-Absent\", "
			"\"value\": \"Nope\"},"
			"{\"type\": \"uui\", \"target\": \"CustomerId\", "
			"\"purpose\": \"bland\", \"encoding\": \"hex\", "
			"\"content\": \"id\"},"
			"{\"type\": \"uui\", \"target\": \"Other\", "
			"\"purpose\": \"isdn\", \"content\": \"id\"}]}");
	json_t *vars = json_object();

	(void)state;
	hdrmap_inbound(c, get, hdrs, vars);
	assert_string_equal(
	    json_string_value(json_object_get(vars, "First_Name")), "Alice");
	assert_string_equal(
	    json_string_value(json_object_get(vars, "CustomerId")), "42");
	assert_null(json_object_get(vars, "Nope"));
	assert_null(json_object_get(vars, "Other")); /* another purpose */
	json_decref(vars);
	json_decref(c);
}

/* passthrough rules copy their header as it is; others, absent headers
 * and headers trunkd writes itself are not copied */
static void passthrough(void **state)
{
	const char *hdrs[] = {"Account_Type: VIP", "X-Plain: 1",
			      "Via: SIP/2.0/UDP evil", NULL};
	json_t *c = cfg("{\"headers\": ["
			"{\"type\": \"custom\", \"key\": \"Account_Type\", "
			"\"value\": \"VIP\", \"passthrough\": true},"
			"{\"type\": \"custom\", \"key\": \"X-Plain\", "
			"\"value\": \"plain\"},"
			"{\"type\": \"custom\", \"key\": \"X-Absent\", "
			"\"value\": \"x\", \"passthrough\": true},"
			"{\"type\": \"custom\", \"key\": \"Via\", "
			"\"value\": \"v\", \"passthrough\": true}]}");
	json_t *h = hdrmap_passthrough(c, get, hdrs);

	(void)state;
	assert_non_null(h);
	assert_int_equal(json_object_size(h), 1);
	assert_string_equal(
	    json_string_value(json_object_get(h, "Account_Type")), "VIP");
	json_decref(h);
	json_decref(c);
}

static void outbound(void **state)
{
	json_t *c =
	    cfg("{\"headers\": ["
		"{\"type\": \"custom\", \"key\": \"Favorite_Color\", "
		"\"value\": \"X-Favorite-Color\"},"
		"{\"type\": \"custom\", \"key\": \"x-custom-id\", "
		"\"value\": \"12345\", \"passthrough\": true},"
		"{\"type\": \"custom\", \"key\": \"v\", \"value\": "
		"\"Via\"},"
		"{\"type\": \"uui\", \"target\": \"CustomerKV\", "
		"\"purpose\": \"bland\", \"content\": \"customerid_1234\","
		" \"encoding\": \"hex\"}]}");
	json_t *vars =
	    json_pack("{s:s, s:s}", "Favorite_Color", "blue", "v", "evil");
	char *out = hdrmap_outbound(c, vars);

	(void)state;
	assert_non_null(out);
	assert_string_equal(out, "X-Favorite-Color: blue\r\n"
				 "User-to-User: 637573746F6D657269645F31323334"
				 ";encoding=hex;purpose=bland\r\n");
	free(out);
	/* the variable named by target wins over the literal content */
	json_object_set_new(vars, "CustomerKV", json_string("7"));
	out = hdrmap_outbound(c, vars);
	assert_non_null(strstr(out, "User-to-User: 37;encoding=hex"));
	free(out);
	/* a value with a line break is never written */
	json_object_set_new(vars, "Favorite_Color", json_string("a\r\nB: c"));
	out = hdrmap_outbound(c, vars);
	assert_null(strstr(out, "X-Favorite-Color"));
	free(out);
	json_decref(vars);
	json_decref(c);
}

/* base64 and ascii, out and back in */
static void round_trip(void **state)
{
	static const char *const encs[] = {"base64", "ascii", "hex"};
	static const char *const texts[] = {"a", "ab", "abc", "hello world"};
	char hv[256], rule[256];
	const char *hdrs[] = {hv, NULL};

	(void)state;
	for (size_t e = 0; e < 3; e++)
		for (size_t t = 0; t < 4; t++) {
			json_t *c, *vars = json_pack("{s:s}", "x", texts[t]);
			char *out;

			snprintf(rule, sizeof(rule),
				 "{\"headers\": [{\"type\": \"uui\", "
				 "\"target\": \"x\", \"content\": \"\", "
				 "\"encoding\": \"%s\"}]}",
				 encs[e]);
			c = cfg(rule);
			out = hdrmap_outbound(c, vars);
			assert_non_null(out);
			out[strlen(out) - 2] = '\0'; /* CRLF */
			snprintf(hv, sizeof(hv), "%s", out);
			free(out);
			json_object_del(vars, "x");
			hdrmap_inbound(c, get, hdrs, vars);
			assert_string_equal(
			    json_string_value(json_object_get(vars, "x")),
			    texts[t]);
			json_decref(vars);
			json_decref(c);
		}
}

static void header_names(void **state)
{
	(void)state;
	assert_true(hdrmap_header_ok("X-Account"));
	assert_true(hdrmap_header_ok("User-to-User"));
	assert_false(hdrmap_header_ok("via"));
	assert_false(hdrmap_header_ok("Contact"));
	assert_false(hdrmap_header_ok("X A"));
	assert_false(hdrmap_header_ok(""));
	assert_false(hdrmap_header_ok("X-\r\nInjected"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(inbound),	    cmocka_unit_test(passthrough),
	    cmocka_unit_test(outbound),	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(header_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
