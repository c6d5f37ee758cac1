#include "password.h"

#include <string.h>

#include "log.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Verifying costs the full argon2 computation with the parameters written
 * in the hash string before anything is compared, so the dummy only needs a
 * well-formed string at the current cost.  Salt and digest come from a hash
 * of a random password that was thrown away; the parameters are spelled
 * from the same macros pw_hash() uses, so the two never drift apart. */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=" STR(PW_MEMLIMIT_KIB) ",t=" STR(PW_OPSLIMIT) ",p=1"
    "$pcrauY57fv2p3S1+EPQm7Q$NbvzMlR3n1DApG7D4RVjju4G5yBI6pWVYg93UqDJWos";

static void
init(void)
{
	static int done;

	if (!done) {
		if (sodium_init() < 0)
			die("sodium_init failed");
		done = 1;
	}
}

int
pw_hash(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	size_t n;

	init();
	if (pw == NULL || (n = strnlen(pw, PW_MAX_LEN + 1)) > PW_MAX_LEN)
		return -1;
	if (crypto_pwhash_str_alg(out, pw, n, PW_OPSLIMIT, (size_t)PW_MEMLIMIT_KIB * 1024,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	return 0;
}

int
pw_verify(const char *stored, const char *pw)
{
	size_t n;

	init();
	if (stored == NULL || pw == NULL || (n = strnlen(pw, PW_MAX_LEN + 1)) > PW_MAX_LEN ||
	    strnlen(stored, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
		return 0;
	return crypto_pwhash_str_verify(stored, pw, n) == 0;
}

void
pw_verify_dummy(const char *pw)
{
	size_t n;

	init();
	if (pw == NULL || (n = strnlen(pw, PW_MAX_LEN + 1)) > PW_MAX_LEN)
		return;
	(void)!crypto_pwhash_str_verify(dummy_hash, pw, n);
}

int
pw_needs_rehash(const char *stored)
{
	init();
	if (stored == NULL || strnlen(stored, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES ||
	    strncmp(stored, crypto_pwhash_argon2id_STRPREFIX,
		strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0)
		return 1;
	/* sodium also answers 0 for an argon2i string with these parameters,
	 * hence the prefix check above */
	return crypto_pwhash_str_needs_rehash(stored, PW_OPSLIMIT,
	    (size_t)PW_MEMLIMIT_KIB * 1024) != 0;
}
