/* Unit tests for fcgi/password.c.  Each argon2id hash costs tens of
 * milliseconds, so the tests share one hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "password.h"

static char stored[crypto_pwhash_STRBYTES];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
setup(void **state)
{
	double t0 = now_ms();

	if (pw_hash("correct horse battery staple", stored) != 0)
		return -1;
	print_message("pw_hash: %.1f ms\n", now_ms() - t0);
	return 0;
}

static void
test_hash_format(void **state)
{
	assert_int_equal(strncmp(stored, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_false(pw_needs_rehash(stored));
}

static void
test_verify(void **state)
{
	double t0 = now_ms();

	assert_int_equal(pw_verify(stored, "correct horse battery staple"), 1);
	print_message("pw_verify: %.1f ms\n", now_ms() - t0);
	assert_int_equal(pw_verify(stored, "correct horse battery stapl"), 0);
	assert_int_equal(pw_verify(stored, ""), 0);
	assert_int_equal(pw_verify(stored, NULL), 0);
	assert_int_equal(pw_verify(NULL, "x"), 0);
	assert_int_equal(pw_verify("", "x"), 0);
	assert_int_equal(pw_verify("$argon2id$garbage", "x"), 0);
}

static void
test_empty_password(void **state)
{
	char h[crypto_pwhash_STRBYTES];

	/* the hash layer takes "" (a minimum length is the form's business) */
	assert_int_equal(pw_hash("", h), 0);
	assert_int_equal(pw_verify(h, ""), 1);
	assert_int_equal(pw_verify(h, " "), 0);
	assert_string_not_equal(h, stored);
}

static void
test_limits(void **state)
{
	char h[crypto_pwhash_STRBYTES], *big = malloc(PW_MAX_LEN + 2);

	assert_non_null(big);
	memset(big, 'a', PW_MAX_LEN + 1);
	big[PW_MAX_LEN + 1] = '\0';
	assert_int_equal(pw_hash(big, h), -1);
	assert_int_equal(pw_verify(stored, big), 0);
	assert_int_equal(pw_hash(NULL, h), -1);
	free(big);
}

/* The dummy must really run argon2 (a malformed dummy string would return
 * at once and let timing tell unknown accounts apart). */
static void
test_dummy_costs_a_verify(void **state)
{
	double t0, real, dummy;

	t0 = now_ms();
	(void)pw_verify(stored, "wrong password");
	real = now_ms() - t0;
	t0 = now_ms();
	pw_verify_dummy("wrong password");
	dummy = now_ms() - t0;
	print_message("pw_verify (wrong): %.1f ms, pw_verify_dummy: %.1f ms\n", real, dummy);
	assert_true(dummy > real * 0.25);
	pw_verify_dummy("");
	pw_verify_dummy(NULL);
}

static void
test_needs_rehash(void **state)
{
	/* weaker, older or other-algorithm hashes (salt/digest need not match) */
	assert_true(pw_needs_rehash("$argon2id$v=19$m=8192,t=2,p=1$pcrauY57fv2p3S1+EPQm7Q$"
	    "NbvzMlR3n1DApG7D4RVjju4G5yBI6pWVYg93UqDJWos"));
	assert_true(pw_needs_rehash("$argon2id$v=19$m=19456,t=1,p=1$pcrauY57fv2p3S1+EPQm7Q$"
	    "NbvzMlR3n1DApG7D4RVjju4G5yBI6pWVYg93UqDJWos"));
	assert_true(pw_needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$pcrauY57fv2p3S1+EPQm7Q$"
	    "NbvzMlR3n1DApG7D4RVjju4G5yBI6pWVYg93UqDJWos"));
	assert_true(pw_needs_rehash("$2b$12$abcdefghijklmnopqrstuu"));
	assert_true(pw_needs_rehash(""));
	assert_true(pw_needs_rehash(NULL));
	assert_false(pw_needs_rehash("$argon2id$v=19$m=19456,t=2,p=1$pcrauY57fv2p3S1+EPQm7Q$"
	    "NbvzMlR3n1DApG7D4RVjju4G5yBI6pWVYg93UqDJWos"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_format),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_empty_password),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_dummy_costs_a_verify),
		cmocka_unit_test(test_needs_rehash),
	};

	return cmocka_run_group_tests_name("password", tests, setup, NULL);
}
