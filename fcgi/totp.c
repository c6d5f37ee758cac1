#include "totp.h"

#include <stdint.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "arena.h"
#include "buf.h"
#include "log.h"

static void
init(void)
{
	static int done;

	if (!done) {
		if (oath_init() != OATH_OK)
			die("oath_init failed");
		done = 1;
	}
}

int
totp_new_secret(unsigned char secret[20])
{
	return RAND_bytes(secret, TOTP_SECRET_LEN) == 1 ? 0 : -1;
}

char *
totp_base32(struct arena *a, const unsigned char *s, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	char *out = arena_alloc(a, (n * 8 + 4) / 5 + 1), *o = out;
	uint32_t acc = 0;
	size_t i;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8 | s[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*o++ = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		*o++ = alphabet[(acc << (5 - bits)) & 31];
	*o = '\0';
	return out;
}

char *
totp_uri(struct arena *a, const char *issuer, const char *account, const char *base32)
{
	struct buf b;

	if (issuer == NULL || account == NULL || base32 == NULL ||
	    strchr(issuer, ':') != NULL || strchr(account, ':') != NULL)
		return NULL;
	buf_init(&b, a, 128);
	buf_puts(&b, "otpauth://totp/");
	buf_url(&b, issuer, strlen(issuer));
	buf_putc(&b, ':');
	buf_url(&b, account, strlen(account));
	buf_puts(&b, "?secret=");
	buf_url(&b, base32, strlen(base32));
	buf_puts(&b, "&issuer=");
	buf_url(&b, issuer, strlen(issuer));
	buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_STEP);
	return b.p;
}

int
totp_code(const unsigned char *secret, size_t n, time_t t, int digits, char *out)
{
	init();
	if (secret == NULL || n == 0 || out == NULL || digits < 6 || digits > 8 || t < 0)
		return -1;
	if (oath_totp_generate2((const char *)secret, n, t, TOTP_STEP, 0, (unsigned)digits,
	    0, out) != OATH_OK)
		return -1;
	return 0;
}

/* liboath's own comparison is strcmp(); ours does not stop at the first
 * differing digit.  0 means equal, as liboath expects. */
static int
ct_compare(void *handle, const char *test_otp)
{
	return CRYPTO_memcmp(handle, test_otp, TOTP_DIGITS + 1) != 0;
}

int
totp_verify(const unsigned char *secret, size_t n, const char *code, time_t now,
    long long last_counter, long long *matched_counter)
{
	char given[TOTP_DIGITS + 1];
	uint64_t counter = 0;
	int i, rc;

	init();
	if (secret == NULL || n == 0 || code == NULL || now < TOTP_STEP)
		return 0;
	for (i = 0; i < TOTP_DIGITS; i++) {
		if (code[i] < '0' || code[i] > '9')
			return 0;
		given[i] = code[i];
	}
	if (code[TOTP_DIGITS] != '\0')
		return 0;
	given[TOTP_DIGITS] = '\0';
	/* window 1: the steps now, now+1 and now-1; liboath reports the counter */
	rc = oath_totp_validate4_callback((const char *)secret, n, now, TOTP_STEP, 0,
	    TOTP_DIGITS, 1, NULL, &counter, 0, ct_compare, given);
	if (rc < 0)
		return 0;
	/* a step already used (or older) is a replay */
	if ((long long)counter <= last_counter)
		return 0;
	if (matched_counter != NULL)
		*matched_counter = (long long)counter;
	return 1;
}
