/* loadgen: a WebSocket load generator for the signalling benchmarks.
 *
 * Opens C concurrent connections to ws://HOST:PORT/PATH (loopback only) and
 * sends the AMS application ping {"command":"ping"} on each of them, either
 * back to back (the next ping leaves when the pong arrives) or paced at R
 * messages per second per connection, for T seconds.  Prints messages per
 * second, p50/p99/max round trip and error counts, plus the server's CPU and
 * memory when given its pid.
 *
 * One thread, epoll, non-blocking sockets and a minimal RFC 6455 client: the
 * generator must stay cheaper than the servers it measures, and a library
 * client would add its own event-loop costs to every figure.
 *
 * Everything is bounded: at most MAX_CONNECTIONS connections, at most
 * --duration seconds (hard cap MAX_DURATION_S) plus a bounded connect phase
 * and drain, and at most --max-messages pings in total.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 20000
#define MAX_DURATION_S 600
#define MAX_IN_FLIGHT_CONNECTS 256
#define MAX_OUTSTANDING 16       /* pings in flight per connection when paced */
#define RX_CAP 8192
#define TX_CAP 4096

static const char PING[] = "{\"command\":\"ping\"}";

/* Round-trip histogram: 1 us buckets below 100 ms, 1 ms buckets up to 60 s. */
#define FINE_BUCKETS 100000
#define COARSE_BUCKETS 60000
static uint64_t hist_fine[FINE_BUCKETS];
static uint64_t hist_coarse[COARSE_BUCKETS + 1];
static uint64_t hist_count;
static uint64_t rtt_max_us;
static double rtt_sum_us;

typedef enum { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DEAD } ConnState;

typedef struct {
  int fd;
  ConnState state;
  uint8_t rx[RX_CAP];
  size_t rx_len;
  uint8_t tx[TX_CAP];
  size_t tx_len;
  /* send times of the pings awaiting their pong, oldest first */
  uint64_t sent_us[MAX_OUTSTANDING];
  unsigned sent_head, sent_count;
  uint64_t next_send_us;      /* paced mode */
} Conn;

typedef struct {
  char host[64];
  int port;
  char path[256];
  int connections;
  double duration_s;
  double rate;                /* per connection; 0 = back to back */
  double warmup_s;
  double connect_timeout_s;
  uint64_t max_messages;
  int server_pid;
  bool json;
  const char *label;
} Options;

static Options opt = {
  .host = "127.0.0.1", .port = 0, .path = "/", .connections = 100,
  .duration_s = 5, .rate = 0, .warmup_s = 1, .connect_timeout_s = 30,
  .max_messages = 100000000ULL, .server_pid = 0, .json = false, .label = "",
};

static struct {
  uint64_t connect_errors, handshake_errors, closed_by_peer, protocol_errors;
  uint64_t other_messages, sent, received, skipped_sends, lost_in_flight;
} stats;

static int epfd;
static Conn *conns;
static int measuring;           /* 0 warmup, 1 measuring */
static uint64_t sent_total;
static uint64_t in_flight;      /* pings sent and not answered, all connections */

static uint64_t
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + ts.tv_nsec / 1000;
}

static void
hist_add (uint64_t us)
{
  if (us < FINE_BUCKETS)
    hist_fine[us]++;
  else {
    uint64_t ms = us / 1000;
    hist_coarse[ms > COARSE_BUCKETS ? COARSE_BUCKETS : ms]++;
  }
  hist_count++;
  rtt_sum_us += (double) us;
  if (us > rtt_max_us)
    rtt_max_us = us;
}

static double
hist_quantile_ms (double q)
{
  if (hist_count == 0)
    return NAN;
  uint64_t rank = (uint64_t) ceil (q * (double) hist_count), seen = 0;
  if (rank == 0)
    rank = 1;
  for (int i = 0; i < FINE_BUCKETS; i++) {
    seen += hist_fine[i];
    if (seen >= rank)
      return i / 1000.0;
  }
  for (int i = 0; i <= COARSE_BUCKETS; i++) {
    seen += hist_coarse[i];
    if (seen >= rank)
      return (double) i;
  }
  return (double) COARSE_BUCKETS;
}

/* ------------------------------------------------------------ /proc sampling */

