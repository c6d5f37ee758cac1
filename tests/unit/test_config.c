/* Unit tests for fcgi/config.c: defaults, the two worker pools' settings and
 * the values it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app.h"

static const char *const keys[] = {
	"POS_CONFIG", "POS_VARDIR", "POS_SOCKET", "POS_ORDER_SOCKET", "POS_WORKERS",
	"POS_ORDER_WORKERS", "POS_EVENT_THREADS", "POS_SIGNUP", "POS_LOG_LEVEL",
};

static int
clean_env(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		unsetenv(keys[i]);
	return 0;
}

static void
test_defaults(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	setenv("POS_VARDIR", "/srv/pos", 1);
	assert_int_equal(config_load(&c, err, sizeof(err)), 0);
	assert_string_equal(c.socket, "/srv/pos/run/pos.sock");
	assert_string_equal(c.order_socket, "/srv/pos/run/orders.sock");
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.order_workers, 4);
	assert_int_equal(c.event_threads, 64);
}

static void
test_pools_set(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	setenv("POS_SOCKET", "/run/pos/a.sock", 1);
	setenv("POS_ORDER_SOCKET", "/run/pos/b.sock", 1);
	setenv("POS_WORKERS", "6", 1);
	setenv("POS_ORDER_WORKERS", "2", 1);
	assert_int_equal(config_load(&c, err, sizeof(err)), 0);
	assert_string_equal(c.socket, "/run/pos/a.sock");
	assert_string_equal(c.order_socket, "/run/pos/b.sock");
	assert_int_equal(c.workers, 6);
	assert_int_equal(c.order_workers, 2);
}

static void
test_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "POS_WORKERS", "0" }, { "POS_WORKERS", "257" }, { "POS_WORKERS", "4x" },
		{ "POS_ORDER_WORKERS", "0" }, { "POS_ORDER_WORKERS", "-1" },
		{ "POS_ORDER_WORKERS", "99999999999999999999" }, { "POS_ORDER_WORKERS", " " },
		{ "POS_EVENT_THREADS", "1025" }, { "POS_SIGNUP", "maybe" },
	};
	struct config c;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clean_env(NULL);
		setenv(bad[i][0], bad[i][1], 1);
		err[0] = '\0';
		assert_int_equal(config_load(&c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, bad[i][0]));
	}
	/* a unix socket path has room for 107 bytes */
	{
		char longpath[200];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[0] = '/';
		longpath[sizeof(longpath) - 1] = '\0';
		clean_env(NULL);
		setenv("POS_VARDIR", longpath, 1);
		assert_int_equal(config_load(&c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "POS_ORDER_SOCKET"));
	}
	/* both pools on one socket would be one pool with twice the workers */
	clean_env(NULL);
	setenv("POS_SOCKET", "/run/pos/x.sock", 1);
	setenv("POS_ORDER_SOCKET", "/run/pos/x.sock", 1);
	assert_int_equal(config_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "POS_ORDER_SOCKET"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clean_env),
		cmocka_unit_test_setup(test_pools_set, clean_env),
		cmocka_unit_test_setup(test_refused, clean_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
