/* Fuzz target for the attached-mode decoders: the environment and the
 * terminal item a client offers (read by the root-running ipcexec) and the
 * small messages either side sends (signals, window sizes and continues
 * from the client, statuses from the broker).
 *
 * Whatever they accept must be what the encoders produce. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "buf.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *buf = (const char *)data;
  struct request r;
  const char *why = 0;
  size_t used = 0;
  enum request_status st;

  request_init(&r);
  st = attach_parse_env(buf, size, &r, &used, &why);
  if (st == REQUEST_OK) {
    CHECK(used <= size);
    CHECK(r.envc <= ATTACH_MAX_ENVC);
    CHECK(r.envp[r.envc] == 0);
    for (uint32_t i = 0; i < r.envc; i++) {
      CHECK(strchr(r.envp[i], '=') != 0);
      CHECK(r.envp[i][0] != '=');
    }
  }
  if (st == REQUEST_BAD) CHECK(why != 0);
  request_free(&r);

  {
    struct request_pty p;
    st = attach_parse_pty(buf, size, &p, &used, &why);
    if (st == REQUEST_BAD) CHECK(why != 0);
    if (st == REQUEST_OK) {
      struct buf enc = BUF_ZERO;
      char *argv[] = { "x", 0 };
      CHECK(used <= size && p.want && p.mask >= 1 && p.mask <= 7);
      CHECK(strlen(p.name) <= REQUEST_MAX_TTYNAME);
      /* the item is the canonical encoding of what it says */
      CHECK(attach_encode(&enc, 0, 1, argv, 0, &p));
      CHECK(enc.len >= used && !memcmp(enc.s + enc.len - used, buf, used));
      buf_free(&enc);
    }
  }

  for (size_t off = 0; off < size;) {
    struct attach_msg m;
    st = attach_parse_msg(buf + off, size - off, &m, &used);
    if (st != REQUEST_OK) break;
    CHECK(used > 0 && used <= size - off);
    {
      struct buf enc = BUF_ZERO;
      bool ok = m.kind == 'K' ? attach_encode_signal(&enc, m.value)
        : m.kind == 'C' ? attach_encode_continue(&enc, m.value != 0)
        : m.kind == 'W' ? attach_encode_winsize(&enc, m.rows, m.cols, m.xpixel, m.ypixel)
        : attach_encode_status(&enc, m.kind, m.value);
      CHECK(ok);
      CHECK(enc.len == used && !memcmp(enc.s, buf + off, used));
      buf_free(&enc);
    }
    off += used;
  }
  return 0;
}
