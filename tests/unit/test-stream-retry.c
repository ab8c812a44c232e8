/* test-stream-retry.c: the play retry policy against a scripted server
 * (ws-peer), which makes the order of the server's messages exact.
 *
 * - retry: play -> no_stream_exist -> (interval) play again -> the
 *   server's offer -> negotiating -> play_started; then play_finished (the
 *   publisher went away) -> play again instead of finishing. Each attempt
 *   emits a "retrying" event with its reason and number.
 * - no retry (the default): no_stream_exist fails the stream, one play.
 * - limit: a server that never has the stream; the stream fails with
 *   no_stream_exist once the retry period is over, after a bounded number
 *   of plays.
 * Everything on 127.0.0.1. */
#include <amsclient/amsclient.h>
#include "helpers/scripted-server.h"

/* Waits: 16x under valgrind (media waits passed 160 s there at load
 * average 40), 4x under sanitizers. */
#define WAIT_SLOW (g_getenv ("AMS_VALGRIND") ? 16 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)
#define TIMEOUT_MS (30000 * WAIT_SLOW)

typedef struct {
  WsPeer    *ws;
  AmsClient *client;
  AmsStream *stream;
  ScriptedOffer *media;      /* the server's side of the media */
  GPtrArray *retrying;       /* "reason:attempt:delayMs" of each retrying event */
  guint      answered;       /* plays answered with no_stream_exist (limit test) */
  gboolean   failed;
  gboolean   finished;
} Retry;

static gboolean
plays_at_least_1 (gpointer data)
{
  return scripted_count_command (((Retry *) data)->ws, "play") >= 1;
}

static gboolean
plays_at_least_2 (gpointer data)
{
  return scripted_count_command (((Retry *) data)->ws, "play") >= 2;
}

static gboolean
plays_at_least_3 (gpointer data)
{
  return scripted_count_command (((Retry *) data)->ws, "play") >= 3;
}

static gboolean
stream_negotiating (gpointer data)
{
  return ams_stream_get_state (((Retry *) data)->stream) == AMS_STREAM_STATE_NEGOTIATING;
}

static gboolean
stream_started (gpointer data)
{
  return ams_stream_get_state (((Retry *) data)->stream) == AMS_STREAM_STATE_STARTED;
}

static gboolean
stream_failed (gpointer data)
{
  return ((Retry *) data)->failed;
}

static void
send_no_stream_exist (WsPeer *ws)
{
  ws_peer_send_text (ws, "{\"command\":\"error\",\"definition\":\"no_stream_exist\","
                         "\"streamId\":\"s1\",\"error_code\":\"404\"}");
}

static void
on_event (AmsStream *stream, AmsEvent *event, Retry *r)
{
  if (!g_str_equal (ams_event_get_name (event), "retrying"))
    return;
  gint64 attempt = -1, delay = -1;
  ams_event_get_int (event, "attempt", &attempt);
  ams_event_get_int (event, "delayMs", &delay);
  g_ptr_array_add (r->retrying,
                   g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                                    ams_event_get_string (event, "reason"), attempt, delay));
}

static void
on_error (AmsStream *stream, const GError *error, Retry *r)
{
  r->failed = TRUE;
}

static void
on_finished (AmsStream *stream, Retry *r)
{
  r->finished = TRUE;
}

static void
setup (Retry *r, guint interval_ms, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  r->ws = ws_peer_new (g_main_context_default (), NULL, NULL);
  r->retrying = g_ptr_array_new_with_free_func (g_free);
  r->client = scripted_client_connect (r->ws, TIMEOUT_MS);

  AmsMediaOptions o;
  ams_media_options_init (&o);
  o.ice_filter = "loopback";
  o.play_retry_interval_ms = interval_ms;
  o.play_retry_timeout_ms = timeout_ms;
  r->stream = ams_stream_new (r->client, AMS_STREAM_PLAY, "s1", &o);
  g_signal_connect (r->stream, "event", G_CALLBACK (on_event), r);
  g_signal_connect (r->stream, "error", G_CALLBACK (on_error), r);
  g_signal_connect (r->stream, "finished", G_CALLBACK (on_finished), r);
  g_assert_true (ams_stream_start (r->stream, &error));
  g_assert_no_error (error);
}

