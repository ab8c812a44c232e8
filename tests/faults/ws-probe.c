/* ws-probe: a scriptable raw WebSocket client for the fault suites.
 *
 *   ws-probe ws://127.0.0.1:PORT/App/websocket [TIMEOUT_S] < script
 *
 * Connects, prints "#open" (or "#refused <status line>"), then runs the
 * script read from standard input, one line at a time:
 *   any line not starting with '!'   sent as one text message
 *   !sleep MS                        wait, still printing what arrives
 *   !flood N TEXT                    send TEXT N times as fast as the socket takes it
 *   !garbage N                       N random bytes, not framed (a broken client)
 *   !oversize N                      one text message of N bytes
 *   !close                           close frame 1000, then wait for the server's
 *   !quit                            drop the socket with no close frame
 * Every text message received is printed on its own line; a close frame
 * prints "#close CODE", the end of the TCP stream "#eof", a flood that the
 * server cut short "#flood-sent K".  After the script it keeps reading until
 * the server closes or TIMEOUT_S (default 10) seconds have passed since the
 * start: every run is bounded.  Exit status 0, or 1 when it cannot connect.
 * With WS_PROBE_TIMES set, every line printed starts with the seconds since
 * the start, and every text message sent is printed too, as "> TEXT".
 */
#define _GNU_SOURCE
#include "../load/ws-frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RX_MAX (4 * 1024 * 1024)

static int fd = -1;
static uint8_t *rx;
static size_t rx_len;
static int closed;          /* close frame or EOF seen */
static double deadline;
static char *message;       /* fragments being reassembled */
static size_t message_len;
static int times;           /* WS_PROBE_TIMES */
static double started;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every output line goes through here (times are for latency checks). */
static void
emit (const char *fmt, ...)
{
  va_list ap;
  if (times)
    printf ("%.4f ", now_s () - started);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  fflush (stdout);
}

static int
write_all (const void *data, size_t len)
{
  const uint8_t *p = data;
  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

static int
send_frame (int opcode, const void *payload, size_t len)
{
  uint8_t *frame = malloc (len + 14);
  if (frame == NULL)
    return -1;
  size_t n = ws_encode_frame (frame, opcode, 1, payload, len);
  int r = write_all (frame, n);
  free (frame);
  return r;
}

/* Prints what the server sent; answers pings so that the idle check of the
 * server never mistakes a probe for a dead peer. */
static void
handle_frames (void)
{
  for (;;)
    {
      WsFrame f;
      long used = ws_parse_frame (rx, rx_len, RX_MAX, &f);
      if (used == 0)
        return;
      if (used < 0)
        {
          emit ("#bad-frame\n");
          closed = 1;
          return;
        }
      switch (f.opcode)
        {
        case WS_OP_TEXT:
        case WS_OP_BINARY:
        case WS_OP_CONT:
          message = realloc (message, message_len + f.len + 1);
          memcpy (message + message_len, f.payload, f.len);
          message_len += f.len;
          if (f.fin)
            {
              message[message_len] = '\0';
              emit ("%s\n", message);
              message_len = 0;
            }
          break;
        case WS_OP_PING:
          send_frame (WS_OP_PONG, f.payload, f.len);
          break;
        case WS_OP_CLOSE:
          emit ("#close %d\n", ws_close_code (&f));
          if (!closed)
            send_frame (WS_OP_CLOSE, f.payload, f.len < 2 ? f.len : 2);
          closed = 1;
          break;
        default:
          break;
        }
      fflush (stdout);
      memmove (rx, rx + used, rx_len - (size_t) used);
      rx_len -= (size_t) used;
    }
}

/* One recv() and whatever frames it completes. */
static void
read_once (void)
{
  if (rx_len == RX_MAX)
    {
      emit ("#rx-overflow\n");
      closed = 1;
      return;
    }
  ssize_t n = recv (fd, rx + rx_len, RX_MAX - rx_len, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      emit ("#eof\n");
      fflush (stdout);
      closed = 1;
      return;
    }
  rx_len += (size_t) n;
  handle_frames ();
}

/* Reads from the socket for up to @ms milliseconds (bounded by the deadline). */
static void
pump (int ms)
{
  double end = now_s () + ms / 1000.0;
  if (end > deadline)
    end = deadline;
  while (!closed)
    {
      double left = end - now_s ();
      if (left <= 0)
        return;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, (int) (left * 1000) + 1);
      if (r > 0)
        read_once ();
    }
}

