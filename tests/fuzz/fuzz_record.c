/* Fuzz target for the recording reader, the code ipcreplay runs over
 * files whose every byte a recorded command may have chosen.
 *
 * The input is a whole file. Read from memory, every record accepted must
 * lie within the input, be the canonical encoding of what was returned
 * (header packed again gives the same 16 bytes, data points at the input's
 * own bytes), and times never go back; the reading ends exactly at the end
 * of the input unless it stopped inside a record. Read again from a
 * descriptor, skipping data as ipcreplay -l does, it must come to the same
 * answer at the same offset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "recread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_meta(const struct recread *r)
{
  const struct recread_meta *m = &r->meta;
  CHECK(record_id_ok(m->id));
  CHECK(m->argc >= 1 && m->argv && !m->argv[m->argc]);
  for (size_t i = 0; i < m->argc; i++) CHECK(m->argv[i]);
  CHECK(m->start_sec <= RECREAD_MAX_START && m->start_usec < 1000000);
  CHECK(m->rows <= 0xffff && m->cols <= 0xffff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct recread r, f;
  struct recread_item it, jt;
  uint64_t t = 0, off;
  int st, fst, fd;

  st = recread_mem(&r, data, size);
  CHECK(st == RECREAD_ITEM || st == RECREAD_BAD || st == RECREAD_IO);
  if (st == RECREAD_ITEM) check_meta(&r);
  off = r.off;
  while (st == RECREAD_ITEM && (st = recread_next(&r, &it, true)) == RECREAD_ITEM) {
    unsigned char h[REC_HDR_LEN];
    size_t len = it.type == REC_T_DATA ? it.len : it.type == REC_T_WINSIZE ? REC_WINSIZE_LEN
        : it.type == REC_T_END ? REC_END_LEN : REC_TRUNC_LEN;
    struct rec_hdr hd = { it.type, it.stream, (uint32_t)len, it.delta_us };
    CHECK(it.off == off);
    CHECK(it.off + REC_HDR_LEN + len <= size);
    CHECK(it.type == REC_T_DATA || it.type == REC_T_WINSIZE || it.type == REC_T_TRUNC
        || it.type == REC_T_END);
    if (it.type == REC_T_DATA) {
      CHECK(it.stream < REC_STREAMS && it.len >= 1 && it.len <= REC_MAX_DATA);
      CHECK(it.data == data + it.off + REC_HDR_LEN);
    }
    rec_pack_hdr(h, &hd);
    CHECK(memcmp(h, data + it.off, REC_HDR_LEN) == 0);
    CHECK(it.t_us >= t && it.t_us == t + it.delta_us);
    t = it.t_us;
    off = it.off + REC_HDR_LEN + len;
    CHECK(r.off == off);
  }
  if (st == RECREAD_BAD) CHECK(r.why && r.bad_off <= size);
  if (st == RECREAD_END) {
    if (r.partial) CHECK(r.off < size && !r.ended);
    else CHECK(r.off == size);
  }

  /* The same bytes through a descriptor, data skipped. */
  fd = memfd_create("fuzz_record", MFD_CLOEXEC);
  if (fd < 0) {
    recread_free(&r);
    return 0;
  }
  CHECK(write(fd, data, size) == (ssize_t)size);
  fst = recread_fd(&f, fd);
  while (fst == RECREAD_ITEM && (fst = recread_next(&f, &jt, false)) == RECREAD_ITEM)
    CHECK(!jt.data);
  CHECK(fst == st);
  CHECK(f.off == r.off && f.ended == r.ended && f.truncated == r.truncated
      && f.partial == r.partial);
  if (st == RECREAD_BAD) CHECK(f.bad_off == r.bad_off && !strcmp(f.why, r.why));
  if (r.ended) CHECK(f.wstatus == r.wstatus && f.signal == r.signal);
  close(fd);
  recread_free(&f);
  recread_free(&r);
  return 0;
}
