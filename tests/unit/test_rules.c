/* The rules toolchain: the text grammar (rules_parse_line), the compiler
 * (rules_compile, checked byte for byte with tinycdb), the lookup chains and
 * the record validation that the root-running side relies on. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cdb.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "rules_check.h"
#include "rules_compile.h"
#include "rules_lookup.h"

/* ---- helpers ---------------------------------------------------------- */

static struct rules_line L;

static void line_fini(void)
{
  buf_free(&L.data);
}

static enum rules_line_status parse(enum rules_kind k, const char *s)
{
  return rules_parse_line(k, s, strlen(s), &L);
}

static void expect_key(const char *key)
{
  cr_assert_not(L.range, "not a range");
  cr_assert_eq(L.keylen, strlen(key), "keylen %zu, want %zu", L.keylen, strlen(key));
  cr_assert_eq(memcmp(L.key, key, L.keylen), 0, "key %.*s, want %s", (int)L.keylen, L.key, key);
}

static void expect_bytes(const char *what, const char *got, size_t gotlen,
    const char *want, size_t wantlen)
{
  cr_assert_eq(gotlen, wantlen, "%s: %zu bytes, want %zu", what, gotlen, wantlen);
  if (wantlen) cr_assert_eq(memcmp(got, want, wantlen), 0, "%s: bytes differ", what);
}
#define EXPECT_DATA(lit) expect_bytes("record", L.data.s, L.data.len, lit, sizeof lit - 1)

static char dir[] = "/tmp/test_rules.XXXXXX";
static char cdbpath[PATH_MAX], tmppath[PATH_MAX];

static void dir_init(void)
{
  cr_assert_not_null(mkdtemp(dir));
  snprintf(cdbpath, sizeof cdbpath, "%s/r.cdb", dir);
  snprintf(tmppath, sizeof tmppath, "%s/r.tmp", dir);
}

static void dir_fini(void)
{
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) cr_log_warn("unable to remove %s", dir);
}

static enum rules_compile_status compile_to(enum rules_kind k, const char *text,
    const char *cdb, const char *tmp, struct rules_compile_error *e)
{
  FILE *in = fmemopen((void *)text, strlen(text), "r");
  enum rules_compile_status st;
  cr_assert_not_null(in);
  st = rules_compile(k, in, cdb, tmp, e);
  fclose(in);
  return st;
}

static enum rules_compile_status compile(enum rules_kind k, const char *text,
    struct rules_compile_error *e)
{
  return compile_to(k, text, cdbpath, tmppath, e);
}

/* Looks key up in the cdb at path with tinycdb itself. Returns the data
 * length, or -1 when the key is absent. */
static int db_get(const char *path, const char *key, size_t keylen, char *out, size_t outsize)
{
  struct cdb c;
  int fd = open(path, O_RDONLY);
  int r;
  unsigned len;
  cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
  cr_assert_eq(cdb_init(&c, fd), 0);
  r = cdb_find(&c, key, (unsigned)keylen);
  cr_assert_geq(r, 0);
  if (r == 0) {
    cdb_free(&c);
    close(fd);
    return -1;
  }
  len = cdb_datalen(&c);
  cr_assert_leq(len, outsize);
  cr_assert_eq(cdb_read(&c, out, len, cdb_datapos(&c)), 0);
  cdb_free(&c);
  close(fd);
  return (int)len;
}

#define EXPECT_CDB(path, key, lit) do { \
    char got_[4096]; \
    int n_ = db_get(path, key, strlen(key), got_, sizeof got_); \
    cr_assert_geq(n_, 0, "key \"%s\" missing", key); \
    expect_bytes(key, got_, (size_t)n_, lit, sizeof lit - 1); \
  } while (0)
#define EXPECT_NO_CDB_KEY(path, key) do { \
    char got_[4096]; \
    cr_assert_eq(db_get(path, key, strlen(key), got_, sizeof got_), -1, "key \"%s\" present", key); \
  } while (0)

struct kv { const char *k; const char *v; size_t vlen; };
#define KV(key, lit) { key, lit, sizeof lit - 1 }

/* Writes a cdb with exactly these records, with tinycdb's cdb_make. */
static void make_cdb(const char *path, const struct kv *kv, size_t n)
{
  struct cdb_make cm;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(cdb_make_start(&cm, fd), 0);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(cdb_make_add(&cm, kv[i].k, (unsigned)strlen(kv[i].k), kv[i].v, (unsigned)kv[i].vlen), 0);
  cr_assert_eq(cdb_make_finish(&cm), 0);
  close(fd);
}

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "r");
  char *s = 0;
  size_t cap = 0;
  FILE *m;
  int c;
  cr_assert_not_null(f, "open %s", path);
  m = open_memstream(&s, &cap);
  cr_assert_not_null(m);
  while ((c = getc(f)) != EOF) putc(c, m);
  fclose(f);
  fclose(m);
  *len = cap;
  return s;
}

/* ---- rules_parse_line: what is ignored -------------------------------- */

TestSuite(parse, .fini = line_fini);

Test(parse, ignores_comments_blanks_and_lines_without_colon)
{
  const char *ign[] = { "", "\n", "   ", " \t \n", "#", "# 1000:deny", "#1000:deny\n",
    "1000", "deny", "allow,A=\"x\"", "just words here" };
  for (size_t i = 0; i < sizeof ign / sizeof *ign; i++)
    cr_assert_eq(parse(RULES_CONN, ign[i]), RULES_LINE_IGNORED, "line \"%s\"", ign[i]);
  /* a NUL in a line with no ':' is still just an ignored line */
  cr_assert_eq(rules_parse_line(RULES_CONN, "ab\0cd", 5, &L), RULES_LINE_IGNORED);
}

