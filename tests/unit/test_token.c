/* Unit tests for fcgi/token.c: round trips for every kind, and the attacks
 * libjwt 1.10 lets through on its own (alg none, HS512 with our key,
 * expired or foreign-audience tokens), plus tampering and garbage.  Bad
 * tokens are crafted with libjwt directly or by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "arena.h"
#include "crypto.h"
#include "keys.h"
#include "token.h"

static unsigned char kjwt[32], kaes[32], kpin[32];

static int
setup(void **state)
{
	memset(kjwt, 'j', 32);
	memset(kaes, 'a', 32);
	memset(kpin, 'p', 32);
	keys_load_fixed(kjwt, kaes, kpin);
	arena_init(&A, 0);
	return 0;
}

static const struct token user = {
	.aud = TOKEN_AUD_USER, .sub = "u-1", .tid = "t-1", .role = "manager", .sid = "s-1",
};
static const struct token mfa = {
	.aud = TOKEN_AUD_MFA, .sub = "u-1", .tid = "t-1", .sid = "s-1",
};
static const struct token device = {
	.aud = TOKEN_AUD_DEVICE, .sub = "d-1", .tid = "t-1", .store = "st-1", .ver = 3,
};
static const struct token cashier = {
	.aud = TOKEN_AUD_CASHIER, .sub = "c-1", .tid = "t-1", .store = "st-1", .dev = "d-1", .sid = "s-1", .ver = 4,
};

/* Signs `grants` (a JSON object) with libjwt directly: alg and key as given. */
static char *
craft(jwt_alg_t alg, const unsigned char *key, int keylen, const char *grants)
{
	jwt_t *j;
	char *s, *out;

	assert_int_equal(jwt_new(&j), 0);
	assert_int_equal(jwt_set_alg(j, alg, key, keylen), 0);
	assert_int_equal(jwt_add_grants_json(j, grants), 0);
	s = jwt_encode_str(j);
	assert_non_null(s);
	out = arena_strdup(&A, s);
	free(s);
	jwt_free(j);
	return out;
}

/* A user token's claims with exp/iat relative to now, other claims appended. */
static char *
user_grants(long exp_in, long iat_in, const char *extra)
{
	long long now = (long long)time(NULL);

	return arena_printf(&A, "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"u-1\",\"tid\":\"t-1\","
	    "\"role\":\"manager\",\"sid\":\"s-1\",\"exp\":%lld,\"iat\":%lld%s}",
	    now + exp_in, now + iat_in, extra ? extra : "");
}

static int
check(const char *jwt, const char *aud)
{
	struct token t;

	return token_check(&A, jwt, aud, &t);
}