typedef struct {
  double cpu_s;
  long rss_kb, hwm_kb, threads;
  bool ok;
} ProcSample;

static ProcSample
proc_sample (int pid)
{
  ProcSample s = { 0 };
  char path[64], buf[4096];
  if (pid <= 0)
    return s;
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen (path, "r");
  if (!f)
    return s;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = 0;
  /* fields after the command name, which may hold spaces */
  char *p = strrchr (buf, ')');
  if (!p)
    return s;
  unsigned long utime = 0, stime = 0;
  long nthreads = 0;
  /* field 3 is state; utime is field 14, stime 15, num_threads 20 */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %ld",
              &utime, &stime, &nthreads) != 3)
    return s;
  s.cpu_s = (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
  s.threads = nthreads;
  snprintf (path, sizeof path, "/proc/%d/status", pid);
  f = fopen (path, "r");
  if (!f)
    return s;
  while (fgets (buf, sizeof buf, f)) {
    if (!strncmp (buf, "VmRSS:", 6))
      s.rss_kb = strtol (buf + 6, NULL, 10);
    else if (!strncmp (buf, "VmHWM:", 6))
      s.hwm_kb = strtol (buf + 6, NULL, 10);
  }
  fclose (f);
  s.ok = true;
  return s;
}

static double
self_cpu_s (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------ connections */

static void
conn_kill (Conn *c, uint64_t *counter)
{
  if (c->state == C_DEAD)
    return;
  if (counter)
    (*counter)++;
  stats.lost_in_flight += c->sent_count;
  in_flight -= c->sent_count;
  c->sent_count = 0;
  epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
  c->fd = -1;
  c->state = C_DEAD;
}

static void
conn_want_write (Conn *c, bool want)
{
  struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0),
    .data.ptr = c };
  epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Queue bytes and push as many as the socket takes now. */
static bool
conn_send (Conn *c, const void *data, size_t len)
{
  if (c->tx_len + len > TX_CAP) {
    conn_kill (c, &stats.protocol_errors);
    return false;
  }
  bool was_empty = c->tx_len == 0;
  memcpy (c->tx + c->tx_len, data, len);
  c->tx_len += len;
  if (!was_empty)
    return true;                /* EPOLLOUT is already armed */
  ssize_t n = send (c->fd, c->tx, c->tx_len, MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    conn_kill (c, &stats.closed_by_peer);
    return false;
  }
  if (n > 0) {
    memmove (c->tx, c->tx + n, c->tx_len - n);
    c->tx_len -= n;
  }
  if (c->tx_len)
    conn_want_write (c, true);
  return true;
}

static void
conn_flush (Conn *c)
{
  while (c->tx_len) {
    ssize_t n = send (c->fd, c->tx, c->tx_len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return;
      conn_kill (c, &stats.closed_by_peer);
      return;
    }
    memmove (c->tx, c->tx + n, c->tx_len - n);
    c->tx_len -= n;
  }
  conn_want_write (c, false);
}

/* A masked client frame (RFC 6455 5.3); payloads here are always short. */
static bool
send_frame (Conn *c, uint8_t opcode, const void *payload, size_t len)
{
  uint8_t frame[2 + 2 + 4 + 125];
  size_t h = 0;
  if (len > 125)
    return false;
  frame[h++] = 0x80 | opcode;
  frame[h++] = 0x80 | (uint8_t) len;
  uint32_t mask = (uint32_t) random ();
  memcpy (frame + h, &mask, 4);
  const uint8_t *m = frame + h;
  h += 4;
  for (size_t i = 0; i < len; i++)
    frame[h + i] = ((const uint8_t *) payload)[i] ^ m[i & 3];
  return conn_send (c, frame, h + len);
}

static void
send_ping (Conn *c, uint64_t t)
{
  if (c->state != C_OPEN)
    return;
  if (sent_total >= opt.max_messages)
    return;
  if (c->sent_count == MAX_OUTSTANDING) {
    stats.skipped_sends++;
    return;
  }
  c->sent_us[(c->sent_head + c->sent_count) % MAX_OUTSTANDING] = t;
  c->sent_count++;
  sent_total++;
  in_flight++;
  if (measuring)
    stats.sent++;
  send_frame (c, 0x1, PING, sizeof PING - 1);
}