Test(parse, strips_trailing_blanks_tabs_and_newline)
{
  cr_assert_eq(parse(RULES_CONN, "1000:deny \t \t\n"), RULES_LINE_OK);
  expect_key("1000");
  EXPECT_DATA("D\0");
  cr_assert_eq(parse(RULES_CONN, ":allow,A=\"x \" \t"), RULES_LINE_OK);
  expect_key("");
  EXPECT_DATA("+A=x \0");
  /* only trailing blanks go: leading ones make a key */
  cr_assert_eq(parse(RULES_CONN, " 1:deny"), RULES_LINE_OK);
  expect_key(" 1");
}

Test(parse, only_len_bytes_are_read)
{
  cr_assert_eq(rules_parse_line(RULES_CONN, "7:denyXXXX", 6, &L), RULES_LINE_OK);
  expect_key("7");
  EXPECT_DATA("D\0");
}

/* ---- rules_parse_line: connection forms ------------------------------- */

Test(parse, allow_and_deny_with_every_key_form)
{
  cr_assert_eq(parse(RULES_CONN, "1000.100:allow"), RULES_LINE_OK);
  expect_key("1000.100");
  cr_assert_eq(L.data.len, 0, "a bare allow is an empty record");
  cr_assert_eq(parse(RULES_CONN, "1000:deny"), RULES_LINE_OK);
  expect_key("1000");
  EXPECT_DATA("D\0");
  cr_assert_eq(parse(RULES_CONN, ".100:deny"), RULES_LINE_OK);
  expect_key(".100");
  EXPECT_DATA("D\0");
  cr_assert_eq(parse(RULES_CONN, ":allow"), RULES_LINE_OK);
  expect_key("");
  cr_assert_eq(L.data.len, 0);
  cr_assert_eq(parse(RULES_CONN, ":deny"), RULES_LINE_OK);
  expect_key("");
  EXPECT_DATA("D\0");
}

Test(parse, variables_with_any_quote_character)
{
  cr_assert_eq(parse(RULES_CONN, ":allow,A=\"x y\",B=/z/,C=+c+,D=xdx"), RULES_LINE_OK);
  EXPECT_DATA("+A=x y\0+B=z\0+C=c\0+D=d\0");
}

Test(parse, value_may_hold_other_quotes_commas_and_equals)
{
  cr_assert_eq(parse(RULES_CONN, ":allow,A=/say \"hi\", a=b/,B=\"it's/here\""), RULES_LINE_OK);
  EXPECT_DATA("+A=say \"hi\", a=b\0+B=it's/here\0");
}

Test(parse, empty_value_and_deny_with_variables)
{
  cr_assert_eq(parse(RULES_CONN, "5:allow,EMPTY=\"\""), RULES_LINE_OK);
  EXPECT_DATA("+EMPTY=\0");
  cr_assert_eq(parse(RULES_CONN, "5:deny,A=/x/,B=/y/"), RULES_LINE_OK);
  EXPECT_DATA("D\0+A=x\0+B=y\0");
}

Test(parse, allow_path_is_refused_in_connection_rules)
{
  cr_assert_eq(parse(RULES_CONN, ":allow=\"/bin/ls\""), RULES_LINE_BAD);
  cr_assert_eq(parse(RULES_CONN, ":allow=/x/"), RULES_LINE_BAD);
}

/* ---- rules_parse_line: exec forms ------------------------------------- */

Test(parse, exec_keys)
{
  const char *keys[] = { "1000.100,0.ls", "1000,0.ls", ".100,0.ls", ",0.ls", "",
    ",4294967294.some-cmd", "1000,0./usr/bin/x.y" };
  char line[128];
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    snprintf(line, sizeof line, "%s:deny", keys[i]);
    cr_assert_eq(parse(RULES_EXEC, line), RULES_LINE_OK, "line %s", line);
    expect_key(keys[i]);
    EXPECT_DATA("D\0");
  }
}

Test(parse, exec_allow_path)
{
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:allow=\"/bin/ls\""), RULES_LINE_OK);
  expect_key(",0.ls");
  EXPECT_DATA("=/bin/ls\0");
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:allow=|/bin/ls|,IPCUID=/5/,A=\"x\""), RULES_LINE_OK);
  EXPECT_DATA("=/bin/ls\0+IPCUID=5\0+A=x\0");
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:allow,A=\"x\""), RULES_LINE_OK);
  EXPECT_DATA("+A=x\0");
  /* '/' as the quote ends the path at its first '/' */
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:allow=/bin/ls/"), RULES_LINE_BAD);
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:allow=\"\""), RULES_LINE_BAD);
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:allow="), RULES_LINE_BAD);
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:allow=\"/bin/ls"), RULES_LINE_BAD);
  cr_assert_eq(parse(RULES_EXEC, ",0.ls:deny=\"/bin/ls\""), RULES_LINE_BAD);
}

/* ---- ranges ----------------------------------------------------------- */

Test(parse, ranges)
{
  cr_assert_eq(parse(RULES_CONN, "1000-1009:deny"), RULES_LINE_OK);
  cr_assert(L.range);
  cr_assert_eq(L.lo, 1000);
  cr_assert_eq(L.hi, 1009);
  cr_assert_eq(L.suffixlen, 0);
  EXPECT_DATA("D\0");
  cr_assert_eq(parse(RULES_CONN, "0-0:allow"), RULES_LINE_OK);
  cr_assert(L.range);
  cr_assert_eq(L.lo, 0);
  cr_assert_eq(L.hi, 0);
  cr_assert_eq(parse(RULES_EXEC, "1000-1002,0.ls:allow=\"/bin/ls\""), RULES_LINE_OK);
  cr_assert(L.range);
  cr_assert_eq(L.lo, 1000);
  cr_assert_eq(L.hi, 1002);
  expect_bytes("suffix", L.suffix, L.suffixlen, ",0.ls", 5);
  EXPECT_DATA("=/bin/ls\0");
  cr_assert_eq(parse(RULES_CONN, "4294867295-4294967294:deny"), RULES_LINE_OK, "exactly 100000 uids");
  cr_assert_eq(L.hi - L.lo + 1, RULES_MAX_RANGE);
}

