/* ams-load: load and soak driver for ams-mini-server's signalling.
 *
 *   ams-load soak   --url ws://127.0.0.1:PORT/App/websocket -c 2000 -d 60
 *                   [--ping-ms 1000] [--publish-ms 3000] [--drain-s 10]
 *   ams-load cycles --url ... -n 10000 [-P 64]
 *
 * soak: opens C connections (at most 256 handshakes in flight) and holds
 * them all; then for D seconds every connection sends the AMS ping every
 * --ping-ms and runs a publish/stop cycle every --publish-ms (publish of a
 * stream id of its own, which must be answered by "start" for that id, then
 * stop, which must be answered by the publish_finished notification).  Every
 * reply is parsed with json-c and checked field by field; anything else is
 * an error.  At the end it waits for every outstanding reply (at most
 * --drain-s seconds: a slow, sanitised server may lag behind the load),
 * then closes every connection with close code 1000 and waits (as long) for
 * the server's close.
 *
 * cycles: N connect / upgrade / ping / pong / disconnect cycles, P at a
 * time; every other cycle closes with a close frame, the others drop the
 * socket with none (a client that vanishes).
 *
 * Prints one JSON summary line on stdout; exits 0 only when there was no
 * error of any kind and every connection was held.  One thread and epoll: the
 * driver must stay cheaper than the server it loads.  Bounded in every
 * dimension: connections, durations and waits have hard caps.
 */
#define _GNU_SOURCE
#include "ws-frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 10000
#define MAX_DURATION_S 600
#define MAX_CYCLES 1000000
#define MAX_IN_FLIGHT 256
#define RX_MAX (64 * 1024)
#define RAMP_TIMEOUT_S 60
#define DRAIN_TIMEOUT_S 10
#define MAX_DRAIN_S 600
#define CYCLES_TIMEOUT_S 600

typedef enum { S_IDLE, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_CLOSING, S_DONE } State;
typedef enum { P_IDLE, P_PUBLISH_SENT, P_STOP_SENT } PubState;

typedef struct {
  int      fd;
  int      index;
  State    state;
  uint8_t *rx;
  size_t   rx_len;
  uint8_t *tx;
  size_t   tx_len, tx_cap;
  bool     want_out;
  /* soak */
  uint64_t next_ping_us, next_publish_us;
  unsigned pings_out;
  PubState pub;
  unsigned pub_seq;
  char     stream[48];
  /* cycles */
  bool     graceful;
} Conn;

static struct {
  const char *mode;
  char        host[64];
  int         port;
  char        path[256];
  int         connections;
  double      duration_s;
  int         ping_ms, publish_ms;
  long        cycles;
  int         parallel;
  int         drain_s;
} opt = { .connections = 100, .duration_s = 10, .ping_ms = 1000, .publish_ms = 3000,
          .cycles = 1000, .parallel = 64, .drain_s = DRAIN_TIMEOUT_S };

static struct {
  uint64_t connect_errors, handshake_errors, unexpected_closes, bad_messages, send_errors;
  uint64_t pings, pongs, publishes, starts, stops, finished, missing_replies;
  uint64_t held, closed_clean, close_timeouts, cycles_done;
} st;

static int epfd;
static Conn *conns;
static struct sockaddr_in server;
static bool running;             /* soak: the timed phase, new requests allowed */

static uint64_t
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000;
}

static void
watch (Conn *c, bool out)
{
  struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };
  if (epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
    epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev);
  c->want_out = out;
}

static void
conn_drop (Conn *c)
{
  if (c->fd >= 0)
    {
      epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
      close (c->fd);
    }
  c->fd = -1;
  c->state = S_DONE;
  c->rx_len = c->tx_len = 0;
}

static void
flush_tx (Conn *c)
{
  while (c->tx_len > 0)
    {
      ssize_t n = send (c->fd, c->tx, c->tx_len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n <= 0)
        {
          st.send_errors++;
          conn_drop (c);
          return;
        }
      memmove (c->tx, c->tx + n, c->tx_len - (size_t) n);
      c->tx_len -= (size_t) n;
    }
  bool out = c->tx_len > 0 || c->state == S_CONNECTING;
  if (out != c->want_out)
    watch (c, out);
}

