#include "crypto.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "arena.h"
#include "buf.h"
#include "keys.h"
#include "log.h"

#define IV_LEN		12
#define TAG_LEN		16
#define SEAL_PREFIX	"v1."
#define SEAL_LABEL	"pos-seal-v1"
#define NULL_FIELD	0xffffffffu	/* length prefix of a NULL field */

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/* Crockford base32: digits and letters without I, L, O, U */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void
random_bytes(void *p, size_t n)
{
	/* The CSPRNG failing is not a request error: end the worker. */
	if (n > 0 && RAND_bytes(p, (int)n) != 1)
		die("RAND_bytes failed");
}

static char *
hex(struct arena *a, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = arena_alloc(a, 2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/* ---- base64url ------------------------------------------------------ */

char *
crypto_b64url_encode(struct arena *a, const void *p, size_t n)
{
	const unsigned char *s = p;
	char *out = arena_alloc(a, n / 3 * 4 + 4), *o = out;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		*o++ = b64url_chars[v >> 18];
		*o++ = b64url_chars[(v >> 12) & 63];
		*o++ = b64url_chars[(v >> 6) & 63];
		*o++ = b64url_chars[v & 63];
	}
	if (n - i == 1) {
		*o++ = b64url_chars[s[i] >> 2];
		*o++ = b64url_chars[(s[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 8 | s[i + 1];

		*o++ = b64url_chars[v >> 10];
		*o++ = b64url_chars[(v >> 4) & 63];
		*o++ = b64url_chars[(v & 15) << 2];
	}
	*o = '\0';
	return out;
}

static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
crypto_b64url_decode(struct arena *a, const char *s, size_t len,
    unsigned char **out, size_t *outlen)
{
	unsigned char *d;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (s == NULL || len % 4 == 1)
		return -1;
	d = arena_alloc(a, len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		int v = b64url_val((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* leftover bits must be zero, so every byte string has one encoding */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return 0;
}

/* ---- sealed values -------------------------------------------------- */

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4] = {
		(unsigned char)(v >> 24), (unsigned char)(v >> 16),
		(unsigned char)(v >> 8), (unsigned char)v
	};

	buf_put(b, p, 4);
}

static void
put_field(struct buf *b, const char *s)
{
	size_t n;

	if (s == NULL) {
		put_u32(b, NULL_FIELD);
		return;
	}
	n = strlen(s);
	if (n >= NULL_FIELD)
		die("AAD field too long");
	put_u32(b, (uint32_t)n);
	buf_put(b, s, n);
}

/* Length-prefixed, so ("ab","c") and ("a","bc") never produce the same AAD. */
static void
build_aad(struct buf *b, struct arena *a, unsigned keyid, const char *tenant_id,
    const char *table, const char *column, const char *row_id)
{
	buf_init(b, a, 128);
	put_field(b, SEAL_LABEL);
	put_u32(b, keyid);
	put_field(b, tenant_id);
	put_field(b, table);
	put_field(b, column);
	put_field(b, row_id);
}

char *
crypto_seal(struct arena *a, const void *plain, size_t n, const char *tenant_id,
    const char *table, const char *column, const char *row_id)
{
	const unsigned char *key;
	unsigned char *blob;
	EVP_CIPHER_CTX *ctx;
	struct buf aad;
	unsigned keyid;
	char *out;
	int len;

	if ((plain == NULL && n > 0) || table == NULL || column == NULL ||
	    row_id == NULL || n > CRYPTO_SEAL_MAX)
		return NULL;
	if ((key = keys_aes_current(&keyid)) == NULL)
		die("crypto_seal before keys_load");
	build_aad(&aad, a, keyid, tenant_id, table, column, row_id);
	blob = arena_alloc(a, IV_LEN + n + TAG_LEN);
	random_bytes(blob, IV_LEN);

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		die("out of memory");
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, blob) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad.p, (int)aad.len) != 1 ||
	    (n > 0 && EVP_EncryptUpdate(ctx, blob + IV_LEN, &len, plain, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(ctx, blob + IV_LEN + n, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, blob + IV_LEN + n) != 1)
		die("AES-GCM encryption failed");
	EVP_CIPHER_CTX_free(ctx);

	out = arena_printf(a, SEAL_PREFIX "%u.%s", keyid,
	    crypto_b64url_encode(a, blob, IV_LEN + n + TAG_LEN));
	OPENSSL_cleanse(blob + IV_LEN, n);
	return out;
}

/* "<digits>." with no leading zero, 1..KEYS_ID_MAX; returns chars consumed or 0. */
static size_t
parse_keyid(const char *s, unsigned *id)
{
	unsigned long v = 0;
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9' && i < 10)
		v = v * 10 + (unsigned long)(s[i++] - '0');
	if (i == 0 || s[0] == '0' || s[i] != '.' || v > KEYS_ID_MAX)
		return 0;
	*id = (unsigned)v;
	return i + 1;
}

int
crypto_open(struct arena *a, const char *sealed, const char *tenant_id,
    const char *table, const char *column, const char *row_id,
    unsigned char **plain, size_t *n)
{
	/* the longest string crypto_seal() can produce */
	const size_t max = sizeof(SEAL_PREFIX) + 10 + (IV_LEN + CRYPTO_SEAL_MAX + TAG_LEN + 2) / 3 * 4;
	const unsigned char *key;
	unsigned char *blob, *out;
	EVP_CIPHER_CTX *ctx;
	size_t len, used, bloblen, ctlen;
	struct buf aad;
	unsigned keyid;
	int outl, ok;

	if (sealed == NULL || table == NULL || column == NULL || row_id == NULL ||
	    plain == NULL || n == NULL)
		return -1;
	len = strnlen(sealed, max + 1);
	if (len > max || strncmp(sealed, SEAL_PREFIX, strlen(SEAL_PREFIX)) != 0)
		return -1;
	used = strlen(SEAL_PREFIX);
	if ((ok = (int)parse_keyid(sealed + used, &keyid)) == 0)
		return -1;
	used += (size_t)ok;
	if ((key = keys_aes_find(keyid)) == NULL)
		return -1;
	if (crypto_b64url_decode(a, sealed + used, len - used, &blob, &bloblen) != 0 ||
	    bloblen < IV_LEN + TAG_LEN)
		return -1;
	ctlen = bloblen - IV_LEN - TAG_LEN;
	build_aad(&aad, a, keyid, tenant_id, table, column, row_id);
	out = arena_alloc(a, ctlen + 1);

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		die("out of memory");
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, blob) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad.p, (int)aad.len) == 1 &&
	    (ctlen == 0 || EVP_DecryptUpdate(ctx, out, &outl, blob + IV_LEN, (int)ctlen) == 1) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, blob + IV_LEN + ctlen) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + ctlen, &outl) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		/* never hand out plaintext that failed authentication */
		OPENSSL_cleanse(out, ctlen + 1);
		return -1;
	}
	out[ctlen] = '\0';
	*plain = out;
	*n = ctlen;
	return 0;
}

