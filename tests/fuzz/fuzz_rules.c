/* Fuzz target for the rules grammar and the compiled-record checks.
 *
 * The input is split into lines, and each line goes through rules_parse_line
 * as a connection rule and as an exec rule. Whatever the parser accepts must
 * be a record the lookup accepts too, with the shape the grammar promises.
 * The whole input is also handed to rules_record_parse as a record, as if it
 * had been read from a (hostile) cdb. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_compile.h"
#include "rules_lookup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct rules_match M;

static void check_line(enum rules_kind kind, const char *line, size_t len)
{
  struct rules_line r;
  enum rules_line_status st;
  char *copy;

  memset(&r, 0, sizeof r);
  st = rules_parse_line(kind, line, len, &r);
  CHECK(st == RULES_LINE_IGNORED || st == RULES_LINE_OK || st == RULES_LINE_BAD
      || st == RULES_LINE_RANGE || st == RULES_LINE_NOMEM);
  if (st == RULES_LINE_OK) {
    CHECK(len > 0 && line[0] != '#');
    CHECK(memchr(line, 0, len) == 0);
    /* the key is the line's, or its copy with names made numbers */
    CHECK(r.key == line || (r.key == r.keybuf.s && r.keylen == r.keybuf.len));
    if (r.key == line) CHECK(r.keylen < len && line[r.keylen] == ':');
    CHECK(memchr(r.key, ':', r.keylen) == 0);
    if (r.range) {
      CHECK(r.lo <= r.hi);
      CHECK((uint64_t)r.hi - r.lo < RULES_MAX_RANGE);
      CHECK(r.suffix >= r.key && r.suffix + r.suffixlen == r.key + r.keylen);
      CHECK(r.suffixlen == 0 || r.suffix[0] == ',');
    }
    CHECK(r.data.len <= RULES_MAX_RECORD);
    /* the lookup must accept every record the compiler writes */
    copy = malloc(r.data.len ? r.data.len : 1);
    CHECK(copy);
    if (r.data.len) memcpy(copy, r.data.s, r.data.len);
    CHECK(rules_record_parse(copy, r.data.len, &M));
    CHECK(M.deny == (r.data.len >= 2 && !memcmp(r.data.s, "D", 2)));
    if (kind == RULES_CONN) CHECK(M.exec == 0);
    if (M.exec) CHECK(!M.deny && M.exec[0]);
    free(copy);
  }
  buf_free(&r.data);
  buf_free(&r.keybuf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  size_t start = 0;
  char *rec;

  while (start < size) {
    const char *nl = memchr(s + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - s) + 1 : size;
    /* exactly the line's bytes in their own allocation, so that any read
     * past the end is caught by the sanitizer */
    size_t len = end - start;
    char *line = malloc(len ? len : 1);
    CHECK(line);
    memcpy(line, s + start, len);
    check_line(RULES_CONN, line, len);
    check_line(RULES_EXEC, line, len);
    free(line);
    start = end;
  }

  if (size <= RULES_MAX_RECORD) {
    rec = malloc(size ? size : 1);
    CHECK(rec);
    memcpy(rec, data, size);
    if (rules_record_parse(rec, size, &M)) {
      CHECK(M.nitems <= RULES_MAX_ITEMS);
      CHECK(size == 0 || rec[size - 1] == 0);
      CHECK(!(M.deny && M.exec));
      for (size_t i = 0; i < M.nitems; i++) {
        const struct rules_item *it = &M.items[i];
        CHECK(it->type == 'D' || it->type == '+' || it->type == '=');
        if (it->type == '+') CHECK(it->name[0] && !strchr(it->name, '='));
        if (it->type == '=') CHECK(it->value[0]);
      }
    }
    free(rec);
  }
  return 0;
}
