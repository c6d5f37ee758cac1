/* Razor-subset template engine: sources are parsed once into a tree kept in
 * one arena owned by the set; rendering walks that tree and never re-parses.
 *
 * Every limit that protects the stack (block nesting, condition nesting,
 * partial and layout chains) is enforced by the loader, so a template that
 * loads renders in bounded depth; the renderer keeps a cheap guard anyway. */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "buf.h"
#include "i18n.h"
#include "log.h"

#define MAX_DEPTH	64		/* nested blocks / nested condition terms */
#define MAX_LAYOUTS	8		/* layouts above a page */
#define MAX_PARTIALS	16		/* partials inside partials */
#define MAX_RENDER	2048		/* render recursion guard (never reached by loaded sets) */
/* Nested loops multiply: a template bug must not turn one request into minutes
 * of CPU or gigabytes of output.  Real pages stay far below both limits. */
#define MAX_VISITS	(16u << 20)	/* nodes rendered per page */
#define MAX_OUTPUT	(16u << 20)	/* bytes per page */
#define MAX_FILE	(1 << 20)	/* a template bigger than this is a mistake */
#define MAX_DIRS	8		/* subfolder depth under the template folder */

/* ---- parsed form ---------------------------------------------------------- */

enum vkind { V_CONST, V_PATH };

/* A value: a literal (held as a json_t constant, so comparison and output treat
 * literals and model data alike) or a path from model or a loop variable. */
struct value {
	enum vkind kind;
	json_t *cst;			/* V_CONST; owned by the set */
	const char *root;		/* V_PATH: NULL for model, else a variable name */
	const char **keys;
	size_t nkeys;
};

enum ckind { C_VALUE, C_NOT, C_EQ, C_NE, C_AND, C_OR };

struct cond {
	enum ckind kind;
	struct value a, b;		/* C_VALUE, C_EQ, C_NE */
	struct cond **kids;		/* C_NOT (one), C_AND, C_OR: n-ary so long
					 * chains of && do not nest */
	size_t nkids;
};

enum nkind { N_TEXT, N_OUT, N_T, N_IF, N_FOREACH, N_PARTIAL, N_BODY, N_SECTION };
enum omode { O_HTML, O_RAW, O_URL, O_JSON };

struct branch {
	struct cond *cond;		/* NULL for the final else */
	struct node *body;
	struct branch *next;
};

struct tmpl;

struct node {
	enum nkind kind;
	int line;
	struct node *next;
	const char *text;		/* N_TEXT: points into the template source */
	size_t len;
	enum omode mode;		/* N_OUT */
	struct value val;		/* N_OUT; N_FOREACH: the sequence */
	const char *str;		/* N_T key, N_PARTIAL and N_SECTION name, N_FOREACH var */
	struct value *args;		/* N_T */
	size_t nargs;
	const struct tmpl *owner;	/* N_T: for the warning's file name */
	atomic_flag warned;		/* N_T: warn once about a missing key */
	struct branch *branches;	/* N_IF */
	struct node *body;		/* N_FOREACH */
	struct tmpl *target;		/* N_PARTIAL, resolved after loading */
	const char **scope;		/* N_PARTIAL: loop variables visible at the call */
	size_t nscope;
	int required;			/* N_SECTION */
	struct node *next_ref;		/* N_PARTIAL / N_SECTION: per-template lists */
};

struct section {
	const char *name;
	int line;
	struct node *body;
	struct section *next;
};

/* A name used as a variable that no enclosing @foreach declares: allowed only
 * in a partial whose every call site has it in scope (checked after loading).
 * A template also needs the unmet names of the partials it calls. */
struct freevar {
	const char *name;
	int line;			/* of the use, in origin */
	const struct tmpl *origin;	/* the template that uses the name */
	const struct node *via;		/* NULL, or the call that brings it in */
	struct freevar *next;
};

struct tmpl {
	const char *name, *file;
	char *src;
	size_t len;
	struct node *body;
	struct section *sections;
	const char *layout_name;
	int layout_line;
	struct tmpl *layout;
	struct freevar *freevars;	/* used here, newest first */
	struct freevar *needs;		/* freevars + unmet ones of partials */
	int nstate;
	struct node *partials;		/* N_PARTIAL nodes, via next_ref */
	struct node *rsections;		/* N_SECTION nodes, via next_ref */
	int has_body;			/* contains @RenderBody() */
	int used_as_partial;
	int pstate, pdepth;		/* partial-cycle check */
};

struct tmpl_set {
	struct arena arena;
	struct tmpl **t;		/* sorted by name */
	size_t n;
};

/* ---- small helpers --------------------------------------------------------- */

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_id_start(char c)
{
	return is_alpha(c) || c == '_';
}

static int
is_id(char c)
{
	return is_id_start(c) || is_digit(c);
}

/* Heap memory for loading only (the set itself and temporary file data);
 * out of memory is a die(), as everywhere. */
static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static void
decref_cb(void *p)
{
	json_decref(p);
}

/* jansson returns NULL only when out of memory here (the _nocheck variants do
 * not validate), so that is a die(). */
static json_t *
own(struct tmpl_set *set, json_t *j)
{
	if (j == NULL)
		die("out of memory");
	return arena_defer(&set->arena, decref_cb, j);
}

/* ---- parser ---------------------------------------------------------------- */

struct parser {
	struct tmpl_set *set;
	struct tmpl *t;
	const char *s;
	size_t n, i;
	size_t lpos;			/* line_at() cache: line number at lpos */
	int lline;
	const char *scope[MAX_DEPTH];	/* loop variables, innermost last */
	int nscope;
	int depth;			/* open blocks */
	int cdepth;			/* open condition terms */
	char *err;
	size_t errlen;
};

struct nlist {
	struct node *head, **tail;
};

static int
line_at(struct parser *p, size_t at)
{
	/* positions mostly move forward; stepping back (to the start of a text
	 * run) walks back instead of rescanning, so loading stays linear */
	while (p->lpos > at) {
		p->lpos--;
		if (p->s[p->lpos] == '\n')
			p->lline--;
	}
	while (p->lpos < at && p->lpos < p->n) {
		if (p->s[p->lpos] == '\n')
			p->lline++;
		p->lpos++;
	}
	return p->lline;
}

