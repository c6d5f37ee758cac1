/* TOTP two-factor codes (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits, T0 = 0),
 * the parameters Google Authenticator and its kin assume.  Codes come from
 * liboath; comparison is constant time and a used step is never accepted
 * again (the caller stores the matched counter). */
#ifndef POS_TOTP_H
#define POS_TOTP_H

#include <stddef.h>
#include <time.h>

struct arena;

#define TOTP_SECRET_LEN	20	/* 160 bits, as RFC 4226 recommends */
#define TOTP_DIGITS	6
#define TOTP_STEP	30

/* 20 fresh random bytes.  0, or -1 if the CSPRNG fails. */
int totp_new_secret(unsigned char secret[20]);
/* RFC 4648 base32 (A-Z2-7) without padding, in the arena. */
char *totp_base32(struct arena *a, const unsigned char *s, size_t n);
/* otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded; in the arena.  NULL for NULL
 * arguments or an issuer containing ':' (it would split the label). */
char *totp_uri(struct arena *a, const char *issuer, const char *account, const char *base32);
/* The code for time t with 6..8 digits into out (digits + 1 bytes).
 * 0, or -1 for bad arguments. */
int totp_code(const unsigned char *secret, size_t n, time_t t, int digits, char *out);
/* 1 if code is exactly 6 ASCII digits and equals the code of the step at
 * `now` or one step either side, AND that step's counter is greater than
 * last_counter (-1 when no code was used yet); *matched_counter is then the
 * step counter to store as the new last_counter.  0 otherwise. */
int totp_verify(const unsigned char *secret, size_t n, const char *code, time_t now,
    long long last_counter, long long *matched_counter);

#endif
