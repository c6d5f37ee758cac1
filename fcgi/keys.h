/* Process-wide secret keys, read once at start from <vardir>/keys/ and
 * read-only afterwards (STYLE: process state set once at start).
 *
 *   keys/            0700
 *   keys/jwt.key     0600  32 random bytes: HS256 secret for API tokens
 *   keys/aes.keys    0600  text, one "ID HEX64" line per AES-256 key; the
 *                          highest id encrypts, every id decrypts (rotation:
 *                          append a line with a higher id, restart workers)
 *   keys/pin.key     0600  32 random bytes: HMAC pepper for cashier PINs
 *
 * Missing files are created on first run (random bytes from RAND_bytes,
 * published atomically so racing workers all end up with the same keys).
 * A key file readable by group or others is refused.  Keys never leave
 * this module except through the accessors below, and are never logged. */
#ifndef POS_KEYS_H
#define POS_KEYS_H

#include <stddef.h>

#define KEYS_LEN	32	/* every key is 256 bits */
#define KEYS_AES_MAX	64	/* key ids kept for decryption */
#define KEYS_ID_MAX	999999999u

/* Loads (creating if missing) the three key files.  0, or -1 with a reason
 * in err (no key material in it); on failure the previous keys stay. */
int keys_load(const char *vardir, char *err, size_t errlen);
/* 1 once keys_load() or keys_load_fixed() succeeded. */
int keys_loaded(void);

/* For tests: fixed keys, the AES key gets id 1.  Returns 0. */
int keys_load_fixed(const unsigned char jwt[32], const unsigned char aes[32],
    const unsigned char pin[32]);
/* For tests and rotation: adds AES key `id` (1..KEYS_ID_MAX); the highest
 * id becomes the one that encrypts.  -1 if not loaded, the id is taken or
 * out of range, or the table is full. */
int keys_add_aes(unsigned id, const unsigned char key[32]);

/* Accessors for crypto.c and token.c.  Pointers into static storage, valid
 * until the next load; NULL when not loaded / unknown id. */
const unsigned char *keys_jwt(void);
const unsigned char *keys_pin(void);
const unsigned char *keys_aes_current(unsigned *id);
const unsigned char *keys_aes_find(unsigned id);

#endif