Test(parse, dashes_that_are_not_ranges)
{
  /* a '.' or a '-' after the first ',' is part of a plain key */
  cr_assert_eq(parse(RULES_EXEC, ",0.some-cmd:allow"), RULES_LINE_OK);
  expect_key(",0.some-cmd");
  cr_assert_eq(parse(RULES_EXEC, "1000,0.a-b:allow"), RULES_LINE_OK);
  expect_key("1000,0.a-b");
  cr_assert_eq(parse(RULES_CONN, "1-2.5:allow"), RULES_LINE_OK);
  expect_key("1-2.5");
}

Test(parse, bad_ranges)
{
  const char *bad[] = { "01-5:deny", "1-05:deny", "5-1:deny", "-5:deny", "1-:deny", "-:deny",
    "a-b:deny", "1-4294967295:deny", "+1-2:deny", "1-2-3:deny", " 1-2:deny", "1 -2:deny",
    "00-1:deny", "1-99999999999:deny" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert_eq(parse(RULES_CONN, bad[i]), RULES_LINE_BAD, "line %s", bad[i]);
  cr_assert_eq(parse(RULES_EXEC, "5-1,0.ls:deny"), RULES_LINE_BAD);
  cr_assert_eq(parse(RULES_EXEC, "01-5,0.ls:deny"), RULES_LINE_BAD);
}

Test(parse, huge_ranges_refused_quickly)
{
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  cr_assert_eq(parse(RULES_CONN, "0-4294967294:deny"), RULES_LINE_RANGE);
  cr_assert_eq(parse(RULES_CONN, "0-100000:deny"), RULES_LINE_RANGE, "100001 uids");
  cr_assert_eq(parse(RULES_EXEC, "0-4294967294,0.ls:allow"), RULES_LINE_RANGE);
  clock_gettime(CLOCK_MONOTONIC, &b);
  cr_assert_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 100,
    "refusing a range must not expand it");
}

/* ---- malformed lines -------------------------------------------------- */

Test(parse, malformed)
{
  const char *bad[] = {
    ":maybe", ":Allow", ":DENY", ":", "1000:", ":allowX", ":allow ,A=/x/", ":denyx",
    ":deny=\"x\"", ":deny=/x/", ":allow,", ":allow,,", ":allow,A=\"x", ":allow,A=",
    ":allow,=v", ":allow,=\"v\"", ":allow,VAR", ":allow,VAR\"x\"", ":allow,A=\"x\"junk",
    ":allow,A=\"x\",", ":allow,A=\"x\"B=\"y\"", ":deny,A=/x", ":allow;A=/x/",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cr_assert_eq(parse(RULES_CONN, bad[i]), RULES_LINE_BAD, "conn line %s", bad[i]);
    cr_assert_eq(parse(RULES_EXEC, bad[i]), RULES_LINE_BAD, "exec line %s", bad[i]);
  }
}

Test(parse, nul_bytes_refused)
{
  static const char a[] = "1000:allow\0,A=/x/";
  static const char b[] = "10\0000:deny";
  static const char c[] = ":allow,A=/x\0y/";
  cr_assert_eq(rules_parse_line(RULES_CONN, a, sizeof a - 1, &L), RULES_LINE_BAD);
  cr_assert_eq(rules_parse_line(RULES_CONN, b, sizeof b - 1, &L), RULES_LINE_BAD);
  cr_assert_eq(rules_parse_line(RULES_CONN, c, sizeof c - 1, &L), RULES_LINE_BAD);
}

/* A line must not compile to a record that the lookup would refuse: that
 * would turn a rule the admin was told is fine into an error at run time. */
Test(parse, records_the_lookup_refuses_are_not_compiled)
{
  char line[8192];
  size_t n;

  n = (size_t)snprintf(line, sizeof line, ":allow");
  for (int i = 0; i < RULES_MAX_ITEMS; i++)
    n += (size_t)snprintf(line + n, sizeof line - n, ",V%d=/x/", i);
  cr_assert_eq(parse(RULES_CONN, line), RULES_LINE_OK, "%d variables fit", RULES_MAX_ITEMS);
  n += (size_t)snprintf(line + n, sizeof line - n, ",W=/x/");
  cr_assert_eq(parse(RULES_CONN, line), RULES_LINE_BAD, "one more does not");

  n = (size_t)snprintf(line, sizeof line, ",0.x:allow=/p/");
  for (int i = 0; i < RULES_MAX_ITEMS - 1; i++)
    n += (size_t)snprintf(line + n, sizeof line - n, ",V%d=/x/", i);
  cr_assert_eq(parse(RULES_EXEC, line), RULES_LINE_OK);
  n += (size_t)snprintf(line + n, sizeof line - n, ",W=/x/");
  cr_assert_eq(parse(RULES_EXEC, line), RULES_LINE_BAD);

  {
    size_t big = RULES_MAX_RECORD + 16;
    char *s = malloc(big + 32);
    cr_assert_not_null(s);
    n = (size_t)sprintf(s, ":allow,A=\"");
    memset(s + n, 'v', big);
    strcpy(s + n + big, "\"");
    cr_assert_eq(parse(RULES_CONN, s), RULES_LINE_BAD, "a record over RULES_MAX_RECORD");
    free(s);
  }
}

/* ---- rules_compile ---------------------------------------------------- */

TestSuite(compile, .init = dir_init, .fini = dir_fini);

Test(compile, connection_rules_bytes)
{
  struct rules_compile_error e;
  cr_assert_eq(compile(RULES_CONN,
    "# comment\n"
    "1000.100:allow,A=\"x y\",B=/z/\n"
    "\n"
    "1000:deny\n"
    ".100:deny,WHY=/no/   \n"
    "5-7:allow,R=+r+\n"
    "no colon here\n"
    ":allow\n", &e), RULES_COMPILE_OK);
  cr_assert_neq(access(tmppath, F_OK), 0, "tmp is gone after the rename");
  EXPECT_CDB(cdbpath, "1000.100", "+A=x y\0+B=z\0");
  EXPECT_CDB(cdbpath, "1000", "D\0");
  EXPECT_CDB(cdbpath, ".100", "D\0+WHY=no\0");
  EXPECT_CDB(cdbpath, "5", "+R=r\0");
  EXPECT_CDB(cdbpath, "6", "+R=r\0");
  EXPECT_CDB(cdbpath, "7", "+R=r\0");
  EXPECT_CDB(cdbpath, "", "");
  EXPECT_NO_CDB_KEY(cdbpath, "4");
  EXPECT_NO_CDB_KEY(cdbpath, "8");
  EXPECT_NO_CDB_KEY(cdbpath, "5-7");
  EXPECT_NO_CDB_KEY(cdbpath, "no colon here");
}

