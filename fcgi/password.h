/* Password hashing: argon2id through libsodium at OWASP's minimum cost
 * (19 MiB, 2 passes, 1 lane).  Passwords and hashes are never logged. */
#ifndef POS_PASSWORD_H
#define POS_PASSWORD_H

#include <sodium.h>

#define PW_OPSLIMIT	2		/* argon2 t */
#define PW_MEMLIMIT_KIB	19456		/* argon2 m, in KiB (19 MiB) */
#define PW_MAX_LEN	1024		/* longer passwords are refused, not truncated */

/* Hashes pw into out ("$argon2id$v=19$m=19456,t=2,p=1$..."). 0, or -1 for a
 * NULL/over-long password or out of memory. */
int pw_hash(const char *pw, char out[crypto_pwhash_STRBYTES]);
/* 1 if pw matches the stored hash, else 0 (also for NULL or malformed
 * input).  The comparison inside libsodium is constant time. */
int pw_verify(const char *stored, const char *pw);
/* Costs what pw_verify() costs and matches nothing: call it when the
 * account does not exist, so an unknown email answers as slowly as a
 * wrong password. */
void pw_verify_dummy(const char *pw);
/* 1 if stored is not argon2id at the current cost (or unparseable): hash
 * the password again after a successful login.  0 if it is current. */
int pw_needs_rehash(const char *stored);

#endif