static int
perr(struct parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records "file:line: message" and returns -1, so callers can `return perr()`. */
static int
perr(struct parser *p, size_t at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(p->err, p->errlen, "%s:%d: %s", p->t->file, line_at(p, at), msg);
	return -1;
}

static int
at_end(const struct parser *p)
{
	return p->i >= p->n;
}

static char
cur(const struct parser *p)
{
	return p->i < p->n ? p->s[p->i] : '\0';
}

static void
skip_ws(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\r' || p->s[p->i] == '\n'))
		p->i++;
}

/* The keyword kw at the cursor, not followed by an identifier character. */
static int
match_kw(const struct parser *p, const char *kw)
{
	size_t k = strlen(kw);

	return p->n - p->i >= k && memcmp(p->s + p->i, kw, k) == 0 &&
	    (p->i + k == p->n || !is_id(p->s[p->i + k]));
}

static const char *
read_ident(struct parser *p)
{
	size_t start = p->i;

	if (!is_id_start(cur(p)))
		return NULL;
	while (p->i < p->n && is_id(p->s[p->i]))
		p->i++;
	return arena_strndup(&p->set->arena, p->s + start, p->i - start);
}

static struct node *
new_node(struct parser *p, enum nkind kind, size_t at)
{
	struct node *nd = arena_calloc(&p->set->arena, 1, sizeof(*nd));

	nd->kind = kind;
	nd->line = line_at(p, at);
	atomic_flag_clear(&nd->warned);
	return nd;
}

static void
append(struct nlist *l, struct node *nd)
{
	*l->tail = nd;
	l->tail = &nd->next;
}

static void
add_text(struct parser *p, struct nlist *l, size_t from, size_t to)
{
	struct node *nd;

	if (to <= from)
		return;
	nd = new_node(p, N_TEXT, from);
	nd->text = p->s + from;
	nd->len = to - from;
	append(l, nd);
}

/* Whitespace-only lines around statements: `at` starts a line (after spaces or
 * tabs, which must lie in the pending text run [ts, at)) ... */
static int
line_start(const struct parser *p, size_t at, size_t ts, size_t *indent)
{
	size_t j = at;

	while (j > ts && (p->s[j - 1] == ' ' || p->s[j - 1] == '\t'))
		j--;
	if (j != 0 && p->s[j - 1] != '\n')
		return 0;
	*indent = at - j;
	return 1;
}

/* ... and `pos` is followed only by spaces up to the end of the line. */
static int
line_end(const struct parser *p, size_t pos, size_t *after)
{
	while (pos < p->n && (p->s[pos] == ' ' || p->s[pos] == '\t'))
		pos++;
	if (pos == p->n) {
		*after = pos;
		return 1;
	}
	if (p->s[pos] == '\n' || (p->s[pos] == '\r' && pos + 1 < p->n && p->s[pos + 1] == '\n')) {
		*after = pos + (p->s[pos] == '\r' ? 2 : 1);
		return 1;
	}
	return 0;
}

/* A statement from `at` to `end` that has a line to itself leaves no blank
 * line behind: flush the pending text without its indentation and continue
 * after the line break.  Returns where parsing continues. */
static size_t
flush_stmt(struct parser *p, struct nlist *l, size_t ts, size_t at, size_t end)
{
	size_t indent, after;

	if (line_start(p, at, ts, &indent) && line_end(p, end, &after)) {
		add_text(p, l, ts, at - indent);
		return after;
	}
	add_text(p, l, ts, at);
	return end;
}

/* name is a loop variable, or x_index of loop variable x. */
static int
names_has(const char *const *names, size_t n, const char *name)
{
	size_t k;

	for (k = 0; k < n; k++) {
		size_t len = strlen(names[k]);

		if (strcmp(names[k], name) == 0)
			return 1;
		if (strncmp(names[k], name, len) == 0 && strcmp(name + len, "_index") == 0)
			return 1;
	}
	return 0;
}

static const char *const reserved[] = {
	"model", "if", "else", "foreach", "section", "var", "in", "true", "false", "null",
	/* Razor/C# statements we do not support: a clear error beats "unknown variable" */
	"for", "while", "do", "switch", "using", "try", "catch", "lock", "functions",
	"helper", "inherits", "inject", "page", "layout", "namespace", "code", "await",
	"implements", "attribute", "typeparam", "case", "default", "return", "new",
	NULL
};

static int
is_reserved(const char *name)
{
	int k;

	for (k = 0; reserved[k] != NULL; k++)
		if (strcmp(reserved[k], name) == 0)
			return 1;
	return 0;
}

static int
use_var(struct parser *p, const char *name, size_t at)
{
	struct freevar *fv;

	size_t count = 0;

	if (names_has(p->scope, (size_t)p->nscope, name))
		return 0;
	for (fv = p->t->freevars; fv != NULL; fv = fv->next, count++)
		if (strcmp(fv->name, name) == 0)
			return 0;
	/* the list is searched linearly; no real partial needs this many */
	if (count >= MAX_DEPTH)
		return perr(p, at, "unknown name @%s (and too many other names that are not "
		    "model or a loop variable)", name);
	fv = arena_calloc(&p->set->arena, 1, sizeof(*fv));
	fv->name = name;
	fv->line = line_at(p, at);
	fv->origin = p->t;
	fv->next = p->t->freevars;
	p->t->freevars = fv;
	return 0;
}

/* Path continuation ".a.b" after the root; a '.' not followed by a name is
 * text ("@model.name." at the end of a sentence). */
static void
parse_keys(struct parser *p, struct value *v)
{
	size_t j = p->i, n = 0, k;

	while (j + 1 < p->n && p->s[j] == '.' && is_id_start(p->s[j + 1])) {
		j++;
		while (j < p->n && is_id(p->s[j]))
			j++;
		n++;
	}
	v->nkeys = n;
	v->keys = n ? arena_calloc(&p->set->arena, n, sizeof(*v->keys)) : NULL;
	for (k = 0; k < n; k++) {
		p->i++;
		v->keys[k] = read_ident(p);
	}
}

/* A path whose root identifier (already read) starts at `at`. */
static int
path_from(struct parser *p, const char *root, size_t at, struct value *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = V_PATH;
	if (strcmp(root, "model") == 0) {
		v->root = NULL;
	} else if (is_reserved(root) || !(root[0] == '_' || (root[0] >= 'a' && root[0] <= 'z'))) {
		return perr(p, at, "unknown name '%s' (expected model or a loop variable)", root);
	} else {
		v->root = root;
		if (use_var(p, root, at) < 0)
			return -1;
	}
	parse_keys(p, v);
	return 0;
}

/* "text" with \" and \\ escapes, on one line; the result is NUL-terminated
 * and its length stored in *len. */
static int
parse_string(struct parser *p, char **out, size_t *len)
{
	size_t open = p->i, j, k = 0;
	char *s;

	if (cur(p) != '"')
		return perr(p, p->i, "expected a \"string\"");
	for (j = p->i + 1; j < p->n && p->s[j] != '"'; j++) {
		if (p->s[j] == '\n')
			break;
		if (p->s[j] == '\\') {
			if (j + 1 >= p->n || (p->s[j + 1] != '"' && p->s[j + 1] != '\\'))
				return perr(p, j, "unsupported escape in string (only \\\" and \\\\)");
			j++;
		}
	}
	if (j >= p->n || p->s[j] != '"')
		return perr(p, open, "unterminated string");
	s = arena_alloc(&p->set->arena, j - open);
	for (p->i = open + 1; p->i < j; p->i++) {
		if (p->s[p->i] == '\\')
			p->i++;
		s[k++] = p->s[p->i];
	}
	s[k] = '\0';
	p->i = j + 1;
	*out = s;
	*len = k;
	return 0;
}

static int
parse_number(struct parser *p, struct value *v)
{
	size_t start = p->i;
	int real = 0;
	char tmp[64];

	if (cur(p) == '-')
		p->i++;
	while (is_digit(cur(p)))
		p->i++;
	if (cur(p) == '.' && p->i + 1 < p->n && is_digit(p->s[p->i + 1])) {
		real = 1;
		p->i++;
		while (is_digit(cur(p)))
			p->i++;
	}
	if (p->i - start >= sizeof(tmp))
		return perr(p, start, "number too long");
	memcpy(tmp, p->s + start, p->i - start);
	tmp[p->i - start] = '\0';
	errno = 0;
	if (real) {
		v->cst = own(p->set, json_real(strtod(tmp, NULL)));
	} else {
		long long x = strtoll(tmp, NULL, 10);

		if (errno == ERANGE)
			return perr(p, start, "number out of range");
		v->cst = own(p->set, json_integer((json_int_t)x));
	}
	v->kind = V_CONST;
	return 0;
}

static int
parse_value(struct parser *p, struct value *v)
{
	size_t at;
	const char *id;

	skip_ws(p);
	at = p->i;
	memset(v, 0, sizeof(*v));
	if (at_end(p))
		return perr(p, at, "expected a value, found the end of the file");
	if (cur(p) == '"') {
		char *s;
		size_t len;

		if (parse_string(p, &s, &len) < 0)
			return -1;
		v->kind = V_CONST;
		v->cst = own(p->set, json_stringn_nocheck(s, len));
		return 0;
	}
	if (is_digit(cur(p)) || (cur(p) == '-' && p->i + 1 < p->n && is_digit(p->s[p->i + 1])))
		return parse_number(p, v);
	id = read_ident(p);
	if (id == NULL)
		return perr(p, at, "expected a value (model.path, loop variable, \"string\", number, true, false or null)");
	v->kind = V_CONST;
	if (strcmp(id, "true") == 0)
		v->cst = json_true();
	else if (strcmp(id, "false") == 0)
		v->cst = json_false();
	else if (strcmp(id, "null") == 0)
		v->cst = json_null();
	else
		return path_from(p, id, at, v);
	return 0;
}

/* Expects c after optional whitespace; `open` is where the construct began,
 * so an unterminated one is reported where the reader can find it. */
static int
expect(struct parser *p, char c, size_t open, const char *what)
{
	skip_ws(p);
	if (at_end(p))
		return perr(p, open, "unterminated %s", what);
	if (cur(p) != c)
		return perr(p, p->i, "expected '%c' in %s", c, what);
	p->i++;
	return 0;
}

static struct cond *parse_or(struct parser *p);

static struct cond *
new_cond(struct parser *p, enum ckind kind)
{
	struct cond *c = arena_calloc(&p->set->arena, 1, sizeof(*c));

	c->kind = kind;
	return c;
}

static void
push_kid(struct parser *p, struct cond *c, struct cond *kid, size_t *cap)
{
	if (c->nkids == *cap) {
		struct cond **k = arena_calloc(&p->set->arena, *cap ? *cap * 2 : 4, sizeof(*k));

		if (c->nkids)
			memcpy(k, c->kids, c->nkids * sizeof(*k));
		c->kids = k;
		*cap = *cap ? *cap * 2 : 4;
	}
	c->kids[c->nkids++] = kid;
}

static struct cond *
parse_unary(struct parser *p)
{
	struct cond *c;
	size_t at;

	skip_ws(p);
	at = p->i;
	if (cur(p) == '!' || cur(p) == '(') {
		if (++p->cdepth > MAX_DEPTH) {
			perr(p, at, "condition nested deeper than %d", MAX_DEPTH);
			return NULL;
		}
		if (cur(p) == '!') {
			p->i++;
			c = new_cond(p, C_NOT);
			c->kids = arena_alloc(&p->set->arena, sizeof(*c->kids));
			c->nkids = 1;
			if ((c->kids[0] = parse_unary(p)) == NULL)
				return NULL;
		} else {
			p->i++;
			if ((c = parse_or(p)) == NULL)
				return NULL;
			if (expect(p, ')', at, "( in condition") < 0)
				return NULL;
		}
		p->cdepth--;
		return c;
	}
	c = new_cond(p, C_VALUE);
	if (parse_value(p, &c->a) < 0)
		return NULL;
	skip_ws(p);
	if (p->i + 1 < p->n && (p->s[p->i] == '=' || p->s[p->i] == '!') && p->s[p->i + 1] == '=') {
		c->kind = p->s[p->i] == '=' ? C_EQ : C_NE;
		p->i += 2;
		if (parse_value(p, &c->b) < 0)
			return NULL;
	} else if (cur(p) == '=' || cur(p) == '<' || cur(p) == '>') {
		perr(p, p->i, "unsupported operator in condition (only ==, !=, !, &&, ||)");
		return NULL;
	}
	return c;
}

static int
at_op(const struct parser *p, char op)
{
	return p->i + 1 < p->n && p->s[p->i] == op && p->s[p->i + 1] == op;
}

/* a && b && c (op '&') or a || b (op '|', whose terms are && chains), kept as
 * one n-ary node: a long chain must not become a deep tree. */
static struct cond *
parse_chain(struct parser *p, char op)
{
	struct cond *c = NULL;
	size_t cap = 0;

	for (;;) {
		struct cond *kid = op == '|' ? parse_chain(p, '&') : parse_unary(p);

		if (kid == NULL)
			return NULL;
		skip_ws(p);
		if (c == NULL && !at_op(p, op))
			return kid;
		if (c == NULL)
			c = new_cond(p, op == '|' ? C_OR : C_AND);
		push_kid(p, c, kid, &cap);
		if (!at_op(p, op))
			return c;
		p->i += 2;
	}
}

static struct cond *
parse_or(struct parser *p)
{
	return parse_chain(p, '|');
}

/* "(cond)" after @if / else if. */
static struct cond *
parse_cond_header(struct parser *p, const char *what)
{
	struct cond *c;
	size_t open;

	skip_ws(p);
	if (cur(p) != '(') {
		perr(p, p->i, "expected '(' after %s", what);
		return NULL;
	}
	open = p->i++;
	p->cdepth = 0;
	if ((c = parse_or(p)) == NULL)
		return NULL;
	if (expect(p, ')', open, "( in condition") < 0)
		return NULL;
	return c;
}

static int parse_nodes(struct parser *p, struct nlist *l, size_t open, int *close_alone);

/* Parses "{ ... }" (cursor at or before the '{').  `opens_line` says whether
 * the statement started its line: then a '{' that ends the line takes its line
 * break with it.  Sets *close_alone when the '}' had its own line. */
static int
parse_block(struct parser *p, struct nlist *outer, size_t *ts, size_t at,
    struct node **body, int *close_alone, const char *what)
{
	struct nlist l = { NULL, NULL };
	size_t open;

	skip_ws(p);
	if (at_end(p))
		return perr(p, at, "expected '{' after %s, found the end of the file", what);
	if (cur(p) != '{')
		return perr(p, p->i, "expected '{' after %s", what);
	open = p->i++;
	if (outer != NULL) {
		p->i = flush_stmt(p, outer, *ts, at, p->i);
	} else {
		size_t after;

		if (line_end(p, p->i, &after))
			p->i = after;
	}
	if (++p->depth > MAX_DEPTH)
		return perr(p, open, "blocks nested deeper than %d", MAX_DEPTH);
	l.tail = &l.head;
	if (parse_nodes(p, &l, open, close_alone) < 0)
		return -1;
	p->depth--;
	*body = l.head;
	return 0;
}

/* After a closing '}' on a line of its own, its line break goes too. */
static void
eat_close_line(struct parser *p, int close_alone)
{
	size_t after;

	if (close_alone && line_end(p, p->i, &after))
		p->i = after;
}

static int
parse_if(struct parser *p, struct nlist *l, size_t *ts, size_t at)
{
	struct node *nd = new_node(p, N_IF, at);
	struct branch **bt = &nd->branches;
	struct cond *c;
	int close_alone = 0, first = 1;

	if ((c = parse_cond_header(p, "@if")) == NULL)
		return -1;
	for (;;) {
		struct branch *b = arena_calloc(&p->set->arena, 1, sizeof(*b));
		size_t after, else_at;

		b->cond = c;
		if (parse_block(p, first ? l : NULL, ts, at, &b->body, &close_alone,
		    c ? "if (...)" : "else") < 0)
			return -1;
		first = 0;
		*bt = b;
		bt = &b->next;
		after = p->i;
		skip_ws(p);
		else_at = p->i;
		if (!match_kw(p, "else")) {
			p->i = after;
			break;
		}
		if (c == NULL)
			return perr(p, else_at, "else without if (after the final else)");
		p->i += 4;
		skip_ws(p);
		if (match_kw(p, "if")) {
			p->i += 2;
			if ((c = parse_cond_header(p, "else if")) == NULL)
				return -1;
		} else {
			c = NULL;
		}
	}
	eat_close_line(p, close_alone);
	append(l, nd);
	*ts = p->i;
	return 0;
}

static int
parse_foreach(struct parser *p, struct nlist *l, size_t *ts, size_t at)
{
	struct node *nd = new_node(p, N_FOREACH, at);
	size_t open, vat;
	const char *var;
	int close_alone;

	skip_ws(p);
	if (cur(p) != '(')
		return perr(p, p->i, "expected '(' after @foreach");
	open = p->i++;
	skip_ws(p);
	if (!match_kw(p, "var"))
		return perr(p, p->i, "expected 'var' in @foreach (var x in model.list)");
	p->i += 3;
	skip_ws(p);
	vat = p->i;
	if ((var = read_ident(p)) == NULL)
		return perr(p, vat, "expected a loop variable name after 'var'");
	if (is_reserved(var) || !(var[0] == '_' || (var[0] >= 'a' && var[0] <= 'z')))
		return perr(p, vat, "'%s' cannot be a loop variable (use a lowercase name)", var);
	skip_ws(p);
	if (!match_kw(p, "in"))
		return perr(p, p->i, "expected 'in' in @foreach (var x in model.list)");
	p->i += 2;
	if (parse_value(p, &nd->val) < 0)
		return -1;
	if (nd->val.kind != V_PATH)
		return perr(p, open, "@foreach needs a path such as model.items");
	if (expect(p, ')', open, "( of @foreach") < 0)
		return -1;
	if (p->nscope >= MAX_DEPTH)
		return perr(p, at, "blocks nested deeper than %d", MAX_DEPTH);
	nd->str = var;
	p->scope[p->nscope++] = var;
	if (parse_block(p, l, ts, at, &nd->body, &close_alone, "@foreach (...)") < 0)
		return -1;
	p->nscope--;
	eat_close_line(p, close_alone);
	append(l, nd);
	*ts = p->i;
	return 0;
}

static int
parse_section(struct parser *p, struct nlist *l, size_t *ts, size_t at)
{
	struct section *sec, *s;
	size_t nat;
	int close_alone, count = 0;

	if (p->depth > 0)
		return perr(p, at, "@section must be at the top level of a template");
	skip_ws(p);
	nat = p->i;
	sec = arena_calloc(&p->set->arena, 1, sizeof(*sec));
	if ((sec->name = read_ident(p)) == NULL)
		return perr(p, nat, "expected a section name after @section");
	sec->line = line_at(p, at);
	for (s = p->t->sections; s != NULL; s = s->next, count++)
		if (strcmp(s->name, sec->name) == 0)
			return perr(p, at, "section '%s' defined twice (first at line %d)",
			    sec->name, s->line);
	if (count >= MAX_DEPTH)
		return perr(p, at, "more than %d sections in one template", MAX_DEPTH);
	if (parse_block(p, l, ts, at, &sec->body, &close_alone, "@section name") < 0)
		return -1;
	eat_close_line(p, close_alone);
	sec->next = p->t->sections;
	p->t->sections = sec;
	*ts = p->i;
	return 0;
}

/* @{ Layout = "name"; } is the only code block: anything else is refused
 * rather than half-understood. */
static int
parse_code(struct parser *p, struct nlist *l, size_t *ts, size_t at)
{
	static const char usage[] = "only @{ Layout = \"name\"; } is supported in a code block";
	char *name;
	size_t len;

	if (p->depth > 0)
		return perr(p, at, "@{ ... } must be at the top level of a template");
	skip_ws(p);
	if (at_end(p))
		return perr(p, at, "unterminated @{");
	if (!match_kw(p, "Layout"))
		return perr(p, p->i, "%s", usage);
	p->i += 6;
	skip_ws(p);
	if (cur(p) != '=')
		return perr(p, p->i, "%s", usage);
	p->i++;
	skip_ws(p);
	if (at_end(p))
		return perr(p, at, "unterminated @{");
	if (parse_string(p, &name, &len) < 0)
		return -1;
	if (len == 0 || strlen(name) != len)
		return perr(p, at, "empty layout name");
	skip_ws(p);
	if (cur(p) == ';')
		p->i++;
	if (expect(p, '}', at, "@{") < 0)
		return -1;
	if (p->t->layout_name != NULL)
		return perr(p, at, "Layout set twice (first at line %d)", p->t->layout_line);
	p->t->layout_name = name;
	p->t->layout_line = line_at(p, at);
	p->i = flush_stmt(p, l, *ts, at, p->i);
	*ts = p->i;
	return 0;
}

/* "(" value ")" right after a directive name. */
static int
parse_call1(struct parser *p, const char *what, struct value *v)
{
	size_t open = p->i;

	if (cur(p) != '(')
		return perr(p, p->i, "expected '(' right after %s", what);
	p->i++;
	if (parse_value(p, v) < 0)
		return -1;
	return expect(p, ')', open, what);
}

/* "(" "name" [, true|false] ")" for Html.Partial and RenderSection. */
static int
parse_name_call(struct parser *p, const char *what, const char **name, int *flag)
{
	size_t open = p->i, len;
	char *s;

	if (cur(p) != '(')
		return perr(p, p->i, "expected '(' right after %s", what);
	p->i++;
	skip_ws(p);
	if (at_end(p))
		return perr(p, open, "unterminated %s", what);
	if (parse_string(p, &s, &len) < 0)
		return -1;
	if (len == 0 || strlen(s) != len)
		return perr(p, open, "empty name in %s", what);
	*name = s;
	skip_ws(p);
	if (flag != NULL && cur(p) == ',') {
		p->i++;
		skip_ws(p);
		if (match_kw(p, "true")) {
			*flag = 1;
			p->i += 4;
		} else if (match_kw(p, "false")) {
			*flag = 0;
			p->i += 5;
		} else {
			return perr(p, p->i, "expected true or false in %s", what);
		}
	}
	return expect(p, ')', open, what);
}

static int
parse_t(struct parser *p, struct node *nd)
{
	size_t open = p->i, len, cap = 0;
	char *key;

	if (cur(p) != '(')
		return perr(p, p->i, "expected '(' right after @T");
	p->i++;
	skip_ws(p);
	if (at_end(p))
		return perr(p, open, "unterminated @T(");
	if (cur(p) != '"')
		return perr(p, p->i, "@T needs a \"message.key\" string first");
	if (parse_string(p, &key, &len) < 0)
		return -1;
	if (len == 0 || strlen(key) != len)
		return perr(p, open, "empty message key in @T");
	nd->str = key;
	for (;;) {
		skip_ws(p);
		if (at_end(p))
			return perr(p, open, "unterminated @T(");
		if (cur(p) == ')') {
			p->i++;
			return 0;
		}
		if (cur(p) != ',')
			return perr(p, p->i, "expected ',' or ')' in @T");
		p->i++;
		if (nd->nargs == cap) {
			struct value *a = arena_calloc(&p->set->arena, cap ? cap * 2 : 4, sizeof(*a));

			if (nd->nargs)
				memcpy(a, nd->args, nd->nargs * sizeof(*a));
			nd->args = a;
			cap = cap ? cap * 2 : 4;
		}
		if (parse_value(p, &nd->args[nd->nargs]) < 0)
			return -1;
		nd->nargs++;
	}
}

/* The cursor is just after '@' (at `at`); ident has been read. */
static int
parse_directive(struct parser *p, struct nlist *l, size_t *ts, size_t at, const char *id)
{
	struct node *nd;

	if (strcmp(id, "if") == 0)
		return parse_if(p, l, ts, at);
	if (strcmp(id, "foreach") == 0)
		return parse_foreach(p, l, ts, at);
	if (strcmp(id, "section") == 0)
		return parse_section(p, l, ts, at);
	if (strcmp(id, "else") == 0)
		return perr(p, at, "else without if");
	nd = new_node(p, N_OUT, at);
	nd->mode = O_HTML;
	if (strcmp(id, "T") == 0) {
		nd->kind = N_T;
		nd->owner = p->t;
		if (parse_t(p, nd) < 0)
			return -1;
	} else if (strcmp(id, "Html") == 0) {
		const char *m;
		size_t mat;

		if (cur(p) != '.')
			return perr(p, p->i, "expected @Html.Raw(...) or @Html.Partial(\"name\")");
		p->i++;
		mat = p->i;
		m = read_ident(p);
		if (m != NULL && strcmp(m, "Raw") == 0) {
			nd->mode = O_RAW;
			if (parse_call1(p, "@Html.Raw", &nd->val) < 0)
				return -1;
		} else if (m != NULL && strcmp(m, "Partial") == 0) {
			nd->kind = N_PARTIAL;
			if (parse_name_call(p, "@Html.Partial", &nd->str, NULL) < 0)
				return -1;
			nd->nscope = (size_t)p->nscope;
			nd->scope = arena_calloc(&p->set->arena, nd->nscope + 1, sizeof(*nd->scope));
			memcpy(nd->scope, p->scope, nd->nscope * sizeof(*nd->scope));
			nd->next_ref = p->t->partials;
			p->t->partials = nd;
		} else {
			return perr(p, mat, "unknown directive @Html.%s (only Raw and Partial)",
			    m ? m : "");
		}
	} else if (strcmp(id, "Url") == 0 || strcmp(id, "Json") == 0) {
		nd->mode = id[0] == 'U' ? O_URL : O_JSON;
		if (parse_call1(p, id[0] == 'U' ? "@Url" : "@Json", &nd->val) < 0)
			return -1;
	} else if (strcmp(id, "RenderBody") == 0) {
		nd->kind = N_BODY;
		if (cur(p) != '(' || p->i + 1 >= p->n || p->s[p->i + 1] != ')')
			return perr(p, at, "expected @RenderBody()");
		p->i += 2;
		p->t->has_body = 1;
	} else if (strcmp(id, "RenderSection") == 0) {
		nd->kind = N_SECTION;
		if (parse_name_call(p, "@RenderSection", &nd->str, &nd->required) < 0)
			return -1;
		nd->next_ref = p->t->rsections;
		p->t->rsections = nd;
	} else if (strcmp(id, "model") == 0 ||
	    (!is_reserved(id) && (id[0] == '_' || (id[0] >= 'a' && id[0] <= 'z')))) {
		if (path_from(p, id, at, &nd->val) < 0)
			return -1;
	} else {
		return perr(p, at, "unknown directive @%s (write @@ for a literal @)", id);
	}
	add_text(p, l, *ts, at);
	append(l, nd);
	*ts = p->i;
	return 0;
}

/* At '@' (not "@@", not after a letter or digit). */
static int
parse_at(struct parser *p, struct nlist *l, size_t *ts)
{
	size_t at = p->i;
	const char *id;

	p->i++;
	if (at_end(p))
		return perr(p, at, "lone @ at the end of the file (write @@ for a literal @)");
	switch (cur(p)) {
	case '*': {
		const char *end = NULL;
		size_t j;

		for (j = p->i + 1; j + 1 < p->n; j++)
			if (p->s[j] == '*' && p->s[j + 1] == '@') {
				end = p->s + j + 2;
				break;
			}
		if (end == NULL)
			return perr(p, at, "unterminated comment @* (no *@)");
		p->i = flush_stmt(p, l, *ts, at, (size_t)(end - p->s));
		*ts = p->i;
		return 0;
	}
	case '(': {
		struct node *nd = new_node(p, N_OUT, at);

		nd->mode = O_HTML;
		if (parse_call1(p, "@(", &nd->val) < 0)
			return -1;
		add_text(p, l, *ts, at);
		append(l, nd);
		*ts = p->i;
		return 0;
	}
	case '{':
		p->i++;
		return parse_code(p, l, ts, at);
	default:
		break;
	}
	if ((id = read_ident(p)) == NULL)
		return perr(p, at, "unexpected character after @ (write @@ for a literal @)");
	return parse_directive(p, l, ts, at, id);
}

/* Text and directives up to the end of the file, or inside a block (open is
 * the block's '{') up to the '}' that balances it. */
static int
parse_nodes(struct parser *p, struct nlist *l, size_t open, int *close_alone)
{
	int in_block = close_alone != NULL, braces = 0;
	size_t ts = p->i;

	while (p->i < p->n) {
		char c = p->s[p->i];

		if (c == '@') {
			if (p->i + 1 < p->n && p->s[p->i + 1] == '@') {
				add_text(p, l, ts, p->i + 1);
				p->i += 2;
				ts = p->i;
				continue;
			}
			/* Razor: user@example.com is text.  A byte >= 0x80 ends a
			 * UTF-8 character, nearly always a letter (почта@пример.рф). */
			if (p->i > 0 && (is_alpha(p->s[p->i - 1]) || is_digit(p->s[p->i - 1]) ||
			    (unsigned char)p->s[p->i - 1] >= 0x80)) {
				p->i++;
				continue;
			}
			if (parse_at(p, l, &ts) < 0)
				return -1;
			continue;
		}
		if (in_block && c == '{') {
			braces++;
		} else if (in_block && c == '}') {
			if (braces == 0) {
				size_t indent;

				*close_alone = line_start(p, p->i, ts, &indent);
				add_text(p, l, ts, *close_alone ? p->i - indent : p->i);
				p->i++;
				return 0;
			}
			braces--;
		}
		p->i++;
	}
	if (in_block)
		return perr(p, open, "unterminated block: this '{' has no matching '}'");
	add_text(p, l, ts, p->i);
	return 0;
}

static int
parse_tmpl(struct tmpl_set *set, struct tmpl *t, char *err, size_t errlen)
{
	struct parser p;
	struct nlist l;

	memset(&p, 0, sizeof(p));
	p.set = set;
	p.t = t;
	p.s = t->src;
	p.n = t->len;
	p.lline = 1;
	p.err = err;
	p.errlen = errlen;
	l.head = NULL;
	l.tail = &l.head;
	if (parse_nodes(&p, &l, 0, NULL) < 0)
		return -1;
	t->body = l.head;
	return 0;
}

/* ---- linking: names, cycles, sections, scopes ------------------------------ */

static int
cmp_tmpl(const void *a, const void *b)
{
	return strcmp((*(struct tmpl *const *)a)->name, (*(struct tmpl *const *)b)->name);
}

static struct tmpl *
find(const struct tmpl_set *set, const char *name)
{
	size_t lo = 0, hi = set->n;

	if (name == NULL)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, set->t[mid]->name);

		if (c == 0)
			return set->t[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct section *
find_section(const struct tmpl *t, const char *name)
{
	const struct section *s;

	for (s = t->sections; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

enum { PS_NEW, PS_VISITING, PS_DONE };

/* Longest chain of partials below t; a cycle or a chain longer than
 * MAX_PARTIALS is an error (recursion here is bounded by the same limit). */
static int
partial_depth(struct tmpl *t, int d, char *err, size_t errlen)
{
	struct node *n;
	int max = 0;

	if (t->pstate == PS_DONE)
		return t->pdepth;
	t->pstate = PS_VISITING;
	for (n = t->partials; n != NULL; n = n->next_ref) {
		int k;

		if (n->target->pstate == PS_VISITING || d + 1 > MAX_PARTIALS) {
			seterr(err, errlen, "%s:%d: partial '%s' %s", t->file, n->line, n->str,
			    n->target->pstate == PS_VISITING ? "leads back to itself (a cycle)" :
			    "nested too deeply");
			return -1;
		}
		if ((k = partial_depth(n->target, d + 1, err, errlen)) < 0)
			return -1;
		if (d + 1 + k > MAX_PARTIALS) {
			seterr(err, errlen, "%s:%d: partial '%s' nested too deeply", t->file,
			    n->line, n->str);
			return -1;
		}
		if (k + 1 > max)
			max = k + 1;
	}
	t->pstate = PS_DONE;
	t->pdepth = max;
	return max;
}

static int
need_line(const struct freevar *fv)
{
	return fv->via != NULL ? fv->via->line : fv->line;
}

static int
has_need(const struct freevar *l, const char *name)
{
	for (; l != NULL; l = l->next)
		if (strcmp(l->name, name) == 0)
			return 1;
	return 0;
}

/* Names t needs from its callers: its own free variables plus those of its
 * partials that the call site does not bind.  Runs after the cycle check, so
 * the recursion is at most MAX_PARTIALS deep. */
static void
compute_needs(struct tmpl_set *set, struct tmpl *t)
{
	const struct freevar *fv;
	const struct node *n;

	if (t->nstate)
		return;
	t->nstate = 1;
	for (fv = t->freevars; fv != NULL; fv = fv->next) {
		struct freevar *c = arena_alloc(&set->arena, sizeof(*c));

		*c = *fv;
		c->next = t->needs;
		t->needs = c;
	}
	for (n = t->partials; n != NULL; n = n->next_ref) {
		compute_needs(set, n->target);
		for (fv = n->target->needs; fv != NULL; fv = fv->next) {
			struct freevar *c;

			if (names_has(n->scope, n->nscope, fv->name) || has_need(t->needs, fv->name))
				continue;
			c = arena_alloc(&set->arena, sizeof(*c));
			*c = *fv;
			c->via = n;
			c->next = t->needs;
			t->needs = c;
		}
	}
}

static int
link_set(struct tmpl_set *set, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct tmpl *t = set->t[i];
		struct node *n;

		if (t->layout_name != NULL && (t->layout = find(set, t->layout_name)) == NULL) {
			seterr(err, errlen, "%s:%d: unknown layout '%s'", t->file, t->layout_line,
			    t->layout_name);
			return -1;
		}
		for (n = t->partials; n != NULL; n = n->next_ref) {
			if ((n->target = find(set, n->str)) == NULL) {
				seterr(err, errlen, "%s:%d: unknown partial '%s'", t->file, n->line, n->str);
				return -1;
			}
			n->target->used_as_partial = 1;
		}
	}
	for (i = 0; i < set->n; i++) {
		struct tmpl *t = set->t[i], *x;
		const struct node *n;
		int k = 0;

		for (x = t->layout; x != NULL; x = x->layout)
			if (++k > MAX_LAYOUTS) {
				seterr(err, errlen, "%s:%d: layout chain longer than %d (a cycle?)",
				    t->file, t->layout_line, MAX_LAYOUTS);
				return -1;
			}
		if (t->layout == NULL)
			continue;
		if (!t->layout->has_body) {
			seterr(err, errlen, "%s:%d: layout '%s' has no @RenderBody()", t->file,
			    t->layout_line, t->layout_name);
			return -1;
		}
		for (n = t->layout->rsections; n != NULL; n = n->next_ref)
			if (n->required && find_section(t, n->str) == NULL) {
				seterr(err, errlen, "%s:%d: layout '%s' requires @section %s (%s:%d)",
				    t->file, t->layout_line, t->layout_name, n->str,
				    t->layout->file, n->line);
				return -1;
			}
	}
	for (i = 0; i < set->n; i++)
		if (partial_depth(set->t[i], 0, err, errlen) < 0)
			return -1;
	for (i = 0; i < set->n; i++) {
		struct tmpl *t = set->t[i];
		const struct freevar *fv, *first = NULL;

		compute_needs(set, t);
		if (t->used_as_partial)
			continue;	/* its callers supply the names */
		for (fv = t->needs; fv != NULL; fv = fv->next)
			if (first == NULL || need_line(fv) < need_line(first))
				first = fv;
		if (first == NULL)
			continue;
		if (first->via == NULL)
			seterr(err, errlen, "%s:%d: unknown name @%s (not model or a loop variable)",
			    t->file, first->line, first->name);
		else
			seterr(err, errlen, "%s:%d: partial '%s' uses @%s (%s:%d), which is not in "
			    "scope here", t->file, first->via->line, first->via->str, first->name,
			    first->origin->file, first->line);
		return -1;
	}
	return 0;
}

/* ---- loading --------------------------------------------------------------- */

void
tmpl_set_free(struct tmpl_set *set)
{
	if (set == NULL)
		return;
	arena_free(&set->arena);
	free(set);
}

static int
name_ok(const char *name)
{
	const char *s;

	if (name == NULL || *name == '\0' || *name == '/')
		return 0;
	for (s = name; *s != '\0'; s++)
		if (*s == '"' || *s == '\n' || (s[0] == '/' && (s[1] == '/' || s[1] == '\0')))
			return 0;
	return 1;
}

static struct tmpl_set *
load_sources(const char *const names[], const char *const sources[], const size_t lens[],
    size_t n, char *err, size_t errlen)
{
	struct tmpl_set *set = xcalloc(1, sizeof(*set));
	size_t i;

	arena_init(&set->arena, 65536);
	set->n = n;
	set->t = arena_calloc(&set->arena, n ? n : 1, sizeof(*set->t));
	for (i = 0; i < n; i++) {
		struct tmpl *t = arena_calloc(&set->arena, 1, sizeof(*t));

		if (!name_ok(names[i])) {
			seterr(err, errlen, "bad template name '%s'", names[i] ? names[i] : "(null)");
			goto fail;
		}
		t->name = arena_strdup(&set->arena, names[i]);
		t->file = arena_printf(&set->arena, "%s.cshtml", names[i]);
		t->len = lens[i];
		t->src = arena_strndup(&set->arena, sources[i], lens[i]);
		set->t[i] = t;
	}
	qsort(set->t, n, sizeof(*set->t), cmp_tmpl);
	for (i = 0; i + 1 < n; i++)
		if (strcmp(set->t[i]->name, set->t[i + 1]->name) == 0) {
			seterr(err, errlen, "template '%s' given twice", set->t[i]->name);
			goto fail;
		}
	for (i = 0; i < n; i++)
		if (parse_tmpl(set, set->t[i], err, errlen) < 0)
			goto fail;
	if (link_set(set, err, errlen) < 0)
		goto fail;
	return set;
fail:
	tmpl_set_free(set);
	return NULL;
}

struct tmpl_set *
tmpl_set_load_mem(const char *const names[], const char *const sources[], size_t n,
    char *err, size_t errlen)
{
	struct tmpl_set *set;
	size_t *lens = xcalloc(n, sizeof(*lens)), i;

	for (i = 0; i < n; i++)
		lens[i] = sources[i] != NULL ? strlen(sources[i]) : 0;
	for (i = 0; i < n; i++)
		if (sources[i] == NULL) {
			seterr(err, errlen, "template '%s' has no source", names[i] ? names[i] : "");
			free(lens);
			return NULL;
		}
	set = load_sources(names, sources, lens, n, err, errlen);
	free(lens);
	return set;
}

/* Files found under the template folder, kept in plain heap arrays while
 * loading (the set's arena would keep them for the life of the process). */
struct filelist {
	char **names, **srcs;
	size_t *lens;
	size_t n, cap;
};

static void
fl_free(struct filelist *fl)
{
	size_t i;

	for (i = 0; i < fl->n; i++) {
		free(fl->names[i]);
		free(fl->srcs[i]);
	}
	free(fl->names);
	free(fl->srcs);
	free(fl->lens);
}

static int
read_file(const char *path, const char *rel, char **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *s;
	size_t n;

	if (f == NULL) {
		seterr(err, errlen, "%s: %s", rel, strerror(errno));
		return -1;
	}
	s = xcalloc(MAX_FILE + 1, 1);
	n = fread(s, 1, MAX_FILE + 1, f);
	if (ferror(f) || n > MAX_FILE) {
		seterr(err, errlen, "%s: %s", rel, ferror(f) ? "read error" : "larger than 1 MiB");
		fclose(f);
		free(s);
		return -1;
	}
	fclose(f);
	if (memchr(s, '\0', n) != NULL) {
		seterr(err, errlen, "%s: contains a NUL byte", rel);
		free(s);
		return -1;
	}
	/* keep only what the file holds while the other files are read */
	*out = xcalloc(n + 1, 1);
	memcpy(*out, s, n);
	free(s);
	*len = n;
	return 0;
}

/* a + b + c in a fresh heap string (loading only; freed by the caller). */
static char *
join3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = xcalloc(la + lb + lc + 1, 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

static int
walk(const char *dir, const char *prefix, int depth, struct filelist *fl, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);
		char *path, *rel;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;	/* ., .., editor and VCS files */
		path = join3(dir, "/", e->d_name);
		rel = join3(prefix, e->d_name, "");
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth >= MAX_DIRS) {
				seterr(err, errlen, "%s: folders nested too deeply", rel);
				rc = -1;
			} else {
				char *sub = join3(rel, "/", "");

				rc = walk(path, sub, depth + 1, fl, err, errlen);
				free(sub);
			}
		} else if (nl > 7 && strcmp(e->d_name + nl - 7, ".cshtml") == 0) {
			if (fl->n == fl->cap) {
				fl->cap = fl->cap ? fl->cap * 2 : 32;
				fl->names = realloc(fl->names, fl->cap * sizeof(*fl->names));
				fl->srcs = realloc(fl->srcs, fl->cap * sizeof(*fl->srcs));
				fl->lens = realloc(fl->lens, fl->cap * sizeof(*fl->lens));
				if (fl->names == NULL || fl->srcs == NULL || fl->lens == NULL)
					die("out of memory");
			}
			if (read_file(path, rel, &fl->srcs[fl->n], &fl->lens[fl->n], err, errlen) < 0) {
				rc = -1;
			} else {
				rel[strlen(rel) - 7] = '\0';
				fl->names[fl->n++] = rel;
				rel = NULL;
			}
		}
		free(path);
		free(rel);
	}
	closedir(d);
	return rc;
}

