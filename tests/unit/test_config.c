/** @file test_config.c  Defaults, environment and flags, and their errors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include "core/config.h"

static void defaults(void **state)
{
	struct config cfg;
	bool help;
	char *argv[] = {"trunkd", NULL};

	(void)state;
	unsetenv("TRUNKD_HTTP_LISTEN");
	assert_int_equal(config_load(&cfg, 1, argv, &help), 0);
	assert_false(help);
	assert_string_equal(cfg.http_listen, "0.0.0.0:8080");
	assert_string_equal(cfg.sip_tls_listen, "0.0.0.0:5061");
	assert_int_equal(cfg.rtp_port_min, 10000);
	assert_int_equal(cfg.rtp_port_max, 20000);
}

static void env_then_flag(void **state)
{
	struct config cfg;
	bool help;
	char *argv[] = {"trunkd", "--db-pool-size", "7", NULL};
	char *argv2[] = {"trunkd", "--http-listen=127.0.0.1:9", NULL};

	(void)state;
	setenv("TRUNKD_HTTP_LISTEN", "127.0.0.1:1234", 1);
	setenv("TRUNKD_DB_POOL_SIZE", "3", 1);
	assert_int_equal(config_load(&cfg, 1, argv, &help), 0);
	assert_string_equal(cfg.http_listen, "127.0.0.1:1234");
	assert_int_equal(cfg.db_pool_size, 3);
	assert_int_equal(config_load(&cfg, 3, argv, &help), 0);
	assert_int_equal(cfg.db_pool_size, 7);
	assert_int_equal(config_load(&cfg, 2, argv2, &help), 0);
	assert_string_equal(cfg.http_listen, "127.0.0.1:9");
	unsetenv("TRUNKD_HTTP_LISTEN");
	unsetenv("TRUNKD_DB_POOL_SIZE");
}

static void errors(void **state)
{
	struct config cfg;
	bool help;
	char *unknown[] = {"trunkd", "--no-such-flag", NULL};
	char *missing[] = {"trunkd", "--db-pool-size", NULL};
	char *notnum[] = {"trunkd", "--db-pool-size", "many", NULL};
	char *negative[] = {"trunkd", "--rtp-port-min", "-5", NULL};
	char *range[] = {"trunkd",	   "--rtp-port-min", "30000",
			 "--rtp-port-max", "20000",	     NULL};
	char *zero[] = {"trunkd", "--db-pool-size=0", NULL};
	char *helpv[] = {"trunkd", "--help", NULL};

	(void)state;
	assert_int_not_equal(config_load(&cfg, 2, unknown, &help), 0);
	assert_int_not_equal(config_load(&cfg, 2, missing, &help), 0);
	assert_int_not_equal(config_load(&cfg, 3, notnum, &help), 0);
	assert_int_not_equal(config_load(&cfg, 3, negative, &help), 0);
	assert_int_not_equal(config_load(&cfg, 5, range, &help), 0);
	assert_int_not_equal(config_load(&cfg, 2, zero, &help), 0);
	setenv("TRUNKD_DB_POOL_SIZE", "x", 1);
	assert_int_not_equal(config_load(&cfg, 1, helpv, &help), 0);
	unsetenv("TRUNKD_DB_POOL_SIZE");
	assert_int_equal(config_load(&cfg, 2, helpv, &help), 0);
	assert_true(help);
}

/* --srtp-crypto: fast by default, libsrtp to opt out, nothing else */
static void srtp_crypto(void **state)
{
	struct config cfg;
	bool help;
	char *plain[] = {"trunkd", NULL};
	char *off[] = {"trunkd", "--srtp-crypto=libsrtp", NULL};
	char *bad[] = {"trunkd", "--srtp-crypto", "nss", NULL};

	(void)state;
	unsetenv("TRUNKD_SRTP_CRYPTO");
	assert_int_equal(config_load(&cfg, 1, plain, &help), 0);
	assert_string_equal(cfg.srtp_crypto, "fast");
	assert_int_equal(config_load(&cfg, 2, off, &help), 0);
	assert_string_equal(cfg.srtp_crypto, "libsrtp");
	assert_int_equal(config_load(&cfg, 3, bad, &help), EINVAL);
	setenv("TRUNKD_SRTP_CRYPTO", "libsrtp", 1);
	assert_int_equal(config_load(&cfg, 1, plain, &help), 0);
	assert_string_equal(cfg.srtp_crypto, "libsrtp");
	unsetenv("TRUNKD_SRTP_CRYPTO");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults),
	    cmocka_unit_test(env_then_flag),
	    cmocka_unit_test(errors),
	    cmocka_unit_test(srtp_crypto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