static void
teardown (Retry *r)
{
  g_signal_handlers_disconnect_by_data (r->stream, r);
  ams_stream_stop (r->stream);
  g_clear_object (&r->stream);
  ams_client_disconnect (r->client);
  g_clear_pointer (&r->media, scripted_offer_free);
  g_clear_object (&r->client);
  ws_peer_free (r->ws);
  g_ptr_array_unref (r->retrying);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The server's side of the media, which offers at once (a new one each time). */
static void
server_offers (Retry *r)
{
  g_clear_pointer (&r->media, scripted_offer_free);
  r->media = scripted_offer_new (r->ws, "s1");
}

static void
test_retry_then_play (void)
{
  Retry r = { 0 };
  setup (&r, 100, 10000);
  g_assert_true (ws_peer_wait (NULL, plays_at_least_1, &r, TIMEOUT_MS));

  /* Not published yet: the stream waits and plays again. */
  gint64 t0 = g_get_monotonic_time ();
  send_no_stream_exist (r.ws);
  g_assert_true (ws_peer_wait (NULL, plays_at_least_2, &r, TIMEOUT_MS));
  gint64 waited_ms = (g_get_monotonic_time () - t0) / 1000;
  g_assert_cmpint (waited_ms, >=, 90);    /* after the interval, not at once */
  g_assert_false (r.failed);
  g_assert_cmpint (ams_stream_get_state (r.stream), ==, AMS_STREAM_STATE_REQUESTING);
  g_assert_cmpuint (r.retrying->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (r.retrying, 0), ==, "no_stream_exist:1:100");
  g_assert_cmpuint (scripted_count_command (r.ws, "play"), ==, 2);

  /* Published now: the offer starts the media session, then it plays. */
  server_offers (&r);
  g_assert_true (ws_peer_wait (NULL, stream_negotiating, &r, TIMEOUT_MS));
  scripted_send_notification (r.ws, "play_started", "s1");
  g_assert_true (ws_peer_wait (NULL, stream_started, &r, TIMEOUT_MS));
  g_assert_false (r.failed);

  /* The publisher goes away: play_finished means play again, not the end. */
  scripted_send_notification (r.ws, "play_finished", "s1");
  g_assert_true (ws_peer_wait (NULL, plays_at_least_3, &r, TIMEOUT_MS));
  g_assert_false (r.finished);
  g_assert_false (r.failed);
  g_assert_cmpuint (r.retrying->len, ==, 2);
  /* The attempt count starts again after a successful play. */
  g_assert_cmpstr (g_ptr_array_index (r.retrying, 1), ==, "play_finished:1:100");
  g_assert_cmpint (ams_stream_get_state (r.stream), ==, AMS_STREAM_STATE_REQUESTING);

  /* And the next offer is taken as the new media session. */
  server_offers (&r);
  g_assert_true (ws_peer_wait (NULL, stream_negotiating, &r, TIMEOUT_MS));
  teardown (&r);
}

static void
test_no_retry_by_default (void)
{
  Retry r = { 0 };
  setup (&r, 0, 0);
  g_assert_true (ws_peer_wait (NULL, plays_at_least_1, &r, TIMEOUT_MS));
  send_no_stream_exist (r.ws);
  g_assert_true (ws_peer_wait (NULL, stream_failed, &r, TIMEOUT_MS));
  g_assert_cmpint (ams_stream_get_state (r.stream), ==, AMS_STREAM_STATE_FAILED);
  g_assert_error (ams_stream_get_error (r.stream), AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST);
  g_assert_cmpuint (r.retrying->len, ==, 0);
  /* Give a wrongly scheduled retry the time to show. */
  ws_peer_wait (NULL, plays_at_least_2, &r, 300);
  g_assert_cmpuint (scripted_count_command (r.ws, "play"), ==, 1);
  teardown (&r);
}

/* A server that never has the stream: every play gets no_stream_exist. */
static gboolean
answer_plays_until_failed (gpointer data)
{
  Retry *r = data;
  guint plays = scripted_count_command (r->ws, "play");
  while (r->answered < plays) {
    send_no_stream_exist (r->ws);
    r->answered++;
  }
  return r->failed;
}

static void
test_retry_limit (void)
{
  Retry r = { 0 };
  setup (&r, 100, 450);
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (ws_peer_wait (NULL, answer_plays_until_failed, &r, TIMEOUT_MS));
  gint64 took_ms = (g_get_monotonic_time () - t0) / 1000;
  g_assert_error (ams_stream_get_error (r.stream), AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST);
  g_assert_cmpint (ams_stream_get_state (r.stream), ==, AMS_STREAM_STATE_FAILED);
  /* 450 ms at 100 ms a try: at most 4 retries after the first play, and the
   * failure comes at the end of the period, not before. */
  guint plays = scripted_count_command (r.ws, "play");
  g_test_message ("%u plays, failed after %" G_GINT64_FORMAT " ms", plays, took_ms);
  g_assert_cmpuint (plays, >=, 2);
  g_assert_cmpuint (plays, <=, 5);
  g_assert_cmpuint (r.retrying->len, ==, plays - 1);
  g_assert_cmpint (took_ms, >=, 300);
  teardown (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stream/retry/no-stream-then-play", test_retry_then_play);
  g_test_add_func ("/stream/retry/off-by-default", test_no_retry_by_default);
  g_test_add_func ("/stream/retry/limit", test_retry_limit);
  return g_test_run ();
}