static void
on_text (Conn *c, const uint8_t *p, size_t len, uint64_t t)
{
  if (!memmem (p, len, "\"pong\"", 6)) {
    stats.other_messages++;
    return;
  }
  if (c->sent_count == 0) {
    stats.protocol_errors++;    /* a pong nobody asked for */
    return;
  }
  uint64_t t0 = c->sent_us[c->sent_head];
  c->sent_head = (c->sent_head + 1) % MAX_OUTSTANDING;
  c->sent_count--;
  in_flight--;
  if (measuring) {
    stats.received++;
    hist_add (t - t0);
  }
  if (opt.rate == 0)
    send_ping (c, t);
}

/* Parse every complete server frame in rx. Servers never mask. */
static void
parse_frames (Conn *c, uint64_t t)
{
  size_t off = 0;
  while (c->state == C_OPEN) {
    size_t avail = c->rx_len - off;
    const uint8_t *b = c->rx + off;
    if (avail < 2)
      break;
    uint8_t opcode = b[0] & 0x0f;
    bool masked = b[1] & 0x80;
    uint64_t len = b[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
      if (avail < 4)
        break;
      len = ((uint64_t) b[2] << 8) | b[3];
      h = 4;
    } else if (len == 127) {
      if (avail < 10)
        break;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = (len << 8) | b[2 + i];
      h = 10;
    }
    if (masked || len > RX_CAP - 14) {
      conn_kill (c, &stats.protocol_errors);
      return;
    }
    if (avail < h + len)
      break;
    const uint8_t *payload = b + h;
    switch (opcode) {
      case 0x1:
        if (!(b[0] & 0x80)) {   /* fragmented pongs do not happen here */
          conn_kill (c, &stats.protocol_errors);
          return;
        }
        on_text (c, payload, len, t);
        break;
      case 0x2:
      case 0x0:
        stats.other_messages++;
        break;
      case 0x8:
        conn_kill (c, &stats.closed_by_peer);
        return;
      case 0x9:                 /* WebSocket ping: answer with its payload */
        send_frame (c, 0xA, payload, len);
        break;
      case 0xA:
        break;
      default:
        conn_kill (c, &stats.protocol_errors);
        return;
    }
    off += h + len;
  }
  if (c->state != C_DEAD && off) {
    memmove (c->rx, c->rx + off, c->rx_len - off);
    c->rx_len -= off;
  }
}

static char expected_accept[64];

static void
make_key (char *key_out, size_t cap)
{
  uint8_t raw[16];
  for (int i = 0; i < 16; i++)
    raw[i] = (uint8_t) random ();
  EVP_EncodeBlock ((unsigned char *) key_out, raw, 16);
  (void) cap;
}

static void
handshake_send (Conn *c, const char *key)
{
  char req[768];
  int n = snprintf (req, sizeof req,
      "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n", opt.path, opt.host, opt.port, key);
  conn_send (c, req, (size_t) n);
}

static int n_open, n_pending;

static void
handshake_read (Conn *c)
{
  uint8_t *end = memmem (c->rx, c->rx_len, "\r\n\r\n", 4);
  if (!end) {
    if (c->rx_len >= RX_CAP - 1)
      conn_kill (c, &stats.handshake_errors);
    return;
  }
  size_t hlen = (size_t) (end - c->rx) + 4;
  bool ok = c->rx_len > 12 && !memcmp (c->rx, "HTTP/1.1 101", 12);
  if (ok) {
    /* case-insensitive header search for the accept value */
    char hdr[RX_CAP + 1];
    memcpy (hdr, c->rx, hlen);
    hdr[hlen] = 0;
    char *a = strcasestr (hdr, "\r\nSec-WebSocket-Accept:");
    ok = a != NULL;
    if (ok) {
      a += strlen ("\r\nSec-WebSocket-Accept:");
      while (*a == ' ')
        a++;
      ok = !strncmp (a, expected_accept, strlen (expected_accept));
    }
  }
  n_pending--;
  if (!ok) {
    conn_kill (c, &stats.handshake_errors);
    return;
  }
  memmove (c->rx, c->rx + hlen, c->rx_len - hlen);
  c->rx_len -= hlen;
  c->state = C_OPEN;
  n_open++;
}

static struct sockaddr_in server_addr;