/* ---- hashes and comparison ------------------------------------------ */

char *
crypto_sha256_hex(struct arena *a, const void *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1)
		die("SHA-256 failed");
	return hex(a, md, mdlen);
}

char *
crypto_pin_hmac(struct arena *a, const char *tenant_id, const char *pin)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	const unsigned char *key;
	unsigned mdlen = 0;
	struct buf msg;
	char *out;

	if (tenant_id == NULL || pin == NULL)
		return NULL;
	if ((key = keys_pin()) == NULL)
		die("crypto_pin_hmac before keys_load");
	/* tenant ids hold no NUL, so the separator keeps the pairs apart */
	buf_init(&msg, a, 64);
	buf_puts(&msg, tenant_id);
	buf_putc(&msg, '\0');
	buf_puts(&msg, pin);
	if (HMAC(EVP_sha256(), key, KEYS_LEN, (const unsigned char *)msg.p, msg.len,
	    md, &mdlen) == NULL)
		die("HMAC-SHA256 failed");
	OPENSSL_cleanse(msg.p, msg.len);
	out = hex(a, md, mdlen);
	OPENSSL_cleanse(md, sizeof(md));
	return out;
}

int
crypto_eq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
crypto_streq(const char *a, const char *b)
{
	size_t la, lb, i;
	unsigned char d;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	d = la != lb;
	/* walk b's whole length whatever a holds; past a's end compare against
	 * a's first byte, which keeps the reads in bounds */
	for (i = 0; i < lb; i++) {
		size_t j = i < la ? i : 0;

		d |= (unsigned char)a[j] ^ (unsigned char)b[i];
	}
	return d == 0;
}

/* ---- random tokens and device keys ---------------------------------- */

char *
crypto_random_b64url(struct arena *a, size_t nbytes)
{
	unsigned char *p = arena_alloc(a, nbytes ? nbytes : 1);
	char *s;

	random_bytes(p, nbytes);
	s = crypto_b64url_encode(a, p, nbytes);
	OPENSSL_cleanse(p, nbytes);
	return s;
}

char *
crypto_random_key(struct arena *a)
{
	unsigned char r[CRYPTO_DEVKEY_LEN];
	char *s = arena_alloc(a, CRYPTO_DEVKEY_LEN + 4);
	size_t i, o = 0;

	/* 32 divides 256, so the low 5 bits of a random byte are uniform */
	random_bytes(r, sizeof(r));
	for (i = 0; i < CRYPTO_DEVKEY_LEN; i++) {
		if (i > 0 && i % 5 == 0)
			s[o++] = '-';
		s[o++] = crockford[r[i] & 31];
	}
	s[o] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return s;
}

char *
crypto_normalize_key(struct arena *a, const char *typed)
{
	char *s;
	size_t i, o = 0;

	if (typed == NULL)
		return NULL;
	s = arena_alloc(a, CRYPTO_DEVKEY_LEN + 1);
	for (i = 0; typed[i] != '\0'; i++) {
		unsigned char c = (unsigned char)typed[i];

		if (c == ' ' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (c == '\0' || strchr(crockford, c) == NULL || o == CRYPTO_DEVKEY_LEN)
			return NULL;
		s[o++] = (char)c;
	}
	if (o != CRYPTO_DEVKEY_LEN)
		return NULL;
	s[o] = '\0';
	return s;
}