static void
queue_bytes (Conn *c, const void *data, size_t len)
{
  if (c->tx_len + len > c->tx_cap)
    {
      c->tx_cap = (c->tx_len + len) * 2;
      c->tx = realloc (c->tx, c->tx_cap);
    }
  memcpy (c->tx + c->tx_len, data, len);
  c->tx_len += len;
}

static void
send_text (Conn *c, const char *text)
{
  uint8_t frame[512];
  size_t len = strlen (text);
  if (len + 14 > sizeof frame)
    return;
  queue_bytes (c, frame, ws_encode_frame (frame, WS_OP_TEXT, 1, text, len));
  flush_tx (c);
}

/* JSON built with json-c, as everywhere in the project. */
static void
send_command (Conn *c, const char *command, const char *stream_id)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "command", json_object_new_string (command));
  if (stream_id)
    json_object_object_add (o, "streamId", json_object_new_string (stream_id));
  send_text (c, json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN));
  json_object_put (o);
}

static void
send_close (Conn *c)
{
  uint8_t frame[16], code[2] = { 1000 >> 8, 1000 & 0xff };
  queue_bytes (c, frame, ws_encode_frame (frame, WS_OP_CLOSE, 1, code, 2));
  c->state = S_CLOSING;
  flush_tx (c);
}

static bool
conn_start (Conn *c)
{
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0)
    {
      st.connect_errors++;
      c->state = S_DONE;
      return false;
    }
  int one = 1;
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->rx_len = c->tx_len = 0;
  c->pings_out = 0;
  c->pub = P_IDLE;
  c->want_out = false;
  int r = connect (c->fd, (struct sockaddr *) &server, sizeof server);
  if (r != 0 && errno != EINPROGRESS)
    {
      st.connect_errors++;
      close (c->fd);
      c->fd = -1;
      c->state = S_DONE;
      return false;
    }
  c->state = S_CONNECTING;
  watch (c, true);
  return true;
}

static void
on_connected (Conn *c)
{
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0)
    {
      st.connect_errors++;
      conn_drop (c);
      return;
    }
  char req[512];
  int n = ws_handshake_request (req, sizeof req, opt.host, opt.port, opt.path);
  c->state = S_HANDSHAKE;
  queue_bytes (c, req, (size_t) n);
  flush_tx (c);
}

/* A cycle is one upgrade, one ping/pong and a close; the next one reuses
 * the slot. */
static void
cycle_pong (Conn *c)
{
  st.cycles_done++;
  if (c->graceful)
    send_close (c);
  else
    conn_drop (c);
}

