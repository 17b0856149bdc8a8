/* The Perl interpreter of an ipcperl worker: the only code that links
 * libperl. */
#ifndef BROKER_PERL_EMBED_H
#define BROKER_PERL_EMBED_H

#include <stdbool.h>

/* Once per process, before anything else of Perl's (argc, argv, env as
 * main got them). */
void perl_embed_sys_init(int *argc, char ***argv, char ***env);

/* Constructs the interpreter and runs file once. The file must end with a
 * true value and define sub (main:: unless qualified). On failure writes
 * a one-line reason into err and returns false. */
bool perl_embed_load(const char *file, const char *sub, char *err, unsigned errsize);

/* Calls sub with args (NULL-terminated) with Perl's STDIN and STDOUT on
 * fd and %ENV from the C environment, flushes STDOUT, and puts 0 and 1
 * back on /dev/null. Returns 0, or 111 with a one-line reason in err when
 * the sub died. An exit in the sub ends the process with its status. */
int perl_embed_call(int fd, char *const *args, char *err, unsigned errsize);

/* Destroys the interpreter (after perl_embed_load). */
void perl_embed_free(void);

#endif
