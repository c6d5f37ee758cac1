/* Unit tests for fcgi/qr.c: SVG shape, determinism, CSP-safe markup, and
 * the decided behaviour for empty and oversized input (NULL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "arena.h"
#include "qr.h"

static int
setup(void **state)
{
	arena_init(&A, 0);
	return 0;
}

static const char uri[] = "otpauth://totp/POS:ann%40example.com?secret=GEZDGNBVGY3TQOJQ"
    "GEZDGNBVGY3TQOJQ&issuer=POS&algorithm=SHA1&digits=6&period=30";

static void
test_svg_shape(void **state)
{
	char *s = qr_svg(&A, uri);
	size_t n;
	int w = 0;

	assert_non_null(s);
	n = strlen(s);
	assert_int_equal(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", 52), 0);
	assert_string_equal(s + n - 6, "</svg>");
	assert_non_null(strstr(s, "<path fill=\"#000\" d=\"M"));
	assert_non_null(strstr(s, "shape-rendering=\"crispEdges\""));
	assert_non_null(strstr(s, "fill=\"#fff\""));
	assert_null(strstr(s, "style"));
	/* a square of 4*V+17 modules plus 8 of quiet zone */
	assert_int_equal(sscanf(s + 52, "%d", &w), 1);
	assert_true(w >= 21 + 8 && (w - 8 - 17) % 4 == 0);
	/* the finder pattern's top-left corner sits just inside the quiet zone */
	assert_non_null(strstr(s, "d=\"M4 4h7v1h-7z"));
	/* nothing but our own characters: no input echoed into the markup */
	assert_null(strstr(s, "otpauth"));
}

static void
test_deterministic(void **state)
{
	char *a1 = qr_svg(&A, uri), *a2 = qr_svg(&A, uri), *b = qr_svg(&A, "otpauth://other");

	assert_string_equal(a1, a2);
	assert_string_not_equal(a1, b);
	/* case-sensitive: upper and lower case give different codes */
	assert_string_not_equal(qr_svg(&A, "abc"), qr_svg(&A, "ABC"));
}

static void
test_empty_and_limits(void **state)
{
	char *big = arena_alloc(&A, 4001);

	assert_null(qr_svg(&A, ""));
	assert_null(qr_svg(&A, NULL));
	memset(big, 'x', 4000);
	big[4000] = '\0';
	assert_null(qr_svg(&A, big));	/* beyond version 40-M in 8-bit mode */
	assert_non_null(qr_svg(&A, "<script>&\""));
	assert_null(strstr(qr_svg(&A, "<script>&\""), "<script"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_svg_shape, reset),
		cmocka_unit_test_teardown(test_deterministic, reset),
		cmocka_unit_test_teardown(test_empty_and_limits, reset),
	};

	return cmocka_run_group_tests_name("qr", tests, setup, teardown);
}
