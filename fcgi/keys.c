#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"

#define AES_FILE_MAX	65536	/* aes.keys is a few lines; anything bigger is wrong */

struct aes_key {
	unsigned id;
	unsigned char key[KEYS_LEN];
};

struct keyset {
	unsigned char jwt[KEYS_LEN];
	unsigned char pin[KEYS_LEN];
	struct aes_key aes[KEYS_AES_MAX];
	size_t naes;
	size_t current;		/* index of the highest id */
};

static struct keyset K;
static int loaded;

static int
add_aes(struct keyset *ks, unsigned id, const unsigned char key[KEYS_LEN])
{
	size_t i;

	if (id == 0 || id > KEYS_ID_MAX || ks->naes == KEYS_AES_MAX)
		return -1;
	for (i = 0; i < ks->naes; i++)
		if (ks->aes[i].id == id)
			return -1;
	ks->aes[ks->naes].id = id;
	memcpy(ks->aes[ks->naes].key, key, KEYS_LEN);
	if (ks->naes == 0 || id > ks->aes[ks->current].id)
		ks->current = ks->naes;
	ks->naes++;
	return 0;
}

static void
commit(struct keyset *ks)
{
	OPENSSL_cleanse(&K, sizeof(K));
	K = *ks;
	OPENSSL_cleanse(ks, sizeof(*ks));
	loaded = 1;
}

/* ---- files ---------------------------------------------------------- */

