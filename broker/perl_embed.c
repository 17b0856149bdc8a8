/* The embedded Perl of ipcperl (perlembed(1)): one interpreter per worker,
 * the handler file run once, then one call of the sub per connection.
 *
 * %ENV: the interpreter's %ENV is a plain hash here (its magic is taken
 * off after start-up), refilled from the C environment before each call.
 * So %ENV holds this connection's variables, and nothing a handler does to
 * %ENV reaches the C environment, which ipchandle swaps per connection and
 * checks afterwards. */
#include "perl_embed.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>

extern char **environ;

static PerlInterpreter *my_perl;
static CV *the_sub;

/* Perl's messages can quote client bytes: one printable line, cut. */
static void oneline(char *dst, unsigned size, const char *src)
{
  unsigned n = 0;
  if (!size) return;
  for (; *src && n + 4 < size; src++) {
    unsigned char c = (unsigned char)*src;
    if (c == '\n' && !src[1]) break;
    dst[n++] = c >= 32 && c < 127 ? (char)c : '?';
  }
  if (*src && src[1]) {
    memcpy(dst + n, "...", 3);
    n += 3;
  }
  dst[n] = 0;
}

EXTERN_C void boot_DynaLoader(pTHX_ CV *cv);

/* XS modules (POSIX, Socket, ...) load through DynaLoader. */
static void xs_init(pTHX)
{
  newXS("DynaLoader::boot_DynaLoader", boot_DynaLoader, __FILE__);
}

void perl_embed_sys_init(int *argc, char ***argv, char ***env)
{
  PERL_SYS_INIT3(argc, argv, env);
}

/* %ENV from the C environment, without magic: see the top of the file. */
static void env_refill(void)
{
  HV *env = GvHVn(PL_envgv);
  hv_clear(env);
  for (char **e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (!eq || eq == *e) continue;
    (void)hv_store(env, *e, (I32)(eq - *e), newSVpv(eq + 1, 0), 0);
  }
}

bool perl_embed_load(const char *file, const char *sub, char *err, unsigned errsize)
{
  /* -e 0: the file is run by the code below, with its result checked,
   * not as a main program. */
  static char arg0[] = "ipcperl", arg1[] = "-e", arg2[] = "0";
  char *args[] = { arg0, arg1, arg2, 0 };
  static const char load[] =
    "my $r = do $IPCPERL::file;"
    "if ($@) { die $@ }"
    "if (!defined $r && $!) { die \"unable to read: $!\\n\" }"
    "if (!$r) { die \"did not return a true value\\n\" }"
    "1";
  SV *errsv;

  my_perl = perl_alloc();
  if (!my_perl) {
    oneline(err, errsize, "unable to create a Perl interpreter");
    return false;
  }
  perl_construct(my_perl);
  /* perl_destruct frees the interpreter's memory, not only its objects. */
  PL_perl_destruct_level = 1;
  PL_exit_flags |= PERL_EXIT_DESTRUCT_END;
  if (perl_parse(my_perl, xs_init, 3, args, 0) || perl_run(my_perl)) {
    oneline(err, errsize, "unable to start Perl");
    return false;
  }
  /* From here on %ENV is ours to fill, and leaves environ alone. */
  sv_unmagic((SV *)GvHVn(PL_envgv), PERL_MAGIC_env);
  hv_clear(GvHVn(PL_envgv));
  env_refill();

  /* do FILE searches @INC unless the path is explicit. */
  if (file[0] == '/' || !strncmp(file, "./", 2) || !strncmp(file, "../", 3)) {
    sv_setpv(get_sv("IPCPERL::file", GV_ADD), file);
  } else {
    SV *f = get_sv("IPCPERL::file", GV_ADD);
    sv_setpv(f, "./");
    sv_catpv(f, file);
  }
  eval_pv(load, FALSE);
  errsv = ERRSV;
  if (SvTRUE(errsv)) {
    oneline(err, errsize, SvPV_nolen(errsv));
    return false;
  }
  the_sub = get_cv(sub, 0);
  if (!the_sub) {
    char msg[600];
    snprintf(msg, sizeof msg, "no subroutine %s", sub);
    oneline(err, errsize, msg);
    return false;
  }
  return true;
}

static void on_devnull(void)
{
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(111);
  close(null);
}

/* What is left in STDIN's buffer belongs to the client that went. */
static void discard_input(PerlIO *in)
{
  if (PerlIO_fast_gets(in) && PerlIO_get_cnt(in) > 0)
    PerlIO_set_ptrcnt(in, PerlIO_get_ptr(in) + PerlIO_get_cnt(in), 0);
  PerlIO_clearerr(in);
}

int perl_embed_call(int fd, char *const *args, char *err, unsigned errsize)
{
  int ret;
  volatile int status = 0;    /* set between the setjmp and a longjmp */
  dJMPENV;

  if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0) {
    oneline(err, errsize, "unable to set up descriptors");
    return 111;
  }
  discard_input(PerlIO_stdin());
  PerlIO_clearerr(PerlIO_stdout());
  env_refill();

  JMPENV_PUSH(ret);
  if (ret == 0) {
    dSP;
    ENTER;
    SAVETMPS;
    PUSHMARK(SP);
    for (char *const *a = args; *a; a++) XPUSHs(sv_2mortal(newSVpv(*a, 0)));
    PUTBACK;
    call_sv((SV *)the_sub, G_VOID | G_DISCARD | G_EVAL);
    if (SvTRUE(ERRSV)) {
      oneline(err, errsize, SvPV_nolen(ERRSV));
      status = 111;
    }
    FREETMPS;
    LEAVE;
  }
  JMPENV_POP;
  if (ret == 2) {
    /* exit in the sub: this worker ends (ipchandle starts another), after
     * what the sub printed has gone out. */
    int code = STATUS_EXIT;
    PerlIO_flush(PerlIO_stdout());
    _exit(code & 0xff);
  }
  if (ret != 0) {
    oneline(err, errsize, "Perl jumped out of the call");
    _exit(111);
  }
  PerlIO_flush(PerlIO_stdout());
  discard_input(PerlIO_stdin());
  on_devnull();
  return status;
}

void perl_embed_free(void)
{
  if (!my_perl) return;
  perl_destruct(my_perl);
  perl_free(my_perl);
  my_perl = 0;
}
