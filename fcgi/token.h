/* API bearer tokens: HS256 JWTs signed with keys/jwt.key, through libjwt
 * 1.10, which on its own verifies only the signature (it takes the
 * algorithm from the token, skips verification without a key and checks
 * no claim).  token_check() therefore pins the header to HS256 itself and
 * checks iss, aud, exp, iat and the claims each kind requires.
 *
 *   aud           claims (besides iss, aud, iat, exp, jti)      default ttl
 *   pos-user      sub=user id, tid, role, sid=session id        15 min
 *   pos-mfa       sub=user id, tid, sid (password ok, TOTP due)  5 min
 *   pos-device    sub=device id, tid, store, ver                365 days
 *   pos-cashier   sub=cashier user id, tid, store, dev, ver,    12 h
 *                 role "cashier"
 * Claims outside the kind's list are neither issued nor returned. */
#ifndef POS_TOKEN_H
#define POS_TOKEN_H

struct arena;

#define TOKEN_AUD_USER		"pos-user"
#define TOKEN_AUD_MFA		"pos-mfa"
#define TOKEN_AUD_DEVICE	"pos-device"
#define TOKEN_AUD_CASHIER	"pos-cashier"

#define TOKEN_TTL_USER		(15L * 60)
#define TOKEN_TTL_MFA		(5L * 60)
#define TOKEN_TTL_DEVICE	(365L * 24 * 3600)
#define TOKEN_TTL_CASHIER	(12L * 3600)

#define TOKEN_MAX_LEN		4096	/* longer bearer strings are refused unread */

struct token {
	const char *aud;
	const char *sub, *tid, *role, *sid, *store, *dev;
	long long ver;		/* device token version; 0 for user/mfa tokens */
	long long exp, iat;	/* seconds since the epoch */
};

/* Signs a token of kind t->aud carrying the claims that kind requires (all
 * must be set and non-empty; a cashier's role is always "cashier").  Sets
 * iss "pos", iat now, exp now + ttl_seconds (<= 0: the kind's default) and a
 * random jti.  Returns the compact JWT in the arena, or NULL for an unknown
 * kind or a missing claim (a caller bug). */
char *token_issue(struct arena *a, const struct token *t, long ttl_seconds);

/* 0 and *out filled (strings copied into the arena) if jwt is a valid,
 * unexpired token of kind aud; -1 for anything else.  *out is zeroed first. */
int token_check(struct arena *a, const char *jwt, const char *aud, struct token *out);

#endif
