/* A stand-in for libFuzzer, so that compilers without it (gcc) still run the
 * fuzz targets: every file of the seed corpus, then a fixed number of
 * pseudo-random mutations of them, from a fixed seed so that a failure
 * reproduces. Usage: standalone CORPUSDIR [MUTATIONS]. Exit 0 when every
 * input ran; a target's failed check aborts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXLEN 4096

struct seed {
  uint8_t *data;
  size_t len;
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
  /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1du;
}

static size_t below(size_t n)
{
  return n ? (size_t)(next() % n) : 0;
}

/* Bytes the grammars care about, more likely than others. */
static const char special[] = "0123456789:,.-=\"/#\n\t \0DX+";

static size_t mutate(uint8_t *b, size_t len, const struct seed *other)
{
  int rounds = 1 + (int)below(4);
  while (rounds--) {
    size_t at = below(len + 1);
    switch (below(7)) {
      case 0:   /* flip a bit */
        if (len) b[below(len)] ^= (uint8_t)(1u << below(8));
        break;
      case 1:   /* set a byte to a special one */
        if (len) b[below(len)] = (uint8_t)special[below(sizeof special - 1)];
        break;
      case 2:   /* insert a byte */
        if (len < MAXLEN) {
          memmove(b + at + 1, b + at, len - at);
          b[at] = below(2) ? (uint8_t)special[below(sizeof special - 1)] : (uint8_t)next();
          len++;
        }
        break;
      case 3:   /* delete a run */
        if (len) {
          size_t from = below(len), n = 1 + below(len - from);
          memmove(b + from, b + from + n, len - from - n);
          len -= n;
        }
        break;
      case 4:   /* truncate */
        len = below(len + 1);
        break;
      case 5: { /* splice in part of another seed */
        size_t from = below(other->len + 1), n = below(other->len - from + 1);
        if (n > MAXLEN - len) n = MAXLEN - len;
        memmove(b + at + n, b + at, len - at);
        memcpy(b + at, other->data + from, n);
        len += n;
        break;
      }
      case 6:   /* duplicate a run */
        if (len) {
          size_t from = below(len), n = 1 + below(len - from);
          if (n > MAXLEN - len) n = MAXLEN - len;
          memmove(b + at + n, b + at, len - at);
          memmove(b + at, b + from + (from >= at ? n : 0), n);
          len += n;
        }
        break;
    }
  }
  return len;
}

static void run(const uint8_t *b, size_t len)
{
  /* an allocation of exactly len bytes, so a sanitizer sees overreads */
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) { perror("standalone: malloc"); exit(111); }
  if (len) memcpy(copy, b, len);
  LLVMFuzzerTestOneInput(copy, len);
  free(copy);
}

int main(int argc, char **argv)
{
  struct seed *seeds = 0;
  size_t nseeds = 0;
  unsigned long mutations = 5000;
  uint8_t *work;
  DIR *d;
  struct dirent *e;

  if (argc < 2 || argc > 3) {
    fputs("standalone: usage: standalone CORPUSDIR [MUTATIONS]\n", stderr);
    return 100;
  }
  if (argc == 3) mutations = strtoul(argv[2], 0, 10);
  d = opendir(argv[1]);
  if (!d) { perror(argv[1]); return 111; }
  while ((e = readdir(d))) {
    char path[4096];
    FILE *f;
    struct seed s;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    f = fopen(path, "rb");
    if (!f) { perror(path); return 111; }
    s.data = malloc(MAXLEN);
    if (!s.data) return 111;
    s.len = fread(s.data, 1, MAXLEN, f);
    fclose(f);
    seeds = realloc(seeds, (nseeds + 1) * sizeof *seeds);
    if (!seeds) return 111;
    seeds[nseeds++] = s;
  }
  closedir(d);
  if (!nseeds) { fprintf(stderr, "standalone: no seeds in %s\n", argv[1]); return 111; }

  for (size_t i = 0; i < nseeds; i++) run(seeds[i].data, seeds[i].len);
  run((const uint8_t *)"", 0);

  work = malloc(MAXLEN);
  if (!work) return 111;
  for (unsigned long i = 0; i < mutations; i++) {
    const struct seed *s = &seeds[below(nseeds)];
    size_t len = s->len;
    memcpy(work, s->data, len);
    len = mutate(work, len, &seeds[below(nseeds)]);
    run(work, len);
  }
  printf("standalone: %zu seeds, %lu mutations, all passed\n", nseeds, mutations);
  for (size_t i = 0; i < nseeds; i++) free(seeds[i].data);
  free(seeds);
  free(work);
  return 0;
}