Test(compile, exec_rules_bytes)
{
  struct rules_compile_error e;
  cr_assert_eq(compile(RULES_EXEC,
    "1000.100,0.ls:allow=\"/bin/ls\",IPCERROUT=/0/\n"
    ",0.echo:allow\n"
    "10-11,0.id:allow=/\\usr\\bin\\id/\n"
    ":deny\n", &e), RULES_COMPILE_OK);
  EXPECT_CDB(cdbpath, "1000.100,0.ls", "=/bin/ls\0+IPCERROUT=0\0");
  EXPECT_CDB(cdbpath, ",0.echo", "");
  EXPECT_CDB(cdbpath, "10,0.id", "=\\usr\\bin\\id\0");
  EXPECT_CDB(cdbpath, "11,0.id", "=\\usr\\bin\\id\0");
  EXPECT_NO_CDB_KEY(cdbpath, "12,0.id");
  EXPECT_CDB(cdbpath, "", "D\0");
}

Test(compile, first_of_two_equal_keys_wins)
{
  struct rules_compile_error e;
  cr_assert_eq(compile(RULES_CONN, "1:deny\n1:allow\n", &e), RULES_COMPILE_OK);
  EXPECT_CDB(cdbpath, "1", "D\0");
}

Test(compile, range_with_a_long_command)
{
  struct rules_compile_error e;
  char cmd[6001], text[6100], key[6100];
  memset(cmd, 'c', sizeof cmd - 1);
  cmd[sizeof cmd - 1] = 0;
  snprintf(text, sizeof text, "1-2,0.%s:deny\n", cmd);
  cr_assert_eq(compile(RULES_EXEC, text, &e), RULES_COMPILE_OK, "status with a long key");
  snprintf(key, sizeof key, "2,0.%s", cmd);
  EXPECT_CDB(cdbpath, key, "D\0");
}

static void write_old(void)
{
  struct rules_compile_error e;
  cr_assert_eq(compile(RULES_CONN, "1:deny\n", &e), RULES_COMPILE_OK);
}

static void expect_old_untouched(void)
{
  EXPECT_CDB(cdbpath, "1", "D\0");
  EXPECT_NO_CDB_KEY(cdbpath, "2");
  cr_assert_neq(access(tmppath, F_OK), 0, "tmp must be removed on failure");
}

Test(compile, parse_error_keeps_the_old_cdb)
{
  struct rules_compile_error e;
  size_t before, after;
  char *a, *b;
  write_old();
  a = slurp(cdbpath, &before);
  cr_assert_eq(compile(RULES_CONN, "2:allow\nx:maybe  \n3:allow\n", &e), RULES_COMPILE_PARSE);
  cr_assert_str_eq(e.line, "x:maybe");
  expect_old_untouched();
  b = slurp(cdbpath, &after);
  expect_bytes("old cdb", b, after, a, before);
  free(a);
  free(b);
}

Test(compile, range_error_keeps_the_old_cdb)
{
  struct rules_compile_error e;
  write_old();
  cr_assert_eq(compile(RULES_CONN, "2:allow\n0-4294967294:deny\n", &e), RULES_COMPILE_RANGE);
  cr_assert_str_eq(e.line, "0-4294967294:deny");
  expect_old_untouched();
}

Test(compile, nul_in_line_is_shown_safely)
{
  struct rules_compile_error e;
  static const char text[] = "2:allow\0x\n";
  FILE *in = fmemopen((void *)text, sizeof text - 1, "r");
  write_old();
  cr_assert_eq(rules_compile(RULES_CONN, in, cdbpath, tmppath, &e), RULES_COMPILE_PARSE);
  fclose(in);
  cr_assert_str_eq(e.line, "2:allow?x");
  expect_old_untouched();
}

Test(compile, tmp_in_missing_dir)
{
  struct rules_compile_error e;
  char tmp[PATH_MAX];
  write_old();
  snprintf(tmp, sizeof tmp, "%s/missing/r.tmp", dir);
  cr_assert_eq(compile_to(RULES_CONN, "2:allow\n", cdbpath, tmp, &e), RULES_COMPILE_CREATE);
  cr_assert_eq(e.err, ENOENT);
  expect_old_untouched();
}

Test(compile, tmp_symlink_not_followed)
{
  struct rules_compile_error e;
  char target[PATH_MAX];
  write_old();
  snprintf(target, sizeof target, "%s/target", dir);
  cr_assert_eq(symlink(target, tmppath), 0);
  cr_assert_eq(compile(RULES_CONN, "2:allow\n", &e), RULES_COMPILE_EXISTS);
  cr_assert_eq(e.err, EEXIST);
  cr_assert_neq(access(target, F_OK), 0, "nothing written through the link");
  cr_assert_eq(readlink(tmppath, target, sizeof target) > 0, 1, "the link is left alone");
  unlink(tmppath);
  expect_old_untouched();
}

/* Someone else's tmp (or a stale one): refused, not reused, not removed. */
Test(compile, existing_tmp_refused_and_left_alone)
{
  struct rules_compile_error e;
  size_t len;
  char *b;
  int fd;
  write_old();
  fd = open(tmppath, O_WRONLY | O_CREAT | O_EXCL, 0666);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, "theirs", 6), 6);
  cr_assert_eq(fchown(fd, 4242, 4343), 0);
  close(fd);
  cr_assert_eq(compile(RULES_CONN, "2:allow\n", &e), RULES_COMPILE_EXISTS);
  b = slurp(tmppath, &len);
  expect_bytes("tmp", b, len, "theirs", 6);
  free(b);
  unlink(tmppath);
  expect_old_untouched();
}

