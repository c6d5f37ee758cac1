/* Unit tests for fcgi/keys.c and fcgi/crypto.c: sealed columns (round trip,
 * binding to tenant/table/column/row, tampering, key rotation, garbage),
 * key files on disk, PIN HMACs, constant-time comparison, base64url and
 * device keys.  Run under `make SAN=1 unit` so that garbage input that
 * over-reads shows up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "arena.h"
#include "crypto.h"
#include "keys.h"

static unsigned char kjwt[32], kaes[32], kpin[32];

#define T1 "11111111-1111-1111-1111-111111111111"
#define T2 "22222222-2222-2222-2222-222222222222"
#define ROW "33333333-3333-3333-3333-333333333333"

static int
setup(void **state)
{
	memset(kjwt, 'j', 32);
	memset(kaes, 'a', 32);
	memset(kpin, 'p', 32);
	arena_init(&A, 0);
	return 0;
}

/* Every test starts from the fixed keys (AES id 1 only). */
static int
fixed(void **state)
{
	keys_load_fixed(kjwt, kaes, kpin);
	return 0;
}

static char *
seal_str(const char *s)
{
	char *v = crypto_seal(&A, s, strlen(s), T1, "users", "totp_secret", ROW);

	assert_non_null(v);
	return v;
}

static int
open_str(const char *sealed, const char *tenant, const char *table, const char *col,
    const char *row, const char **out)
{
	unsigned char *p = NULL;
	size_t n = 0;
	int rc = crypto_open(&A, sealed, tenant, table, col, row, &p, &n);

	if (rc == 0) {
		assert_non_null(p);
		assert_int_equal(p[n], '\0');
		*out = (const char *)p;
	}
	return rc;
}