static void
test_roundtrip_user(void **state)
{
	char *s = token_issue(&A, &user, 0);
	struct token t;
	long long now = (long long)time(NULL);

	assert_non_null(s);
	assert_int_equal(token_check(&A, s, TOKEN_AUD_USER, &t), 0);
	assert_string_equal(t.aud, TOKEN_AUD_USER);
	assert_string_equal(t.sub, "u-1");
	assert_string_equal(t.tid, "t-1");
	assert_string_equal(t.role, "manager");
	assert_string_equal(t.sid, "s-1");
	assert_null(t.store);
	assert_null(t.dev);
	assert_int_equal(t.ver, 0);
	assert_true(t.iat >= now - 2 && t.iat <= now);
	assert_int_equal(t.exp - t.iat, TOKEN_TTL_USER);
	/* the header is exactly what we pin */
	assert_int_equal(strncmp(s, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
	/* every token gets its own jti */
	assert_string_not_equal(s, token_issue(&A, &user, 0));
	/* an explicit ttl */
	s = token_issue(&A, &user, 60);
	assert_int_equal(token_check(&A, s, TOKEN_AUD_USER, &t), 0);
	assert_int_equal(t.exp - t.iat, 60);
}

static void
test_roundtrip_kinds(void **state)
{
	struct token t;
	char *s;

	s = token_issue(&A, &mfa, 0);
	assert_int_equal(token_check(&A, s, TOKEN_AUD_MFA, &t), 0);
	assert_string_equal(t.sid, "s-1");
	assert_null(t.role);
	assert_int_equal(t.exp - t.iat, TOKEN_TTL_MFA);

	s = token_issue(&A, &device, 0);
	assert_int_equal(token_check(&A, s, TOKEN_AUD_DEVICE, &t), 0);
	assert_string_equal(t.sub, "d-1");
	assert_string_equal(t.store, "st-1");
	assert_int_equal(t.ver, 3);
	assert_int_equal(t.exp - t.iat, TOKEN_TTL_DEVICE);

	s = token_issue(&A, &cashier, 0);
	assert_int_equal(token_check(&A, s, TOKEN_AUD_CASHIER, &t), 0);
	assert_string_equal(t.role, "cashier");
	assert_string_equal(t.dev, "d-1");
	assert_int_equal(t.ver, 4);
	assert_int_equal(t.exp - t.iat, TOKEN_TTL_CASHIER);
}

static void
test_issue_refuses(void **state)
{
	struct token t = user;

	t.sid = NULL;
	assert_null(token_issue(&A, &t, 0));
	t = user;
	t.tid = "";
	assert_null(token_issue(&A, &t, 0));
	t = user;
	t.aud = "pos-admin";
	assert_null(token_issue(&A, &t, 0));
	t = cashier;
	t.role = "owner";	/* a cashier token never carries another role */
	assert_null(token_issue(&A, &t, 0));
	t = device;
	t.store = NULL;
	assert_null(token_issue(&A, &t, 0));
}

static void
test_wrong_audience(void **state)
{
	char *u = token_issue(&A, &user, 0), *d = token_issue(&A, &device, 0);
	char *m = token_issue(&A, &mfa, 0), *c = token_issue(&A, &cashier, 0);

	assert_int_equal(check(u, TOKEN_AUD_DEVICE), -1);
	assert_int_equal(check(d, TOKEN_AUD_USER), -1);
	assert_int_equal(check(m, TOKEN_AUD_USER), -1);	/* password done is not signed in */
	assert_int_equal(check(u, TOKEN_AUD_MFA), -1);
	assert_int_equal(check(c, TOKEN_AUD_DEVICE), -1);
	assert_int_equal(check(d, TOKEN_AUD_CASHIER), -1);
	assert_int_equal(check(u, "pos-other"), -1);
	assert_int_equal(check(u, NULL), -1);
	assert_int_equal(check(u, TOKEN_AUD_USER), 0);
}

static void
test_alg_none(void **state)
{
	char *payload = crypto_b64url_encode(&A, user_grants(600, 0, NULL),
	    strlen(user_grants(600, 0, NULL)));
	jwt_t *j = NULL;
	char *s;

	/* {"alg":"none"} by hand, empty signature */
	s = arena_printf(&A, "eyJhbGciOiJub25lIn0.%s.", payload);
	/* libjwt itself accepts it when given no key: the hole we close */
	assert_int_equal(jwt_decode(&j, s, NULL, 0), 0);
	jwt_free(j);
	assert_int_equal(check(s, TOKEN_AUD_USER), -1);
	/* alg none with a signature appended, and {"alg":"none","typ":"JWT"} */
	s = arena_printf(&A, "eyJhbGciOiJub25lIn0.%s.%s", payload, crypto_random_b64url(&A, 32));
	assert_int_equal(check(s, TOKEN_AUD_USER), -1);
	s = arena_printf(&A, "%s.%s.", crypto_b64url_encode(&A, "{\"alg\":\"none\",\"typ\":\"JWT\"}", 26),
	    payload);
	assert_int_equal(check(s, TOKEN_AUD_USER), -1);
	/* libjwt's own unsigned encoding */
	s = craft(JWT_ALG_NONE, NULL, 0, user_grants(600, 0, NULL));
	assert_int_equal(check(s, TOKEN_AUD_USER), -1);
}

static void
test_other_algs(void **state)
{
	jwt_t *j = NULL;
	char *s = craft(JWT_ALG_HS512, kjwt, 32, user_grants(600, 0, NULL));

	/* libjwt verifies with the token's alg, so this passes there ... */
	assert_int_equal(jwt_decode(&j, s, kjwt, 32), 0);
	jwt_free(j);
	/* ... and not here */
	assert_int_equal(check(s, TOKEN_AUD_USER), -1);
	s = craft(JWT_ALG_HS384, kjwt, 32, user_grants(600, 0, NULL));
	assert_int_equal(check(s, TOKEN_AUD_USER), -1);
	/* the same claims as HS256 with our key are fine: the test is sound */
	s = craft(JWT_ALG_HS256, kjwt, 32, user_grants(600, 0, NULL));
	assert_int_equal(check(s, TOKEN_AUD_USER), 0);
	/* HS256 with another key */
	s = craft(JWT_ALG_HS256, kaes, 32, user_grants(600, 0, NULL));
	assert_int_equal(check(s, TOKEN_AUD_USER), -1);
}

/* A valid token whose header is replaced by `hdr` (then re-signed with our key). */
static char *
resign(const char *hdr, const char *grants)
{
	char *h = crypto_b64url_encode(&A, hdr, strlen(hdr));
	char *p = crypto_b64url_encode(&A, grants, strlen(grants));
	char *input = arena_printf(&A, "%s.%s", h, p);
	unsigned char mac[32];
	unsigned len = 0;

	assert_non_null(HMAC(EVP_sha256(), kjwt, 32, (unsigned char *)input, strlen(input), mac, &len));
	return arena_printf(&A, "%s.%s", input, crypto_b64url_encode(&A, mac, len));
}

static void
test_header_pinned(void **state)
{
	const char *g = user_grants(600, 0, NULL);

	assert_int_equal(check(resign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", g), TOKEN_AUD_USER), 0);
	assert_int_equal(check(resign("{\"alg\":\"HS256\"}", g), TOKEN_AUD_USER), 0);
	assert_int_equal(check(resign("{\"alg\":\"hs256\"}", g), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("{\"alg\":\"HS256\",\"typ\":\"JWE\"}", g), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("{\"alg\":\"HS256\",\"kid\":\"../x\"}", g), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("{\"alg\":\"HS256\",\"crit\":[\"b64\"]}", g), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("{\"alg\":\"HS256\",\"alg\":\"none\"}", g), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("{\"alg\":[\"HS256\"]}", g), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("[\"HS256\"]", g), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("{}", g), TOKEN_AUD_USER), -1);
	/* the payload must be one JSON object, without duplicate claims */
	assert_int_equal(check(resign("{\"alg\":\"HS256\"}", "[1]"), TOKEN_AUD_USER), -1);
	assert_int_equal(check(resign("{\"alg\":\"HS256\"}",
	    user_grants(600, 0, ",\"aud\":\"pos-device\"")), TOKEN_AUD_USER), -1);
}

static void
test_tampered(void **state)
{
	char *s = token_issue(&A, &user, 0), *dot1, *dot2, *t;
	char *forged;
	size_t len = strlen(s);

	/* payload swapped for one with another role, signature kept */
	dot1 = strchr(s, '.');
	dot2 = strchr(dot1 + 1, '.');
	forged = user_grants(600, 0, NULL);
	assert_non_null(strstr(forged, "\"manager\""));
	memcpy(strstr(forged, "\"manager\""), "\"owner\"  ", 9);	/* still valid JSON */
	t = arena_printf(&A, "%.*s.%s%s", (int)(dot1 - s), s,
	    crypto_b64url_encode(&A, forged, strlen(forged)), dot2);
	assert_int_equal(check(t, TOKEN_AUD_USER), -1);
	/* one character of the payload, of the signature */
	t = arena_strdup(&A, s);
	t[dot1 - s + 5] = t[dot1 - s + 5] == 'A' ? 'B' : 'A';
	assert_int_equal(check(t, TOKEN_AUD_USER), -1);
	t = arena_strdup(&A, s);
	t[len - 2] = t[len - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(check(t, TOKEN_AUD_USER), -1);
	/* signature truncated, extended, removed */
	assert_int_equal(check(arena_strndup(&A, s, len - 1), TOKEN_AUD_USER), -1);
	assert_int_equal(check(arena_printf(&A, "%sA", s), TOKEN_AUD_USER), -1);
	assert_int_equal(check(arena_strndup(&A, s, (size_t)(dot2 - s) + 1), TOKEN_AUD_USER), -1);
	assert_int_equal(check(s, TOKEN_AUD_USER), 0);
}

static void
test_time_claims(void **state)
{
	/* expired, by a second and by a day */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32, user_grants(-1, -900, NULL)),
	    TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32, user_grants(-86400, -90000, NULL)),
	    TOKEN_AUD_USER), -1);
	/* issued in the future: 30 s is clock skew, 10 min is not */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32, user_grants(900, 30, NULL)),
	    TOKEN_AUD_USER), 0);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32, user_grants(900, 600, NULL)),
	    TOKEN_AUD_USER), -1);
	/* exp missing, a string, a float */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1}"), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1,\"exp\":\"99999999999\"}"), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1,\"exp\":99999999999.0}"), TOKEN_AUD_USER), -1);
	/* iat missing */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"exp\":99999999999}"), TOKEN_AUD_USER), -1);
	/* the same with both is accepted: the cases above fail for the claim */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_USER), 0);
}