Test(compile, published_mode_is_0644_whatever_the_umask)
{
  struct rules_compile_error e;
  struct stat st;
  mode_t old = umask(077);
  enum rules_compile_status rc = compile(RULES_CONN, "2:allow\n", &e);
  umask(old);
  cr_assert_eq(rc, RULES_COMPILE_OK);
  cr_assert_eq(stat(cdbpath, &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0644, "mode %o", (unsigned)(st.st_mode & 07777));
  cr_assert_eq(st.st_uid, geteuid());
}

Test(compile, cdb_is_a_directory)
{
  struct rules_compile_error e;
  char d[PATH_MAX];
  snprintf(d, sizeof d, "%s/adir", dir);
  cr_assert_eq(mkdir(d, 0755), 0);
  cr_assert_eq(compile_to(RULES_CONN, "2:allow\n", d, tmppath, &e), RULES_COMPILE_RENAME);
  cr_assert_eq(e.err, EISDIR);
  cr_assert_neq(access(tmppath, F_OK), 0, "tmp removed");
}

Test(compile, cdb_in_missing_dir)
{
  struct rules_compile_error e;
  char d[PATH_MAX];
  snprintf(d, sizeof d, "%s/missing/r.cdb", dir);
  cr_assert_eq(compile_to(RULES_CONN, "2:allow\n", d, tmppath, &e), RULES_COMPILE_RENAME);
  cr_assert_eq(e.err, ENOENT);
  cr_assert_neq(access(tmppath, F_OK), 0, "tmp removed");
}

Test(compile, replacement_is_atomic_for_open_readers)
{
  struct rules_compile_error e;
  struct cdb c;
  int fd;
  char v[16];
  write_old();
  fd = open(cdbpath, O_RDONLY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(compile(RULES_CONN, "2:allow,NEW=/y/\n", &e), RULES_COMPILE_OK);
  cr_assert_eq(cdb_init(&c, fd), 0);
  cr_assert_eq(cdb_find(&c, "1", 1), 1, "an open reader still sees the old rules");
  cr_assert_eq(cdb_datalen(&c), 2);
  cr_assert_eq(cdb_read(&c, v, 2, cdb_datapos(&c)), 0);
  cr_assert_eq(memcmp(v, "D", 2), 0);
  cr_assert_eq(cdb_find(&c, "2", 1), 0);
  cdb_free(&c);
  close(fd);
  EXPECT_CDB(cdbpath, "2", "+NEW=y\0");
  EXPECT_NO_CDB_KEY(cdbpath, "1");
}

/* ---- rules_record_parse ----------------------------------------------- */

static struct rules_match M;

static bool record(const char *bytes, size_t len)
{
  static char copy[RULES_MAX_RECORD];
  cr_assert_leq(len, sizeof copy);
  memcpy(copy, bytes, len);
  return rules_record_parse(copy, len, &M);
}
#define RECORD(lit) record(lit, sizeof lit - 1)

Test(record, accepts_well_formed)
{
  cr_assert(record("", 0), "an empty record is a plain allow");
  cr_assert_eq(M.nitems, 0);
  cr_assert_not(M.deny);
  cr_assert_null(M.exec);

  cr_assert(RECORD("D\0"));
  cr_assert(M.deny);
  cr_assert_eq(M.nitems, 1);

  cr_assert(RECORD("=/bin/ls\0+A=x=y\0+B=\0+A=2\0"));
  cr_assert_not(M.deny);
  cr_assert_str_eq(M.exec, "/bin/ls");
  cr_assert_eq(M.nitems, 4);
  cr_assert_eq(M.items[1].type, '+');
  cr_assert_str_eq(M.items[1].name, "A");
  cr_assert_str_eq(M.items[1].value, "x=y");
  cr_assert_str_eq(M.items[2].name, "B");
  cr_assert_str_eq(M.items[2].value, "");
  cr_assert_str_eq(rules_match_var(&M, "A"), "2", "the last A wins");
  cr_assert_str_eq(rules_match_var(&M, "B"), "");
  cr_assert_null(rules_match_var(&M, "C"));
  cr_assert_null(rules_match_var(&M, "/bin/ls"));

  cr_assert(RECORD("D\0+WHY=no\0"));
  cr_assert(M.deny);
  cr_assert_eq(M.nitems, 2);
}

Test(record, rejects_malformed)
{
  cr_assert_not(RECORD("D"), "missing final NUL");
  cr_assert_not(RECORD("+A=x"), "missing final NUL");
  cr_assert_not(RECORD("+A=x\0D"), "missing final NUL");
  cr_assert_not(RECORD("\0"), "empty item");
  cr_assert_not(RECORD("D\0\0"), "empty item");
  cr_assert_not(RECORD("X\0"), "unknown type");
  cr_assert_not(RECORD("d\0"), "unknown type");
  cr_assert_not(RECORD("-A=x\0"), "unknown type");
  cr_assert_not(RECORD("+=x\0"), "empty name");
  cr_assert_not(RECORD("+NOEQ\0"), "no '='");
  cr_assert_not(RECORD("+\0"), "empty variable item");
  cr_assert_not(RECORD("=\0"), "empty path");
  cr_assert_not(RECORD("DD\0"), "DD");
  cr_assert_not(RECORD("D\0D\0"), "two D");
  cr_assert_not(RECORD("D\0=/bin/ls\0"), "deny with a path");
  cr_assert_not(RECORD("=/bin/ls\0D\0"), "path with a deny");
  cr_assert_not(RECORD("=/a\0=/b\0"), "two paths");
}

Test(record, item_limit)
{
  char buf[4 * (RULES_MAX_ITEMS + 1)];
  size_t n = 0;
  for (int i = 0; i < RULES_MAX_ITEMS; i++) {
    memcpy(buf + n, "+A=\0", 4);
    n += 4;
  }
  cr_assert(record(buf, n), "%d items fit", RULES_MAX_ITEMS);
  cr_assert_eq(M.nitems, RULES_MAX_ITEMS);
  memcpy(buf + n, "+A=\0", 4);
  cr_assert_not(record(buf, n + 4), "one more item does not");
}

/* ---- lookup precedence ------------------------------------------------ */

TestSuite(lookup, .init = dir_init, .fini = dir_fini);

static const char *exec_keys[5] = { "1000.100,0.ls", "1000,0.ls", ".100,0.ls", ",0.ls", "" };
static const char *conn_keys[4] = { "1000.100", "1000", ".100", "" };
static const char *nums[5] = { "+N=0\0", "+N=1\0", "+N=2\0", "+N=3\0", "+N=4\0" };

/* Makes a cdb holding the keys whose bit is set in mask, each with "+N=i\0". */
static void make_keys(const char **keys, size_t nkeys, unsigned mask)
{
  struct kv kv[8];
  size_t n = 0;
  for (size_t i = 0; i < nkeys; i++)
    if (mask & (1u << i)) {
      kv[n].k = keys[i];
      kv[n].v = nums[i];
      kv[n].vlen = 5;
      n++;
    }
  /* noise that must never match */
  kv[n].k = "1000.100,0.l";
  kv[n].v = "D\0";
  kv[n++].vlen = 2;
  kv[n].k = "1000.100,00.ls";
  kv[n].v = "D\0";
  kv[n++].vlen = 2;
  make_cdb(cdbpath, kv, n);
}

static enum rules_result lookup_exec(bool has_euid, bool has_egid, struct rules_match *m)
{
  struct rules_who who = { .has_euid = has_euid, .has_egid = has_egid, .euid = 1000, .egid = 100 };
  int fd = open(cdbpath, O_RDONLY);
  enum rules_result r;
  cr_assert_geq(fd, 0);
  r = rules_lookup_exec(fd, &who, 0, "ls", m);
  close(fd);
  return r;
}

static enum rules_result lookup_conn(bool has_euid, bool has_egid, struct rules_match *m)
{
  struct rules_who who = { .has_euid = has_euid, .has_egid = has_egid, .euid = 1000, .egid = 100 };
  int fd = open(cdbpath, O_RDONLY);
  enum rules_result r;
  cr_assert_geq(fd, 0);
  r = rules_lookup_conn(fd, &who, m);
  close(fd);
  return r;
}

static void expect_match(enum rules_result r, struct rules_match *m, const char *key, int num)
{
  char want[2] = { (char)('0' + num), 0 };
  cr_assert_eq(r, RULES_ALLOW, "want key \"%s\", result %d", key, r);
  cr_assert_eq(m->key.len, strlen(key), "matched \"%.*s\", want \"%s\"", (int)m->key.len, m->key.s, key);
  cr_assert_eq(memcmp(m->key.s, key, m->key.len), 0, "matched \"%.*s\", want \"%s\"",
    (int)m->key.len, m->key.s, key);
  cr_assert_str_eq(rules_match_var(m, "N"), want);
  rules_match_free(m);
}

Test(lookup, exec_precedence_in_order)
{
  struct rules_match m;
  for (int first = 0; first < 5; first++) {
    make_keys(exec_keys, 5, 0x1fu & ~((1u << first) - 1));
    expect_match(lookup_exec(true, true, &m), &m, exec_keys[first], first);
  }
  make_keys(exec_keys, 5, 0);
  cr_assert_eq(lookup_exec(true, true, &m), RULES_NOTFOUND);
  cr_assert_eq(m.nitems, 0);
  cr_assert_null(m.data);
  rules_match_free(&m);
}

Test(lookup, exec_each_key_alone)
{
  struct rules_match m;
  for (int k = 0; k < 5; k++) {
    make_keys(exec_keys, 5, 1u << k);
    expect_match(lookup_exec(true, true, &m), &m, exec_keys[k], k);
  }
}

Test(lookup, exec_absent_ids_skip_their_keys)
{
  struct rules_match m;
  make_keys(exec_keys, 5, 0x1f);
  expect_match(lookup_exec(false, true, &m), &m, exec_keys[2], 2);
  expect_match(lookup_exec(true, false, &m), &m, exec_keys[1], 1);
  expect_match(lookup_exec(false, false, &m), &m, exec_keys[3], 3);
  make_keys(exec_keys, 5, 0x1f & ~(1u << 1));
  expect_match(lookup_exec(true, false, &m), &m, exec_keys[3], 3);
  make_keys(exec_keys, 5, 0x1);
  cr_assert_eq(lookup_exec(false, true, &m), RULES_NOTFOUND);
  rules_match_free(&m);
  cr_assert_eq(lookup_exec(true, false, &m), RULES_NOTFOUND);
  rules_match_free(&m);
}

Test(lookup, conn_precedence_in_order)
{
  struct rules_match m;
  for (int first = 0; first < 4; first++) {
    make_keys(conn_keys, 4, 0xfu & ~((1u << first) - 1));
    expect_match(lookup_conn(true, true, &m), &m, conn_keys[first], first);
  }
  for (int k = 0; k < 4; k++) {
    make_keys(conn_keys, 4, 1u << k);
    expect_match(lookup_conn(true, true, &m), &m, conn_keys[k], k);
  }
  make_keys(conn_keys, 4, 0xf);
  expect_match(lookup_conn(false, true, &m), &m, conn_keys[2], 2);
  expect_match(lookup_conn(true, false, &m), &m, conn_keys[1], 1);
  expect_match(lookup_conn(false, false, &m), &m, conn_keys[3], 3);
  make_keys(conn_keys, 4, 0);
  cr_assert_eq(lookup_conn(true, true, &m), RULES_NOTFOUND);
  rules_match_free(&m);
}

Test(lookup, conn_rules_ignore_exec_keys)
{
  struct rules_match m;
  make_keys(exec_keys, 5, 0xf);   /* every exec key but "" */
  cr_assert_eq(lookup_conn(true, true, &m), RULES_NOTFOUND);
  rules_match_free(&m);
}

Test(lookup, deny_and_exec_results)
{
  struct rules_match m;
  struct kv kv[] = { KV("1000,0.ls", "D\0+WHY=no\0"), KV(".100,0.ls", "=/bin/ls\0") };
  make_cdb(cdbpath, kv, 2);
  cr_assert_eq(lookup_exec(true, true, &m), RULES_DENY);
  cr_assert(m.deny);
  cr_assert_null(m.exec);
  rules_match_free(&m);
  cr_assert_eq(lookup_exec(false, true, &m), RULES_ALLOW);
  cr_assert_str_eq(m.exec, "/bin/ls");
  rules_match_free(&m);
}

Test(lookup, uid_and_command_are_part_of_the_key)
{
  struct rules_match m;
  struct rules_who who = { .has_euid = true, .has_egid = true, .euid = 1000, .egid = 100 };
  struct kv kv[] = { KV(",0.ls", "") };
  int fd;
  make_cdb(cdbpath, kv, 1);
  fd = open(cdbpath, O_RDONLY);
  cr_assert_eq(rules_lookup_exec(fd, &who, 0, "ls", &m), RULES_ALLOW);
  rules_match_free(&m);
  cr_assert_eq(rules_lookup_exec(fd, &who, 1, "ls", &m), RULES_NOTFOUND);
  rules_match_free(&m);
  cr_assert_eq(rules_lookup_exec(fd, &who, 0, "l", &m), RULES_NOTFOUND);
  rules_match_free(&m);
  cr_assert_eq(rules_lookup_exec(fd, &who, 0, "ls ", &m), RULES_NOTFOUND);
  rules_match_free(&m);
  close(fd);
}

Test(lookup, malformed_record_is_an_error_never_an_allow)
{
  struct rules_match m;
  const struct kv bad[] = { KV("1000,0.ls", "D"), KV("1000,0.ls", "+NOEQ\0"),
    KV("1000,0.ls", "X\0"), KV("1000,0.ls", "D\0=/bin/sh\0"), KV("1000,0.ls", "=\0") };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct kv kv[2] = { bad[i], KV("", "") };
    make_cdb(cdbpath, kv, 2);
    errno = 0;
    cr_assert_eq(lookup_exec(true, true, &m), RULES_ERROR, "record %zu", i);
    cr_assert_eq(errno, EPROTO);
    rules_match_free(&m);
  }
}

Test(lookup, oversized_record_is_an_error)
{
  struct rules_match m;
  char *big = calloc(1, RULES_MAX_RECORD + 2);
  struct kv kv[1];
  cr_assert_not_null(big);
  memcpy(big, "+A=", 3);
  kv[0].k = "";
  kv[0].v = big;
  kv[0].vlen = RULES_MAX_RECORD + 1;
  make_cdb(cdbpath, kv, 1);
  errno = 0;
  cr_assert_eq(lookup_conn(true, true, &m), RULES_ERROR);
  cr_assert_eq(errno, EPROTO);
  rules_match_free(&m);
  free(big);
}

Test(lookup, not_a_cdb_is_an_error)
{
  struct rules_match m;
  int fd = open(cdbpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, "junk", 4), 4);
  close(fd);
  cr_assert_eq(lookup_conn(true, true, &m), RULES_ERROR);
  rules_match_free(&m);
  cr_assert_eq(lookup_exec(true, true, &m), RULES_ERROR);
  rules_match_free(&m);
}

