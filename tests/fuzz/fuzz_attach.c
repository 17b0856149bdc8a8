/* Fuzz target for the attached-mode decoders: the environment a client
 * offers (read by the root-running ipcexec) and the small messages either
 * side sends (signals from the client, statuses from the broker).
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

  for (size_t off = 0; off < size;) {
    char kind;
    int value;
    st = attach_parse_msg(buf + off, size - off, &kind, &value, &used);
    if (st != REQUEST_OK) break;
    CHECK(used > 0 && used <= size - off);
    {
      struct buf enc = BUF_ZERO;
      bool ok = kind == 'K' ? attach_encode_signal(&enc, value) : attach_encode_status(&enc, kind, value);
      CHECK(ok);
      CHECK(enc.len == used && !memcmp(enc.s, buf + off, used));
      buf_free(&enc);
    }
    off += used;
  }
  return 0;
}