static void
test_claims(void **state)
{
	const char *base = "{\"aud\":\"pos-user\",\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1,\"exp\":99999999999";

	/* iss wrong, missing, not a string */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    arena_printf(&A, "%s,\"iss\":\"other\"}", base)), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    arena_printf(&A, "%s}", base)), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    arena_printf(&A, "%s,\"iss\":[\"pos\"]}", base)), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    arena_printf(&A, "%s,\"iss\":\"pos\"}", base)), TOKEN_AUD_USER), 0);
	/* aud as an array */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":[\"pos-user\"],\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_USER), -1);
	/* a required claim missing, empty, or of the wrong type */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"u\",\"tid\":\"t\",\"role\":\"r\","
	    "\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":\"\",\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-user\",\"sub\":7,\"tid\":\"t\",\"role\":\"r\","
	    "\"sid\":\"s\",\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_USER), -1);
	/* device token without ver, with a string ver */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-device\",\"sub\":\"d\",\"tid\":\"t\",\"store\":\"s\","
	    "\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_DEVICE), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-device\",\"sub\":\"d\",\"tid\":\"t\",\"store\":\"s\","
	    "\"ver\":\"1\",\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_DEVICE), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-device\",\"sub\":\"d\",\"tid\":\"t\",\"store\":\"s\","
	    "\"ver\":1,\"iat\":1,\"exp\":99999999999}"), TOKEN_AUD_DEVICE), 0);
	/* a cashier token claiming another role */
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32,
	    "{\"iss\":\"pos\",\"aud\":\"pos-cashier\",\"sub\":\"c\",\"tid\":\"t\",\"store\":\"s\","
	    "\"dev\":\"d\",\"role\":\"owner\",\"ver\":1,\"iat\":1,\"exp\":99999999999}"),
	    TOKEN_AUD_CASHIER), -1);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"", ".", "..", "...", "a.b.c", "a.b.c.d", "Bearer x", "eyJ", "eyJ..",
		"..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"eyJhbGciOiJIUzI1NiJ9..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"eyJhbGciOiJIUzI1NiJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"\xff\xfe.\x01.\x02", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA=",
	};
	struct token t;
	char *s = token_issue(&A, &user, 0), *huge;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check(bad[i], TOKEN_AUD_USER), -1);
	assert_int_equal(check(NULL, TOKEN_AUD_USER), -1);
	assert_int_equal(token_check(&A, s, TOKEN_AUD_USER, NULL), -1);
	/* a valid token with a 4th part */
	assert_int_equal(check(arena_printf(&A, "%s.", s), TOKEN_AUD_USER), -1);
	/* over 4096 bytes: a valid token padded with a claim */
	huge = arena_alloc(&A, 5000);
	memset(huge, 'x', 4999);
	huge[4999] = '\0';
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32, user_grants(600, 0,
	    arena_printf(&A, ",\"pad\":\"%.3000s\"", huge))), TOKEN_AUD_USER), -1);
	assert_int_equal(check(craft(JWT_ALG_HS256, kjwt, 32, user_grants(600, 0,
	    arena_printf(&A, ",\"pad\":\"%.2000s\"", huge))), TOKEN_AUD_USER), 0);
	assert_int_equal(check(huge, TOKEN_AUD_USER), -1);
	/* out is zeroed on failure */
	memset(&t, 0x55, sizeof(t));
	assert_int_equal(token_check(&A, "x", TOKEN_AUD_USER, &t), -1);
	assert_null(t.sub);
	assert_int_equal(t.exp, 0);
}

#define T(f) cmocka_unit_test_teardown(f, reset)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_roundtrip_user),
		T(test_roundtrip_kinds),
		T(test_issue_refuses),
		T(test_wrong_audience),
		T(test_alg_none),
		T(test_other_algs),
		T(test_header_pinned),
		T(test_tampered),
		T(test_time_claims),
		T(test_claims),
		T(test_garbage),
	};

	return cmocka_run_group_tests_name("token", tests, setup, teardown);
}
