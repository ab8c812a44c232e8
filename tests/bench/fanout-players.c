/* fanout-players: N players of one live stream in one process, through the
 * SDK's public API only, each on its own WebSocket connection (as N viewers
 * would be), none decoding: frames are depayloaded and counted
 * (AmsMediaOptions.no_decode), so the figures measure the relay, not N
 * decoders fighting for the cores.
 *
 *   fanout-players --url ws://127.0.0.1:PORT/App/websocket --stream ID --players N
 *                  [--setup S] [--window S] [--settle S] [--latency MS] [--decode] [--ramp MS]
 *                  [--server-pid PID] [--publisher-pid PID]
 *
 * Players start --ramp ms apart (20 by default, 0: all at once): viewers
 * arrive over time, and 100 ICE agents checking at once on two cores starve
 * every process on the machine, the publisher first. --settle seconds (2)
 * after every player has its first frame (or after --setup seconds, 90 by
 * default) a window of --window seconds (10) opens: frames and bytes each player received in it, the process's own
 * CPU, and (when given) the server's and the publisher's CPU, threads and
 * memory from /proc. Prints one JSON object on stdout; progress on stderr.
 * Exits 1 when a player failed or none had a first frame, 2 on usage. */
#include <amsclient/amsclient.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

typedef struct _Bench Bench;

typedef struct {
  Bench     *bench;
  guint      index;
  AmsClient *client;
  AmsStream *stream;
  gint64     first_frame_us;   /* since the bench started; 0: none yet */
  gint64     started_us;       /* play_started */
  gint64     connected_us;     /* the peer connection is connected */
  char      *peer_state;
  guint64    frames;           /* video-frame count, latest */
  guint64    frames_at_start;
  guint64    frames_at_end;
  int        stats_want;       /* 1: the window's start sample, 2: its end */
  guint64    bytes[2];
  gint64     bytes_us[2];
  gboolean   failed;
  char      *error;
} Player;

struct _Bench {
  GMainLoop *loop;
  const char *url, *stream_id;
  guint n;
  Player *players;
  gint64 t0;
  guint with_frame;
  gint64 last_first_frame_us;
  double setup_s, window_s, settle_s;
  int latency_ms;
  guint ramp_ms, started;
  gboolean decode;
  int server_pid, publisher_pid;
  int phase;                   /* 0 setup, 1 window, 2 closing samples, 3 done */
  gint64 window_start_us, window_end_us;
  gint64 window_start_real, window_end_real;   /* wall clock, to match other logs */
  double self_cpu[2], server_cpu[2], publisher_cpu[2];
  guint timer;
};

/* ------------------------------------------------------------ /proc */

static double
proc_cpu_s (int pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen (path, "r");
  if (!f)
    return -1;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *p = strrchr (buf, ')');   /* the command name may hold spaces */
  if (!p)
    return -1;
  unsigned long utime = 0, stime = 0;
  /* after ')': state(3) ... utime(14) stime(15) */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return -1;
  return (double) (utime + stime) / sysconf (_SC_CLK_TCK);
}