Test(lookup, compiled_rules_roundtrip)
{
  struct rules_compile_error e;
  struct rules_match m;
  cr_assert_eq(compile(RULES_EXEC,
    "1000-1001,0.ls:allow=\"/bin/ls\",IPCERROUT=/0/\n"
    ".100,0.ls:deny\n"
    ":deny\n", &e), RULES_COMPILE_OK);
  cr_assert_eq(lookup_exec(true, true, &m), RULES_ALLOW);
  cr_assert_eq(m.key.len, 9);
  cr_assert_eq(memcmp(m.key.s, "1000,0.ls", 9), 0);
  cr_assert_str_eq(m.exec, "/bin/ls");
  cr_assert_str_eq(rules_match_var(&m, "IPCERROUT"), "0");
  rules_match_free(&m);
  cr_assert_eq(lookup_exec(false, true, &m), RULES_DENY);
  rules_match_free(&m);
  cr_assert_eq(lookup_exec(false, false, &m), RULES_DENY, "the empty key catches the rest");
  cr_assert_eq(m.key.len, 0);
  rules_match_free(&m);
}

/* ---- what the checkers print ------------------------------------------ */

static char *printed(enum rules_result r, struct rules_match *m, int default_allow)
{
  char *s = 0;
  size_t n = 0;
  FILE *f = open_memstream(&s, &n);
  cr_assert_not_null(f);
  rules_check_print(f, r, m, default_allow);
  fclose(f);
  return s;
}