static bool
conn_start (Conn *c)
{
  memset (c, 0, offsetof (Conn, rx));
  c->rx_len = c->tx_len = 0;
  c->sent_head = c->sent_count = 0;
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    c->state = C_DEAD;
    stats.connect_errors++;
    return false;
  }
  int one = 1;
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->state = C_CONNECTING;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
  epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev);
  int r = connect (c->fd, (struct sockaddr *) &server_addr, sizeof server_addr);
  if (r < 0 && errno != EINPROGRESS) {
    conn_kill (c, &stats.connect_errors);
    return false;
  }
  n_pending++;
  return true;
}

/* One key for every connection: the accept value is then computed once.
 * The key only proves the server speaks WebSocket, it is no secret. */
static char ws_key[32];

static void
compute_accept (void)
{
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  char buf[128];
  uint8_t digest[SHA_DIGEST_LENGTH];
  make_key (ws_key, sizeof ws_key);
  snprintf (buf, sizeof buf, "%s%s", ws_key, guid);
  SHA1 ((const unsigned char *) buf, strlen (buf), digest);
  EVP_EncodeBlock ((unsigned char *) expected_accept, digest, SHA_DIGEST_LENGTH);
}

static void
on_event (Conn *c, uint32_t events, uint64_t t)
{
  if (c->state == C_DEAD)
    return;
  if (c->state == C_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
      n_pending--;
      conn_kill (c, &stats.connect_errors);
      return;
    }
    if (!(events & EPOLLOUT))
      return;
    c->state = C_HANDSHAKE;
    conn_want_write (c, false);
    handshake_send (c, ws_key);
    return;
  }
  if (events & EPOLLOUT)
    conn_flush (c);
  if (c->state == C_DEAD)
    return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    for (;;) {
      if (c->rx_len >= RX_CAP) {
        conn_kill (c, &stats.protocol_errors);
        return;
      }
      ssize_t n = recv (c->fd, c->rx + c->rx_len, RX_CAP - c->rx_len, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          break;
        if (c->state == C_HANDSHAKE)
          n_pending--;
        conn_kill (c, c->state == C_HANDSHAKE ? &stats.handshake_errors : &stats.closed_by_peer);
        return;
      }
      if (n == 0) {
        if (c->state == C_HANDSHAKE)
          n_pending--;
        conn_kill (c, c->state == C_HANDSHAKE ? &stats.handshake_errors : &stats.closed_by_peer);
        return;
      }
      c->rx_len += (size_t) n;
      if (c->state == C_HANDSHAKE)
        handshake_read (c);
      if (c->state == C_OPEN)
        parse_frames (c, t);
      if (c->state == C_DEAD)
        return;
      if ((size_t) n < 2048)
        break;                  /* drained: saves an EAGAIN recv per message */
    }
  }
}

static void
pump (int timeout_ms)
{
  struct epoll_event evs[1024];
  int n = epoll_wait (epfd, evs, 1024, timeout_ms);
  uint64_t t = now_us ();
  for (int i = 0; i < n; i++)
    on_event (evs[i].data.ptr, evs[i].events, t);
}

/* ------------------------------------------------------------ main */

static bool
parse_url (const char *url)
{
  const char *p = url;
  if (strncmp (p, "ws://", 5) != 0)
    return false;
  p += 5;
  const char *colon = strchr (p, ':');
  const char *slash = strchr (p, '/');
  if (!colon || (slash && slash < colon))
    return false;
  size_t hl = (size_t) (colon - p);
  if (hl == 0 || hl >= sizeof opt.host)
    return false;
  memcpy (opt.host, p, hl);
  opt.host[hl] = 0;
  opt.port = atoi (colon + 1);
  snprintf (opt.path, sizeof opt.path, "%s", slash ? slash : "/");
  return opt.port > 0 && opt.port < 65536;
}

static void
usage (FILE *out)
{
  fprintf (out,
      "usage: loadgen --url ws://127.0.0.1:PORT/PATH [options]\n"
      "  -c, --connections N     concurrent connections (default 100, max %d)\n"
      "  -d, --duration S        measured seconds (default 5, max %d)\n"
      "  -r, --rate R            pings per second per connection; 0 = back to back (default)\n"
      "  -w, --warmup S          seconds run before measuring (default 1)\n"
      "      --connect-timeout S bound on the connect phase (default 30)\n"
      "      --max-messages N    bound on pings sent in total (default 1e8); the run\n"
      "                          ends once they are all answered\n"
      "  -p, --server-pid PID    sample this process's CPU, RSS and threads\n"
      "      --label TEXT        copied into the JSON result\n"
      "  -j, --json              print one JSON object as the last line\n"
      "Only loopback addresses are accepted.\n", MAX_CONNECTIONS, MAX_DURATION_S);
}