static void
test_seal_roundtrip(void **state)
{
	const char *out = NULL;
	char *v = seal_str("JBSWY3DPEHPK3PXP");
	unsigned char *p;
	size_t n;

	assert_int_equal(strncmp(v, "v1.1.", 5), 0);
	assert_null(strstr(v, "JBSWY3DPEHPK3PXP"));
	assert_int_equal(open_str(v, T1, "users", "totp_secret", ROW, &out), 0);
	assert_string_equal(out, "JBSWY3DPEHPK3PXP");

	/* binary with NULs, and the empty value */
	v = crypto_seal(&A, "a\0b\xff", 4, T1, "t", "c", "r");
	assert_int_equal(crypto_open(&A, v, T1, "t", "c", "r", &p, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "a\0b\xff", 4);
	v = crypto_seal(&A, "", 0, T1, "t", "c", "r");
	assert_non_null(v);
	assert_int_equal(crypto_open(&A, v, T1, "t", "c", "r", &p, &n), 0);
	assert_int_equal(n, 0);

	/* a NULL tenant (platform row) is its own place, not "" */
	v = crypto_seal(&A, "x", 1, NULL, "t", "c", "r");
	assert_int_equal(crypto_open(&A, v, NULL, "t", "c", "r", &p, &n), 0);
	assert_int_equal(crypto_open(&A, v, "", "t", "c", "r", &p, &n), -1);
	assert_null(crypto_seal(&A, "x", 1, T1, NULL, "c", "r"));
	assert_null(crypto_seal(&A, "x", 1, T1, "t", "c", NULL));
}

static void
test_seal_random_iv(void **state)
{
	char *a1 = seal_str("same"), *a2 = seal_str("same");

	assert_string_not_equal(a1, a2);
}

static void
test_open_wrong_place(void **state)
{
	char *v = seal_str("secret");
	const char *out;

	assert_int_equal(open_str(v, T2, "users", "totp_secret", ROW, &out), -1);
	assert_int_equal(open_str(v, NULL, "users", "totp_secret", ROW, &out), -1);
	assert_int_equal(open_str(v, T1, "devices", "totp_secret", ROW, &out), -1);
	assert_int_equal(open_str(v, T1, "users", "pin", ROW, &out), -1);
	assert_int_equal(open_str(v, T1, "users", "totp_secret", T2, &out), -1);
	/* shifting characters between fields must not give the same AAD */
	v = crypto_seal(&A, "x", 1, T1, "ab", "c", ROW);
	assert_int_equal(open_str(v, T1, "a", "bc", ROW, &out), -1);
	assert_int_equal(open_str(v, T1, "ab", "c", ROW, &out), 0);
}

/* Flips one bit of the decoded blob at `off` (negative: from the end). */
static char *
flip(const char *sealed, long off)
{
	const char *body = strchr(sealed + 3, '.') + 1;
	unsigned char *raw;
	size_t n;

	assert_int_equal(crypto_b64url_decode(&A, body, strlen(body), &raw, &n), 0);
	raw[off < 0 ? (long)n + off : off] ^= 0x01;
	return arena_printf(&A, "%.*s%s", (int)(body - sealed), sealed,
	    crypto_b64url_encode(&A, raw, n));
}

static void
test_open_tampered(void **state)
{
	char *v = seal_str("a longer secret value");
	const char *out;

	assert_int_equal(open_str(flip(v, 0), T1, "users", "totp_secret", ROW, &out), -1);	/* iv */
	assert_int_equal(open_str(flip(v, 11), T1, "users", "totp_secret", ROW, &out), -1);	/* iv */
	assert_int_equal(open_str(flip(v, 12), T1, "users", "totp_secret", ROW, &out), -1);	/* ct */
	assert_int_equal(open_str(flip(v, -17), T1, "users", "totp_secret", ROW, &out), -1);	/* ct */
	assert_int_equal(open_str(flip(v, -16), T1, "users", "totp_secret", ROW, &out), -1);	/* tag */
	assert_int_equal(open_str(flip(v, -1), T1, "users", "totp_secret", ROW, &out), -1);	/* tag */
	/* untouched it still opens */
	assert_int_equal(open_str(v, T1, "users", "totp_secret", ROW, &out), 0);
}

static void
test_open_key_ids(void **state)
{
	char *v = seal_str("x"), *other;
	const char *out;

	other = arena_printf(&A, "v1.2.%s", v + 5);
	assert_int_equal(open_str(other, T1, "users", "totp_secret", ROW, &out), -1);
	other = arena_printf(&A, "v1.01.%s", v + 5);
	assert_int_equal(open_str(other, T1, "users", "totp_secret", ROW, &out), -1);
	other = arena_printf(&A, "v2.1.%s", v + 5);
	assert_int_equal(open_str(other, T1, "users", "totp_secret", ROW, &out), -1);
	other = arena_printf(&A, "v1.99999999999999999999.%s", v + 5);
	assert_int_equal(open_str(other, T1, "users", "totp_secret", ROW, &out), -1);
}

static void
test_open_garbage(void **state)
{
	static const char *const bad[] = {
		"", "v", "v1", "v1.", "v1..", "v1.1", "v1.1.", "v1.1..", "v1.0.AAAA",
		"v1.-1.AAAA", "v1.1.AAAA", "v1.1.A", "v1.1.====",
		"v1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* 27 bytes: shorter than iv+tag */
		"v1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"v1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA AA",
		"v1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/",
		"dGhpcyBpcyBub3Qgc2VhbGVk", "\xff\xfe\x01",
	};
	unsigned char *p;
	char *big;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(crypto_open(&A, bad[i], T1, "t", "c", "r", &p, &n), -1);
	assert_int_equal(crypto_open(&A, NULL, T1, "t", "c", "r", &p, &n), -1);
	/* 28+ bytes of well-formed base64url that were never sealed */
	assert_int_equal(crypto_open(&A, arena_printf(&A, "v1.1.%s",
	    crypto_random_b64url(&A, 64)), T1, "t", "c", "r", &p, &n), -1);
	/* far longer than anything seal produces: refused before decoding */
	big = arena_alloc(&A, (2u << 20) + 8);
	memcpy(big, "v1.1.", 5);
	memset(big + 5, 'A', 2u << 20);
	big[5 + (2u << 20)] = '\0';
	assert_int_equal(crypto_open(&A, big, T1, "t", "c", "r", &p, &n), -1);
}

static void
test_rotation(void **state)
{
	unsigned char k2[32], *p;
	const char *out;
	char *old, *fresh;
	unsigned id = 0;
	size_t n;

	memset(k2, 'b', 32);
	old = seal_str("before rotation");
	assert_int_equal(keys_add_aes(2, k2), 0);
	assert_int_equal(keys_add_aes(2, k2), -1);	/* id taken */
	assert_int_equal(keys_add_aes(0, k2), -1);
	assert_non_null(keys_aes_current(&id));
	assert_int_equal(id, 2);
	fresh = seal_str("after rotation");
	assert_int_equal(strncmp(fresh, "v1.2.", 5), 0);
	assert_int_equal(open_str(old, T1, "users", "totp_secret", ROW, &out), 0);
	assert_string_equal(out, "before rotation");
	assert_int_equal(open_str(fresh, T1, "users", "totp_secret", ROW, &out), 0);
	assert_string_equal(out, "after rotation");
	/* the key id is bound too: key 2's value relabelled as key 1 fails */
	assert_int_equal(crypto_open(&A, arena_printf(&A, "v1.1.%s", fresh + 5),
	    T1, "users", "totp_secret", ROW, &p, &n), -1);
	/* a lower id added later does not become current */
	memset(k2, 'c', 32);
	assert_int_equal(keys_add_aes(1000, k2), 0);
	assert_int_equal(keys_add_aes(500, k2), 0);
	keys_aes_current(&id);
	assert_int_equal(id, 1000);
}

static char tmpdir[64];

static void
rm_keys(void)
{
	static const char *const files[] = { "jwt.key", "aes.keys", "pin.key" };
	char path[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/keys/%s", tmpdir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/keys", tmpdir);
	rmdir(path);
	rmdir(tmpdir);
}

static unsigned
mode_of(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static void
write_file(const char *name, const char *content, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keys/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	chmod(path, mode);
}

static void
test_key_files(void **state)
{
	unsigned char jwt1[32], pin1[32], aes1[32];
	char err[256] = "";
	unsigned id = 0;
	char *v;
	const char *out;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pos-keys-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(keys_load(tmpdir, err, sizeof(err)), 0);
	assert_true(keys_loaded());
	assert_int_equal(mode_of("keys"), 0700);
	assert_int_equal(mode_of("keys/jwt.key"), 0600);
	assert_int_equal(mode_of("keys/aes.keys"), 0600);
	assert_int_equal(mode_of("keys/pin.key"), 0600);
	memcpy(jwt1, keys_jwt(), 32);
	memcpy(pin1, keys_pin(), 32);
	memcpy(aes1, keys_aes_current(&id), 32);
	assert_int_equal(id, 1);
	assert_memory_not_equal(jwt1, pin1, 32);
	assert_memory_not_equal(jwt1, kjwt, 32);
	v = seal_str("from disk");

	/* a fixed set in between, then the same files again */
	keys_load_fixed(kjwt, kaes, kpin);
	assert_int_equal(open_str(v, T1, "users", "totp_secret", ROW, &out), -1);
	assert_int_equal(keys_load(tmpdir, err, sizeof(err)), 0);
	assert_memory_equal(keys_jwt(), jwt1, 32);
	assert_memory_equal(keys_pin(), pin1, 32);
	assert_memory_equal(keys_aes_current(&id), aes1, 32);
	assert_int_equal(open_str(v, T1, "users", "totp_secret", ROW, &out), 0);

	/* rotation through the file: a second line with a higher id */
	write_file("aes.keys", "# rotated\n1 6161616161616161616161616161616161616161616161616161616161616161\n"
	    "7 6262626262626262626262626262626262626262626262626262626262626262\n", 0600);
	assert_int_equal(keys_load(tmpdir, err, sizeof(err)), 0);
	keys_aes_current(&id);
	assert_int_equal(id, 7);
	assert_memory_equal(keys_aes_find(1), kaes, 32);

	/* refused: a malformed line, a duplicate id, group-readable files;
	 * the keys loaded before stay */
	write_file("aes.keys", "1 zz\n", 0600);
	assert_int_equal(keys_load(tmpdir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "aes.keys"));
	write_file("aes.keys", "1 6161616161616161616161616161616161616161616161616161616161616161\n"
	    "1 6262626262626262626262626262626262626262626262626262626262626262\n", 0600);
	assert_int_equal(keys_load(tmpdir, err, sizeof(err)), -1);
	write_file("aes.keys", "3 6161616161616161616161616161616161616161616161616161616161616161\n", 0640);
	assert_int_equal(keys_load(tmpdir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod"));
	keys_aes_current(&id);
	assert_int_equal(id, 7);
	write_file("jwt.key", "short", 0600);
	assert_int_equal(keys_load(tmpdir, err, sizeof(err)), -1);
	rm_keys();
}

/* Workers start together on a fresh machine: whoever creates a key file
 * first wins and everyone, the losers included, ends up with its keys. */
static void
test_key_files_race(void **state)
{
	enum { N = 8 };
	unsigned char mine[96], theirs[96];
	int fds[N][2], i;
	char err[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pos-keys-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	for (i = 0; i < N; i++) {
		pid_t pid;

		assert_int_equal(pipe(fds[i]), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			unsigned char out[96];

			close(fds[i][0]);
			if (keys_load(tmpdir, err, sizeof(err)) != 0)
				_exit(1);
			memcpy(out, keys_jwt(), 32);
			memcpy(out + 32, keys_pin(), 32);
			memcpy(out + 64, keys_aes_current(NULL), 32);
			_exit(write(fds[i][1], out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < N; i++) {
		int status = -1;

		assert_int_equal(read(fds[i][0], theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
		close(fds[i][0]);
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		if (i == 0) {
			assert_int_equal(keys_load(tmpdir, err, sizeof(err)), 0);
			memcpy(mine, keys_jwt(), 32);
			memcpy(mine + 32, keys_pin(), 32);
			memcpy(mine + 64, keys_aes_current(NULL), 32);
		}
		assert_memory_equal(mine, theirs, sizeof(mine));
	}
	rm_keys();
}

static void
test_pin_hmac(void **state)
{
	char *h1 = crypto_pin_hmac(&A, T1, "1234");
	unsigned char other[32];

	assert_int_equal(strlen(h1), 64);
	assert_string_equal(h1, crypto_pin_hmac(&A, T1, "1234"));
	assert_string_not_equal(h1, crypto_pin_hmac(&A, T2, "1234"));
	assert_string_not_equal(h1, crypto_pin_hmac(&A, T1, "1235"));
	/* the separator: ("T1", "1234") differs from ("T11", "234") */
	assert_string_not_equal(crypto_pin_hmac(&A, "a", "bc"), crypto_pin_hmac(&A, "ab", "c"));
	/* not a plain hash: it depends on the pepper */
	memset(other, 'q', 32);
	keys_load_fixed(kjwt, kaes, other);
	assert_string_not_equal(h1, crypto_pin_hmac(&A, T1, "1234"));
	assert_null(crypto_pin_hmac(&A, NULL, "1234"));
}

static void
test_sha256(void **state)
{
	assert_string_equal(crypto_sha256_hex(&A, "abc", 3),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(crypto_sha256_hex(&A, "", 0),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_compare(void **state)
{
	assert_true(crypto_eq("abcd", "abcd", 4));
	assert_false(crypto_eq("abcd", "abce", 4));
	assert_true(crypto_eq("x", "y", 0));
	assert_true(crypto_streq("token", "token"));
	assert_true(crypto_streq("", ""));
	assert_false(crypto_streq("token", "tokem"));
	assert_false(crypto_streq("toke", "token"));
	assert_false(crypto_streq("token", "toke"));
	assert_false(crypto_streq("", "t"));
	assert_false(crypto_streq("t", ""));
	assert_false(crypto_streq("tttt", "t"));
	assert_false(crypto_streq(NULL, "a"));
	assert_false(crypto_streq("a", NULL));
}

static void
test_b64url(void **state)
{
	static const struct {
		const char *raw, *enc;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "-_8" },
	};
	unsigned char *out;
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_string_equal(crypto_b64url_encode(&A, v[i].raw, strlen(v[i].raw)), v[i].enc);
		assert_int_equal(crypto_b64url_decode(&A, v[i].enc, strlen(v[i].enc), &out, &n), 0);
		assert_int_equal(n, strlen(v[i].raw));
		assert_memory_equal(out, v[i].raw, n);
	}
	assert_int_equal(crypto_b64url_decode(&A, "Zg==", 4, &out, &n), -1);	/* padding */
	assert_int_equal(crypto_b64url_decode(&A, "Zh", 2, &out, &n), -1);	/* trailing bits */
	assert_int_equal(crypto_b64url_decode(&A, "Zm9", 3, &out, &n), -1);
	assert_int_equal(crypto_b64url_decode(&A, "Z", 1, &out, &n), -1);
	assert_int_equal(crypto_b64url_decode(&A, "+/8", 3, &out, &n), -1);	/* not url alphabet */
	assert_int_equal(crypto_b64url_decode(&A, "Zm 9v", 5, &out, &n), -1);
	assert_int_equal(strlen(crypto_random_b64url(&A, 32)), 43);
	assert_string_not_equal(crypto_random_b64url(&A, 16), crypto_random_b64url(&A, 16));
}

static void
test_device_key(void **state)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char *k = crypto_random_key(&A), *n;
	size_t i;

	assert_int_equal(strlen(k), 23);
	for (i = 0; i < 23; i++) {
		if (i % 6 == 5)
			assert_int_equal(k[i], '-');
		else
			assert_non_null(strchr(alphabet, k[i]));
	}
	assert_string_not_equal(k, crypto_random_key(&A));
	n = crypto_normalize_key(&A, k);
	assert_non_null(n);
	assert_int_equal(strlen(n), 20);
	assert_null(strchr(n, '-'));

	assert_string_equal(crypto_normalize_key(&A, "abcde-fghjk-mnpqr-stvwx"), "ABCDEFGHJKMNPQRSTVWX");
	assert_string_equal(crypto_normalize_key(&A, " 0o1il 23456 789ab cdefg "), "0011123456789ABCDEFG");
	assert_string_equal(crypto_normalize_key(&A, "OOOOO-IIIII-LLLLL-lllll"), "00000111111111111111");
	assert_null(crypto_normalize_key(&A, "ABCDE-FGHJK-MNPQR-STVWU"));	/* U */
	assert_null(crypto_normalize_key(&A, "ABCDE-FGHJK-MNPQR-STVW"));	/* 19 */
	assert_null(crypto_normalize_key(&A, "ABCDE-FGHJK-MNPQR-STVWXY"));	/* 21 */
	assert_null(crypto_normalize_key(&A, "ABCDE_FGHJK-MNPQR-STVWX"));
	assert_null(crypto_normalize_key(&A, "ABCDE\tFGHJK-MNPQR-STVWX"));
	assert_null(crypto_normalize_key(&A, ""));
	assert_null(crypto_normalize_key(&A, NULL));
	assert_string_equal(crypto_sha256_hex(&A, n, strlen(n)),
	    crypto_sha256_hex(&A, crypto_normalize_key(&A, k), 20));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixed, reset)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seal_roundtrip),
		T(test_seal_random_iv),
		T(test_open_wrong_place),
		T(test_open_tampered),
		T(test_open_key_ids),
		T(test_open_garbage),
		T(test_rotation),
		T(test_key_files),
		T(test_key_files_race),
		T(test_pin_hmac),
		T(test_sha256),
		T(test_compare),
		T(test_b64url),
		T(test_device_key),
	};

	return cmocka_run_group_tests_name("crypto", tests, setup, teardown);
}