static const char *
get_str (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

static bool
str_is (const char *a, const char *b)
{
  return a != NULL && strcmp (a, b) == 0;
}

static void
on_message (Conn *c, const char *text, size_t len)
{
  json_tokener *tok = json_tokener_new ();
  json_object *o = json_tokener_parse_ex (tok, text, (int) len);
  json_tokener_free (tok);
  const char *command = o ? get_str (o, "command") : NULL;
  const char *stream = o ? get_str (o, "streamId") : NULL;
  bool good = false;
  if (str_is (command, "pong") && c->pings_out > 0)
    {
      c->pings_out--;
      st.pongs++;
      good = true;
      if (str_is (opt.mode, "cycles"))
        cycle_pong (c);
    }
  else if (str_is (command, "start") && c->pub == P_PUBLISH_SENT && str_is (stream, c->stream))
    {
      st.starts++;
      c->pub = P_STOP_SENT;
      send_command (c, "stop", c->stream);
      st.stops++;
      good = true;
    }
  else if (str_is (command, "notification") && c->pub == P_STOP_SENT
           && str_is (get_str (o, "definition"), "publish_finished") && str_is (stream, c->stream))
    {
      st.finished++;
      c->pub = P_IDLE;
      good = true;
    }
  if (!good)
    {
      if (st.bad_messages < 10)
        fprintf (stderr, "ams-load: connection %d: unexpected message %.*s\n", c->index,
                 (int) (len > 300 ? 300 : len), text);
      st.bad_messages++;
    }
  json_object_put (o);
}

/* Length of the first line of what the server sent, at most 60. */
static int
status_line_len (const Conn *c)
{
  size_t n = 0;
  while (n < c->rx_len && n < 60 && c->rx[n] != '\r' && c->rx[n] != '\n')
    n++;
  return (int) n;
}

static void
on_readable (Conn *c)
{
  for (;;)
    {
      if (c->rx_len == RX_MAX)
        {
          st.bad_messages++;
          conn_drop (c);
          return;
        }
      ssize_t n = recv (c->fd, c->rx + c->rx_len, RX_MAX - c->rx_len, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      if (n <= 0)
        {
          if (c->state == S_CLOSING)
            st.closed_clean++;
          else if (c->state == S_HANDSHAKE)
            {
              /* A refusal (503 at max-connections) comes with the EOF. */
              if (st.handshake_errors < 5)
                fprintf (stderr, "ams-load: upgrade refused: %.*s\n", status_line_len (c),
                         (char *) c->rx);
              st.handshake_errors++;
            }
          else
            st.unexpected_closes++;
          conn_drop (c);
          return;
        }
      c->rx_len += (size_t) n;
    }

  if (c->state == S_HANDSHAKE)
    {
      size_t head = ws_response_head_len (c->rx, c->rx_len);
      if (head == 0)
        return;
      if (strncmp ((char *) c->rx, "HTTP/1.1 101", 12) != 0)
        {
          if (st.handshake_errors < 5)
            fprintf (stderr, "ams-load: upgrade refused: %.*s\n", status_line_len (c), (char *) c->rx);
          st.handshake_errors++;
          conn_drop (c);
          return;
        }
      memmove (c->rx, c->rx + head, c->rx_len - head);
      c->rx_len -= head;
      c->state = S_OPEN;
      if (str_is (opt.mode, "cycles"))
        {
          c->pings_out++;
          st.pings++;
          send_command (c, "ping", NULL);
        }
    }

  size_t off = 0;
  while (c->fd >= 0)
    {
      WsFrame f;
      long used = ws_parse_frame (c->rx + off, c->rx_len - off, RX_MAX, &f);
      if (used == 0)
        break;
      if (used < 0 || !f.fin)
        {
          /* The server never fragments its small replies. */
          st.bad_messages++;
          conn_drop (c);
          return;
        }
      off += (size_t) used;
      if (f.opcode == WS_OP_TEXT)
        on_message (c, (const char *) f.payload, f.len);
      else if (f.opcode == WS_OP_PING)
        {
          uint8_t frame[160];
          if (f.len <= 125)
            {
              queue_bytes (c, frame, ws_encode_frame (frame, WS_OP_PONG, 1, f.payload, f.len));
              flush_tx (c);
            }
        }
      else if (f.opcode == WS_OP_CLOSE)
        {
          if (c->state == S_CLOSING)
            st.closed_clean++;
          else
            {
              if (st.unexpected_closes < 5)
                fprintf (stderr, "ams-load: connection %d closed by the server (%d)\n", c->index,
                         ws_close_code (&f));
              st.unexpected_closes++;
            }
          conn_drop (c);
          return;
        }
    }
  if (c->fd >= 0 && off > 0)
    {
      memmove (c->rx, c->rx + off, c->rx_len - off);
      c->rx_len -= off;
    }
}

static void
dispatch (int timeout_ms)
{
  struct epoll_event events[512];
  int n = epoll_wait (epfd, events, 512, timeout_ms);
  for (int i = 0; i < n; i++)
    {
      Conn *c = events[i].data.ptr;
      if (c->fd < 0)
        continue;
      if (c->state == S_CONNECTING)
        {
          if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            on_connected (c);
          continue;
        }
      if ((events[i].events & EPOLLOUT) && c->fd >= 0)
        flush_tx (c);
      if ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && c->fd >= 0)
        on_readable (c);
    }
}

static int
count_state (State s)
{
  int n = 0;
  for (int i = 0; i < opt.connections; i++)
    n += conns[i].state == s;
  return n;
}

static void
soak_tick (uint64_t now)
{
  for (int i = 0; i < opt.connections; i++)
    {
      Conn *c = &conns[i];
      if (c->state != S_OPEN)
        continue;
      if (now >= c->next_ping_us)
        {
          c->next_ping_us += (uint64_t) opt.ping_ms * 1000;
          c->pings_out++;
          st.pings++;
          send_command (c, "ping", NULL);
        }
      if (opt.publish_ms > 0 && now >= c->next_publish_us && c->state == S_OPEN)
        {
          c->next_publish_us += (uint64_t) opt.publish_ms * 1000;
          if (c->pub != P_IDLE)
            continue;  /* the last cycle is late; counted at the end if lost */
          snprintf (c->stream, sizeof c->stream, "load_%d_%u", c->index, ++c->pub_seq);
          c->pub = P_PUBLISH_SENT;
          st.publishes++;
          send_command (c, "publish", c->stream);
        }
    }
}

static bool
soak_outstanding (void)
{
  for (int i = 0; i < opt.connections; i++)
    if (conns[i].state == S_OPEN && (conns[i].pings_out > 0 || conns[i].pub != P_IDLE))
      return true;
  return false;
}

static int
run_soak (void)
{
  uint64_t t0 = now_us ();
  int next = 0;
  /* Ramp: every connection open at once before the timed phase. */
  while (now_us () - t0 < (uint64_t) RAMP_TIMEOUT_S * 1000000)
    {
      int in_flight = count_state (S_CONNECTING) + count_state (S_HANDSHAKE);
      while (next < opt.connections && in_flight < MAX_IN_FLIGHT)
        {
          conns[next].index = next;
          if (conn_start (&conns[next]))
            in_flight++;
          next++;
        }
      if (next == opt.connections && in_flight == 0)
        break;
      dispatch (10);
    }
  double ramp_s = (double) (now_us () - t0) / 1e6;
  st.held = (uint64_t) count_state (S_OPEN);
  fprintf (stderr, "ams-load: %lu of %d connections open after %.1f s\n",
           (unsigned long) st.held, opt.connections, ramp_s);

  /* Timed phase; spread the first requests over one period. */
  uint64_t start = now_us ();
  for (int i = 0; i < opt.connections; i++)
    {
      conns[i].next_ping_us = start + (uint64_t) opt.ping_ms * 1000 * (uint64_t) i / (uint64_t) opt.connections;
      conns[i].next_publish_us = start + (uint64_t) (opt.publish_ms > 0 ? opt.publish_ms : 1) * 1000
                                 * (uint64_t) i / (uint64_t) opt.connections;
    }
  running = true;
  uint64_t end = start + (uint64_t) (opt.duration_s * 1e6);
  uint64_t still_open_min = st.held;
  while (now_us () < end)
    {
      soak_tick (now_us ());
      dispatch (5);
      uint64_t open = (uint64_t) count_state (S_OPEN);
      if (open < still_open_min)
        still_open_min = open;
    }
  running = false;

  /* Drain: every request sent gets its reply. */
  uint64_t drain_end = now_us () + (uint64_t) opt.drain_s * 1000000;
  while (soak_outstanding () && now_us () < drain_end)
    dispatch (10);
  for (int i = 0; i < opt.connections; i++)
    if (conns[i].state == S_OPEN)
      st.missing_replies += conns[i].pings_out + (conns[i].pub != P_IDLE);

  /* Close 1000 everywhere and wait for the server's close frames. */
  uint64_t open_at_end = (uint64_t) count_state (S_OPEN);
  for (int i = 0; i < opt.connections; i++)
    if (conns[i].state == S_OPEN)
      send_close (&conns[i]);
  uint64_t close_end = now_us () + (uint64_t) opt.drain_s * 1000000;
  while (count_state (S_CLOSING) > 0 && now_us () < close_end)
    dispatch (10);
  for (int i = 0; i < opt.connections; i++)
    if (conns[i].state == S_CLOSING)
      {
        st.close_timeouts++;
        conn_drop (&conns[i]);
      }

  uint64_t errors = st.connect_errors + st.handshake_errors + st.unexpected_closes + st.bad_messages
                    + st.send_errors + st.missing_replies + st.close_timeouts;
  printf ("{\"mode\":\"soak\",\"connections\":%d,\"held\":%lu,\"held_min\":%lu,\"open_at_end\":%lu,"
          "\"ramp_s\":%.2f,\"seconds\":%.1f,\"pings\":%lu,\"pongs\":%lu,\"publishes\":%lu,"
          "\"starts\":%lu,\"stops\":%lu,\"publish_finished\":%lu,\"connect_errors\":%lu,"
          "\"handshake_errors\":%lu,\"unexpected_closes\":%lu,\"bad_messages\":%lu,"
          "\"send_errors\":%lu,\"missing_replies\":%lu,\"closed_clean\":%lu,"
          "\"close_timeouts\":%lu,\"errors\":%lu}\n",
          opt.connections, (unsigned long) st.held, (unsigned long) still_open_min,
          (unsigned long) open_at_end, ramp_s, opt.duration_s, (unsigned long) st.pings,
          (unsigned long) st.pongs, (unsigned long) st.publishes, (unsigned long) st.starts,
          (unsigned long) st.stops, (unsigned long) st.finished, (unsigned long) st.connect_errors,
          (unsigned long) st.handshake_errors, (unsigned long) st.unexpected_closes,
          (unsigned long) st.bad_messages, (unsigned long) st.send_errors,
          (unsigned long) st.missing_replies, (unsigned long) st.closed_clean,
          (unsigned long) st.close_timeouts, (unsigned long) errors);
  return errors == 0 && st.held == (uint64_t) opt.connections
                 && still_open_min == (uint64_t) opt.connections ? 0 : 1;
}

static int
run_cycles (void)
{
  uint64_t t0 = now_us ();
  uint64_t hard_end = t0 + (uint64_t) CYCLES_TIMEOUT_S * 1000000;
  long started = 0;
  for (int i = 0; i < opt.parallel; i++)
    {
      conns[i].index = i;
      conns[i].state = S_IDLE;
      conns[i].fd = -1;
    }
  while (now_us () < hard_end)
    {
      int busy = 0;
      for (int i = 0; i < opt.parallel; i++)
        {
          Conn *c = &conns[i];
          if ((c->state == S_IDLE || c->state == S_DONE) && started < opt.cycles)
            {
              c->graceful = (started & 1) == 0;
              started++;
              conn_start (c);
            }
          busy += c->state != S_IDLE && c->state != S_DONE;
        }
      if (busy == 0 && started >= opt.cycles)
        break;
      dispatch (10);
    }
  double secs = (double) (now_us () - t0) / 1e6;
  uint64_t errors = st.connect_errors + st.handshake_errors + st.unexpected_closes + st.bad_messages
                    + st.send_errors + ((uint64_t) started - st.cycles_done);
  printf ("{\"mode\":\"cycles\",\"cycles\":%ld,\"done\":%lu,\"parallel\":%d,\"seconds\":%.2f,"
          "\"per_second\":%.0f,\"closed_clean\":%lu,\"connect_errors\":%lu,"
          "\"handshake_errors\":%lu,\"unexpected_closes\":%lu,\"bad_messages\":%lu,"
          "\"errors\":%lu}\n",
          opt.cycles, (unsigned long) st.cycles_done, opt.parallel, secs,
          secs > 0 ? (double) st.cycles_done / secs : 0, (unsigned long) st.closed_clean,
          (unsigned long) st.connect_errors, (unsigned long) st.handshake_errors,
          (unsigned long) st.unexpected_closes, (unsigned long) st.bad_messages,
          (unsigned long) errors);
  return errors == 0 && st.cycles_done == (uint64_t) opt.cycles ? 0 : 1;
}

static void
usage (void)
{
  fprintf (stderr,
           "usage: ams-load soak   --url ws://127.0.0.1:PORT/App/websocket [-c N] [-d SECONDS]\n"
           "                       [--ping-ms MS] [--publish-ms MS (0: no publishing)] [--drain-s S]\n"
           "       ams-load cycles --url ws://127.0.0.1:PORT/App/websocket [-n N] [-P PARALLEL]\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2 || (strcmp (argv[1], "soak") != 0 && strcmp (argv[1], "cycles") != 0))
    {
      usage ();
      return 2;
    }
  opt.mode = argv[1];
  const char *url = NULL;
  static const struct option longs[] = {
    { "url", required_argument, NULL, 'u' },
    { "connections", required_argument, NULL, 'c' },
    { "duration", required_argument, NULL, 'd' },
    { "ping-ms", required_argument, NULL, 'i' },
    { "publish-ms", required_argument, NULL, 'p' },
    { "cycles", required_argument, NULL, 'n' },
    { "parallel", required_argument, NULL, 'P' },
    { "drain-s", required_argument, NULL, 'D' },
    { NULL, 0, NULL, 0 },
  };
  int ch;
  optind = 2;
  while ((ch = getopt_long (argc, argv, "u:c:d:i:p:n:P:D:", longs, NULL)) != -1)
    switch (ch)
      {
      case 'u': url = optarg; break;
      case 'c': opt.connections = atoi (optarg); break;
      case 'd': opt.duration_s = atof (optarg); break;
      case 'i': opt.ping_ms = atoi (optarg); break;
      case 'p': opt.publish_ms = atoi (optarg); break;
      case 'n': opt.cycles = atol (optarg); break;
      case 'P': opt.parallel = atoi (optarg); break;
      case 'D': opt.drain_s = atoi (optarg); break;
      default: usage (); return 2;
      }
  if (url == NULL
      || ws_parse_url (url, opt.host, sizeof opt.host, &opt.port, opt.path, sizeof opt.path) != 0
      || strcmp (opt.host, "127.0.0.1") != 0)
    {
      fprintf (stderr, "ams-load: --url must be ws://127.0.0.1:PORT/PATH (loopback only)\n");
      return 2;
    }
  if (opt.connections < 1 || opt.connections > MAX_CONNECTIONS || opt.duration_s <= 0
      || opt.duration_s > MAX_DURATION_S || opt.ping_ms < 10 || opt.publish_ms < 0
      || opt.cycles < 1 || opt.cycles > MAX_CYCLES || opt.parallel < 1 || opt.parallel > MAX_IN_FLIGHT
      || opt.drain_s < 1 || opt.drain_s > MAX_DRAIN_S)
    {
      fprintf (stderr, "ams-load: an option is out of range\n");
      return 2;
    }

  /* Every connection is a descriptor here too. */
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  signal (SIGPIPE, SIG_IGN);
  srand ((unsigned) getpid ());
  server.sin_family = AF_INET;
  server.sin_port = htons ((uint16_t) opt.port);
  inet_pton (AF_INET, opt.host, &server.sin_addr);
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  int slots = strcmp (opt.mode, "soak") == 0 ? opt.connections : opt.parallel;
  conns = calloc ((size_t) slots, sizeof *conns);
  for (int i = 0; i < slots; i++)
    {
      conns[i].fd = -1;
      conns[i].rx = malloc (RX_MAX);
    }
  int rc = strcmp (opt.mode, "soak") == 0 ? run_soak () : run_cycles ();
  for (int i = 0; i < slots; i++)
    {
      if (conns[i].fd >= 0)
        close (conns[i].fd);
      free (conns[i].rx);
      free (conns[i].tx);
    }
  free (conns);
  close (epfd);
  return rc;
}
