#include "token.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <jwt.h>

#include "arena.h"
#include "crypto.h"
#include "keys.h"
#include "log.h"

#define ISSUER		"pos"
#define IAT_SKEW	60	/* seconds an iat may lie in the future (clock skew) */
#define CLAIM_MAX	256	/* longest string claim we accept */
#define SIG_B64_LEN	43	/* base64url of a 32-byte HMAC-SHA256, unpadded */

enum {
	C_SUB = 1 << 0, C_TID = 1 << 1, C_ROLE = 1 << 2, C_SID = 1 << 3,
	C_STORE = 1 << 4, C_DEV = 1 << 5, C_VER = 1 << 6,
};

static const struct kind {
	const char *aud;
	unsigned claims;
	long ttl;
} kinds[] = {
	{ TOKEN_AUD_USER, C_SUB | C_TID | C_ROLE | C_SID, TOKEN_TTL_USER },
	{ TOKEN_AUD_MFA, C_SUB | C_TID | C_SID, TOKEN_TTL_MFA },
	{ TOKEN_AUD_DEVICE, C_SUB | C_TID | C_STORE | C_VER, TOKEN_TTL_DEVICE },
	{ TOKEN_AUD_CASHIER, C_SUB | C_TID | C_ROLE | C_SID | C_STORE | C_DEV | C_VER, TOKEN_TTL_CASHIER },
};

/* String claims in one table, so issue and check cannot disagree. */
static const struct strclaim {
	unsigned bit;
	const char *name;
	size_t off;
} strclaims[] = {
	{ C_SUB, "sub", offsetof(struct token, sub) },
	{ C_TID, "tid", offsetof(struct token, tid) },
	{ C_ROLE, "role", offsetof(struct token, role) },
	{ C_SID, "sid", offsetof(struct token, sid) },
	{ C_STORE, "store", offsetof(struct token, store) },
	{ C_DEV, "dev", offsetof(struct token, dev) },
};

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))
#define FIELD(t, off) (*(const char **)((char *)(t) + (off)))

static const struct kind *
find_kind(const char *aud)
{
	size_t i;

	if (aud == NULL)
		return NULL;
	for (i = 0; i < NELEM(kinds); i++)
		if (strcmp(kinds[i].aud, aud) == 0)
			return &kinds[i];
	return NULL;
}

static int
is_cashier(const struct kind *k)
{
	return strcmp(k->aud, TOKEN_AUD_CASHIER) == 0;
}

char *
token_issue(struct arena *a, const struct token *t, long ttl_seconds)
{
	const struct kind *k = find_kind(t ? t->aud : NULL);
	const unsigned char *key = keys_jwt();
	jwt_t *j = NULL;
	char *enc = NULL, *out = NULL;
	time_t now = time(NULL);
	size_t i;
	int rc;

	if (key == NULL)
		die("token_issue before keys_load");
	if (k == NULL)
		return NULL;
	if (is_cashier(k) && t->role != NULL && strcmp(t->role, "cashier") != 0)
		return NULL;
	if ((k->claims & C_VER) && t->ver < 0)
		return NULL;
	if (ttl_seconds <= 0)
		ttl_seconds = k->ttl;
	if (jwt_new(&j) != 0)
		die("out of memory");
	rc = jwt_set_alg(j, JWT_ALG_HS256, key, KEYS_LEN);
	rc = rc ? rc : jwt_add_grant(j, "iss", ISSUER);
	rc = rc ? rc : jwt_add_grant(j, "aud", k->aud);
	for (i = 0; i < NELEM(strclaims) && rc == 0; i++) {
		const char *v = FIELD(t, strclaims[i].off);

		if (!(k->claims & strclaims[i].bit))
			continue;
		if (strclaims[i].bit == C_ROLE && is_cashier(k))
			v = "cashier";
		if (v == NULL || *v == '\0' || strlen(v) > CLAIM_MAX)
			goto out;
		rc = jwt_add_grant(j, strclaims[i].name, v);
	}
	if (k->claims & C_VER)
		rc = rc ? rc : jwt_add_grant_int(j, "ver", (long)t->ver);
	rc = rc ? rc : jwt_add_grant_int(j, "iat", (long)now);
	rc = rc ? rc : jwt_add_grant_int(j, "exp", (long)now + ttl_seconds);
	rc = rc ? rc : jwt_add_grant(j, "jti", crypto_random_b64url(a, 16));
	if (rc != 0)
		die("jwt grant failed (%d)", rc);
	if ((enc = jwt_encode_str(j)) == NULL)
		die("jwt_encode_str failed");
	out = arena_strdup(a, enc);
out:
	free(enc);
	jwt_free(j);
	return out;
}

