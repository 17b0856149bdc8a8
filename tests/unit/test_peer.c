#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "peer_cred.h"
#include "unix_socket.h"

static char dir[] = "/tmp/test_peer.XXXXXX";

static void setup(void)
{
  cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return;
}

static char *path_in_dir(const char *name)
{
  static char p[256];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

static bool cloexec(int fd)
{
  int f = fcntl(fd, F_GETFD);
  cr_assert_geq(f, 0);
  return f & FD_CLOEXEC;
}

TestSuite(peer, .init = setup, .fini = teardown);

Test(peer, cred_over_socketpair)
{
  int sv[2];
  struct peer_cred c;
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  cr_assert_eq(peer_cred_get(sv[0], &c), 0);
  cr_assert_eq(c.pid, getpid());
  cr_assert_eq(c.uid, geteuid());
  cr_assert_eq(c.gid, getegid());
}

Test(peer, cred_fails_without_peer)
{
  struct peer_cred c = { 7, 7, 7 };
  int fd = peer_unix_socket();
  cr_assert_geq(fd, 0);
  cr_assert_eq(peer_cred_get(fd, &c), -1, "an unconnected socket has no identity");
  cr_assert_eq(c.uid, 7, "a failure must not fill in a default id");
  cr_assert_eq(peer_cred_get(-1, &c), -1);
  cr_assert_eq(errno, EBADF);
}

Test(peer, path_too_long_refused)
{
  char longp[PEER_PATH_MAX + 2];
  struct sockaddr_un sa;
  socklen_t len;
  int fd;

  memset(longp, 'a', sizeof longp - 1);
  longp[sizeof longp - 1] = 0;
  longp[0] = '/';
  errno = 0;
  cr_assert_eq(peer_unix_addr(&sa, &len, longp), -1);
  cr_assert_eq(errno, ENAMETOOLONG);
  errno = 0;
  cr_assert_eq(peer_unix_listen(longp, PEER_BIND_DELETE, 5), -1);
  cr_assert_eq(errno, ENAMETOOLONG);
  errno = 0;
  cr_assert_eq(peer_unix_connect(longp, 0), -1);
  cr_assert_eq(errno, ENAMETOOLONG);

  /* The longest path that fits is accepted, byte for byte. */
  longp[PEER_PATH_MAX] = 0;
  cr_assert_eq(peer_unix_addr(&sa, &len, longp), 0);
  cr_assert_str_eq(sa.sun_path, longp);
  cr_assert_eq(peer_unix_addr(&sa, &len, ""), -1);
  cr_assert_eq(errno, EINVAL);
  fd = peer_unix_socket();
  cr_assert_eq(peer_unix_bind(fd, "", 0), -1);
  close(fd);
}

Test(peer, bound_socket_roundtrip)
{
  char *s = strdup(path_in_dir("s"));
  char *c = strdup(path_in_dir("c"));
  char remote[PEER_PATH_MAX + 1];
  struct peer_cred pc;
  struct stat st;
  int lfd, cfd, afd;
  char b[8];

  mode_t old = umask(077);
  lfd = peer_unix_listen(s, PEER_BIND_DELETE | PEER_BIND_UMASK0, 5);
  umask(old);
  cr_assert_geq(lfd, 0, "listen: %s", strerror(errno));
  cr_assert(cloexec(lfd));
  cr_assert(fcntl(lfd, F_GETFL) & O_NONBLOCK);
  cr_assert(peer_unix_is_listener(lfd));
  cr_assert_eq(stat(s, &st), 0);
  cr_assert(S_ISSOCK(st.st_mode));
  cr_assert_eq(st.st_mode & 0777, 0777, "bound with umask 0, got %o", st.st_mode & 0777);

  errno = 0;
  cr_assert_eq(peer_unix_accept(lfd, remote), -1, "nothing to accept yet");
  cr_assert_eq(errno, EAGAIN);

  cfd = peer_unix_connect(s, c);
  cr_assert_geq(cfd, 0, "connect: %s", strerror(errno));
  cr_assert(cloexec(cfd));
  cr_assert_not(peer_unix_is_listener(cfd));
  afd = peer_unix_accept(lfd, remote);
  cr_assert_geq(afd, 0);
  cr_assert(cloexec(afd));
  cr_assert_str_eq(remote, c);
  cr_assert_eq(peer_cred_get(afd, &pc), 0);
  cr_assert_eq(pc.pid, getpid());
  cr_assert_eq(pc.uid, geteuid());
  cr_assert_eq(pc.gid, getegid());

  cr_assert_eq(write(cfd, "ping", 4), 4);
  cr_assert_eq(read(afd, b, sizeof b), 4);
  cr_assert_eq(memcmp(b, "ping", 4), 0);
  close(cfd);
  close(afd);

  /* A client never removes what is at its local path: the socket the
   * first connection left at c makes the bind fail, and stays. */
  {
    struct stat before, after;
    cr_assert_eq(lstat(c, &before), 0);
    errno = 0;
    cr_assert_eq(peer_unix_connect(s, c), -1, "bound over an existing socket");
    cr_assert_eq(errno, EADDRINUSE);
    cr_assert_eq(lstat(c, &after), 0);
    cr_assert_eq(before.st_ino, after.st_ino, "the existing socket was replaced");
  }

  /* An unbound client reads as the empty path. */
  cfd = peer_unix_connect(s, 0);
  cr_assert_geq(cfd, 0);
  afd = peer_unix_accept(lfd, remote);
  cr_assert_geq(afd, 0);
  cr_assert_str_eq(remote, "");
  close(cfd);
  close(afd);
  close(lfd);

  /* Rebinding deletes the stale socket; without the flag it is in use. */
  lfd = peer_unix_listen(s, 0, 5);
  cr_assert_eq(lfd, -1);
  cr_assert_eq(errno, EADDRINUSE);
  lfd = peer_unix_listen(s, PEER_BIND_DELETE, 5);
  cr_assert_geq(lfd, 0);
  close(lfd);
  free(s);
  free(c);
}

Test(peer, delete_spares_non_sockets)
{
  char *f = path_in_dir("file");
  int fd = open(f, O_CREAT | O_WRONLY, 0600);
  cr_assert_geq(fd, 0);
  close(fd);
  cr_assert_eq(peer_unix_listen(f, PEER_BIND_DELETE, 5), -1);
  cr_assert_eq(errno, EADDRINUSE);
  cr_assert_eq(access(f, F_OK), 0, "a regular file must never be deleted");
}

Test(peer, connect_refused_reports_errno)
{
  errno = 0;
  cr_assert_eq(peer_unix_connect(path_in_dir("absent"), 0), -1);
  cr_assert_eq(errno, ENOENT);
}

Test(peer, socketpair_is_not_listener)
{
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  cr_assert_not(peer_unix_is_listener(sv[0]));
  close(sv[0]);
  close(sv[1]);
}
