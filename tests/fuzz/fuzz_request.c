/* Fuzz target for the exec request decoder, the code that reads what an
 * unprivileged peer sends to the root-running ipcexec.
 *
 * request_parse_header and request_parse must agree, never read past the
 * input, and every request they accept must be the canonical encoding of
 * what they return: request_encode gives back exactly the bytes consumed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *buf = (const char *)data;
  struct request_header h;
  struct request r, r2;
  enum request_status hst, st;
  const char *why = 0;
  size_t consumed = 0, consumed2 = 0;
  struct buf enc = BUF_ZERO;

  hst = request_parse_header(buf, size, &h, &why);
  CHECK(hst == REQUEST_OK || hst == REQUEST_MORE || hst == REQUEST_BAD);
  if (hst == REQUEST_BAD) CHECK(why != 0);
  if (hst == REQUEST_OK) {
    CHECK(h.headerlen <= size);
    CHECK(h.headerlen <= REQUEST_MAX_HEADER);
    CHECK(h.argc >= 1 && h.argc <= REQUEST_MAX_ARGC);
    CHECK(h.argslen > h.argc && h.argslen <= REQUEST_MAX_ARGSLEN);
    CHECK(h.total == h.headerlen + h.argslen + 1);
    CHECK(h.total <= REQUEST_MAX_TOTAL);
  }
  if (hst == REQUEST_MORE) CHECK(size < REQUEST_MAX_HEADER);

  st = request_parse(buf, size, &r, &consumed, &why);
  if (hst != REQUEST_OK) CHECK(st == hst);
  if (st != REQUEST_OK) {
    CHECK(r.args == 0 && r.argv == 0);
    if (st == REQUEST_BAD) CHECK(why != 0);
    if (st == REQUEST_MORE) CHECK(hst == REQUEST_MORE || size < h.total);
    return 0;
  }

  CHECK(hst == REQUEST_OK);
  CHECK(consumed == h.total && consumed <= size);
  CHECK(r.uid == h.uid && r.argc == h.argc && r.argslen == h.argslen);
  CHECK(r.argv[r.argc] == 0);
  for (uint32_t i = 0; i < r.argc; i++) CHECK(r.argv[i] != 0);
  CHECK(r.argv[0][0] != 0);

  /* encode(parse(x)) == x, and parse(encode(parse(x))) == parse(x) */
  CHECK(request_encode(&enc, r.uid, (int)r.argc, r.argv));
  CHECK(enc.len == consumed);
  CHECK(memcmp(enc.s, buf, consumed) == 0);
  CHECK(request_parse(enc.s, enc.len, &r2, &consumed2, &why) == REQUEST_OK);
  CHECK(consumed2 == consumed && r2.uid == r.uid && r2.argc == r.argc);
  for (uint32_t i = 0; i < r.argc; i++) CHECK(strcmp(r.argv[i], r2.argv[i]) == 0);

  request_free(&r2);
  request_free(&r);
  buf_free(&enc);
  return 0;
}
