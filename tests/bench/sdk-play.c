/* sdk-play: cold and warm time to first frame through the SDK's public API.
 *
 * One process, one AmsClient, N plays of the same live stream one after the
 * other: the first play is cold (new process, DTLS key, GStreamer start-up),
 * the later ones are warm (the process and the signalling connection exist).
 * Each play is stopped at its first decoded frame and the next one starts
 * --gap ms later (0: at once, before the server's answer to the stop).
 *
 *   sdk-play --url ws://127.0.0.1:PORT/App/websocket --stream ID [--plays N] [--timeout S]
 *            [--latency MS] [--fast-start N] [--dtls-key-cache PATH] [--gap MS]
 *
 * --latency sets the player's jitterbuffer (AmsMediaOptions.latency_ms; the
 * SDK's default otherwise); --fast-start its fast start
 * (AmsMediaOptions.fast_start_packets, -1 off); --dtls-key-cache takes the
 * process's DTLS key from PATH (ams_media_set_dtls_key_cache; off otherwise,
 * as in the SDK); --gap is the pause between two plays (300 ms).
 *
 * Prints one JSON line: {"cold_ms":..., "warm_ms":[...], "from_exec_ms":...,
 * "phases":[...]} where each figure is ms from ams_stream_start() to the
 * stream's "video-frame" signal with count 1, from_exec_ms is the first frame
 * of the first play counted from main(), and phases holds per play the first
 * time of each stream event ("ice-state:connected", "started", ...).  Exits 1 on error or timeout.
 */
#include <amsclient/amsclient.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GMainLoop *loop;
  AmsClient *client;
  AmsStream *stream;
  const char *stream_id;
  int plays, done;
  int latency_ms;               /* -1: the SDK's default */
  int fast_start;               /* 0: the SDK's default, -1: off */
  guint gap_ms;
  gint64 t_main, t_request, first_from_exec_us;
  GArray *ms;                   /* double per play */
  GString *phases;              /* per play: {"event[:state]": ms since the request, ...} */
  GHashTable *seen;             /* the current play's phases already recorded */
  gboolean failed;
  guint timer;
} Bench;

static void start_play (Bench *b);


static gboolean
start_next (gpointer data)
{
  start_play (data);
  return G_SOURCE_REMOVE;
}

static gboolean
next_play (gpointer data)
{
  Bench *b = data;
  /* stopped outside the signal handler: the stream emitted from its own code */
  ams_stream_stop (b->stream);
  g_clear_object (&b->stream);
  if (++b->done == b->plays)
    g_main_loop_quit (b->loop);
  else
    g_timeout_add (b->gap_ms, start_next, b);
  return G_SOURCE_REMOVE;
}

static void
on_video_frame (AmsStream *stream, guint64 count, guint width, guint height, gpointer data)
{
  Bench *b = data;
  if (count != 1 || stream != b->stream)
    return;
  gint64 now = g_get_monotonic_time ();
  double ms = (now - b->t_request) / 1000.0;
  g_array_append_val (b->ms, ms);
  if (b->done == 0)
    b->first_from_exec_us = now - b->t_main;
  g_idle_add (next_play, b);
}

/* The first time of each event (ICE, DTLS and peer states, started...) of
 * the current play, in ms since its request: where a play's time goes. */
static void
on_event (AmsStream *stream, AmsEvent *event, gpointer data)
{
  Bench *b = data;
  if (stream != b->stream)
    return;
  const char *state = ams_event_get_string (event, "state");
  char *key = state ? g_strdup_printf ("%s:%s", ams_event_get_name (event), state)
                    : g_strdup (ams_event_get_name (event));
  if (g_hash_table_contains (b->seen, key)) {
    g_free (key);
    return;
  }
  g_string_append_printf (b->phases, "%s\"%s\":%.1f", g_hash_table_size (b->seen) ? "," : "",
                          key, (g_get_monotonic_time () - b->t_request) / 1000.0);
  g_hash_table_add (b->seen, key);
}

static void
on_error (AmsStream *stream, const GError *error, gpointer data)
{
  Bench *b = data;
  g_printerr ("sdk-play: %s\n", error ? error->message : "stream failed");
  b->failed = TRUE;
  g_main_loop_quit (b->loop);
}

