/* The wire format of Server-Sent Events and Last-Event-ID parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

static void
test_format(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(events_format(out, sizeof(out), 42, "{\"type\":\"order\"}"),
	    (int)strlen("id: 42\ndata: {\"type\":\"order\"}\n\n"));
	assert_string_equal(out, "id: 42\ndata: {\"type\":\"order\"}\n\n");
	/* a newline would end the data field early: refused */
	assert_int_equal(events_format(out, sizeof(out), 1, "{\n}"), -1);
	assert_int_equal(events_format(out, sizeof(out), 1, "a\rb"), -1);
	/* does not fit */
	assert_int_equal(events_format(out, 10, 1, "{}"), -1);
}

static void
test_last_id(void **state)
{
	(void)state;
	assert_true(events_last_id("1795600238001") == 1795600238001ULL);
	assert_true(events_last_id("0") == 0);
	assert_true(events_last_id(NULL) == 0);
	assert_true(events_last_id("") == 0);
	assert_true(events_last_id("12a") == 0);
	assert_true(events_last_id("-5") == 0);
	assert_true(events_last_id("99999999999999999999") == 0);	/* 20 digits: too long */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_last_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
