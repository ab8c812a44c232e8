/* test-stream-stall.c: the media stall watchdog and the publish retry,
 * against a scripted server (ws-peer) whose media side is a real sending
 * webrtcbin on 127.0.0.1 (answers and candidates passed both ways), so
 * frames are really decoded and really stop.
 *
 * - a player whose media stops (the server's sender goes away, the
 *   signalling stays up) reports "media-stalled" (reason "no-media") within
 *   the stall timeout, sends exactly `stop` then the same `play` again, and
 *   plays (decodes) again from the server's new offer;
 * - stall_timeout_ms 0: the same loss goes unnoticed (no event, no stop, no
 *   second play);
 * - a streaming error inside the player's webrtcbin (its libnice source,
 *   as "nicesrc: Internal data stream error" does) is a stall with reason
 *   "transport-error" and the error's message: stop, play again, decode
 *   again; with stall_timeout_ms 0 it fails the stream as before;
 * - a started publisher that the server ends with
 *   noPacketReceivedForTimeoutDuration (and publish_finished) publishes the
 *   same request again after the retry interval, with backoff while it does not start again;
 *   with publish_retry_interval_ms 0 it fails as before. */
#include <amsclient/amsclient.h>
#include "helpers/find-elements.h"
#include "helpers/scripted-server.h"
#include "client/ams-stream-private.h"
#include "media/ams-peer.h"

#include <string.h>

#define SLOW (g_getenv ("AMS_VALGRIND") ? 8 : 1)
/* Waits: 16x under valgrind (media waits passed 160 s there at load
 * average 40), 4x under sanitizers; SLOW bounds the detection time. */
#define WAIT_SLOW (g_getenv ("AMS_VALGRIND") ? 16 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)
#define TIMEOUT_MS (30000 * WAIT_SLOW)

/* ------------------------------------------------------------ the client side */

typedef struct {
  WsPeer    *ws;
  AmsClient *client;
  AmsStream *stream;
  ScriptedOffer *sender;      /* the server's media, carried through */
  GPtrArray *stalled;        /* "reason" of each media-stalled event */
  GArray    *stalled_secs;   /* its "seconds" */
  gint64     stalled_at_us;  /* when the first one came */
  char      *stalled_message; /* the first one's "message", if any */
  GPtrArray *retrying;       /* "reason:attempt:delayMs" */
  guint64    frames;         /* decoded frames, every media session */
  gboolean   failed;
} Stall;

static void
on_event (AmsStream *stream, AmsEvent *event, Stall *t)
{
  const char *name = ams_event_get_name (event);
  if (g_str_equal (name, "media-stalled")) {
    double secs = -1;
    ams_event_get_double (event, "seconds", &secs);
    g_ptr_array_add (t->stalled, g_strdup (ams_event_get_string (event, "reason")));
    g_array_append_val (t->stalled_secs, secs);
    if (t->stalled_at_us == 0) {
      t->stalled_at_us = g_get_monotonic_time ();
      t->stalled_message = g_strdup (ams_event_get_string (event, "message"));
    }
  } else if (g_str_equal (name, "retrying")) {
    gint64 attempt = -1, delay = -1;
    ams_event_get_int (event, "attempt", &attempt);
    ams_event_get_int (event, "delayMs", &delay);
    g_ptr_array_add (t->retrying,
                     g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                                      ams_event_get_string (event, "reason"), attempt, delay));
  }
}

static void
on_video_frame (AmsStream *stream, guint64 count, guint width, guint height, Stall *t)
{
  t->frames++;
}

static void
on_error (AmsStream *stream, const GError *error, Stall *t)
{
  t->failed = TRUE;
}

static void
setup (Stall *t, AmsStreamKind kind, const char *id, const AmsMediaOptions *o)
{
  g_autoptr (GError) error = NULL;
  t->ws = ws_peer_new (g_main_context_default (), NULL, NULL);
  t->stalled = g_ptr_array_new_with_free_func (g_free);
  t->stalled_secs = g_array_new (FALSE, FALSE, sizeof (double));
  t->retrying = g_ptr_array_new_with_free_func (g_free);
  t->client = scripted_client_connect (t->ws, TIMEOUT_MS);
  t->stream = ams_stream_new (t->client, kind, id, o);
  g_signal_connect (t->stream, "event", G_CALLBACK (on_event), t);
  g_signal_connect (t->stream, "video-frame", G_CALLBACK (on_video_frame), t);
  g_signal_connect (t->stream, "error", G_CALLBACK (on_error), t);
  g_assert_true (ams_stream_start (t->stream, &error));
  g_assert_no_error (error);
}