struct tmpl_set *
tmpl_set_load(const char *dir, char *err, size_t errlen)
{
	struct filelist fl;
	struct tmpl_set *set = NULL;

	memset(&fl, 0, sizeof(fl));
	if (walk(dir, "", 0, &fl, err, errlen) == 0)
		set = load_sources((const char *const *)fl.names, (const char *const *)fl.srcs,
		    fl.lens, fl.n, err, errlen);
	fl_free(&fl);
	return set;
}

int
tmpl_exists(const struct tmpl_set *set, const char *name)
{
	return set != NULL && find(set, name) != NULL;
}

/* ---- i18n check ------------------------------------------------------------ */

static int
check_t_nodes(const struct tmpl *t, const struct node *n, const struct i18n *cat,
    char *err, size_t errlen)
{
	for (; n != NULL; n = n->next) {
		const struct branch *b;

		if (n->kind == N_T) {
			const char *msg = i18n_get(cat, "ru", n->str), *s;

			if (msg == NULL) {
				seterr(err, errlen, "%s:%d: unknown message key '%s'", t->file,
				    n->line, n->str);
				return -1;
			}
			for (s = msg; *s != '\0'; s++) {
				size_t k = 0;
				const char *q = s + 1;

				if (*s != '{' || !is_digit(*q))
					continue;
				while (is_digit(*q) && k < 1000)
					k = k * 10 + (size_t)(*q++ - '0');
				if (*q == '}' && k >= n->nargs) {
					seterr(err, errlen, "%s:%d: message '%s' uses {%zu} but @T passes "
					    "%zu value(s)", t->file, n->line, n->str, k, n->nargs);
					return -1;
				}
			}
		} else if (n->kind == N_IF) {
			for (b = n->branches; b != NULL; b = b->next)
				if (check_t_nodes(t, b->body, cat, err, errlen) < 0)
					return -1;
		} else if (n->kind == N_FOREACH) {
			if (check_t_nodes(t, n->body, cat, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

int
tmpl_set_check_i18n(const struct tmpl_set *set, const struct i18n *cat, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct tmpl *t = set->t[i];
		const struct section *s;

		if (check_t_nodes(t, t->body, cat, err, errlen) < 0)
			return -1;
		for (s = t->sections; s != NULL; s = s->next)
			if (check_t_nodes(t, s->body, cat, err, errlen) < 0)
				return -1;
	}
	return 0;
}

/* ---- rendering ------------------------------------------------------------- */

/* Loop variables live in frames on the C stack, linked innermost first; a
 * partial continues its caller's chain, so it sees the caller's variables. */
struct scope {
	const char *name;
	json_t *val;
	json_t *index;			/* made on first use of name_index */
	size_t i;
	struct scope *up;
};

struct rctx {
	json_t *model;
	const struct i18n *cat;
	const char *lang;
	struct buf *out;
	const struct tmpl *chain[MAX_LAYOUTS + 1];	/* page, its layout, ... */
	int depth;
	size_t visits, out_start;
	int over;			/* a limit was hit: stop rendering */
};

static json_t *
scope_get(struct scope *sc, const char *name)
{
	for (; sc != NULL; sc = sc->up) {
		size_t len = strlen(sc->name);

		if (strcmp(sc->name, name) == 0)
			return sc->val;
		if (strncmp(sc->name, name, len) == 0 && strcmp(name + len, "_index") == 0) {
			/* a json_t per loop only when a template asks for the index */
			if (sc->index == NULL && (sc->index = json_integer((json_int_t)sc->i)) == NULL)
				die("out of memory");
			return sc->index;
		}
	}
	return NULL;
}

/* Borrowed reference, or NULL for missing. */
static json_t *
eval(const struct rctx *r, const struct value *v, struct scope *sc)
{
	json_t *j;
	size_t k;

	if (v->kind == V_CONST)
		return v->cst;
	j = v->root == NULL ? r->model : scope_get(sc, v->root);
	for (k = 0; k < v->nkeys && j != NULL; k++)
		j = json_is_object(j) ? json_object_get(j, v->keys[k]) : NULL;
	return j;
}

static int
truthy(const json_t *j)
{
	if (j == NULL)
		return 0;
	switch (json_typeof(j)) {
	case JSON_STRING: return json_string_length(j) > 0;
	case JSON_INTEGER: return json_integer_value(j) != 0;
	case JSON_REAL: return json_real_value(j) != 0.0;
	case JSON_TRUE: return 1;
	case JSON_ARRAY: return json_array_size(j) > 0;
	case JSON_OBJECT: return json_object_size(j) > 0;
	default: return 0;
	}
}

/* Missing equals null; numbers compare by value (3 == 3.0); strings by bytes. */
static int
equal(const json_t *a, const json_t *b)
{
	if (a == NULL || json_is_null(a))
		return b == NULL || json_is_null(b);
	if (b == NULL || json_is_null(b))
		return 0;
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_string(a) && json_is_string(b))
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	return json_equal(a, b);
}

static int
cond_eval(const struct rctx *r, const struct cond *c, struct scope *sc)
{
	size_t k;

	switch (c->kind) {
	case C_VALUE: return truthy(eval(r, &c->a, sc));
	case C_NOT: return !cond_eval(r, c->kids[0], sc);
	case C_EQ: return equal(eval(r, &c->a, sc), eval(r, &c->b, sc));
	case C_NE: return !equal(eval(r, &c->a, sc), eval(r, &c->b, sc));
	case C_AND:
		for (k = 0; k < c->nkids; k++)
			if (!cond_eval(r, c->kids[k], sc))
				return 0;
		return 1;
	case C_OR:
		for (k = 0; k < c->nkids; k++)
			if (cond_eval(r, c->kids[k], sc))
				return 1;
		return 0;
	}
	return 0;
}

/* JSON text from json_dumps made safe inside <script>: '<', '>', '&' and '\''
 * only occur inside strings there, where \u escapes mean the same. */
static void
put_script_safe(struct buf *out, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep = NULL;
		size_t skip = 1;

		switch (s[i]) {
		case '<': rep = "\\u003c"; break;
		case '>': rep = "\\u003e"; break;
		case '&': rep = "\\u0026"; break;
		case '\'': rep = "\\u0027"; break;
		case '\xe2':
			if (i + 2 < n && s[i + 1] == '\x80' && (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
				rep = s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
				skip = 3;
			}
			break;
		default: break;
		}
		if (rep == NULL)
			continue;
		buf_put(out, s + start, i - start);
		buf_puts(out, rep);
		i += skip - 1;
		start = i + 1;
	}
	buf_put(out, s + start, n - start);
}

static void
emit_json(struct buf *out, const json_t *j)
{
	char *s;

	if (j == NULL) {
		buf_puts(out, "null");
		return;
	}
	if (json_is_string(j)) {
		buf_jsstr(out, json_string_value(j), json_string_length(j));
		return;
	}
	s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (s == NULL) {
		log_error("tmpl: cannot encode a value as JSON");
		buf_puts(out, "null");
		return;
	}
	put_script_safe(out, s, strlen(s));
	free(s);
}

static void
emit(struct buf *out, const json_t *j, enum omode m)
{
	char num[64];
	const char *s;
	size_t n;
	int k;

	if (m == O_JSON) {
		emit_json(out, j);
		return;
	}
	if (j == NULL)
		return;
	switch (json_typeof(j)) {
	case JSON_STRING:
		s = json_string_value(j);
		n = json_string_length(j);
		break;
	case JSON_INTEGER:
		k = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		s = num;
		n = k > 0 ? (size_t)k : 0;
		break;
	case JSON_REAL:
		k = snprintf(num, sizeof(num), "%.15g", json_real_value(j));
		s = num;
		n = k > 0 ? (size_t)k : 0;
		break;
	case JSON_TRUE: s = "true"; n = 4; break;
	case JSON_FALSE: s = "false"; n = 5; break;
	default: return;	/* null prints nothing; objects and arrays have no text form */
	}
	switch (m) {
	case O_RAW: buf_put(out, s, n); break;
	case O_URL: buf_url(out, s, n); break;
	default: buf_html(out, s, n); break;
	}
}

/* Message text HTML-escaped, {n} replaced by the n-th value (escaped too);
 * a {n} without a value stays as written. */
static void
emit_t(const struct rctx *r, const struct node *n, struct scope *sc)
{
	const char *msg = i18n_get(r->cat, r->lang, n->str), *s, *start;

	if (msg == NULL) {
		/* The set is shared read-only except this flag, which is atomic;
		 * the node was allocated non-const, so the cast is sound. */
		if (!atomic_flag_test_and_set((atomic_flag *)&n->warned))
			log_warn("tmpl: %s:%d: no message '%s' for language %s", n->owner->file,
			    n->line, n->str, r->lang ? r->lang : "(none)");
		buf_html(r->out, n->str, strlen(n->str));
		return;
	}
	for (s = start = msg; *s != '\0'; s++) {
		const char *q = s + 1;
		size_t k = 0;

		if (*s != '{' || !is_digit(*q))
			continue;
		while (is_digit(*q) && k < 1000)
			k = k * 10 + (size_t)(*q++ - '0');
		if (*q != '}' || k >= n->nargs)
			continue;
		buf_html(r->out, start, (size_t)(s - start));
		emit(r->out, eval(r, &n->args[k], sc), O_HTML);
		s = q;
		start = q + 1;
	}
	buf_html(r->out, start, (size_t)(s - start));
}

static void render_nodes(struct rctx *r, const struct node *n, struct scope *sc, int level);

static void
render_foreach(struct rctx *r, const struct node *n, struct scope *sc, int level)
{
	json_t *seq = eval(r, &n->val, sc);
	struct scope f;
	size_t i;

	if (!json_is_array(seq) || json_array_size(seq) == 0)
		return;
	f.name = n->str;
	f.up = sc;
	f.index = NULL;
	for (i = 0; i < json_array_size(seq) && !r->over; i++) {
		f.val = json_array_get(seq, i);
		f.i = i;
		if (f.index != NULL)
			json_integer_set(f.index, (json_int_t)i);
		render_nodes(r, n->body, &f, level);
	}
	json_decref(f.index);
}

/* level is the position in r->chain of the template whose nodes are being
 * rendered: @RenderBody and @RenderSection reach one level down. */
static void
render_nodes(struct rctx *r, const struct node *n, struct scope *sc, int level)
{
	if (++r->depth > MAX_RENDER) {
		log_error("tmpl: render depth limit reached");
		r->over = 1;
		r->depth--;
		return;
	}
	for (; n != NULL; n = n->next) {
		const struct branch *b;
		const struct section *s;

		if (r->over)
			break;
		if (++r->visits > MAX_VISITS || r->out->len - r->out_start > MAX_OUTPUT) {
			log_error("tmpl: page %s exceeds the render limits (%zu nodes, %zu bytes); "
			    "output cut", r->chain[0]->file, r->visits, r->out->len - r->out_start);
			r->over = 1;
			break;
		}
		switch (n->kind) {
		case N_TEXT:
			buf_put(r->out, n->text, n->len);
			break;
		case N_OUT:
			emit(r->out, eval(r, &n->val, sc), n->mode);
			break;
		case N_T:
			emit_t(r, n, sc);
			break;
		case N_IF:
			for (b = n->branches; b != NULL; b = b->next)
				if (b->cond == NULL || cond_eval(r, b->cond, sc)) {
					render_nodes(r, b->body, sc, level);
					break;
				}
			break;
		case N_FOREACH:
			render_foreach(r, n, sc, level);
			break;
		case N_PARTIAL:
			render_nodes(r, n->target->body, sc, level);
			break;
		case N_BODY:
			/* a layout rendered on its own has no body: nothing to show */
			if (level > 0)
				render_nodes(r, r->chain[level - 1]->body, NULL, level - 1);
			break;
		case N_SECTION:
			s = level > 0 ? find_section(r->chain[level - 1], n->str) : NULL;
			if (s != NULL)
				render_nodes(r, s->body, NULL, level - 1);
			else if (n->required)
				log_warn("tmpl: required section '%s' missing", n->str);
			break;
		}
	}
	r->depth--;
}

int
tmpl_render(const struct tmpl_set *set, const char *name, json_t *model,
    const struct i18n *cat, const char *lang, struct buf *out)
{
	const struct tmpl *t = set != NULL ? find(set, name) : NULL;
	struct rctx r;
	int level = 0;

	if (t == NULL)
		return -1;
	memset(&r, 0, sizeof(r));
	r.model = model;
	r.cat = cat;
	r.lang = lang;
	r.out = out;
	r.out_start = out->len;
	r.chain[0] = t;
	/* the loader bounded the chain; the bound here only protects the array */
	while (level < MAX_LAYOUTS && r.chain[level]->layout != NULL) {
		r.chain[level + 1] = r.chain[level]->layout;
		level++;
	}
	render_nodes(&r, r.chain[level]->body, NULL, level);
	return r.over ? -1 : 0;
}