static void print_record(const char *key, const char *data, size_t len, const char *want)
{
  struct rules_match m;
  char *s;
  memset(&m, 0, sizeof m);
  cr_assert(buf_cats(&m.key, key));
  m.data = malloc(len + 1);
  memcpy(m.data, data, len);
  cr_assert(rules_record_parse(m.data, len, &m));
  s = printed(m.deny ? RULES_DENY : RULES_ALLOW, &m, 1);
  cr_assert_str_eq(s, want);
  free(s);
  rules_match_free(&m);
}

Test(check, prints_like_070)
{
  struct rules_match m;
  char *s;
  print_record("1000.100", "+A=x y\0+B=z\0", 12,
    "rule 1000.100:\nset environment variable A=x y\nset environment variable B=z\nallow connection\n");
  print_record("1000", "D\0", 2, "rule 1000:\ndeny connection\n");
  print_record("", "", 0, "rule :\nallow connection\n");
  print_record(",0.ls", "=/bin/ls\0+A=1\0", 14,
    "rule ,0.ls:\nexecute /bin/ls\nset environment variable A=1\nallow connection\n");
  memset(&m, 0, sizeof m);
  s = printed(RULES_NOTFOUND, &m, 1);
  cr_assert_str_eq(s, "default:\nallow connection\n");
  free(s);
  s = printed(RULES_NOTFOUND, &m, 0);
  cr_assert_str_eq(s, "default:\ndeny connection\n", "exec rules fail closed");
  free(s);
}