static int
connect_ws (const char *url)
{
  char host[64], path[512];
  int port;
  if (ws_parse_url (url, host, sizeof host, &port, path, sizeof path) != 0)
    {
      fprintf (stderr, "ws-probe: bad url %s\n", url);
      return -1;
    }
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  if (inet_pton (AF_INET, host, &sa.sin_addr) != 1)
    {
      fprintf (stderr, "ws-probe: the host must be an IPv4 literal\n");
      return -1;
    }
  fd = socket (AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0)
    {
      emit ("#connect-failed %s\n", strerror (errno));
      return -1;
    }
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[1024];
  int n = ws_handshake_request (req, sizeof req, host, port, path);
  if (write_all (req, (size_t) n) != 0)
    return -1;
  size_t head = 0;
  while ((head = ws_response_head_len (rx, rx_len)) == 0)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      double left = deadline - now_s ();
      if (left <= 0 || poll (&p, 1, (int) (left * 1000) + 1) <= 0)
        {
          emit ("#refused timeout\n");
          return -1;
        }
      ssize_t r = recv (fd, rx + rx_len, RX_MAX - rx_len, 0);
      if (r <= 0)
        {
          emit ("#refused eof\n");
          return -1;
        }
      rx_len += (size_t) r;
    }
  if (strncmp ((char *) rx, "HTTP/1.1 101", 12) != 0)
    {
      char *eol = memchr (rx, '\r', head);
      emit ("#refused %.*s\n", (int) (eol ? eol - (char *) rx : 0), (char *) rx);
      return -1;
    }
  memmove (rx, rx + head, rx_len - head);
  rx_len -= head;
  emit ("#open\n");
  fflush (stdout);
  handle_frames ();
  return 0;
}

static void
run_line (char *line)
{
  line[strcspn (line, "\n")] = '\0';
  if (line[0] == '\0' || closed)
    return;
  if (line[0] != '!')
    {
      if (times)
        emit ("> %s\n", line);
      send_frame (WS_OP_TEXT, line, strlen (line));
      return;
    }
  if (strncmp (line, "!sleep ", 7) == 0)
    pump (atoi (line + 7));
  else if (strncmp (line, "!flood ", 7) == 0)
    {
      char *text = NULL;
      long count = strtol (line + 7, &text, 10);
      while (text && *text == ' ')
        text++;
      long sent = 0;
      for (; sent < count && sent < 1000000; sent++)
        if (send_frame (WS_OP_TEXT, text, strlen (text)) != 0)
          break;
      if (sent < count)
        emit ("#flood-sent %ld\n", sent);
    }
  else if (strncmp (line, "!garbage ", 9) == 0)
    {
      long count = atol (line + 9);
      if (count > 0 && count <= 16 * 1024 * 1024)
        {
          uint8_t *junk = malloc ((size_t) count);
          for (long i = 0; i < count; i++)
            junk[i] = (uint8_t) rand ();
          /* Never a valid masked frame header: 0x0f is a reserved opcode. */
          junk[0] = 0x8f;
          write_all (junk, (size_t) count);
          free (junk);
        }
    }
  else if (strncmp (line, "!oversize ", 10) == 0)
    {
      long count = atol (line + 10);
      if (count > 0 && count <= 16 * 1024 * 1024)
        {
          char *big = malloc ((size_t) count);
          memset (big, 'a', (size_t) count);
          send_frame (WS_OP_TEXT, big, (size_t) count);
          free (big);
        }
    }
  else if (strcmp (line, "!close") == 0)
    {
      uint8_t code[2] = { 1000 >> 8, 1000 & 0xff };
      send_frame (WS_OP_CLOSE, code, 2);
      pump ((int) ((deadline - now_s ()) * 1000));
    }
  else if (strcmp (line, "!quit") == 0)
    {
      close (fd);
      fd = -1;
      closed = 1;
      exit (0);
    }
  else
    fprintf (stderr, "ws-probe: unknown directive %s\n", line);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: ws-probe ws://127.0.0.1:PORT/App/websocket [TIMEOUT_S] < script\n");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  srand ((unsigned) getpid ());
  double timeout = argc > 2 ? atof (argv[2]) : 10;
  if (timeout <= 0 || timeout > 600)
    timeout = 10;
  started = now_s ();
  deadline = started + timeout;
  times = getenv ("WS_PROBE_TIMES") != NULL;
  rx = malloc (RX_MAX);
  if (connect_ws (argv[1]) != 0)
    return 1;

  /* Script lines and server messages interleave: stdin is polled with the
   * socket so that a test can feed lines while watching the output. */
  char line[1 << 16];
  size_t line_len = 0;
  int stdin_open = 1;
  while (!closed && now_s () < deadline)
    {
      struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
      double left = deadline - now_s ();
      int r = poll (p, stdin_open ? 2 : 1, (int) (left * 1000) + 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        continue;
      if (p[0].revents)
        read_once ();
      if (stdin_open && p[1].revents)
        {
          ssize_t n = read (0, line + line_len, sizeof line - 1 - line_len);
          if (n <= 0)
            stdin_open = 0;
          else
            line_len += (size_t) n;
          char *nl;
          while ((nl = memchr (line, '\n', line_len)) != NULL)
            {
              *nl = '\0';
              run_line (line);
              size_t used = (size_t) (nl - line) + 1;
              memmove (line, line + used, line_len - used);
              line_len -= used;
            }
          if (!stdin_open && line_len > 0)
            {
              line[line_len] = '\0';
              run_line (line);
              line_len = 0;
            }
          if (line_len == sizeof line - 1)
            line_len = 0;  /* an absurd line: drop it */
        }
    }
  if (fd >= 0)
    close (fd);
  free (rx);
  free (message);
  return 0;
}
