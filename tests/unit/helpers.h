/* What the C unit tests share: a per-file arena A with its cmocka group
 * teardown and per-test reset, KNOWN_BUG and N.  Include after <cmocka.h>;
 * each test file still writes its own setup (arena_init(&A, 0) and its
 * fixtures). */
#ifndef POS_TEST_HELPERS_H
#define POS_TEST_HELPERS_H

#include "arena.h"

/* Once a known bug: the check states the correct behaviour and now fails
 * the test if it regresses. */
#define KNOWN_BUG(cond, ...) do { \
	if (!(cond)) { \
		print_message("REGRESSION (%s:%d): ", __FILE__, __LINE__); \
		print_message(__VA_ARGS__); \
		print_message("\n"); \
		fail(); \
	} \
} while (0)

#define N(t) (sizeof(t) / sizeof((t)[0]))

static struct arena A;

/* the group's teardown */
static __attribute__((unused)) int
teardown(void **state)
{
	(void)state;
	arena_free(&A);
	return 0;
}

/* each test's teardown: whatever it left in the arena is released, which
 * runs the cleanups registered on it (JSON values, for one) */
static __attribute__((unused)) int
reset(void **state)
{
	(void)state;
	arena_reset(&A);
	return 0;
}

#endif