/* base64url-decoded JSON object, duplicates refused; NULL if anything else. */
static json_t *
segment_json(struct arena *a, const char *s, size_t len)
{
	unsigned char *raw;
	size_t n;
	json_t *v;

	if (len == 0 || crypto_b64url_decode(a, s, len, &raw, &n) != 0)
		return NULL;
	v = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* Only {"alg":"HS256"} with an optional "typ":"JWT": whatever else a header
 * says (another alg, "none", "crit", "kid", "jku") is not ours. */
static int
header_ok(json_t *h)
{
	json_t *alg = json_object_get(h, "alg"), *typ = json_object_get(h, "typ");
	size_t expect = 1;

	if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256") != 0)
		return 0;
	if (typ != NULL) {
		if (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0)
			return 0;
		expect++;
	}
	return json_object_size(h) == expect;
}

static int
str_claim(json_t *p, const char *name, const char **v)
{
	json_t *j = json_object_get(p, name);

	if (!json_is_string(j))
		return 0;
	*v = json_string_value(j);
	return **v != '\0' && strlen(*v) <= CLAIM_MAX;
}

static int
int_claim(json_t *p, const char *name, long long *v)
{
	json_t *j = json_object_get(p, name);

	if (!json_is_integer(j))
		return 0;
	*v = json_integer_value(j);
	return 1;
}

static int
claims_ok(struct arena *a, json_t *p, const struct kind *k, struct token *out)
{
	const char *s;
	time_t now = time(NULL);
	size_t i;

	if (!str_claim(p, "iss", &s) || strcmp(s, ISSUER) != 0)
		return 0;
	if (!str_claim(p, "aud", &s) || strcmp(s, k->aud) != 0)
		return 0;
	if (!int_claim(p, "exp", &out->exp) || out->exp <= (long long)now)
		return 0;
	if (!int_claim(p, "iat", &out->iat) || out->iat > (long long)now + IAT_SKEW ||
	    out->iat >= out->exp)
		return 0;
	for (i = 0; i < NELEM(strclaims); i++) {
		if (!(k->claims & strclaims[i].bit))
			continue;
		if (!str_claim(p, strclaims[i].name, &s))
			return 0;
		FIELD(out, strclaims[i].off) = arena_strdup(a, s);
	}
	if (is_cashier(k) && strcmp(out->role, "cashier") != 0)
		return 0;
	if ((k->claims & C_VER) && (!int_claim(p, "ver", &out->ver) || out->ver < 0))
		return 0;
	out->aud = k->aud;
	return 1;
}

int
token_check(struct arena *a, const char *jwt, const char *aud, struct token *out)
{
	const struct kind *k = find_kind(aud);
	const unsigned char *key = keys_jwt();
	const char *d1, *d2, *sig;
	json_t *hdr = NULL, *payload = NULL;
	unsigned char *raw;
	size_t len, rawlen;
	jwt_t *j = NULL;
	int rc = -1;

	if (key == NULL)
		die("token_check before keys_load");
	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (jwt == NULL || k == NULL || (len = strnlen(jwt, TOKEN_MAX_LEN + 1)) > TOKEN_MAX_LEN)
		return -1;
	/* header.payload.signature, nothing more (no JWE, no 4th part) */
	if ((d1 = memchr(jwt, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) != NULL)
		return -1;
	sig = d2 + 1;
	if (strlen(sig) != SIG_B64_LEN ||
	    crypto_b64url_decode(a, sig, SIG_B64_LEN, &raw, &rawlen) != 0)
		return -1;

	/* The algorithm is ours to choose, not the token's: decided before
	 * libjwt sees the token, as libjwt would follow the header. */
	if ((hdr = segment_json(a, jwt, (size_t)(d1 - jwt))) == NULL || !header_ok(hdr))
		goto out;
	/* Always with the key: without one libjwt skips verification. */
	if (jwt_decode(&j, jwt, key, KEYS_LEN) != 0 || j == NULL ||
	    jwt_get_alg(j) != JWT_ALG_HS256)
		goto out;
	/* Claims read from the signed bytes with jansson, not through libjwt's
	 * getters (jwt_get_grant_int() answers 0 for a string or a missing claim). */
	if ((payload = segment_json(a, d1 + 1, (size_t)(d2 - d1 - 1))) == NULL)
		goto out;
	if (claims_ok(a, payload, k, out))
		rc = 0;
out:
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	if (j != NULL)
		jwt_free(j);
	json_decref(payload);
	json_decref(hdr);
	return rc;
}