static void
start_play (Bench *b)
{
  AmsMediaOptions options;
  ams_media_options_init (&options);
  options.audio = FALSE;
  options.ice_filter = "loopback";
  options.latency_ms = b->latency_ms;
  options.fast_start_packets = b->fast_start;
  b->stream = ams_stream_new (b->client, AMS_STREAM_PLAY, b->stream_id, &options);
  g_signal_connect (b->stream, "video-frame", G_CALLBACK (on_video_frame), b);
  g_signal_connect (b->stream, "error", G_CALLBACK (on_error), b);
  g_signal_connect (b->stream, "event", G_CALLBACK (on_event), b);
  if (b->seen)
    g_string_append (b->phases, "},");
  g_string_append (b->phases, "{");
  g_clear_pointer (&b->seen, g_hash_table_unref);
  b->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* When this play's request goes out, in ms since main(): ties the phases
   * to other logs of the process (GST_DEBUG's clock starts near main()). */
  g_string_append_printf (b->phases, "\"request-since-main\":%.1f",
                          (g_get_monotonic_time () - b->t_main) / 1000.0);
  g_hash_table_add (b->seen, g_strdup ("request-since-main"));
  GError *error = NULL;
  b->t_request = g_get_monotonic_time ();
  if (!ams_stream_start (b->stream, &error)) {
    g_printerr ("sdk-play: %s\n", error->message);
    g_clear_error (&error);
    b->failed = TRUE;
    g_main_loop_quit (b->loop);
  }
}

static gboolean
on_timeout (gpointer data)
{
  Bench *b = data;
  g_printerr ("sdk-play: timeout after %d of %d plays (stream state %s)\n", b->done, b->plays,
      b->stream ? ams_stream_state_to_string (ams_stream_get_state (b->stream)) : "none");
  b->failed = TRUE;
  b->timer = 0;
  g_main_loop_quit (b->loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  Bench b = { 0 };
  b.t_main = g_get_monotonic_time ();
  const char *url = NULL;
  double timeout_s = 60;
  b.plays = 2;
  b.latency_ms = -1;
  b.gap_ms = 300;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--url") && i + 1 < argc)
      url = argv[++i];
    else if (!strcmp (argv[i], "--stream") && i + 1 < argc)
      b.stream_id = argv[++i];
    else if (!strcmp (argv[i], "--plays") && i + 1 < argc)
      b.plays = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--timeout") && i + 1 < argc)
      timeout_s = atof (argv[++i]);
    else if (!strcmp (argv[i], "--latency") && i + 1 < argc) {
      int v = atoi (argv[++i]);   /* CLAMP evaluates its argument thrice */
      b.latency_ms = CLAMP (v, -1, 10000);
    } else if (!strcmp (argv[i], "--fast-start") && i + 1 < argc) {
      int v = atoi (argv[++i]);
      b.fast_start = CLAMP (v, -1, 1000);
    } else if (!strcmp (argv[i], "--dtls-key-cache") && i + 1 < argc) {
      GError *cache_error = NULL;
      if (!ams_media_set_dtls_key_cache (argv[++i], 0, &cache_error)) {
        fprintf (stderr, "sdk-play: %s\n", cache_error->message);
        return 2;
      }
    } else if (!strcmp (argv[i], "--gap") && i + 1 < argc) {
      int v = atoi (argv[++i]);
      b.gap_ms = (guint) CLAMP (v, 0, 10000);
    }
    else {
      fprintf (stderr, "usage: sdk-play --url URL --stream ID [--plays N] [--timeout S] "
               "[--latency MS] [--fast-start N] [--dtls-key-cache PATH] [--gap MS]\n");
      return 2;
    }
  }
  if (!url || !b.stream_id || b.plays < 1 || b.plays > 100 ||
      !(timeout_s > 0 && timeout_s <= 600)) {
    fprintf (stderr, "usage: sdk-play --url URL --stream ID [--plays 1..100] [--timeout S]\n");
    return 2;
  }
  GError *error = NULL;
  b.loop = g_main_loop_new (NULL, FALSE);
  b.ms = g_array_new (FALSE, FALSE, sizeof (double));
  b.phases = g_string_new ("[");
  b.client = ams_client_new (url, NULL, &error);
  if (!b.client || !ams_client_connect (b.client, &error)) {
    g_printerr ("sdk-play: %s\n", error ? error->message : "cannot connect");
    return 1;
  }
  /* the request is queued until the socket is open, as an application does */
  start_play (&b);
  b.timer = g_timeout_add ((guint) (timeout_s * 1000), on_timeout, &b);
  if (!b.failed)
    g_main_loop_run (b.loop);
  if (b.timer)
    g_source_remove (b.timer);
  if (b.stream) {
    ams_stream_stop (b.stream);
    g_clear_object (&b.stream);
  }
  ams_client_disconnect (b.client);
  g_object_unref (b.client);

  int rc = b.failed || (int) b.ms->len < b.plays ? 1 : 0;
  printf ("{\"plays\":%d,\"ok\":%u,\"cold_ms\":", b.plays, b.ms->len);
  if (b.ms->len > 0)
    printf ("%.1f", g_array_index (b.ms, double, 0));
  else
    printf ("null");
  printf (",\"from_exec_ms\":");
  if (b.ms->len > 0)
    printf ("%.1f", b.first_from_exec_us / 1000.0);
  else
    printf ("null");
  printf (",\"warm_ms\":[");
  for (guint i = 1; i < b.ms->len; i++)
    printf ("%s%.1f", i > 1 ? "," : "", g_array_index (b.ms, double, i));
  printf ("],\"phases\":%s%s]}\n", b.phases->str, b.seen ? "}" : "");
  g_string_free (b.phases, TRUE);
  g_clear_pointer (&b.seen, g_hash_table_unref);
  g_array_unref (b.ms);
  g_main_loop_unref (b.loop);
  return rc;
}
