/* runstat: run one command, time-stamp its output and measure its cost.
 *
 *   runstat [--timeout S] [--first REGEX] [--stop-on-first] -- COMMAND [ARGS...]
 *
 * Every line the command writes to stdout is copied to our stdout prefixed
 * with the milliseconds since the command was started ("+123.4 <line>").  At
 * the end one JSON line reports the exit status, the wall time, the user and
 * system CPU seconds and the peak RSS of the command (from wait4, so exact
 * even for a short-lived process; children it waited for are not included), and when --first was given the time of the
 * first line matching REGEX (POSIX extended, case-insensitive).
 *
 * Bounded: after --timeout seconds (default 60) the command's process group
 * gets SIGINT, then SIGKILL two seconds later.  --stop-on-first sends SIGINT as soon as the
 * first matching line arrives.  SIGTERM or SIGINT to runstat is passed on as
 * SIGINT, within the same bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t asked_to_stop;

static void
on_stop_signal (int sig)
{
  (void) sig;
  asked_to_stop = 1;
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main (int argc, char **argv)
{
  double timeout_s = 60;
  const char *first_re = NULL;
  bool stop_on_first = false;
  int i = 1;
  for (; i < argc; i++) {
    if (!strcmp (argv[i], "--timeout") && i + 1 < argc)
      timeout_s = atof (argv[++i]);
    else if (!strcmp (argv[i], "--first") && i + 1 < argc)
      first_re = argv[++i];
    else if (!strcmp (argv[i], "--stop-on-first"))
      stop_on_first = true;
    else if (!strcmp (argv[i], "--")) {
      i++;
      break;
    } else
      break;
  }
  if (i >= argc || !(timeout_s > 0 && timeout_s <= 3600)) {
    fprintf (stderr, "usage: runstat [--timeout S] [--first REGEX] [--stop-on-first] -- CMD...\n");
    return 2;
  }
  regex_t re;
  if (first_re && regcomp (&re, first_re, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
    fprintf (stderr, "runstat: bad regex\n");
    return 2;
  }
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) != 0) {
    perror ("runstat: pipe");
    return 1;
  }
  double t0 = now_ms ();
  pid_t pid = fork ();
  if (pid < 0) {
    perror ("runstat: fork");
    return 1;
  }
  if (pid == 0) {
    setpgid (0, 0);             /* signals reach the whole command */
    /* a background job inherits SIGINT ignored; the command must see it */
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    dup2 (pfd[1], STDOUT_FILENO);
    execvp (argv[i], argv + i);
    fprintf (stderr, "runstat: cannot run %s: %s\n", argv[i], strerror (errno));
    _exit (127);
  }
  setpgid (pid, pid);           /* also here: no race with the first kill */
  close (pfd[1]);
  double first_ms = -1, deadline = t0 + timeout_s * 1e3, kill_at = -1;
  bool timed_out = false, killed = false;
  /* raw reads, not stdio: a line must be stamped when it arrives, not when
   * the next one wakes poll() */
  char buf[65536];
  size_t len = 0;
  setvbuf (stdout, NULL, _IOLBF, 0);
  /* stopping runstat stops the command, within the same bound */
  struct sigaction sa = { .sa_handler = on_stop_signal };
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  for (;;) {
    double t = now_ms ();
    if (asked_to_stop && kill_at < 0) {
      kill (-pid, SIGINT);
      kill_at = t + 2000;
    }
    if (kill_at < 0 && t >= deadline) {
      timed_out = true;
      kill (-pid, SIGINT);
      kill_at = t + 2000;
    }
    if (kill_at >= 0 && t >= kill_at) {
      if (killed)
        break;                  /* something outside the group holds the pipe */
      kill (-pid, SIGKILL);
      killed = true;
      kill_at = t + 1000;
    }
    struct pollfd p = { .fd = pfd[0], .events = POLLIN };
    int r = poll (&p, 1, 50);
    if (r < 0 && errno != EINTR)
      break;
    if (r <= 0)
      continue;
    ssize_t n = read (pfd[0], buf + len, sizeof buf - 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    bool eof = n <= 0;
    if (n > 0)
      len += (size_t) n;
    double tl = now_ms () - t0;
    char *start = buf, *nl;
    /* a full buffer without a newline is flushed as one line */
    while ((nl = memchr (start, '\n', len - (size_t) (start - buf))) ||
           ((eof || len == sizeof buf - 1) && start < buf + len)) {
      char *end = nl ? nl : buf + len;
      *end = 0;
      printf ("+%.1f %s\n", tl, start);
      if (first_re && first_ms < 0 && regexec (&re, start, 0, NULL, 0) == 0) {
        first_ms = tl;
        if (stop_on_first && kill_at < 0) {
          kill (-pid, SIGINT);
          kill_at = now_ms () + 2000;
        }
      }
      start = end + (nl ? 1 : 0);
      if (!nl)
        break;
    }
    len -= (size_t) (start - buf);
    memmove (buf, start, len);
    if (eof)
      break;
  }
  /* The command may have closed stdout and still run: keep the bound. */
  int status = 0;
  struct rusage ru;
  for (;;) {
    pid_t w = wait4 (pid, &status, WNOHANG, &ru);
    if (w == pid)
      break;
    double t = now_ms ();
    if (kill_at < 0 && (t >= deadline || asked_to_stop)) {
      timed_out = !asked_to_stop;
      kill (-pid, SIGINT);
      kill_at = t + 2000;
    } else if (kill_at >= 0 && t >= kill_at) {
      kill (-pid, SIGKILL);
      kill_at = t + 1e9;
    }
    usleep (10000);
  }
  double wall = now_ms () - t0;
  int rc = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  printf ("{\"runstat\":true,\"rc\":%d,\"timed_out\":%s,\"wall_ms\":%.1f,\"user_s\":%.3f,"
      "\"sys_s\":%.3f,\"maxrss_kb\":%ld,\"first_ms\":", rc, timed_out ? "true" : "false", wall,
      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
      ru.ru_maxrss);
  if (first_ms >= 0)
    printf ("%.1f}\n", first_ms);
  else
    printf ("null}\n");
  return rc;
}