Test(check, who_from_environment)
{
  struct rules_who who;
  setenv("IPCREMOTEEUID", "1000", 1);
  unsetenv("IPCREMOTEEGID");
  rules_check_who(&who);
  cr_assert(who.has_euid);
  cr_assert_eq(who.euid, 1000);
  cr_assert_not(who.has_egid);
  unsetenv("IPCREMOTEEUID");
  setenv("IPCREMOTEEGID", "0", 1);
  rules_check_who(&who);
  cr_assert_not(who.has_euid);
  cr_assert(who.has_egid);
  cr_assert_eq(who.egid, 0);
}

Test(check, invalid_euid_is_usage, .exit_code = 100, .init = cr_redirect_stderr)
{
  struct rules_who who;
  setenv("IPCREMOTEEUID", "01", 1);
  rules_check_who(&who);
}

Test(check, invalid_egid_is_usage, .exit_code = 100, .init = cr_redirect_stderr)
{
  struct rules_who who;
  unsetenv("IPCREMOTEEUID");
  setenv("IPCREMOTEEGID", "4294967295", 1);
  rules_check_who(&who);
}

Test(check, strerror_for_malformed)
{
  cr_assert_str_eq(rules_strerror(EPROTO), "malformed rules");
  cr_assert_str_eq(rules_strerror(ENOENT), strerror(ENOENT));
}

/* The owner and mode check every root-running reader of rules shares. */
TestSuite(trust, .init = dir_init, .fini = dir_fini);

static const char *untrusted_as(uid_t euid, uid_t owner, mode_t mode)
{
  const char *why;
  int fd = open(cdbpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
  cr_assert_geq(fd, 0);
  cr_assert_eq(fchown(fd, owner, 0), 0);
  cr_assert_eq(fchmod(fd, mode), 0);
  why = rules_untrusted(fd, euid);
  close(fd);
  return why;
}

Test(trust, root_reader)
{
  if (geteuid() != 0) cr_skip_test("needs root to chown");
  cr_assert_null(untrusted_as(0, 0, 0644));
  cr_assert_null(untrusted_as(0, 0, 0600));
  cr_assert_str_eq(untrusted_as(0, 4242, 0644), "rules not owned by root");
  cr_assert_str_eq(untrusted_as(0, 0, 0664), "rules writable by group or others");
  cr_assert_str_eq(untrusted_as(0, 0, 0646), "rules writable by group or others");
}

Test(trust, other_reader_trusts_what_it_reads)
{
  if (geteuid() != 0) cr_skip_test("needs root to chown");
  cr_assert_null(untrusted_as(4242, 4242, 0666));
}

Test(trust, not_a_regular_file)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  cr_assert_geq(fd, 0);
  cr_assert_str_eq(rules_untrusted(fd, 0), "rules not a regular file");
  close(fd);
}

Test(trust, reserved_variables)
{
  const char *yes[] = { "PROTO", "IPCLOCALPATH", "IPCREMOTEPATH", "IPCREMOTEEUID",
    "IPCREMOTEEGID", "IPCREMOTEPID" };
  const char *no[] = { "IPCUID", "IPCGID", "IPCERROUT", "proto", "IPCREMOTEEUIDX", "", "SEEN" };
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) cr_assert(rules_var_reserved(yes[i]), "%s", yes[i]);
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) cr_assert(!rules_var_reserved(no[i]), "%s", no[i]);
}

/* ---- %GID keys --------------------------------------------------------- */

static enum rules_result lookup_groups(bool exec, const uint32_t *g, size_t n, struct rules_match *m)
{
  struct rules_who who = { true, true, 1000, 100, n, g };
  int fd = open(cdbpath, O_RDONLY);
  enum rules_result r;
  cr_assert_geq(fd, 0);
  r = exec ? rules_lookup_exec(fd, &who, 0, "ls", m) : rules_lookup_conn(fd, &who, m);
  close(fd);
  return r;
}

Test(lookup, group_keys_between_egid_and_the_bare_suffix)
{
  static const uint32_t g[] = { 7, 100, 300 };
  struct rules_match m;
  struct kv kv[] = {
    KV(".100,0.ls", "+N=2\0"), KV("%300,0.ls", "+N=3\0"), KV("%7,0.ls", "+N=4\0"),
    KV(",0.ls", "+N=5\0"), KV("%8,0.ls", "D\0"),
  };
  make_cdb(cdbpath, kv, 5);
  expect_match(lookup_groups(true, g, 3, &m), &m, ".100,0.ls", 2);
  make_cdb(cdbpath, kv + 1, 4);
  expect_match(lookup_groups(true, g, 3, &m), &m, "%7,0.ls", 4);   /* ascending: 7 first */
  make_cdb(cdbpath, kv + 1, 1);
  expect_match(lookup_groups(true, g, 3, &m), &m, "%300,0.ls", 3);
  make_cdb(cdbpath, kv + 3, 2);
  expect_match(lookup_groups(true, g, 3, &m), &m, ",0.ls", 5);      /* %8: not a member */
  cr_assert_eq(lookup_groups(true, g, 0, &m), RULES_ALLOW, "no groups: the suffix");
  rules_match_free(&m);
}

Test(lookup, group_keys_for_connections)
{
  static const uint32_t g[] = { 5, 9 };
  struct rules_match m;
  struct kv kv[] = { KV("%9", "D\0"), KV("", "+N=1\0") };
  make_cdb(cdbpath, kv, 2);
  cr_assert_eq(lookup_groups(false, g, 2, &m), RULES_DENY);
  rules_match_free(&m);
  expect_match(lookup_groups(false, g, 1, &m), &m, "", 1);
}