static void
teardown (Stall *t)
{
  g_signal_handlers_disconnect_by_data (t->stream, t);
  ams_stream_stop (t->stream);
  g_clear_object (&t->stream);
  ams_client_disconnect (t->client);
  g_clear_pointer (&t->sender, scripted_offer_free);
  g_clear_object (&t->client);
  ws_peer_free (t->ws);
  g_ptr_array_unref (t->stalled);
  g_array_unref (t->stalled_secs);
  g_ptr_array_unref (t->retrying);
  g_free (t->stalled_message);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The client's non-ping messages, in order. */
static GPtrArray *
sent (Stall *t)
{
  return ws_peer_dup_non_ping (t->ws, 0);
}

/* The index of the first message from @from on whose command is @command,
 * or -1. */
static int
find_command (GPtrArray *msgs, guint from, const char *command)
{
  g_autofree char *needle = g_strdup_printf ("\"command\":\"%s\"", command);
  for (guint i = from; i < msgs->len; i++)
    if (strstr (g_ptr_array_index (msgs, i), needle))
      return (int) i;
  return -1;
}

typedef struct {
  Stall   *t;
  guint64  frames;
  guint    count;
  const char *command;
} Want;

static gboolean
frames_over (gpointer data)
{
  Want *w = data;
  return w->t->frames >= w->frames;
}

static gboolean
commands_at_least (gpointer data)
{
  Want *w = data;
  return scripted_count_command (w->t->ws, w->command) >= w->count;
}

static gboolean
is_started (gpointer data)
{
  return ams_stream_get_state (((Stall *) data)->stream) == AMS_STREAM_STATE_STARTED;
}

static gboolean
has_stalled (gpointer data)
{
  return ((Stall *) data)->stalled->len > 0;
}

/* The server answers the latest `play` with media; it plays. */
static void
serve_play (Stall *t, const char *id, guint64 frames)
{
  g_clear_pointer (&t->sender, scripted_offer_free);
  t->sender = scripted_offer_new_connected (t->ws, id);
  Want w = { t, frames };
  g_assert_true (ws_peer_wait (NULL, frames_over, &w, TIMEOUT_MS));
  scripted_send_notification (t->ws, "play_started", id);
  g_assert_true (ws_peer_wait (NULL, is_started, t, TIMEOUT_MS));
}

static void
player_options (AmsMediaOptions *o, guint stall_ms)
{
  ams_media_options_init (o);
  g_assert_cmpuint (o->stall_timeout_ms, ==, 5000);   /* the documented default */
  o->ice_filter = "loopback";
  o->audio = FALSE;
  o->stall_timeout_ms = stall_ms;
}

/* Waits until the client has sent @count @command messages. */
static void
wait_commands (Stall *t, const char *command, guint count)
{
  Want w = { t, .count = count, .command = command };
  g_assert_true (ws_peer_wait (NULL, commands_at_least, &w, TIMEOUT_MS));
}

/* A player of @id (stall timeout @stall_ms) that plays: frames decoded. */
static void
start_playing (Stall *t, const char *id, guint stall_ms)
{
  AmsMediaOptions o;
  player_options (&o, stall_ms);
  setup (t, AMS_STREAM_PLAY, id, &o);
  wait_commands (t, "play", 1);
  serve_play (t, id, 15);
}

/* After a stall of @reason: exactly `stop`, the server's play_finished for
 * it (ignored: not the end of the new request), then the same play again
 * (after the 1 s default interval of a player without its own retry), one
 * "retrying" event. @before: the messages sent before the stall. */
static void
expect_replay (Stall *t, const char *id, GPtrArray *before, const char *reason)
{
  wait_commands (t, "stop", 1);
  scripted_send_notification (t->ws, "play_finished", id);
  wait_commands (t, "play", 2);
  g_autoptr (GPtrArray) after = sent (t);
  int stop = find_command (after, before->len, "stop");
  int again = find_command (after, before->len, "play");
  g_assert_cmpint (stop, >=, 0);
  g_assert_cmpint (again, >, stop);
  g_autofree char *stop_json = g_strdup_printf ("{\"command\":\"stop\",\"streamId\":\"%s\"}", id);
  g_assert_cmpstr (g_ptr_array_index (after, stop), ==, stop_json);
  int first_play = find_command (before, 0, "play");
  g_assert_cmpint (first_play, >=, 0);
  g_assert_cmpstr (g_ptr_array_index (after, again), ==, g_ptr_array_index (before, first_play));
  g_autofree char *retrying = g_strdup_printf ("%s:1:1000", reason);
  g_assert_cmpuint (t->retrying->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (t->retrying, 0), ==, retrying);
}

static void
test_player_stall_plays_again (void)
{
  Stall t = { 0 };
  start_playing (&t, "s1", 1000);
  g_autoptr (GPtrArray) before = sent (&t);

  /* The media stops; the signalling does not. */
  gint64 cut = g_get_monotonic_time ();
  g_clear_pointer (&t.sender, scripted_offer_free);
  guint64 frames_at_cut = t.frames;
  g_assert_true (ws_peer_wait (NULL, has_stalled, &t, TIMEOUT_MS));
  gint64 detect_ms = (t.stalled_at_us - cut) / 1000;
  g_test_message ("stall reported %" G_GINT64_FORMAT " ms after the media stopped (%.1f s "
                  "without packets)", detect_ms, g_array_index (t.stalled_secs, double, 0));
  g_assert_cmpuint (t.stalled->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (t.stalled, 0), ==, "no-media");
  /* Not before the timeout, and within it plus a few samples. */
  g_assert_cmpfloat (g_array_index (t.stalled_secs, double, 0), >=, 1.0);
  g_assert_cmpint (detect_ms, >=, 900);
  g_assert_cmpint (detect_ms, <=, 1000 + 1500 * SLOW);
  g_assert_false (t.failed);

  expect_replay (&t, "s1", before, "no-media");
  g_assert_cmpint (ams_stream_get_state (t.stream), ==, AMS_STREAM_STATE_REQUESTING);

  /* And the new offer plays: frames decoded again. */
  serve_play (&t, "s1", frames_at_cut + 15);
  g_assert_false (t.failed);
  g_assert_cmpuint (scripted_count_command (t.ws, "play"), ==, 2);
  teardown (&t);
}

/* The server acknowledges the `stop` of the stalled session late, after
 * the client played again (it waits 2 s for the acknowledgement): that
 * play_finished ends the old session, not the new request. */
static void
test_player_late_end_of_stalled_session (void)
{
  Stall t = { 0 };
  start_playing (&t, "s1", 1000);

  g_clear_pointer (&t.sender, scripted_offer_free);
  guint64 frames_at_cut = t.frames;
  g_assert_true (ws_peer_wait (NULL, has_stalled, &t, TIMEOUT_MS));
  wait_commands (&t, "stop", 1);
  /* No acknowledgement: the same play again all the same. */
  wait_commands (&t, "play", 2);
  /* Now the old session's end, before any answer to the new play. */
  scripted_send_notification (t.ws, "play_finished", "s1");
  for (gint64 end = g_get_monotonic_time () + 300 * 1000; g_get_monotonic_time () < end;)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_cmpint (ams_stream_get_state (t.stream), ==, AMS_STREAM_STATE_REQUESTING);
  g_assert_false (t.failed);

  /* The new offer plays. */
  serve_play (&t, "s1", frames_at_cut + 15);
  g_assert_false (t.failed);
  g_assert_cmpuint (scripted_count_command (t.ws, "play"), ==, 2);
  teardown (&t);
}

static void
test_stall_timeout_zero (void)
{
  Stall t = { 0 };
  start_playing (&t, "s2", 0);
  g_autoptr (GPtrArray) before = sent (&t);

  g_clear_pointer (&t.sender, scripted_offer_free);
  /* Three times what the previous test needed to notice. */
  ws_peer_wait (NULL, has_stalled, &t, 3000);
  g_assert_cmpuint (t.stalled->len, ==, 0);
  g_assert_cmpuint (t.retrying->len, ==, 0);
  g_assert_cmpint (ams_stream_get_state (t.stream), ==, AMS_STREAM_STATE_STARTED);
  g_autoptr (GPtrArray) after = sent (&t);
  g_assert_cmpint (find_command (after, before->len, "stop"), ==, -1);
  g_assert_cmpuint (scripted_count_command (t.ws, "play"), ==, 1);
  teardown (&t);
}

/* Posts a streaming error from the libnice source inside the stream's
 * webrtcbin, as a source whose data cannot go on does. */
static void
break_transport (Stall *t)
{
  GstElement *webrtc = ams_peer_get_webrtcbin (t->stream->peer);
  g_assert_nonnull (webrtc);
  GstElement *nicesrc = find_element (webrtc, "nicesrc");
  g_assert_nonnull (nicesrc);
  GError *e = g_error_new_literal (GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
                                   "Internal data stream error.");
  gst_element_post_message (nicesrc, gst_message_new_error (GST_OBJECT (nicesrc), e,
                                                            "streaming stopped, reason not-linked"));
  g_error_free (e);
  gst_object_unref (nicesrc);
}

static gboolean
has_failed (gpointer data)
{
  return ((Stall *) data)->failed;
}

static void
test_player_transport_error_plays_again (void)
{
  Stall t = { 0 };
  start_playing (&t, "s4", 1000);
  g_autoptr (GPtrArray) before = sent (&t);

  break_transport (&t);
  g_assert_true (ws_peer_wait (NULL, has_stalled, &t, TIMEOUT_MS));
  g_assert_cmpuint (t.stalled->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (t.stalled, 0), ==, "transport-error");
  g_assert_nonnull (strstr (t.stalled_message, "Internal data stream error"));
  g_assert_false (t.failed);

  /* stop, then the same play again, which plays. */
  expect_replay (&t, "s4", before, "transport-error");
  guint64 frames_at_break = t.frames;
  serve_play (&t, "s4", frames_at_break + 15);
  g_assert_false (t.failed);
  teardown (&t);
}

/* Without the watch, the same error fails the stream, naming the source. */
static void
test_transport_error_fails_without_watch (void)
{
  Stall t = { 0 };
  start_playing (&t, "s5", 0);
  break_transport (&t);
  g_assert_true (ws_peer_wait (NULL, has_failed, &t, TIMEOUT_MS));
  g_assert_cmpuint (t.stalled->len, ==, 0);
  g_assert_cmpuint (scripted_count_command (t.ws, "play"), ==, 1);
  teardown (&t);
}

/* ------------------------------------------------------------ publisher */

static void
send_error (WsPeer *ws, const char *definition, const char *id)
{
  g_autofree char *text = g_strdup_printf ("{\"command\":\"error\",\"definition\":\"%s\","
                                           "\"streamId\":\"%s\"}", definition, id);
  ws_peer_send_text (ws, text);
}

static gboolean
is_failed (gpointer data)
{
  return ((Stall *) data)->failed;
}

/* publish -> start -> the client's offer -> publish_started. */
static void
serve_publish (Stall *t, guint n)
{
  wait_commands (t, "publish", n);
  g_autofree char *start = g_strdup ("{\"command\":\"start\",\"streamId\":\"p1\"}");
  ws_peer_send_text (t->ws, start);
  wait_commands (t, "takeConfiguration", n);
}

static void
publisher_options (AmsMediaOptions *o, guint retry_ms)
{
  ams_media_options_init (o);
  g_assert_cmpuint (o->publish_retry_interval_ms, ==, 1000);   /* documented defaults */
  g_assert_cmpuint (o->publish_retry_timeout_ms, ==, 60000);
  o->ice_filter = "loopback";
  /* No media path behind this server: only its messages count here. */
  o->stall_timeout_ms = 0;
  o->publish_retry_interval_ms = retry_ms;
}

static void
test_publisher_no_packet_publishes_again (void)
{
  Stall t = { 0 };
  AmsMediaOptions o;
  publisher_options (&o, 200);
  setup (&t, AMS_STREAM_PUBLISH, "p1", &o);
  serve_publish (&t, 1);
  scripted_send_notification (t.ws, "publish_started", "p1");
  g_assert_true (ws_peer_wait (NULL, is_started, &t, TIMEOUT_MS));
  g_autoptr (GPtrArray) before = sent (&t);
  int first = find_command (before, 0, "publish");

  /* The server saw no packets for its timeout: the publish is over there. */
  gint64 t0 = g_get_monotonic_time ();
  send_error (t.ws, "noPacketReceivedForTimeoutDuration", "p1");
  /* As ams-mini-server does: the end of that session follows the error;
   * it is not the end of the stream. */
  scripted_send_notification (t.ws, "publish_finished", "p1");
  wait_commands (&t, "publish", 2);
  gint64 waited_ms = (g_get_monotonic_time () - t0) / 1000;
  g_assert_cmpint (waited_ms, >=, 180);
  g_assert_false (t.failed);
  g_autoptr (GPtrArray) after = sent (&t);
  int second = find_command (after, before->len, "publish");
  /* The same request, and no stop: the server already ended the session. */
  g_assert_cmpstr (g_ptr_array_index (after, second), ==, g_ptr_array_index (before, first));
  g_assert_cmpint (find_command (after, before->len, "stop"), ==, -1);
  g_assert_cmpuint (t.retrying->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (t.retrying, 0), ==, "noPacketReceivedForTimeoutDuration:1:200");

  /* Not started again (no media reached the server): backoff, 2x. */
  serve_publish (&t, 2);
  send_error (t.ws, "publishTimeoutError", "p1");
  wait_commands (&t, "publish", 3);
  g_assert_cmpuint (t.retrying->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (t.retrying, 1), ==, "publishTimeoutError:2:400");

  /* Started again: a later loss starts from the interval again. */
  serve_publish (&t, 3);
  scripted_send_notification (t.ws, "publish_started", "p1");
  g_assert_true (ws_peer_wait (NULL, is_started, &t, TIMEOUT_MS));
  send_error (t.ws, "noPacketReceivedForTimeoutDuration", "p1");
  wait_commands (&t, "publish", 4);
  g_assert_cmpstr (g_ptr_array_index (t.retrying, 2), ==, "noPacketReceivedForTimeoutDuration:1:200");
  g_assert_false (t.failed);
  teardown (&t);
}

static void
test_publisher_no_retry (void)
{
  Stall t = { 0 };
  AmsMediaOptions o;
  publisher_options (&o, 0);
  setup (&t, AMS_STREAM_PUBLISH, "p1", &o);
  serve_publish (&t, 1);
  scripted_send_notification (t.ws, "publish_started", "p1");
  g_assert_true (ws_peer_wait (NULL, is_started, &t, TIMEOUT_MS));
  send_error (t.ws, "noPacketReceivedForTimeoutDuration", "p1");
  g_assert_true (ws_peer_wait (NULL, is_failed, &t, TIMEOUT_MS));
  g_assert_error (ams_stream_get_error (t.stream), AMS_ERROR,
                  AMS_ERROR_NO_PACKET_RECEIVED_FOR_TIMEOUT_DURATION);
  g_assert_cmpuint (t.retrying->len, ==, 0);
  Want again = { &t, .count = 2, .command = "publish" };
  ws_peer_wait (NULL, commands_at_least, &again, 500);
  g_assert_cmpuint (scripted_count_command (t.ws, "publish"), ==, 1);
  teardown (&t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stream/stall/player-plays-again", test_player_stall_plays_again);
  g_test_add_func ("/stream/stall/player-late-end-of-stalled-session",
                   test_player_late_end_of_stalled_session);
  g_test_add_func ("/stream/stall/timeout-zero-disables", test_stall_timeout_zero);
  g_test_add_func ("/stream/stall/player-transport-error-plays-again",
                   test_player_transport_error_plays_again);
  g_test_add_func ("/stream/stall/transport-error-fails-without-watch",
                   test_transport_error_fails_without_watch);
  g_test_add_func ("/stream/stall/publisher-no-packet-publishes-again",
                   test_publisher_no_packet_publishes_again);
  g_test_add_func ("/stream/stall/publisher-no-retry-fails", test_publisher_no_retry);
  return g_test_run ();
}
