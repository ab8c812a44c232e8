/* test-stream-replay.c: plays against a scripted server (ws-peer), which
 * makes the order of the server's messages exact.
 *
 * - A second play of the same stream id on the same connection, started
 *   before the server's play_finished for the first one arrived (the answer
 *   to the first play's stop crossed the new play): play, stop, play, then
 *   the late play_finished. The new stream must ignore it and stay
 *   requesting; the server's offer then starts its media session, and a
 *   play_finished after that offer does end it.
 * - A player's media is built while its request is answered: the peer
 *   exists before the offer, the offer is applied to that same peer, and the
 *   server's iceServerConfig, arriving after the peer was built, still
 *   reaches its webrtcbin.
 * Everything on 127.0.0.1. */
#include <amsclient/amsclient.h>
#include "media/ams-peer.h"
#include "helpers/scripted-server.h"
#include "client/ams-stream-private.h"   /* white box: the stream's peer */

/* Waits: 16x under valgrind (media waits passed 160 s there at load
 * average 40), 4x under sanitizers. */
#define WAIT_SLOW (g_getenv ("AMS_VALGRIND") ? 16 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)
#define TIMEOUT_MS (30000 * WAIT_SLOW)

typedef struct {
  WsPeer    *ws;
  ScriptedOffer *media;      /* the server's side of the media */
  AmsStream *second;
  gboolean   finished;
} Replay;

static gboolean
one_play (gpointer data)
{
  return scripted_count_command (((Replay *) data)->ws, "play") == 1;
}

static gboolean
stop_and_second_play (gpointer data)
{
  Replay *r = data;
  return scripted_count_command (r->ws, "stop") == 1 && scripted_count_command (r->ws, "play") == 2;
}

static gboolean
second_negotiating (gpointer data)
{
  Replay *r = data;
  return ams_stream_get_state (r->second) == AMS_STREAM_STATE_NEGOTIATING || r->finished;
}

static gboolean
second_finished (gpointer data)
{
  return ((Replay *) data)->finished;
}

static void
on_finished (AmsStream *stream, Replay *r)
{
  r->finished = TRUE;
}

static AmsStream *
new_play (AmsClient *client)
{
  AmsMediaOptions o;
  ams_media_options_init (&o);
  o.ice_filter = "loopback";
  o.stats_interval_ms = 0;
  return ams_stream_new (client, AMS_STREAM_PLAY, "s1", &o);
}

static void
test_late_play_finished (void)
{
  g_autoptr (GError) error = NULL;
  Replay r = { .ws = ws_peer_new (g_main_context_default (), NULL, NULL) };
  g_autoptr (AmsClient) client = scripted_client_connect (r.ws, TIMEOUT_MS);

  /* The first play, stopped before the server said anything. */
  g_autoptr (AmsStream) first = new_play (client);
  g_assert_true (ams_stream_start (first, &error));
  g_assert_true (ws_peer_wait (NULL, one_play, &r, TIMEOUT_MS));
  ams_stream_stop (first);
  g_assert_cmpint (ams_stream_get_state (first), ==, AMS_STREAM_STATE_FINISHED);

  /* The second play of the same id goes out before the answer to the stop. */
  r.second = new_play (client);
  g_signal_connect (r.second, "finished", G_CALLBACK (on_finished), &r);
  g_assert_true (ams_stream_start (r.second, &error));
  g_assert_true (ws_peer_wait (NULL, stop_and_second_play, &r, TIMEOUT_MS));

  /* The answer to the stop, then the offer for the new play, in the order
   * a server handles them. */
  scripted_send_notification (r.ws, "play_finished", "s1");
  r.media = scripted_offer_new (r.ws, "s1");
  g_assert_true (ws_peer_wait (NULL, second_negotiating, &r, TIMEOUT_MS));
  g_assert_false (r.finished);
  g_assert_cmpint (ams_stream_get_state (r.second), ==, AMS_STREAM_STATE_NEGOTIATING);

  /* A play_finished after the offer is the new play's own: it ends it. */
  scripted_send_notification (r.ws, "play_finished", "s1");
  g_assert_true (ws_peer_wait (NULL, second_finished, &r, TIMEOUT_MS));
  g_assert_cmpint (ams_stream_get_state (r.second), ==, AMS_STREAM_STATE_FINISHED);
  g_assert_null (ams_stream_get_error (r.second));

  g_signal_handlers_disconnect_by_data (r.second, &r);
  g_clear_object (&r.second);
  g_clear_object (&first);
  ams_client_disconnect (client);
  g_clear_pointer (&r.media, scripted_offer_free);
  g_clear_object (&client);
  ws_peer_free (r.ws);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
stream_negotiating (gpointer data)
{
  return ams_stream_get_state (data) == AMS_STREAM_STATE_NEGOTIATING;
}

static void
test_prebuilt_peer (void)
{
  g_autoptr (GError) error = NULL;
  Replay r = { .ws = ws_peer_new (g_main_context_default (), NULL, NULL) };
  g_autoptr (AmsClient) client = scripted_client_connect (r.ws, TIMEOUT_MS);

  g_autoptr (AmsStream) stream = new_play (client);
  g_assert_true (ams_stream_start (stream, &error));
  g_assert_no_error (error);
  /* Built at once, before the server said anything. */
  g_assert_cmpint (ams_stream_get_state (stream), ==, AMS_STREAM_STATE_REQUESTING);
  g_assert_nonnull (stream->peer);
  AmsPeer *prebuilt = stream->peer;
  g_assert_true (ws_peer_wait (NULL, one_play, &r, TIMEOUT_MS));

  /* The server's ICE servers, then its offer. */
  ws_peer_send_text (r.ws, "{\"command\":\"iceServerConfig\","
                           "\"stunServerUri\":\"stun:127.0.0.1:3478\"}");
  r.media = scripted_offer_new (r.ws, "s1");
  g_assert_true (ws_peer_wait (NULL, stream_negotiating, stream, TIMEOUT_MS));
  g_assert_true (stream->peer == prebuilt);
  g_assert_true (stream->remote_set);

  g_autofree char *stun = NULL;
  g_object_get (ams_peer_get_webrtcbin (stream->peer), "stun-server", &stun, NULL);
  g_assert_cmpstr (stun, ==, "stun://127.0.0.1:3478");

  ams_stream_stop (stream);
  g_assert_null (stream->peer);
  ams_client_disconnect (client);
  g_clear_pointer (&r.media, scripted_offer_free);
  g_clear_object (&client);
  ws_peer_free (r.ws);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stream/replay/late-play-finished", test_late_play_finished);
  g_test_add_func ("/stream/replay/prebuilt-peer", test_prebuilt_peer);
  return g_test_run ();
}