static int
write_all(int fd, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Publishes content under dir/name only if no file of that name exists:
 * written and synced under a private temporary name (O_CREAT|O_EXCL),
 * then link()ed, which fails with EEXIST if a racing process got there
 * first.  A reader therefore never sees a half-written key file.
 * 0 created, 1 already existed, -1 error. */
static int
create_exclusive(const char *dir, const char *name, const void *content, size_t n,
    char *err, size_t errlen)
{
	char tmp[4096], path[4096];
	unsigned char rnd[8];
	int fd, rc = -1;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		seterr(err, errlen, "RAND_bytes failed");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.%02x%02x%02x%02x%02x%02x%02x%02x",
		dir, name, (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		rnd[5], rnd[6], rnd[7]) >= sizeof(tmp)) {
		seterr(err, errlen, "key path too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		seterr(err, errlen, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write_all(fd, content, n) != 0 || fsync(fd) != 0) {
		seterr(err, errlen, "write %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		seterr(err, errlen, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, path) == 0) {
		fsync_dir(dir);
		rc = 0;
	} else if (errno == EEXIST) {
		rc = 1;
	} else {
		seterr(err, errlen, "link %s: %s", path, strerror(errno));
	}
out:
	(void)unlink(tmp);
	return rc;
}

/* Reads dir/name into p (at most cap bytes; a longer file is an error).
 * Returns the length, -1 on error, -2 if the file does not exist. */
static ssize_t
read_key_file(const char *dir, const char *name, unsigned char *p, size_t cap,
    char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	size_t len = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		seterr(err, errlen, "key path too long");
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -2;
		seterr(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & 077) {
		seterr(err, errlen, "%s is accessible by group or others (mode %03o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			unsigned char extra;

			r = read(fd, &extra, 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r != 0) {
				seterr(err, errlen, "%s is too long", path);
				goto fail;
			}
			break;
		}
		r = read(fd, p + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			seterr(err, errlen, "read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	return (ssize_t)len;
fail:
	close(fd);
	OPENSSL_cleanse(p, cap);
	return -1;
}

/* A 32-byte binary key file, created if missing. */
static int
load_raw(const char *dir, const char *name, unsigned char key[KEYS_LEN],
    char *err, size_t errlen)
{
	ssize_t n = read_key_file(dir, name, key, KEYS_LEN, err, errlen);

	if (n == -2) {
		unsigned char fresh[KEYS_LEN];

		if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
			seterr(err, errlen, "RAND_bytes failed");
			return -1;
		}
		n = create_exclusive(dir, name, fresh, sizeof(fresh), err, errlen);
		OPENSSL_cleanse(fresh, sizeof(fresh));
		if (n < 0)
			return -1;
		n = read_key_file(dir, name, key, KEYS_LEN, err, errlen);
	}
	if (n == -2)
		seterr(err, errlen, "%s/%s vanished", dir, name);
	if (n < 0)
		return -1;
	if (n != KEYS_LEN) {
		seterr(err, errlen, "%s/%s must hold exactly %d bytes", dir, name, KEYS_LEN);
		OPENSSL_cleanse(key, KEYS_LEN);
		return -1;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "ID HEX64" lines; blank lines and lines starting with '#' are skipped.
 * Any other line is an error: a key file we half understand is not used. */
static int
parse_aes(struct keyset *ks, const char *text, size_t len, char *err, size_t errlen)
{
	unsigned char key[KEYS_LEN];
	size_t pos = 0, lineno = 0;
	int rc = -1;

	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		const char *end = nl != NULL ? nl : text + len;
		size_t ll = (size_t)(end - line), i = 0, j;
		unsigned long id = 0;

		pos = (size_t)(end - text) + (nl != NULL);
		lineno++;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0 || line[0] == '#')
			continue;
		while (i < ll && line[i] >= '0' && line[i] <= '9' && i < 10)
			id = id * 10 + (unsigned long)(line[i++] - '0');
		if (i == 0 || line[0] == '0' || id > KEYS_ID_MAX || i >= ll ||
		    (line[i] != ' ' && line[i] != '\t'))
			goto bad;
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (ll - i != 2 * KEYS_LEN)
			goto bad;
		for (j = 0; j < KEYS_LEN; j++) {
			int hi = hexval((unsigned char)line[i + 2 * j]);
			int lo = hexval((unsigned char)line[i + 2 * j + 1]);

			if (hi < 0 || lo < 0)
				goto bad;
			key[j] = (unsigned char)(hi << 4 | lo);
		}
		if (add_aes(ks, (unsigned)id, key) != 0) {
			seterr(err, errlen, "aes.keys line %zu: duplicate id or too many keys", lineno);
			goto out;
		}
	}
	if (ks->naes == 0) {
		seterr(err, errlen, "aes.keys holds no key");
		goto out;
	}
	rc = 0;
	goto out;
bad:
	seterr(err, errlen, "aes.keys line %zu: expected \"ID HEX64\"", lineno);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

static int
load_aes(const char *dir, struct keyset *ks, char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *text = malloc(AES_FILE_MAX);
	unsigned char fresh[KEYS_LEN];
	char line[2 + 2 * KEYS_LEN + 2];
	ssize_t n;
	int rc = -1;
	size_t i;

	if (text == NULL)
		die("out of memory");
	n = read_key_file(dir, "aes.keys", text, AES_FILE_MAX, err, errlen);
	if (n == -2) {
		if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
			seterr(err, errlen, "RAND_bytes failed");
			goto out;
		}
		line[0] = '1';
		line[1] = ' ';
		for (i = 0; i < KEYS_LEN; i++) {
			line[2 + 2 * i] = hex[fresh[i] >> 4];
			line[3 + 2 * i] = hex[fresh[i] & 15];
		}
		line[2 + 2 * KEYS_LEN] = '\n';
		n = create_exclusive(dir, "aes.keys", line, 3 + 2 * KEYS_LEN, err, errlen);
		if (n < 0)
			goto out;
		n = read_key_file(dir, "aes.keys", text, AES_FILE_MAX, err, errlen);
	}
	if (n == -2)
		seterr(err, errlen, "%s/aes.keys vanished", dir);
	if (n >= 0)
		rc = parse_aes(ks, (const char *)text, (size_t)n, err, errlen);
out:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(text, AES_FILE_MAX);
	free(text);
	return rc;
}

static int
ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		seterr(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	if (st.st_mode & 077) {
		seterr(err, errlen, "%s is accessible by group or others (mode %03o); chmod 700 it",
		    dir, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

int
keys_load(const char *vardir, char *err, size_t errlen)
{
	struct keyset ks;
	char dir[4000];
	int rc = -1;

	memset(&ks, 0, sizeof(ks));
	if (vardir == NULL || *vardir == '\0') {
		seterr(err, errlen, "no vardir");
		return -1;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/keys", vardir) >= sizeof(dir)) {
		seterr(err, errlen, "vardir too long");
		return -1;
	}
	/* vardir itself may not exist yet on a fresh machine */
	if (mkdir(vardir, 0755) != 0 && errno != EEXIST) {
		seterr(err, errlen, "mkdir %s: %s", vardir, strerror(errno));
		return -1;
	}
	if (ensure_dir(dir, err, errlen) != 0 ||
	    load_raw(dir, "jwt.key", ks.jwt, err, errlen) != 0 ||
	    load_raw(dir, "pin.key", ks.pin, err, errlen) != 0 ||
	    load_aes(dir, &ks, err, errlen) != 0)
		goto out;
	commit(&ks);
	rc = 0;
out:
	OPENSSL_cleanse(&ks, sizeof(ks));
	return rc;
}

int
keys_loaded(void)
{
	return loaded;
}

int
keys_load_fixed(const unsigned char jwt[32], const unsigned char aes[32],
    const unsigned char pin[32])
{
	struct keyset ks;

	memset(&ks, 0, sizeof(ks));
	memcpy(ks.jwt, jwt, KEYS_LEN);
	memcpy(ks.pin, pin, KEYS_LEN);
	(void)add_aes(&ks, 1, aes);
	commit(&ks);
	return 0;
}

int
keys_add_aes(unsigned id, const unsigned char key[32])
{
	if (!loaded)
		return -1;
	return add_aes(&K, id, key);
}

const unsigned char *
keys_jwt(void)
{
	return loaded ? K.jwt : NULL;
}

const unsigned char *
keys_pin(void)
{
	return loaded ? K.pin : NULL;
}

const unsigned char *
keys_aes_current(unsigned *id)
{
	if (!loaded)
		return NULL;
	if (id != NULL)
		*id = K.aes[K.current].id;
	return K.aes[K.current].key;
}

const unsigned char *
keys_aes_find(unsigned id)
{
	size_t i;

	if (!loaded)
		return NULL;
	for (i = 0; i < K.naes; i++)
		if (K.aes[i].id == id)
			return K.aes[i].key;
	return NULL;
}