/* A "Key: value" of /proc/PID/status (kB for memory), -1 when unknown. */
static long
proc_status (int pid, const char *key)
{
  char path[64], line[256];
  snprintf (path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen (path, "r");
  if (!f)
    return -1;
  long value = -1;
  size_t len = strlen (key);
  while (fgets (line, sizeof line, f))
    if (!strncmp (line, key, len) && line[len] == ':') {
      value = atol (line + len + 1);
      break;
    }
  fclose (f);
  return value;
}

static double
self_cpu_s (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------ players */

static void open_window (Bench *b);
static void schedule_window (Bench *b);

static void
on_video_frame (AmsStream *stream, guint64 count, guint width, guint height, gpointer data)
{
  Player *p = data;
  Bench *b = p->bench;
  p->frames = count;
  if (p->first_frame_us)
    return;
  p->first_frame_us = g_get_monotonic_time () - b->t0;
  b->last_first_frame_us = p->first_frame_us;
  if (++b->with_frame == b->n && b->phase == 0)
    schedule_window (b);
}

static void
on_stats (AmsStream *stream, AmsStreamStats *stats, gpointer data)
{
  Player *p = data;
  if (p->stats_want < 1 || p->stats_want > 2)
    return;
  int i = p->stats_want - 1;
  p->bytes[i] = stats->bytes_received;
  p->bytes_us[i] = g_get_monotonic_time ();
  p->stats_want = 0;
}

static void
on_started (AmsStream *stream, gpointer data)
{
  Player *p = data;
  if (!p->started_us)
    p->started_us = g_get_monotonic_time () - p->bench->t0;
}

static void
on_peer_state (AmsStream *stream, const char *state, gpointer data)
{
  Player *p = data;
  g_free (p->peer_state);
  p->peer_state = g_strdup (state);
  if (!p->connected_us && g_strcmp0 (state, "connected") == 0)
    p->connected_us = g_get_monotonic_time () - p->bench->t0;
}

static void
on_error (AmsStream *stream, const GError *error, gpointer data)
{
  Player *p = data;
  if (p->failed)
    return;
  p->failed = TRUE;
  p->error = g_strdup (error ? error->message : "failed");
  g_printerr ("fanout-players: player %u: %s\n", p->index, p->error);
}

static gboolean
start_player (Player *p, GError **error)
{
  Bench *b = p->bench;
  p->client = ams_client_new (b->url, NULL, error);
  if (!p->client || !ams_client_connect (p->client, error))
    return FALSE;
  AmsMediaOptions options;
  ams_media_options_init (&options);
  options.audio = FALSE;
  options.data_channel = FALSE;
  options.ice_filter = "loopback";
  options.latency_ms = b->latency_ms;
  options.no_decode = !b->decode;
  /* No stall watchdog: a starved player would play again after 5 s without
   * packets, its count would restart and its new keyframe requests and ICE
   * checks would starve the others more; the bench measures delivery as it is. */
  options.stall_timeout_ms = 0;
  p->stream = ams_stream_new (p->client, AMS_STREAM_PLAY, b->stream_id, &options);
  g_signal_connect (p->stream, "video-frame", G_CALLBACK (on_video_frame), p);
  g_signal_connect (p->stream, "stats", G_CALLBACK (on_stats), p);
  g_signal_connect (p->stream, "error", G_CALLBACK (on_error), p);
  g_signal_connect (p->stream, "started", G_CALLBACK (on_started), p);
  g_signal_connect (p->stream, "peer-state", G_CALLBACK (on_peer_state), p);
  /* queued until the socket is open */
  return ams_stream_start (p->stream, error);
}

static void
request_samples (Bench *b, int which)
{
  for (guint i = 0; i < b->n; i++) {
    Player *p = &b->players[i];
    if (p->stream && p->first_frame_us) {
      p->stats_want = which;
      ams_stream_request_stats (p->stream);
    }
  }
}

/* ------------------------------------------------------------ phases */

static gboolean
finish (gpointer data)
{
  Bench *b = data;
  b->timer = 0;
  b->phase = 3;
  g_main_loop_quit (b->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
close_window (gpointer data)
{
  Bench *b = data;
  b->window_end_us = g_get_monotonic_time ();
  b->window_end_real = g_get_real_time ();
  /* now, not in report(): frames go on arriving while the stats replies
   * are awaited (counting them gave 34.5 fps of a 30 fps publisher) */
  for (guint i = 0; i < b->n; i++)
    b->players[i].frames_at_end = b->players[i].frames;
  b->self_cpu[1] = self_cpu_s ();
  b->server_cpu[1] = b->server_pid ? proc_cpu_s (b->server_pid) : -1;
  b->publisher_cpu[1] = b->publisher_pid ? proc_cpu_s (b->publisher_pid) : -1;
  b->phase = 2;
  request_samples (b, 2);
  /* replies come within a second even on a loaded machine */
  b->timer = g_timeout_add (1500, finish, b);
  return G_SOURCE_REMOVE;
}

static void
open_window (Bench *b)
{
  if (b->timer)
    g_source_remove (b->timer);
  b->phase = 1;
  b->window_start_us = g_get_monotonic_time ();
  b->window_start_real = g_get_real_time ();
  for (guint i = 0; i < b->n; i++)
    b->players[i].frames_at_start = b->players[i].frames;
  b->self_cpu[0] = self_cpu_s ();
  b->server_cpu[0] = b->server_pid ? proc_cpu_s (b->server_pid) : -1;
  b->publisher_cpu[0] = b->publisher_pid ? proc_cpu_s (b->publisher_pid) : -1;
  request_samples (b, 1);
  g_printerr ("fanout-players: %u/%u players with a first frame after %.1f s; window of %.0f s\n",
              b->with_frame, b->n, (g_get_monotonic_time () - b->t0) / 1e6, b->window_s);
  b->timer = g_timeout_add ((guint) (b->window_s * 1000), close_window, b);
}

/* Timer: the settle time or the setup bound ran out; the window opens. */
static gboolean
open_window_timeout (gpointer data)
{
  Bench *b = data;
  b->timer = 0;
  open_window (b);
  return G_SOURCE_REMOVE;
}

/* Every player has a frame: the window opens --settle seconds later, once
 * the joining keyframes and the events queued behind them have passed (a
 * window opened at once counts that backlog as frames of the window). */
static void
schedule_window (Bench *b)
{
  if (b->timer)
    g_source_remove (b->timer);
  b->phase = 1;
  b->timer = g_timeout_add ((guint) (b->settle_s * 1000), open_window_timeout, b);
}

/* ------------------------------------------------------------ report */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, guint n)
{
  if (n == 0)
    return 0;
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
report (Bench *b)
{
  double window = (b->window_end_us - b->window_start_us) / 1e6;
  double *fps = g_new0 (double, b->n), *kbps = g_new0 (double, b->n),
         *ttff = g_new0 (double, b->n), *started = g_new0 (double, b->n),
         *connected = g_new0 (double, b->n);
  guint nf = 0, nk = 0, nt = 0, ns = 0, nc = 0, at30 = 0, failed = 0;
  for (guint i = 0; i < b->n; i++) {
    Player *p = &b->players[i];
    failed += p->failed;
    if (p->first_frame_us)
      ttff[nt++] = p->first_frame_us / 1000.0;
    else
      g_printerr ("fanout-players: player %u has no frame: stream %s, peer %s%s%s\n", i,
                  p->stream ? ams_stream_state_to_string (ams_stream_get_state (p->stream)) : "none",
                  p->peer_state ? p->peer_state : "none", p->error ? ", " : "",
                  p->error ? p->error : "");
    if (p->started_us)
      started[ns++] = p->started_us / 1000.0;
    if (p->connected_us)
      connected[nc++] = p->connected_us / 1000.0;
    /* every player counts in the rates: one that never got a frame delivers 0 */
    double f = window > 0 && p->frames_at_end >= p->frames_at_start
                   ? (p->frames_at_end - p->frames_at_start) / window : 0;
    fps[nf++] = f;
    if (f >= 29)
      at30++;
    if (p->bytes_us[0] && p->bytes_us[1] > p->bytes_us[0])
      kbps[nk++] = (p->bytes[1] - p->bytes[0]) * 8 / 1000.0 /
                   ((p->bytes_us[1] - p->bytes_us[0]) / 1e6);
  }
  double fps_median = median (fps, nf), kbps_median = median (kbps, nk);
  double ttff_median = median (ttff, nt);
  double started_median = median (started, ns), connected_median = median (connected, nc);
  printf ("{\"players\":%u,\"decode\":%s,\"with_first_frame\":%u,\"failed\":%u,"
          "\"setup_s\":%.2f,\"started_ms_median\":%.0f,\"started_ms_max\":%.0f,"
          "\"connected_ms_median\":%.0f,\"connected_ms_max\":%.0f,"
          "\"first_frame_ms_median\":%.0f,\"first_frame_ms_max\":%.0f,"
          "\"window_s\":%.2f,\"fps_min\":%.2f,\"fps_median\":%.2f,\"fps_max\":%.2f,"
          "\"at_29fps\":%u,\"kbps_min\":%.1f,\"kbps_median\":%.1f,\"kbps_samples\":%u,"
          "\"harness_cpu_pct\":%.1f,\"harness_threads\":%ld,\"harness_rss_kb\":%ld,"
          "\"harness_hwm_kb\":%ld",
          b->n, b->decode ? "true" : "false", b->with_frame, failed,
          b->last_first_frame_us / 1e6, started_median, ns ? started[ns - 1] : 0,
          connected_median, nc ? connected[nc - 1] : 0, ttff_median, nt ? ttff[nt - 1] : 0, window,
          nf ? fps[0] : 0, fps_median, nf ? fps[nf - 1] : 0, at30, nk ? kbps[0] : 0,
          kbps_median, nk, window > 0 ? 100 * (b->self_cpu[1] - b->self_cpu[0]) / window : 0,
          proc_status (getpid (), "Threads"), proc_status (getpid (), "VmRSS"),
          proc_status (getpid (), "VmHWM"));
  if (b->server_pid)
    printf (",\"server_cpu_pct\":%.1f,\"server_threads\":%ld,\"server_rss_kb\":%ld,"
            "\"server_hwm_kb\":%ld",
            window > 0 && b->server_cpu[0] >= 0 ? 100 * (b->server_cpu[1] - b->server_cpu[0]) / window : -1,
            proc_status (b->server_pid, "Threads"), proc_status (b->server_pid, "VmRSS"),
            proc_status (b->server_pid, "VmHWM"));
  if (b->publisher_pid)
    printf (",\"publisher_cpu_pct\":%.1f",
            window > 0 && b->publisher_cpu[0] >= 0
                ? 100 * (b->publisher_cpu[1] - b->publisher_cpu[0]) / window : -1);
  printf (",\"window_start_epoch\":%.3f,\"window_end_epoch\":%.3f}\n",
          b->window_start_real / 1e6, b->window_end_real / 1e6);
  fflush (stdout);
  g_free (fps);
  g_free (kbps);
  g_free (ttff);
  g_free (started);
  g_free (connected);
}

/* Starts the next player; a timeout source while players remain. */
static gboolean
start_next (gpointer data)
{
  Bench *b = data;
  if (b->started >= b->n)
    return G_SOURCE_REMOVE;
  Player *p = &b->players[b->started++];
  GError *error = NULL;
  if (!start_player (p, &error)) {
    g_printerr ("fanout-players: player %u: %s\n", p->index, error ? error->message : "cannot start");
    g_clear_error (&error);
    p->failed = TRUE;
  }
  return b->started < b->n ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------ main */

static int
usage (void)
{
  fprintf (stderr, "usage: fanout-players --url URL --stream ID --players 1..500 [--setup S] "
           "[--window S] [--settle S] [--latency MS] [--decode] [--ramp MS] [--server-pid PID] [--publisher-pid PID]\n");
  return 2;
}

int
main (int argc, char **argv)
{
  Bench b = { 0 };
  b.setup_s = 90;
  b.window_s = 10;
  b.settle_s = 2;
  b.latency_ms = -1;
  b.ramp_ms = 20;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp (a, "--decode"))
      b.decode = TRUE;
    else if (!v)
      return usage ();
    else if (!strcmp (a, "--url"))
      b.url = v, i++;
    else if (!strcmp (a, "--stream"))
      b.stream_id = v, i++;
    else if (!strcmp (a, "--players"))
      b.n = (guint) atoi (v), i++;
    else if (!strcmp (a, "--setup"))
      b.setup_s = atof (v), i++;
    else if (!strcmp (a, "--window"))
      b.window_s = atof (v), i++;
    else if (!strcmp (a, "--settle"))
      b.settle_s = atof (v), i++;
    else if (!strcmp (a, "--latency"))
      b.latency_ms = atoi (v), i++;
    else if (!strcmp (a, "--ramp"))
      b.ramp_ms = (guint) CLAMP (atoi (v), 0, 10000), i++;
    else if (!strcmp (a, "--server-pid"))
      b.server_pid = atoi (v), i++;
    else if (!strcmp (a, "--publisher-pid"))
      b.publisher_pid = atoi (v), i++;
    else
      return usage ();
  }
  if (!b.url || !b.stream_id || b.n < 1 || b.n > 500 || !(b.setup_s > 0 && b.setup_s <= 600) ||
      !(b.window_s > 0 && b.window_s <= 600) || !(b.settle_s >= 0 && b.settle_s <= 60) || b.latency_ms < -1 || b.latency_ms > 10000)
    return usage ();
  /* refuse anything but loopback: benchmarks never leave the machine */
  if (strncmp (b.url, "ws://127.", 9) != 0) {
    fprintf (stderr, "fanout-players: only ws://127.x.x.x URLs\n");
    return 2;
  }

  b.loop = g_main_loop_new (NULL, FALSE);
  b.players = g_new0 (Player, b.n);
  b.t0 = g_get_monotonic_time ();
  int rc = 0;
  for (guint i = 0; i < b.n; i++) {
    b.players[i].bench = &b;
    b.players[i].index = i;
  }
  b.timer = g_timeout_add ((guint) (b.setup_s * 1000), open_window_timeout, &b);
  if (b.ramp_ms)
    g_timeout_add (b.ramp_ms, start_next, &b);
  else
    while (start_next (&b) == G_SOURCE_CONTINUE)
      ;
  g_main_loop_run (b.loop);
  report (&b);
  if (b.with_frame == 0)
    rc = 1;
  for (guint i = 0; i < b.n; i++) {
    Player *p = &b.players[i];
    rc |= p->failed;
    if (p->stream) {
      ams_stream_stop (p->stream);
      g_object_unref (p->stream);
    }
    if (p->client) {
      ams_client_disconnect (p->client);
      g_object_unref (p->client);
    }
    g_free (p->error);
    g_free (p->peer_state);
  }
  g_free (b.players);
  g_main_loop_unref (b.loop);
  return rc;
}
