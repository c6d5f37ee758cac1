/* Unit tests for fcgi/totp.c: RFC 6238 Appendix B vectors, the ±1 step
 * window, replay refusal, code syntax, base32 (RFC 4648 section 10) and the
 * otpauth:// URI. */
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
#include "totp.h"

static const unsigned char rfc_secret[] = "12345678901234567890";
#define RFC_LEN 20

static int
setup(void **state)
{
	arena_init(&A, 0);
	return 0;
}

static void
test_rfc6238_sha1(void **state)
{
	static const struct {
		time_t t;
		const char *code;
	} v[] = {
		{ 59, "94287082" },
		{ 1111111109, "07081804" },
		{ 1111111111, "14050471" },
		{ 1234567890, "89005924" },
		{ 2000000000, "69279037" },
		{ 20000000000LL, "65353130" },
	};
	char out[9];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(totp_code(rfc_secret, RFC_LEN, v[i].t, 8, out), 0);
		assert_string_equal(out, v[i].code);
	}
	/* 6 digits are the last six of the 8-digit value (mod 10^6) */
	assert_int_equal(totp_code(rfc_secret, RFC_LEN, 59, 6, out), 0);
	assert_string_equal(out, "287082");
}

static void
test_code_bad_args(void **state)
{
	char out[10];

	assert_int_equal(totp_code(rfc_secret, RFC_LEN, 59, 5, out), -1);
	assert_int_equal(totp_code(rfc_secret, RFC_LEN, 59, 9, out), -1);
	assert_int_equal(totp_code(NULL, RFC_LEN, 59, 6, out), -1);
	assert_int_equal(totp_code(rfc_secret, 0, 59, 6, out), -1);
}

/* the 6-digit code of the step `step` */
static void
code_at(long long step, char out[7])
{
	assert_int_equal(totp_code(rfc_secret, RFC_LEN, (time_t)(step * 30), 6, out), 0);
}

static void
test_verify_window(void **state)
{
	const long long step = 1234567890 / 30;
	const time_t now = (time_t)(step * 30 + 17);	/* mid-step */
	long long matched;
	char c[7];
	int d;

	code_at(step, c);
	matched = -5;
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now, -1, &matched), 1);
	assert_int_equal(matched, step);
	for (d = -1; d <= 1; d += 2) {
		code_at(step + d, c);
		matched = -5;
		assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now, -1, &matched), 1);
		assert_int_equal(matched, step + d);
	}
	for (d = -2; d <= 2; d += 4) {
		code_at(step + d, c);
		assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now, -1, &matched), 0);
	}
	/* a different secret's code is refused */
	assert_int_equal(totp_code((const unsigned char *)"abcdefghijabcdefghij", 20,
	    now, 6, c), 0);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now, -1, &matched), 0);
}

static void
test_verify_replay(void **state)
{
	const long long step = 2000000000 / 30;
	const time_t now = (time_t)(step * 30 + 3);
	long long last = -1, matched = 0;
	char c[7], next[7];

	code_at(step, c);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now, last, &matched), 1);
	last = matched;
	/* the same code again, still within its step: replay */
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now + 5, last, &matched), 0);
	/* an older step than the one used is refused too */
	code_at(step - 1, c);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now, last, &matched), 0);
	/* the next step's code is accepted after the used one */
	code_at(step + 1, next);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, next, now + 30, last, &matched), 1);
	assert_int_equal(matched, step + 1);
}

static void
test_verify_syntax(void **state)
{
	static const char *const bad[] = {
		"", "12345", "1234567", "12345a", " 12345", "123456 ", "12 456",
		"+12345", "-12345", "１２３４５６", "0x1234",
	};
	const long long step = 1111111111 / 30;
	const time_t now = (time_t)(step * 30);
	long long matched = 77;
	char c[7], longer[9];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(totp_verify(rfc_secret, RFC_LEN, bad[i], now, -1, &matched), 0);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, NULL, now, -1, &matched), 0);
	assert_int_equal(matched, 77);
	/* the right code with a trailing character or as 8 digits is refused */
	code_at(step, c);
	snprintf(longer, sizeof(longer), "%s0", c);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, longer, now, -1, &matched), 0);
	assert_int_equal(totp_code(rfc_secret, RFC_LEN, now, 8, longer), 0);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, longer, now, -1, &matched), 0);
	assert_int_equal(totp_verify(rfc_secret, RFC_LEN, c, now, -1, &matched), 1);
}

static void
test_base32(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_string_equal(totp_base32(&A, (const unsigned char *)v[i].in,
		    strlen(v[i].in)), v[i].out);
	assert_string_equal(totp_base32(&A, rfc_secret, RFC_LEN),
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void
test_new_secret(void **state)
{
	unsigned char s1[TOTP_SECRET_LEN], s2[TOTP_SECRET_LEN];

	assert_int_equal(totp_new_secret(s1), 0);
	assert_int_equal(totp_new_secret(s2), 0);
	assert_memory_not_equal(s1, s2, TOTP_SECRET_LEN);
	assert_int_equal(strlen(totp_base32(&A, s1, TOTP_SECRET_LEN)), 32);
}

static void
test_uri(void **state)
{
	char *u = totp_uri(&A, "Café POS", "ann+x@example.com", "GEZDGNBV");

	assert_non_null(u);
	assert_string_equal(u, "otpauth://totp/Caf%C3%A9%20POS:ann%2Bx%40example.com"
	    "?secret=GEZDGNBV&issuer=Caf%C3%A9%20POS&algorithm=SHA1&digits=6&period=30");
	/* & and = in the issuer cannot inject parameters */
	u = totp_uri(&A, "a&secret=X", "b", "GEZD");
	assert_non_null(u);
	assert_null(strstr(u, "&secret=X"));
	assert_null(totp_uri(&A, "Evil:Issuer", "a", "GEZD"));
	assert_null(totp_uri(&A, "POS", "a:b", "GEZD"));
	assert_null(totp_uri(&A, NULL, "a", "GEZD"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rfc6238_sha1, reset),
		cmocka_unit_test_teardown(test_code_bad_args, reset),
		cmocka_unit_test_teardown(test_verify_window, reset),
		cmocka_unit_test_teardown(test_verify_replay, reset),
		cmocka_unit_test_teardown(test_verify_syntax, reset),
		cmocka_unit_test_teardown(test_base32, reset),
		cmocka_unit_test_teardown(test_new_secret, reset),
		cmocka_unit_test_teardown(test_uri, reset),
	};

	return cmocka_run_group_tests_name("totp", tests, setup, teardown);
}