static void
raise_nofile (int need)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return;
  rlim_t want = (rlim_t) need + 64;
  if (rl.rlim_cur >= want)
    return;
  if (rl.rlim_max < want) {
    rl.rlim_max = want;         /* needs privileges; fall back below */
    rl.rlim_cur = want;
    if (setrlimit (RLIMIT_NOFILE, &rl) == 0)
      return;
    getrlimit (RLIMIT_NOFILE, &rl);
  }
  rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
  setrlimit (RLIMIT_NOFILE, &rl);
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "url", required_argument, NULL, 'u' },
    { "connections", required_argument, NULL, 'c' },
    { "duration", required_argument, NULL, 'd' },
    { "rate", required_argument, NULL, 'r' },
    { "warmup", required_argument, NULL, 'w' },
    { "connect-timeout", required_argument, NULL, 'T' },
    { "max-messages", required_argument, NULL, 'M' },
    { "server-pid", required_argument, NULL, 'p' },
    { "label", required_argument, NULL, 'L' },
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  const char *url = NULL;
  int ch;
  while ((ch = getopt_long (argc, argv, "u:c:d:r:w:p:jh", longopts, NULL)) != -1) {
    switch (ch) {
      case 'u': url = optarg; break;
      case 'c': opt.connections = atoi (optarg); break;
      case 'd': opt.duration_s = atof (optarg); break;
      case 'r': opt.rate = atof (optarg); break;
      case 'w': opt.warmup_s = atof (optarg); break;
      case 'T': opt.connect_timeout_s = atof (optarg); break;
      case 'M': opt.max_messages = strtoull (optarg, NULL, 10); break;
      case 'p': opt.server_pid = atoi (optarg); break;
      case 'L': opt.label = optarg; break;
      case 'j': opt.json = true; break;
      case 'h': usage (stdout); return 0;
      default: usage (stderr); return 2;
    }
  }
  if (!url || !parse_url (url)) {
    fprintf (stderr, "loadgen: --url ws://127.0.0.1:PORT[/PATH] is required\n");
    usage (stderr);
    return 2;
  }
  if (opt.connections < 1 || opt.connections > MAX_CONNECTIONS ||
      !(opt.duration_s > 0 && opt.duration_s <= MAX_DURATION_S) ||
      opt.rate < 0 || opt.rate > 10000 || opt.warmup_s < 0 || opt.warmup_s > 60 ||
      !(opt.connect_timeout_s > 0 && opt.connect_timeout_s <= 120)) {
    fprintf (stderr, "loadgen: option out of range\n");
    return 2;
  }
  memset (&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons ((uint16_t) opt.port);
  if (strcmp (opt.host, "localhost") == 0)
    snprintf (opt.host, sizeof opt.host, "127.0.0.1");
  if (inet_pton (AF_INET, opt.host, &server_addr.sin_addr) != 1 ||
      (ntohl (server_addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf (stderr, "loadgen: only 127.0.0.0/8 targets are allowed (got %s)\n", opt.host);
    return 2;
  }

  raise_nofile (opt.connections);
  srandom ((unsigned) now_us ());
  compute_accept ();
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  conns = calloc ((size_t) opt.connections, sizeof *conns);
  if (!conns || epfd < 0) {
    fprintf (stderr, "loadgen: out of memory\n");
    return 1;
  }

  ProcSample srv_before = proc_sample (opt.server_pid);

  /* Connect phase: a bounded number of handshakes in flight at once, so the
   * server's listen backlog is not what we measure. */
  uint64_t t_connect = now_us ();
  uint64_t connect_deadline = t_connect + (uint64_t) (opt.connect_timeout_s * 1e6);
  int started = 0;
  while ((started < opt.connections || n_pending > 0) && now_us () < connect_deadline) {
    while (started < opt.connections && n_pending < MAX_IN_FLIGHT_CONNECTS)
      conn_start (&conns[started++]);
    pump (10);
  }
  for (int i = 0; i < opt.connections; i++)
    if (conns[i].state == C_CONNECTING || conns[i].state == C_HANDSHAKE)
      conn_kill (&conns[i], &stats.connect_errors);
  double connect_s = (now_us () - t_connect) / 1e6;
  if (n_open == 0) {
    fprintf (stderr, "loadgen: no connection opened (%llu connect errors, %llu handshake errors)\n",
        (unsigned long long) stats.connect_errors, (unsigned long long) stats.handshake_errors);
    if (opt.json)
      printf ("{\"label\":\"%s\",\"connections\":%d,\"open\":0,\"error\":\"no connection\"}\n",
          opt.label, opt.connections);
    return 1;
  }
  /* settle so the server's idle memory is what we sample */
  uint64_t settle_end = now_us () + 300000;
  while (now_us () < settle_end)
    pump (50);
  ProcSample srv_idle = proc_sample (opt.server_pid);

  /* Load phase: warmup, then the measured window. */
  uint64_t t0 = now_us ();
  uint64_t t_measure = t0 + (uint64_t) (opt.warmup_s * 1e6);
  uint64_t t_end = t_measure + (uint64_t) (opt.duration_s * 1e6);
  uint64_t period_us = opt.rate > 0 ? (uint64_t) (1e6 / opt.rate) : 0;
  /* Paced mode: a FIFO of connections ordered by their next send time. All
   * share one period, so appending after each send keeps the order. */
  int *fifo = NULL;
  size_t fifo_cap = (size_t) opt.connections + 1, fifo_head = 0, fifo_len = 0;
  if (period_us) {
    fifo = calloc (fifo_cap, sizeof *fifo);
    if (!fifo)
      return 1;
    for (int i = 0; i < opt.connections; i++) {
      conns[i].next_send_us = t0 + (uint64_t) i * period_us / (uint64_t) opt.connections;
      fifo[(fifo_head + fifo_len++) % fifo_cap] = i;
    }
  } else {
    for (int i = 0; i < opt.connections; i++)
      send_ping (&conns[i], now_us ());
  }

  ProcSample srv_start = { 0 };
  double self_start = 0;
  for (;;) {
    uint64_t t = now_us ();
    if (!measuring && t >= t_measure) {
      measuring = 1;
      srv_start = proc_sample (opt.server_pid);
      self_start = self_cpu_s ();
      t_measure = t;
      t_end = t + (uint64_t) (opt.duration_s * 1e6);
    }
    if (measuring && t >= t_end)
      break;
    int timeout = 10;
    if (period_us) {
      while (fifo_len) {
        Conn *c = &conns[fifo[fifo_head]];
        if (c->next_send_us > t)
          break;
        int idx = fifo[fifo_head];
        fifo_head = (fifo_head + 1) % fifo_cap;
        fifo_len--;
        if (c->state != C_OPEN)
          continue;
        send_ping (c, t);
        c->next_send_us += period_us;
        fifo[(fifo_head + fifo_len++) % fifo_cap] = idx;
      }
      if (fifo_len) {
        uint64_t due = conns[fifo[fifo_head]].next_send_us;
        timeout = due > t ? (int) ((due - t + 999) / 1000) : 0;
        if (timeout > 10)
          timeout = 10;
      }
    }
    if (n_open == 0)
      break;
    /* --max-messages reached and every pong is in: nothing left to measure. */
    if (sent_total >= opt.max_messages && in_flight == 0)
      break;
    pump (timeout);
  }
  double window_s = (now_us () - t_measure) / 1e6;
  ProcSample srv_end = proc_sample (opt.server_pid);
  double self_cpu = self_cpu_s () - self_start;

  /* Count the connections still open, then the pings that never came back
   * within a bounded drain (late pongs are not counted as messages). */
  measuring = 0;
  uint64_t drain_end = now_us () + 2000000;
  for (;;) {
    uint64_t outstanding = 0;
    for (int i = 0; i < opt.connections; i++)
      if (conns[i].state == C_OPEN)
        outstanding += conns[i].sent_count;
    if (!outstanding || now_us () >= drain_end)
      break;
    opt.rate = 1;               /* no new sends while draining */
    pump (20);
  }
  int open_at_end = 0;
  uint64_t unanswered = 0;
  for (int i = 0; i < opt.connections; i++) {
    if (conns[i].state == C_OPEN) {
      open_at_end++;
      unanswered += conns[i].sent_count;
      close (conns[i].fd);
    }
  }

  double mps = stats.received / window_s;
  double p50 = hist_quantile_ms (0.50), p99 = hist_quantile_ms (0.99);
  double srv_cpu_pct = NAN, rss_per_conn_kb = NAN;
  if (srv_start.ok && srv_end.ok)
    srv_cpu_pct = 100.0 * (srv_end.cpu_s - srv_start.cpu_s) / window_s;
  if (srv_before.ok && srv_idle.ok && n_open > 0)
    rss_per_conn_kb = (double) (srv_idle.rss_kb - srv_before.rss_kb) / n_open;
  uint64_t errors = stats.connect_errors + stats.handshake_errors + stats.closed_by_peer +
      stats.protocol_errors + stats.lost_in_flight + unanswered;

  fprintf (stderr,
      "loadgen %s: %d/%d open (connect %.2fs), %s, %.1fs: %llu msgs, %.0f msg/s, "
      "rtt p50 %.3f ms p99 %.3f ms max %.3f ms, errors %llu "
      "(connect %llu, handshake %llu, closed %llu, protocol %llu, unanswered %llu, skipped %llu, other msgs %llu), "
      "loadgen cpu %.0f%%\n",
      opt.label, n_open, opt.connections, connect_s,
      period_us ? "paced" : "back to back", window_s,
      (unsigned long long) stats.received, mps, p50, p99, rtt_max_us / 1000.0,
      (unsigned long long) errors, (unsigned long long) stats.connect_errors,
      (unsigned long long) stats.handshake_errors, (unsigned long long) stats.closed_by_peer,
      (unsigned long long) stats.protocol_errors, (unsigned long long) (unanswered + stats.lost_in_flight),
      (unsigned long long) stats.skipped_sends, (unsigned long long) stats.other_messages,
      100.0 * self_cpu / window_s);
  if (srv_end.ok)
    fprintf (stderr, "loadgen %s: server pid %d: cpu %.1f%%, rss %ld kB idle-with-conns (%.2f kB/conn), "
        "rss %ld kB at end, peak %ld kB, %ld threads\n", opt.label, opt.server_pid, srv_cpu_pct,
        srv_idle.rss_kb, rss_per_conn_kb, srv_end.rss_kb, srv_end.hwm_kb, srv_end.threads);
  if (opt.json) {
    printf ("{\"label\":\"%s\",\"connections\":%d,\"open\":%d,\"open_at_end\":%d,"
        "\"mode\":\"%s\",\"rate_per_conn\":%g,\"window_s\":%.3f,\"connect_s\":%.3f,"
        "\"messages\":%llu,\"msg_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
        "\"mean_ms\":%.3f,\"errors\":%llu,\"skipped_sends\":%llu,\"other_messages\":%llu,"
        "\"loadgen_cpu_pct\":%.1f",
        opt.label, opt.connections, n_open, open_at_end, period_us ? "paced" : "back-to-back",
        period_us ? 1e6 / period_us : 0.0, window_s, connect_s,
        (unsigned long long) stats.received, mps, p50, p99, rtt_max_us / 1000.0,
        hist_count ? rtt_sum_us / hist_count / 1000.0 : 0.0, (unsigned long long) errors,
        (unsigned long long) stats.skipped_sends, (unsigned long long) stats.other_messages,
        100.0 * self_cpu / window_s);
    if (srv_end.ok)
      printf (",\"server_cpu_pct\":%.1f,\"server_rss_base_kb\":%ld,\"server_rss_conns_kb\":%ld,"
          "\"server_rss_end_kb\":%ld,\"server_rss_peak_kb\":%ld,\"rss_per_conn_kb\":%.2f,"
          "\"server_threads\":%ld", srv_cpu_pct, srv_before.rss_kb, srv_idle.rss_kb,
          srv_end.rss_kb, srv_end.hwm_kb, rss_per_conn_kb, srv_end.threads);
    printf ("}\n");
  }
  free (fifo);
  free (conns);
  close (epfd);
  return errors == 0 ? 0 : 3;
}
