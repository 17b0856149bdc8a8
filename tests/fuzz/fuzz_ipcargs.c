/* The IPCARGS parser and matcher: the input is the spec, then NUL, then
 * the arguments separated by NUL. Checks that a spec accepted as valid
 * never makes the matcher report it malformed, and that matching agrees
 * with itself when repeated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipcargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *d = (const char *)data;
  const char *nul = memchr(d, 0, size);
  size_t speclen = nul ? (size_t)(nul - d) : size;
  char *copy, *args[64];
  size_t n = 0, i;
  const char *why;
  int r, again;
  bool valid;

  copy = malloc(size + 1);
  if (!copy) return 0;
  memcpy(copy, d, size);
  copy[size] = 0;
  if (nul) {
    i = speclen + 1;
    while (i <= size && n < 64) {
      args[n++] = copy + i;
      i += strlen(copy + i) + 1;
    }
  }
  valid = ipcargs_valid(copy, speclen, &why);
  r = ipcargs_match(copy, speclen, args, n, &why);
  again = ipcargs_match(copy, speclen, args, n, &why);
  if ((r < 0) != !valid || r != again) abort();
  free(copy);
  return 0;
}
