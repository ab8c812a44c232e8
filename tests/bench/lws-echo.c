/* lws-echo: the floor of the signalling benchmark.
 *
 * A bare libwebsockets server on lws's own poll loop: it answers a text
 * message containing "ping" with {"command":"pong"} and echoes anything else.
 * No JSON parsing and no GLib, so it shows what the library itself costs and
 * bounds what any server built on it can reach.
 *
 *   lws-echo [--port N] [--rx-buffer BYTES] [--uv]
 *
 * --uv runs lws on its libuv event library (the transport ams-mini-server
 * uses) instead of lws's default poll() loop, whose cost grows with the
 * number of connections on every wake-up.
 *
 * Port 0 (the default) lets the kernel pick; the chosen port is printed as
 * "listening on 127.0.0.1:PORT".  It binds 127.0.0.1 only and stops on
 * SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#define MAX_MESSAGE 65536

static const char PONG[] = "{\"command\":\"pong\"}";
static volatile sig_atomic_t interrupted;

typedef struct {
  unsigned pending_pongs;       /* pongs owed; each WRITEABLE sends one */
  unsigned char *echo;          /* a message to echo back, LWS_PRE ahead */
  size_t echo_len, rx_len;
  unsigned char *rx;            /* reassembly of a fragmented message */
  int echo_binary;
} Session;

static void
session_reset_rx (Session *s)
{
  free (s->rx);
  s->rx = NULL;
  s->rx_len = 0;
}

static void
on_message (struct lws *wsi, Session *s, const unsigned char *msg, size_t len, int binary)
{
  if (!binary && len < 256 && memmem (msg, len, "ping", 4)) {
    s->pending_pongs++;
  } else if (!s->echo) {
    s->echo = malloc (LWS_PRE + len + 1);
    if (!s->echo)
      return;
    memcpy (s->echo + LWS_PRE, msg, len);
    s->echo_len = len;
    s->echo_binary = binary;
  }
  /* a second echo while one is queued is dropped: this is a floor, not a relay */
  lws_callback_on_writable (wsi);
}

static int
callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  Session *s = user;
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      memset (s, 0, sizeof *s);
      break;
    case LWS_CALLBACK_RECEIVE: {
      int final = lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0;
      int binary = lws_frame_is_binary (wsi);
      if (final && !s->rx) {
        on_message (wsi, s, in, len, binary);
        break;
      }
      if (s->rx_len + len > MAX_MESSAGE) {
        lws_close_reason (wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
      }
      unsigned char *grown = realloc (s->rx, s->rx_len + len + 1);
      if (!grown)
        return -1;
      s->rx = grown;
      memcpy (s->rx + s->rx_len, in, len);
      s->rx_len += len;
      if (final) {
        on_message (wsi, s, s->rx, s->rx_len, binary);
        session_reset_rx (s);
      }
      break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (s->pending_pongs) {
        unsigned char buf[LWS_PRE + sizeof PONG];
        memcpy (buf + LWS_PRE, PONG, sizeof PONG - 1);
        if (lws_write (wsi, buf + LWS_PRE, sizeof PONG - 1, LWS_WRITE_TEXT) < 0)
          return -1;
        s->pending_pongs--;
      } else if (s->echo) {
        int r = lws_write (wsi, s->echo + LWS_PRE, s->echo_len,
            s->echo_binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        free (s->echo);
        s->echo = NULL;
        if (r < 0)
          return -1;
      }
      if (s->pending_pongs || s->echo)
        lws_callback_on_writable (wsi);
      break;
    }
    case LWS_CALLBACK_CLOSED:
      free (s->echo);
      s->echo = NULL;
      session_reset_rx (s);
      break;
    default:
      break;
  }
  return 0;
}

static void
on_uv_signal (uv_signal_t *handle, int sig)
{
  (void) sig;
  uv_stop (handle->loop);
}

static void
on_signal (int sig)
{
  (void) sig;
  interrupted = 1;
}

int
main (int argc, char **argv)
{
  int port = 0, rx_buffer = 0, use_uv = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--port") && i + 1 < argc)
      port = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--rx-buffer") && i + 1 < argc)
      rx_buffer = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--uv"))
      use_uv = 1;
    else {
      fprintf (stderr, "usage: %s [--port N] [--rx-buffer BYTES] [--uv]\n", argv[0]);
      return 2;
    }
  }
  if (port < 0 || port > 65535 || rx_buffer < 0) {
    fprintf (stderr, "lws-echo: bad option value\n");
    return 2;
  }
  /* one descriptor per client: take all the soft limit can grow to */
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  lws_set_log_level (LLL_ERR | LLL_WARN, NULL);

  struct lws_protocols protocols[] = {
    { "pong", callback, sizeof (Session), (size_t) rx_buffer, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
  };
  struct lws_context_creation_info info;
  memset (&info, 0, sizeof info);
  info.port = port;
  info.iface = "127.0.0.1";
  info.protocols = protocols;
  /* idle clients are the point of the benchmark: no WebSocket keepalive */
  static const lws_retry_bo_t no_keepalive = { .secs_since_valid_ping = 0,
    .secs_since_valid_hangup = 0 };
  info.retry_and_idle_policy = &no_keepalive;
  /* With libuv the loop is ours (a foreign loop, as ams-mini-server has it):
   * lws's own uv loop cannot be stopped from a signal while it blocks. */
  uv_loop_t loop;
  uv_signal_t sig_int, sig_term;
  void *foreign[1] = { &loop };
  if (use_uv) {
    uv_loop_init (&loop);
    uv_signal_init (&loop, &sig_int);
    uv_signal_init (&loop, &sig_term);
    uv_signal_start (&sig_int, on_uv_signal, SIGINT);
    uv_signal_start (&sig_term, on_uv_signal, SIGTERM);
    info.options |= LWS_SERVER_OPTION_LIBUV;
    info.foreign_loops = foreign;
  }
  struct lws_context *ctx = lws_create_context (&info);
  if (!ctx) {
    fprintf (stderr, "lws-echo: lws_create_context failed\n");
    return 1;
  }
  struct lws_vhost *vh = lws_get_vhost_by_name (ctx, "default");
  int bound = vh ? lws_get_vhost_listen_port (vh) : port;
  printf ("listening on 127.0.0.1:%d\n", bound);
  fflush (stdout);
  if (use_uv) {
    uv_run (&loop, UV_RUN_DEFAULT);
    /* lws's documented foreign-loop teardown: destroy, let the loop close
     * lws's handles, destroy again, then close the loop */
    lws_context_destroy (ctx);
    uv_close ((uv_handle_t *) &sig_int, NULL);
    uv_close ((uv_handle_t *) &sig_term, NULL);
    for (int i = 0; i < 100 && uv_run (&loop, UV_RUN_NOWAIT); i++)
      ;
    lws_context_destroy (ctx);
    uv_loop_close (&loop);
    return 0;
  }
  while (!interrupted && lws_service (ctx, 0) >= 0)
    ;
  lws_context_destroy (ctx);
  return 0;
}
