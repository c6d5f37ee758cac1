/* Application-level cryptography: sealed columns (AES-256-GCM), hashes,
 * constant-time comparison, random tokens and device keys.  Keys come from
 * keys.c, which must be loaded first (using a key before that is a bug and
 * ends the worker).  Every returned string is allocated in the arena `a`
 * and owned by it. */
#ifndef POS_CRYPTO_H
#define POS_CRYPTO_H

#include <stddef.h>

struct arena;

#define CRYPTO_SEAL_MAX		(1u << 20)	/* largest plaintext crypto_seal() takes */
#define CRYPTO_DEVKEY_LEN	20		/* normalized device key, characters */

/* Sealed column values: "v1.<keyid>.<base64url(iv[12] || ciphertext || tag[16])>",
 * encrypted with the newest AES key.  The associated data binds the value to
 * its place (tenant, table, column, row, each length-prefixed), so a value
 * copied to another row, column or tenant does not open.  tenant_id may be
 * NULL for platform rows (distinct from ""); table, column and row_id may
 * not.  crypto_seal() returns NULL only for NULL arguments or n > CRYPTO_SEAL_MAX.
 * crypto_open() returns 0 and *plain (n bytes plus a NUL, in the arena), or
 * -1 for anything wrong: malformed, unknown key id, tampered, wrong place. */
char *crypto_seal(struct arena *a, const void *plain, size_t n,
    const char *tenant_id, const char *table, const char *column, const char *row_id);
int crypto_open(struct arena *a, const char *sealed, const char *tenant_id,
    const char *table, const char *column, const char *row_id,
    unsigned char **plain, size_t *n);

/* Lowercase hex of SHA-256(p[0..n)). */
char *crypto_sha256_hex(struct arena *a, const void *p, size_t n);
/* Lowercase hex HMAC-SHA256(pin.key, tenant_id || 0x00 || pin): deterministic
 * per tenant, so the database can keep PINs unique and find a cashier by PIN,
 * while guessing PINs offline needs the key file.  NULL for NULL arguments. */
char *crypto_pin_hmac(struct arena *a, const char *tenant_id, const char *pin);

/* 1 if the n bytes are equal, else 0; time depends only on n. */
int crypto_eq(const void *a, const void *b, size_t n);
/* 1 if the strings are equal, else 0 (also for different lengths or NULL).
 * b is the secret/expected value: the time depends on the lengths, never on
 * where the strings differ. */
int crypto_streq(const char *a, const char *b);

/* base64url without padding of nbytes fresh random bytes. */
char *crypto_random_b64url(struct arena *a, size_t nbytes);
/* A fresh human-typable device key: 20 Crockford base32 characters
 * (0-9 A-Z without I L O U, 100 bits), shown as XXXXX-XXXXX-XXXXX-XXXXX. */
char *crypto_random_key(struct arena *a);
/* What the user typed, made canonical: uppercased, spaces and dashes
 * dropped, O read as 0 and I/L as 1.  NULL unless exactly 20 valid
 * characters remain.  The server stores sha256 of this form. */
char *crypto_normalize_key(struct arena *a, const char *typed);

/* base64url (RFC 4648 section 5) without padding.  The decoder is strict:
 * no padding, no whitespace, no non-zero trailing bits.  Decode returns 0
 * and *out (*outlen bytes plus a NUL, in the arena) or -1. */
char *crypto_b64url_encode(struct arena *a, const void *p, size_t n);
int crypto_b64url_decode(struct arena *a, const char *s, size_t len,
    unsigned char **out, size_t *outlen);

#endif
