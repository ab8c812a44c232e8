/* test-client.c: AmsClient against a scripted WebSocket peer on 127.0.0.1.
 *
 * Each test runs on its own GMainContext with its own peer on a free port.
 * Requests are checked as exact JSON values (same keys, same values, same
 * types); server messages are checked through the typed signal arguments. */
#include <amsclient/amsclient.h>
#include <gio/gio.h>
#include "helpers/ws-peer.h"

#include <glib/gstdio.h>
#include <json-c/json.h>
#include <string.h>

/* Waits scale in slow builds: valgrind (make valgrind sets AMS_VALGRIND) runs
 * the client and its TLS handshakes 20-50x slower, sanitizers 2-4x. */
#define SLOW (g_getenv ("AMS_VALGRIND") ? 8 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)

typedef struct {
  GMainContext *context;
  WsPeer       *peer;
  AmsClient    *client;
  GPtrArray    *events;        /* AmsEvent *, every "event" emission */
  guint         connected;
  guint         disconnected;
  GError       *disconnect_error;
  guint         reconnecting;
  guint         last_attempt;
  GArray       *delays;        /* guint delay_ms per "reconnecting" */
  guint         reconnected;
  guint         pongs;
  gint64        last_rtt;
  guint         protocol_errors;
  GError       *last_protocol_error;
} Fixture;

static void
on_event (AmsClient *client, AmsEvent *event, Fixture *f)
{
  g_ptr_array_add (f->events, ams_event_ref (event));
}

static void on_connected (AmsClient *c, Fixture *f) { f->connected++; }
static void on_reconnected (AmsClient *c, Fixture *f) { f->reconnected++; }

static void
on_disconnected (AmsClient *client, const GError *error, Fixture *f)
{
  f->disconnected++;
  g_clear_error (&f->disconnect_error);
  if (error)
    f->disconnect_error = g_error_copy (error);
}

static void
on_reconnecting (AmsClient *client, guint attempt, guint delay_ms, Fixture *f)
{
  f->reconnecting++;
  f->last_attempt = attempt;
  g_array_append_val (f->delays, delay_ms);
}

static void
on_pong (AmsClient *client, gint64 rtt, Fixture *f)
{
  f->pongs++;
  f->last_rtt = rtt;
}

static void
on_protocol_error (AmsClient *client, const GError *error, Fixture *f)
{
  f->protocol_errors++;
  g_clear_error (&f->last_protocol_error);
  f->last_protocol_error = g_error_copy (error);
}

static void
fixture_setup_with (Fixture *f, const char *cert, const char *key)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->peer = ws_peer_new (f->context, cert, key);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ams_event_unref);
  f->delays = g_array_new (FALSE, FALSE, sizeof (guint));
  f->last_rtt = -2;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_setup_with (f, NULL, NULL);
}

static AmsClient *
make_client (Fixture *f, const char *url)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *default_url = ws_peer_dup_url (f->peer, NULL);
  AmsClient *client = ams_client_new (url ? url : default_url, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ams_client_get_context (client) == f->context);
  g_signal_connect (client, "event", G_CALLBACK (on_event), f);
  g_signal_connect (client, "connected", G_CALLBACK (on_connected), f);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), f);
  g_signal_connect (client, "reconnecting", G_CALLBACK (on_reconnecting), f);
  g_signal_connect (client, "reconnected", G_CALLBACK (on_reconnected), f);
  g_signal_connect (client, "pong", G_CALLBACK (on_pong), f);
  g_signal_connect (client, "protocol-error", G_CALLBACK (on_protocol_error), f);
  f->client = client;
  return client;
}

static void settle (Fixture *f, guint ms);

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->client);
  /* Let the peer see the close before it goes away. */
  if (f->peer)
    settle (f, 50);
  ws_peer_free (f->peer);
  /* Let idle sources scheduled during teardown run before the context goes. */
  for (int i = 0; i < 50 && g_main_context_iteration (f->context, FALSE); i++)
    ;
  g_ptr_array_unref (f->events);
  g_array_unref (f->delays);
  g_clear_error (&f->disconnect_error);
  g_clear_error (&f->last_protocol_error);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

/* ---------------------------------------------------------------- waiting */

typedef struct {
  guint *counter;
  guint  target;
} CountWait;

static gboolean
count_reached (gpointer data)
{
  CountWait *w = data;
  return *w->counter >= w->target;
}

static gboolean
wait_count (Fixture *f, guint *counter, guint target, guint timeout_ms)
{
  CountWait w = { counter, target };
  return ws_peer_wait (f->context, count_reached, &w, timeout_ms * SLOW);
}

typedef struct {
  WsPeer *peer;
  guint   n;
  guint   conn;
} PeerWait;

static gboolean
peer_has_messages (gpointer data)
{
  PeerWait *w = data;
  g_autoptr (GPtrArray) got = ws_peer_dup_non_ping (w->peer, w->conn);
  return got->len >= w->n;
}

static gboolean
wait_peer_messages (Fixture *f, guint n, guint conn, guint timeout_ms)
{
  PeerWait w = { f->peer, n, conn };
  return ws_peer_wait (f->context, peer_has_messages, &w, timeout_ms * SLOW);
}

static void
settle (Fixture *f, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  while (g_get_monotonic_time () < end) {
    if (!g_main_context_iteration (f->context, FALSE))
      g_usleep (500);
  }
}

static void
connect_and_wait (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  guint before = f->connected;
  g_assert_true (ams_client_connect (f->client, &error));
  g_assert_no_error (error);
  g_assert_true (wait_count (f, &f->connected, before + 1, 5000));
  g_assert_cmpint (ams_client_get_state (f->client), ==, AMS_CLIENT_STATE_CONNECTED);
}

static AmsEvent *
find_event (Fixture *f, const char *name, guint skip)
{
  for (guint i = 0; i < f->events->len; i++) {
    AmsEvent *event = g_ptr_array_index (f->events, i);
    if (strcmp (ams_event_get_name (event), name) == 0 && skip-- == 0)
      return event;
  }
  return NULL;
}

/* Same JSON value: same keys (any order), same values and types. */
static void
assert_json_equal (const char *got, const char *expected)
{
  json_object *a = json_tokener_parse (got);
  json_object *b = json_tokener_parse (expected);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  if (!json_object_equal (a, b))
    g_error ("JSON differs:\n  got      %s\n  expected %s", got, expected);
  json_object_put (a);
  json_object_put (b);
}

/* ---------------------------------------------------------------- tests */

static void
test_connect_and_ping (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, NULL);
  g_assert_cmpint (ams_client_get_state (f->client), ==, AMS_CLIENT_STATE_DISCONNECTED);
  connect_and_wait (f);
  g_assert_nonnull (find_event (f, "connected", 0));
  g_assert_cmpint (ams_client_get_rtt (f->client), ==, -1);

  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_ping (f->client, &error));
  g_assert_no_error (error);
  g_assert_true (wait_count (f, &f->pongs, 1, 3000));
  g_assert_cmpint (f->last_rtt, >, 0);
  g_assert_cmpint (f->last_rtt, <, 1000000);
  g_assert_cmpint (ams_client_get_rtt (f->client), ==, f->last_rtt);
  GPtrArray *messages = ws_peer_get_messages (f->peer);
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_cmpstr (((WsPeerMessage *) g_ptr_array_index (messages, 0))->text, ==,
                   "{\"command\":\"ping\"}");
  AmsEvent *pong = find_event (f, "pong", 0);
  g_assert_nonnull (pong);
  gint64 rtt = 0;
  g_assert_true (ams_event_get_int (pong, "rttUs", &rtt));
  g_assert_cmpint (rtt, ==, f->last_rtt);
  g_test_message ("ping/pong round trip on loopback: %" G_GINT64_FORMAT " us", rtt);
}

static void
test_keepalive_interval (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 50, NULL);
  connect_and_wait (f);
  g_assert_true (wait_count (f, &f->pongs, 4, 3000));
  /* Only pings were sent, each answered. */
  g_autoptr (GPtrArray) other = ws_peer_dup_non_ping (f->peer, 0);
  g_assert_cmpuint (other->len, ==, 0);
  g_assert_cmpuint (f->disconnected, ==, 0);
}

typedef struct {
  const char *expected;
  gboolean  (*send) (AmsClient *client, GError **error);
} RequestCase;

static gboolean
req_publish_full (AmsClient *c, GError **e)
{
  AmsPublishParams p;
  ams_publish_params_init (&p, "stream1");
  p.token = "tok";
  p.subscriber_id = "sub1";
  p.subscriber_code = "123456";
  p.stream_name = "My stream";
  p.main_track = "room1";
  p.meta_data = "{\"mic\":true}";
  p.role = "host";
  p.audio = FALSE;
  return ams_client_publish (c, &p, e);
}

static gboolean
req_publish_min (AmsClient *c, GError **e)
{
  AmsPublishParams p;
  ams_publish_params_init (&p, "stream2");
  return ams_client_publish (c, &p, e);
}

static gboolean
req_play_full (AmsClient *c, GError **e)
{
  static const char *const tracks[] = { "t1", "!t2", NULL };
  AmsPlayParams p;
  ams_play_params_init (&p, "room1");
  p.token = "tok";
  p.room = "room1";
  p.track_list = tracks;
  p.subscriber_id = "sub1";
  p.subscriber_name = "Alice";
  p.subscriber_code = "654321";
  p.viewer_info = "info";
  p.role = "viewer";
  p.user_publish_id = "stream1";
  p.disable_tracks_by_default = TRUE;
  return ams_client_play (c, &p, e);
}

static gboolean
req_play_min (AmsClient *c, GError **e)
{
  AmsPlayParams p;
  ams_play_params_init (&p, "s3");
  return ams_client_play (c, &p, e);
}

static gboolean req_stop (AmsClient *c, GError **e) { return ams_client_stop (c, "s3", e); }
static gboolean req_take_configuration (AmsClient *c, GError **e)
{ return ams_client_take_configuration (c, "stream1", "offer", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n", e); }
static gboolean req_take_candidate (AmsClient *c, GError **e)
{ return ams_client_take_candidate (c, "stream1", 1, "1", "candidate:1 1 UDP 2122 127.0.0.1 5000 typ host", e); }
static gboolean req_join (AmsClient *c, GError **e) { return ams_client_join (c, "p2p1", "both", TRUE, e); }
static gboolean req_join_min (AmsClient *c, GError **e) { return ams_client_join (c, "p2p2", NULL, FALSE, e); }
static gboolean req_leave (AmsClient *c, GError **e) { return ams_client_leave (c, "p2p2", e); }
static gboolean req_join_room (AmsClient *c, GError **e) { return ams_client_join_room (c, "room1", "me", "multitrack", e); }
static gboolean req_leave_room (AmsClient *c, GError **e) { return ams_client_leave_from_room (c, "room1", "me", e); }
static gboolean req_room_info (AmsClient *c, GError **e) { return ams_client_get_room_info (c, "room1", "me", e); }
static gboolean req_stream_info (AmsClient *c, GError **e) { return ams_client_get_stream_info (c, "stream1", e); }
static gboolean req_force_quality (AmsClient *c, GError **e) { return ams_client_force_stream_quality (c, "stream1", 360, NULL, e); }
static gboolean req_force_quality_track (AmsClient *c, GError **e) { return ams_client_force_stream_quality (c, "room1", 0, "sub2", e); }
static gboolean req_toggle_video (AmsClient *c, GError **e) { return ams_client_toggle_video (c, "stream1", NULL, FALSE, e); }
static gboolean req_toggle_audio (AmsClient *c, GError **e) { return ams_client_toggle_audio (c, "room1", "sub2", TRUE, e); }
static gboolean req_enable_track (AmsClient *c, GError **e) { return ams_client_enable_track (c, "room1", "sub2", FALSE, e); }
static gboolean req_track_list (AmsClient *c, GError **e) { return ams_client_get_track_list (c, "room1", "tok", e); }
static gboolean req_broadcast (AmsClient *c, GError **e) { return ams_client_get_broadcast_object (c, "room1", e); }
static gboolean req_subtracks (AmsClient *c, GError **e) { return ams_client_get_subtracks (c, "room1", "host", 0, 10, e); }
static gboolean req_subtracks_min (AmsClient *c, GError **e) { return ams_client_get_subtracks (c, "room1", NULL, -1, -1, e); }
static gboolean req_subtracks_count (AmsClient *c, GError **e) { return ams_client_get_subtracks_count (c, "room1", "host", "broadcasting", e); }
static gboolean req_subscriber_count (AmsClient *c, GError **e) { return ams_client_get_subscriber_count (c, "stream1", e); }
static gboolean req_subscribers (AmsClient *c, GError **e) { return ams_client_get_subscribers (c, "stream1", 5, 20, e); }
static gboolean req_meta (AmsClient *c, GError **e) { return ams_client_update_stream_meta_data (c, "stream1", "{\"cam\":false}", e); }
static gboolean req_peer_message (AmsClient *c, GError **e) { return ams_client_peer_message (c, "p2p1", "chat", "hello", e); }
static gboolean req_ice (AmsClient *c, GError **e) { return ams_client_get_ice_server_config (c, e); }
static gboolean req_debug (AmsClient *c, GError **e) { return ams_client_get_debug_info (c, "stream1", e); }
static gboolean req_vta (AmsClient *c, GError **e) { return ams_client_get_video_track_assignments (c, "room1", e); }
static gboolean req_assign (AmsClient *c, GError **e) { return ams_client_assign_video_track (c, "sub2", "videoTrack0", TRUE, e); }
static gboolean req_update_vta (AmsClient *c, GError **e) { return ams_client_update_video_track_assignments (c, "room1", 2, 4, e); }
static gboolean req_max_tracks (AmsClient *c, GError **e) { return ams_client_set_max_video_track_count (c, "stream1", 6, e); }
static gboolean req_raw (AmsClient *c, GError **e)
{ return ams_client_send_json (c, "{\"command\":\"registerPushNotificationToken\",\"subscriberId\":\"s\",\"token\":\"jwt\",\"pnsRegistrationToken\":\"r\",\"pnsType\":\"fcm\"}", e); }

static const RequestCase request_cases[] = {
  { "{\"command\":\"publish\",\"streamId\":\"stream1\",\"token\":\"tok\",\"subscriberId\":\"sub1\","
    "\"subscriberCode\":\"123456\",\"streamName\":\"My stream\",\"mainTrack\":\"room1\","
    "\"metaData\":\"{\\\"mic\\\":true}\",\"role\":\"host\",\"video\":true,\"audio\":false}", req_publish_full },
  { "{\"command\":\"publish\",\"streamId\":\"stream2\",\"video\":true,\"audio\":true}", req_publish_min },
  { "{\"command\":\"play\",\"streamId\":\"room1\",\"token\":\"tok\",\"room\":\"room1\","
    "\"trackList\":[\"t1\",\"!t2\"],\"subscriberId\":\"sub1\",\"subscriberName\":\"Alice\","
    "\"subscriberCode\":\"654321\",\"viewerInfo\":\"info\",\"role\":\"viewer\","
    "\"userPublishId\":\"stream1\",\"disableTracksByDefault\":true}", req_play_full },
  { "{\"command\":\"play\",\"streamId\":\"s3\"}", req_play_min },
  { "{\"command\":\"stop\",\"streamId\":\"s3\"}", req_stop },
  { "{\"command\":\"takeConfiguration\",\"streamId\":\"stream1\",\"type\":\"offer\","
    "\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\n\"}", req_take_configuration },
  { "{\"command\":\"takeCandidate\",\"streamId\":\"stream1\",\"label\":1,\"id\":\"1\","
    "\"candidate\":\"candidate:1 1 UDP 2122 127.0.0.1 5000 typ host\"}", req_take_candidate },
  { "{\"command\":\"join\",\"streamId\":\"p2p1\",\"mode\":\"both\",\"multiPeer\":true}", req_join },
  { "{\"command\":\"join\",\"streamId\":\"p2p2\"}", req_join_min },
  { "{\"command\":\"leave\",\"streamId\":\"p2p2\"}", req_leave },
  { "{\"command\":\"joinRoom\",\"room\":\"room1\",\"streamId\":\"me\",\"mode\":\"multitrack\"}", req_join_room },
  { "{\"command\":\"leaveFromRoom\",\"room\":\"room1\",\"streamId\":\"me\"}", req_leave_room },
  { "{\"command\":\"getRoomInfo\",\"room\":\"room1\",\"streamId\":\"me\"}", req_room_info },
  { "{\"command\":\"getStreamInfo\",\"streamId\":\"stream1\"}", req_stream_info },
  { "{\"command\":\"forceStreamQuality\",\"streamId\":\"stream1\",\"streamHeight\":360}", req_force_quality },
  { "{\"command\":\"forceStreamQuality\",\"streamId\":\"room1\",\"streamHeight\":0,\"trackId\":\"sub2\"}",
    req_force_quality_track },
  { "{\"command\":\"toggleVideo\",\"streamId\":\"stream1\",\"trackId\":\"stream1\",\"enabled\":false}",
    req_toggle_video },
  { "{\"command\":\"toggleAudio\",\"streamId\":\"room1\",\"trackId\":\"sub2\",\"enabled\":true}", req_toggle_audio },
  { "{\"command\":\"enableTrack\",\"streamId\":\"room1\",\"trackId\":\"sub2\",\"enabled\":false}", req_enable_track },
  { "{\"command\":\"getTrackList\",\"streamId\":\"room1\",\"token\":\"tok\"}", req_track_list },
  { "{\"command\":\"getBroadcastObject\",\"streamId\":\"room1\"}", req_broadcast },
  { "{\"command\":\"getSubtracks\",\"streamId\":\"room1\",\"role\":\"host\",\"offset\":0,\"size\":10}", req_subtracks },
  { "{\"command\":\"getSubtracks\",\"streamId\":\"room1\"}", req_subtracks_min },
  { "{\"command\":\"getSubtracksCount\",\"streamId\":\"room1\",\"role\":\"host\",\"status\":\"broadcasting\"}",
    req_subtracks_count },
  { "{\"command\":\"getSubscriberCount\",\"streamId\":\"stream1\"}", req_subscriber_count },
  { "{\"command\":\"getSubscribers\",\"streamId\":\"stream1\",\"offset\":5,\"size\":20}", req_subscribers },
  { "{\"command\":\"updateStreamMetaData\",\"streamId\":\"stream1\",\"metaData\":\"{\\\"cam\\\":false}\"}", req_meta },
  { "{\"command\":\"peerMessageCommand\",\"streamId\":\"p2p1\",\"definition\":\"chat\",\"data\":\"hello\"}",
    req_peer_message },
  { "{\"command\":\"getIceServerConfig\"}", req_ice },
  { "{\"command\":\"getDebugInfo\",\"streamId\":\"stream1\"}", req_debug },
  { "{\"command\":\"getVideoTrackAssignmentsCommand\",\"streamId\":\"room1\"}", req_vta },
  { "{\"command\":\"assignVideoTrackCommand\",\"streamId\":\"sub2\",\"videoTrackId\":\"videoTrack0\",\"enabled\":true}",
    req_assign },
  { "{\"command\":\"updateVideoTrackAssignmentsCommand\",\"streamId\":\"room1\",\"offset\":2,\"size\":4}", req_update_vta },
  { "{\"command\":\"setMaxVideoTrackCountCommand\",\"streamId\":\"stream1\",\"maxTrackCount\":6}", req_max_tracks },
  { "{\"command\":\"registerPushNotificationToken\",\"subscriberId\":\"s\",\"token\":\"jwt\","
    "\"pnsRegistrationToken\":\"r\",\"pnsType\":\"fcm\"}", req_raw },
};

static void
test_requests_encode (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, NULL);
  connect_and_wait (f);
  for (guint i = 0; i < G_N_ELEMENTS (request_cases); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_true (request_cases[i].send (f->client, &error));
    g_assert_no_error (error);
  }
  g_assert_true (wait_peer_messages (f, G_N_ELEMENTS (request_cases), 0, 5000));
  g_autoptr (GPtrArray) got = ws_peer_dup_non_ping (f->peer, 0);
  g_assert_cmpuint (got->len, ==, G_N_ELEMENTS (request_cases));
  for (guint i = 0; i < got->len; i++)
    assert_json_equal (g_ptr_array_index (got, i), request_cases[i].expected);
}

static void
test_requests_invalid (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_autoptr (GError) error = NULL;

  /* Not connected: refused, not queued. */
  g_assert_false (ams_client_get_stream_info (f->client, "s1", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_false (ams_client_ping (f->client, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  g_object_set (f->client, "ping-interval", 0, NULL);
  connect_and_wait (f);
  g_assert_false (ams_client_connect (f->client, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_FAILED);
  g_clear_error (&error);

  AmsPublishParams pub;
  ams_publish_params_init (&pub, NULL);
  g_assert_false (ams_client_publish (f->client, &pub, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  ams_publish_params_init (&pub, "bad id!");
  g_assert_false (ams_client_publish (f->client, &pub, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_client_publish (f->client, NULL, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_client_take_configuration (f->client, "s1", "pranswer", "v=0", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_client_take_configuration (f->client, "s1", "offer", "", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_client_take_candidate (f->client, "s1", 0, NULL, NULL, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_client_join_room (f->client, NULL, NULL, NULL, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_client_enable_track (f->client, "room1", NULL, TRUE, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_client_send_json (f->client, "{\"no\":\"command\"}", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (ams_client_send_json (f->client, "[1]", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (ams_client_send_json (f->client, "{\"command\":\"publish\",\"streamId\":5}", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* A request over the size cap is refused before it reaches the socket. */
  g_object_set (f->client, "max-message-size", (guint64) 256, NULL);
  g_autofree char *big = g_strnfill (400, 'a');
  g_assert_false (ams_client_update_stream_meta_data (f->client, "s1", big, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG);
  g_clear_error (&error);

  /* Nothing invalid reached the peer. */
  settle (f, 100);
  g_autoptr (GPtrArray) got = ws_peer_dup_non_ping (f->peer, 0);
  g_assert_cmpuint (got->len, ==, 0);
}

static void
test_queue_while_connecting (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_connect (f->client, &error));
  g_assert_cmpint (ams_client_get_state (f->client), ==, AMS_CLIENT_STATE_CONNECTING);
  /* Made before the socket is open: queued, in order, none dropped. */
  g_assert_true (ams_client_get_stream_info (f->client, "a", &error));
  g_assert_true (ams_client_get_stream_info (f->client, "b", &error));
  g_assert_true (ams_client_get_ice_server_config (f->client, &error));
  g_assert_no_error (error);
  g_assert_true (wait_count (f, &f->connected, 1, 5000));
  g_assert_true (wait_peer_messages (f, 3, 0, 3000));
  settle (f, 50);
  g_autoptr (GPtrArray) got = ws_peer_dup_non_ping (f->peer, 0);
  g_assert_cmpuint (got->len, ==, 3);
  assert_json_equal (g_ptr_array_index (got, 0), "{\"command\":\"getStreamInfo\",\"streamId\":\"a\"}");
  assert_json_equal (g_ptr_array_index (got, 1), "{\"command\":\"getStreamInfo\",\"streamId\":\"b\"}");
  assert_json_equal (g_ptr_array_index (got, 2), "{\"command\":\"getIceServerConfig\"}");
}

static void
test_queue_bounded (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "max-queued", 3, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_connect (f->client, &error));
  for (int i = 0; i < 3; i++)
    g_assert_true (ams_client_get_stream_info (f->client, "a", &error));
  g_assert_false (ams_client_get_stream_info (f->client, "a", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_assert_true (wait_peer_messages (f, 3, 0, 3000));
}

/* ---------------------------------------------------------------- server messages */

typedef struct {
  guint   count;
  char   *args;   /* the typed arguments, printed */
} SignalLog;

static void
log_args (SignalLog *log, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_free (log->args);
  log->args = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  log->count++;
}

static void sig_start (AmsClient *c, AmsEvent *e, const char *id, SignalLog *l)
{ log_args (l, "start %s %s", ams_event_get_name (e), id); }
static void sig_take_configuration (AmsClient *c, AmsEvent *e, const char *id, const char *type,
                                    const char *sdp, SignalLog *l)
{ log_args (l, "take-configuration %s %s %s", id, type, sdp); }
static void sig_take_candidate (AmsClient *c, AmsEvent *e, const char *id, gint label, const char *mid,
                                const char *cand, SignalLog *l)
{ log_args (l, "take-candidate %s %d %s %s", id, label, mid, cand); }
static void sig_stop (AmsClient *c, AmsEvent *e, const char *id, SignalLog *l)
{ log_args (l, "stop %s", id); }
static void sig_stream_information (AmsClient *c, AmsEvent *e, const char *id, SignalLog *l)
{
  g_autofree char *info = ams_event_dup_json (e, "streamInfo");
  log_args (l, "stream-information %s %s", id, info);
}
static void sig_room_information (AmsClient *c, AmsEvent *e, const char *room, SignalLog *l)
{
  g_auto (GStrv) streams = ams_event_dup_strv (e, "streams");
  g_autofree char *joined = g_strjoinv (",", streams);
  log_args (l, "room-information %s %s", room, joined);
}
static void sig_track_list (AmsClient *c, AmsEvent *e, const char *id, GStrv tracks, SignalLog *l)
{
  g_autofree char *joined = g_strjoinv (",", tracks);
  log_args (l, "track-list %s %s", id, joined);
}
static void sig_peer_message (AmsClient *c, AmsEvent *e, const char *id, const char *definition,
                              SignalLog *l)
{ log_args (l, "peer-message %s %s %s", id, definition, ams_event_get_string (e, "data")); }
static void sig_new_id (AmsClient *c, AmsEvent *e, const char *id, SignalLog *l)
{ log_args (l, "connect-with-new-id %s", id); }
static void sig_new_p2p (AmsClient *c, AmsEvent *e, const char *id, SignalLog *l)
{ log_args (l, "start-new-p2p-connection %s", id); }
static void sig_ice (AmsClient *c, AmsEvent *e, const char *uri, SignalLog *l)
{ log_args (l, "ice-server-config %s %s", uri, ams_event_get_string (e, "turnServerUsername")); }
static void sig_notification (AmsClient *c, AmsEvent *e, const char *id, SignalLog *l)
{
  gint64 n = -1;
  ams_event_get_int (e, "count", &n);
  log_args (l, "notification %s %s %" G_GINT64_FORMAT, ams_event_get_name (e), id, n);
}
static void sig_publish_started (AmsClient *c, AmsEvent *e, const char *id, SignalLog *l)
{ log_args (l, "publish_started-detail %s", id); }
static void sig_server_error (AmsClient *c, const GError *error, AmsEvent *e, SignalLog *l)
{
  log_args (l, "server-error %s %d %s", g_quark_to_string (error->domain), error->code,
            ams_event_get_stream_id (e));
}
static void sig_message (AmsClient *c, AmsEvent *e, SignalLog *l)
{ log_args (l, "message %s", ams_event_get_name (e)); }

typedef struct {
  const char *json;
  const char *expected;
} ServerCase;

static const ServerCase server_cases[] = {
  { "{\"command\":\"start\",\"streamId\":\"s1\",\"subscriberId\":null}", "start start s1" },
  { "{\"sdp\":\"v=0\\r\\n\",\"type\":\"answer\",\"command\":\"takeConfiguration\",\"streamId\":\"s1\","
    "\"linkSession\":null,\"idMapping\":{\"0\":\"ARDAMSvs1\"}}", "take-configuration s1 answer v=0\r\n" },
  { "{\"command\":\"takeCandidate\",\"streamId\":\"s1\",\"label\":0,\"id\":\"0\","
    "\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\"}",
    "take-candidate s1 0 0 candidate:1 1 udp 1 127.0.0.1 9 typ host" },
  { "{\"command\":\"stop\",\"streamId\":\"p1\"}", "stop p1" },
  { "{\"command\":\"streamInformation\",\"streamId\":\"s1\",\"streamInfo\":[{\"streamWidth\":640,"
    "\"streamHeight\":480,\"videoBitrate\":500000,\"audioBitrate\":32000,\"videoCodec\":\"VP8\"}]}",
    "stream-information s1 [{\"streamWidth\":640,\"streamHeight\":480,\"videoBitrate\":500000,"
    "\"audioBitrate\":32000,\"videoCodec\":\"VP8\"}]" },
  { "{\"command\":\"roomInformation\",\"room\":\"r1\",\"ATTR_ROOM_NAME\":\"r1\",\"streams\":[\"a\",\"b\"],"
    "\"streamList\":[{\"streamId\":\"a\",\"streamName\":null,\"metaData\":null}]}", "room-information r1 a,b" },
  { "{\"command\":\"trackList\",\"streamId\":\"r1\",\"trackList\":[\"t1\",\"t2\"]}", "track-list r1 t1,t2" },
  { "{\"command\":\"peerMessageCommand\",\"streamId\":\"p1\",\"definition\":\"chat\",\"data\":\"hi\"}",
    "peer-message p1 chat hi" },
  { "{\"command\":\"connectWithNewId\",\"streamId\":\"p1-2\"}", "connect-with-new-id p1-2" },
  { "{\"command\":\"startNewP2PConnection\",\"streamId\":\"p1-3\"}", "start-new-p2p-connection p1-3" },
  { "{\"command\":\"iceServerConfig\",\"stunServerUri\":\"turn:127.0.0.1:3478\",\"turnServerUsername\":\"u\","
    "\"turnServerCredential\":\"p\"}", "ice-server-config turn:127.0.0.1:3478 u" },
  { "{\"command\":\"notification\",\"definition\":\"play_finished\",\"streamId\":\"s2\"}",
    "notification play_finished s2 -1" },
  { "{\"definition\":\"subscriberCount\",\"command\":\"notification\",\"streamId\":\"s1\",\"count\":7}",
    "notification subscriberCount s1 7" },
  { "{\"command\":\"error\",\"definition\":\"no_stream_exist\",\"streamId\":\"s9\",\"error_code\":\"404\"}",
    "server-error ams-error-quark 103 s9" },
  { "{\"command\":\"error\",\"definition\":\"someFutureError\"}", "server-error ams-error-quark 17 (null)" },
  { "{\"command\":\"someFutureCommand\",\"x\":1}", "message someFutureCommand" },
};

static void
test_server_messages (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, NULL);
  SignalLog log = { 0 };
  SignalLog detail_log = { 0 };
  g_signal_connect (f->client, "start", G_CALLBACK (sig_start), &log);
  g_signal_connect (f->client, "take-configuration", G_CALLBACK (sig_take_configuration), &log);
  g_signal_connect (f->client, "take-candidate", G_CALLBACK (sig_take_candidate), &log);
  g_signal_connect (f->client, "stop", G_CALLBACK (sig_stop), &log);
  g_signal_connect (f->client, "stream-information", G_CALLBACK (sig_stream_information), &log);
  g_signal_connect (f->client, "room-information", G_CALLBACK (sig_room_information), &log);
  g_signal_connect (f->client, "track-list", G_CALLBACK (sig_track_list), &log);
  g_signal_connect (f->client, "peer-message", G_CALLBACK (sig_peer_message), &log);
  g_signal_connect (f->client, "connect-with-new-id", G_CALLBACK (sig_new_id), &log);
  g_signal_connect (f->client, "start-new-p2p-connection", G_CALLBACK (sig_new_p2p), &log);
  g_signal_connect (f->client, "ice-server-config", G_CALLBACK (sig_ice), &log);
  g_signal_connect (f->client, "notification", G_CALLBACK (sig_notification), &log);
  g_signal_connect (f->client, "notification::publish_started", G_CALLBACK (sig_publish_started),
                    &detail_log);
  g_signal_connect (f->client, "server-error", G_CALLBACK (sig_server_error), &log);
  g_signal_connect (f->client, "message", G_CALLBACK (sig_message), &log);
  connect_and_wait (f);

  for (guint i = 0; i < G_N_ELEMENTS (server_cases); i++) {
    guint before = log.count;
    ws_peer_send_text (f->peer, server_cases[i].json);
    g_assert_true (wait_count (f, &log.count, before + 1, 3000));
    g_assert_cmpstr (log.args, ==, server_cases[i].expected);
  }
  g_assert_cmpuint (detail_log.count, ==, 0);

  /* The detailed signal fires only for its own definition. */
  ws_peer_send_text (f->peer, "{\"command\":\"notification\",\"definition\":\"publish_started\","
                              "\"streamId\":\"s1\",\"subscriberId\":\"\"}");
  g_assert_true (wait_count (f, &detail_log.count, 1, 3000));
  g_assert_cmpstr (detail_log.args, ==, "publish_started-detail s1");

  /* Every message also came through "event", named by command or definition,
   * and its fields survived: check the error's mapping and its JSON form. */
  AmsEvent *error_event = find_event (f, "no_stream_exist", 0);
  g_assert_nonnull (error_event);
  g_autoptr (GError) mapped = ams_event_get_error (error_event);
  g_assert_error (mapped, AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST);
  g_assert_nonnull (strstr (mapped->message, "no_stream_exist"));
  gint64 code = 0;
  g_assert_true (ams_event_get_int (error_event, "error_code", &code));
  g_assert_cmpint (code, ==, 404);
  g_autofree char *json = ams_event_to_json (error_event);
  assert_json_equal (json, "{\"event\":\"no_stream_exist\",\"command\":\"error\",\"definition\":"
                           "\"no_stream_exist\",\"streamId\":\"s9\",\"error_code\":\"404\"}");
  g_assert_true (g_str_has_prefix (json, "{\"event\":\"no_stream_exist\","));
  AmsEvent *start = find_event (f, "start", 0);
  g_assert_nonnull (start);
  g_assert_true (ams_event_has_field (start, "subscriberId"));
  g_assert_null (ams_event_get_string (start, "subscriberId"));
  g_assert_cmpuint (f->protocol_errors, ==, 0);
  g_assert_cmpuint (f->disconnected, ==, 0);
  g_free (log.args);
  g_free (detail_log.args);
}

/* ---------------------------------------------------------------- faults */

static void
test_garbage (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, NULL);
  connect_and_wait (f);
  static const char *const garbage[] = {
    "not json at all", "[1,2,3]", "{\"command\":5}", "{\"nocommand\":true}", "{\"command\":\"start\"",
    "{\"command\":\"takeCandidate\",\"streamId\":\"s\",\"label\":\"zero\",\"candidate\":\"c\"}", "",
    "\xff\xfe\x00garbage",
  };
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    ws_peer_send_text (f->peer, garbage[i]);
  const guchar binary[] = { 0, 1, 2, 3, 255 };
  ws_peer_send_binary (f->peer, binary, sizeof binary);
  g_assert_true (wait_count (f, &f->protocol_errors, G_N_ELEMENTS (garbage) + 1, 3000));
  g_assert_true (f->last_protocol_error->domain == AMS_ERROR);
  g_assert_cmpint (f->last_protocol_error->code, ==, AMS_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (f->last_protocol_error->message, "binary"));
  AmsEvent *event = find_event (f, "protocol-error", 0);
  g_assert_nonnull (event);
  g_autoptr (GError) error = ams_event_get_error (event);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);

  /* Still connected and working. */
  g_assert_cmpuint (f->disconnected, ==, 0);
  g_assert_true (ams_client_ping (f->client, NULL));
  g_assert_true (wait_count (f, &f->pongs, 1, 3000));
}

static void
test_fragmented (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, NULL);
  SignalLog log = { 0 };
  g_signal_connect (f->client, "take-configuration", G_CALLBACK (sig_take_configuration), &log);
  connect_and_wait (f);

  /* A 200 KB SDP in 16 fragments, under the 1 MiB default cap. */
  GString *sdp = g_string_new ("v=0\r\n");
  while (sdp->len < 200 * 1024)
    g_string_append (sdp, "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n");
  json_object *msg = json_object_new_object ();
  json_object_object_add (msg, "command", json_object_new_string ("takeConfiguration"));
  json_object_object_add (msg, "streamId", json_object_new_string ("big"));
  json_object_object_add (msg, "type", json_object_new_string ("offer"));
  json_object_object_add (msg, "sdp", json_object_new_string (sdp->str));
  ws_peer_send_fragmented (f->peer, json_object_to_json_string_ext (msg, JSON_C_TO_STRING_PLAIN), 16);
  g_assert_true (wait_count (f, &log.count, 1, 5000));
  g_autofree char *expected = g_strdup_printf ("take-configuration big offer %s", sdp->str);
  g_assert_true (strcmp (log.args, expected) == 0);
  json_object_put (msg);
  g_string_free (sdp, TRUE);

  /* A small one split in 5. */
  ws_peer_send_fragmented (f->peer, "{\"command\":\"takeConfiguration\",\"streamId\":\"s\","
                                    "\"type\":\"answer\",\"sdp\":\"v=0\"}", 5);
  g_assert_true (wait_count (f, &log.count, 2, 3000));
  g_assert_cmpstr (log.args, ==, "take-configuration s answer v=0");
  g_assert_cmpuint (f->protocol_errors, ==, 0);
  g_free (log.args);
}

static void
test_oversize (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "max-message-size", (guint64) 4096, "reconnect", FALSE, NULL);
  connect_and_wait (f);
  GString *big = g_string_new ("{\"command\":\"notification\",\"definition\":\"debugInfo\",\"debugInfo\":\"");
  while (big->len < 10000)
    g_string_append (big, "xxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}");
  ws_peer_send_text (f->peer, big->str);
  g_string_free (big, TRUE);
  g_assert_true (wait_count (f, &f->disconnected, 1, 5000));
  g_assert_error (f->disconnect_error, AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG);
  settle (f, 50);
  g_assert_cmpint (ws_peer_get_last_close_code (f->peer), ==, 1009);
  g_assert_cmpint (ams_client_get_state (f->client), ==, AMS_CLIENT_STATE_DISCONNECTED);
}

static void
test_watchdog (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 100, "pong-misses", 2, "reconnect", FALSE, NULL);
  connect_and_wait (f);
  g_assert_true (wait_count (f, &f->pongs, 2, 3000));
  ws_peer_set_answer_pings (f->peer, FALSE);
  gint64 silent_since = g_get_monotonic_time ();
  g_assert_true (wait_count (f, &f->disconnected, 1, 3000));
  gint64 detected_ms = (g_get_monotonic_time () - silent_since) / 1000;
  g_assert_error (f->disconnect_error, AMS_ERROR, AMS_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (f->disconnect_error->message, "no pong"));
  /* Two missed pongs at 100 ms: declared dead after 2-3 intervals. */
  g_assert_cmpint (detected_ms, >=, 150);
  g_assert_cmpint (detected_ms, <=, 1000);
  g_test_message ("watchdog: dead %" G_GINT64_FORMAT " ms after the server went silent", detected_ms);
}

static void
test_watchdog_reconnects (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 80, "reconnect-base", 20, "reconnect-jitter", 0, NULL);
  connect_and_wait (f);
  ws_peer_set_answer_pings (f->peer, FALSE);
  g_assert_true (wait_count (f, &f->reconnecting, 1, 3000));
  ws_peer_set_answer_pings (f->peer, TRUE);
  g_assert_true (wait_count (f, &f->reconnected, 1, 3000));
  g_assert_cmpuint (ws_peer_get_connections (f->peer), ==, 2);
  AmsEvent *event = find_event (f, "reconnecting", 0);
  g_autoptr (GError) why = ams_event_get_error (event);
  g_assert_error (why, AMS_ERROR, AMS_ERROR_TIMEOUT);
}

static void
start_sessions (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  AmsPublishParams pub;
  ams_publish_params_init (&pub, "pub1");
  pub.token = "tok";
  pub.stream_name = "camera";
  g_assert_true (ams_client_publish (f->client, &pub, &error));
  static const char *const tracks[] = { "a", NULL };
  AmsPlayParams play;
  ams_play_params_init (&play, "play1");
  play.track_list = tracks;
  play.subscriber_name = "bob";
  g_assert_true (ams_client_play (f->client, &play, &error));
  g_assert_true (ams_client_join (f->client, "p2p1", "both", FALSE, &error));
  g_assert_true (ams_client_join_room (f->client, "room1", "pub1", "multitrack", &error));
  g_assert_true (ams_client_get_stream_info (f->client, "pub1", &error));  /* not a session */
  g_assert_no_error (error);
}

#define PUB1 "{\"command\":\"publish\",\"streamId\":\"pub1\",\"token\":\"tok\",\"streamName\":\"camera\"," \
             "\"video\":true,\"audio\":true}"
#define PLAY1 "{\"command\":\"play\",\"streamId\":\"play1\",\"trackList\":[\"a\"],\"subscriberName\":\"bob\"}"
#define JOIN1 "{\"command\":\"join\",\"streamId\":\"p2p1\",\"mode\":\"both\"}"
#define ROOM1 "{\"command\":\"joinRoom\",\"room\":\"room1\",\"streamId\":\"pub1\",\"mode\":\"multitrack\"}"

static void
test_reconnect_reissues_once (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "reconnect-base", 40, "reconnect-jitter", 0, NULL);
  connect_and_wait (f);
  start_sessions (f);
  g_assert_true (wait_peer_messages (f, 5, 1, 3000));

  /* The server drops the TCP connection with no close frame. */
  ws_peer_drop (f->peer);
  g_assert_true (wait_count (f, &f->reconnected, 1, 5000));
  g_assert_cmpuint (f->reconnecting, ==, 1);
  g_assert_cmpuint (g_array_index (f->delays, guint, 0), ==, 40);
  g_assert_cmpuint (ws_peer_get_connections (f->peer), ==, 2);
  AmsEvent *why_event = find_event (f, "reconnecting", 0);
  g_autoptr (GError) why = ams_event_get_error (why_event);
  g_assert_error (why, AMS_ERROR, AMS_ERROR_CLOSED);

  /* Exactly the four sessions, once each, same parameters, and nothing else. */
  settle (f, 200);
  g_autoptr (GPtrArray) second = ws_peer_dup_non_ping (f->peer, 2);
  g_assert_cmpuint (second->len, ==, 4);
  assert_json_equal (g_ptr_array_index (second, 0), PUB1);
  assert_json_equal (g_ptr_array_index (second, 1), PLAY1);
  assert_json_equal (g_ptr_array_index (second, 2), JOIN1);
  assert_json_equal (g_ptr_array_index (second, 3), ROOM1);

  /* Stopping play1 and leaving the P2P session removes them; a second drop
   * re-issues only what is left. */
  g_assert_true (ams_client_stop (f->client, "play1", NULL));
  g_assert_true (ams_client_leave (f->client, "p2p1", NULL));
  g_assert_true (wait_peer_messages (f, 6, 2, 3000));
  ws_peer_drop (f->peer);
  g_assert_true (wait_count (f, &f->reconnected, 2, 5000));
  settle (f, 200);
  g_autoptr (GPtrArray) third = ws_peer_dup_non_ping (f->peer, 3);
  g_assert_cmpuint (third->len, ==, 2);
  assert_json_equal (g_ptr_array_index (third, 0), PUB1);
  assert_json_equal (g_ptr_array_index (third, 1), ROOM1);
  g_assert_cmpuint (f->disconnected, ==, 0);
}

static void
test_server_ended_sessions_not_reissued (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "reconnect-base", 30, "reconnect-jitter", 0, NULL);
  connect_and_wait (f);
  start_sessions (f);
  g_assert_true (wait_peer_messages (f, 5, 1, 3000));
  guint before = f->events->len;
  ws_peer_send_text (f->peer, "{\"command\":\"notification\",\"definition\":\"play_finished\","
                              "\"streamId\":\"play1\"}");
  ws_peer_send_text (f->peer, "{\"command\":\"notification\",\"definition\":\"leavedFromRoom\","
                              "\"ATTR_ROOM_NAME\":\"room1\"}");
  /* A finished notification for another stream changes nothing. */
  ws_peer_send_text (f->peer, "{\"command\":\"notification\",\"definition\":\"publish_finished\","
                              "\"streamId\":\"other\"}");
  guint target = before + 3;
  g_assert_true (wait_count (f, &f->events->len, target, 3000));
  ws_peer_drop (f->peer);
  g_assert_true (wait_count (f, &f->reconnected, 1, 5000));
  settle (f, 150);
  g_autoptr (GPtrArray) second = ws_peer_dup_non_ping (f->peer, 2);
  g_assert_cmpuint (second->len, ==, 2);
  assert_json_equal (g_ptr_array_index (second, 0), PUB1);
  assert_json_equal (g_ptr_array_index (second, 1), JOIN1);
}

static void
test_reconnect_backoff_and_limit (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "reconnect-base", 20, "reconnect-cap", 100,
                "reconnect-max-attempts", 5, "reconnect-jitter", 0, NULL);
  connect_and_wait (f);
  start_sessions (f);
  /* The server goes away for good: every retry is refused. */
  ws_peer_free (f->peer);
  f->peer = NULL;
  g_assert_true (wait_count (f, &f->disconnected, 1, 10000));
  g_assert_cmpuint (f->reconnecting, ==, 5);
  static const guint expected[] = { 20, 40, 80, 100, 100 };
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (g_array_index (f->delays, guint, i), ==, expected[i]);
  g_assert_nonnull (f->disconnect_error);
  g_assert_true (f->disconnect_error->domain == AMS_ERROR);
  g_assert_cmpint (f->disconnect_error->code, ==, AMS_ERROR_CONNECT);
  g_assert_cmpint (ams_client_get_state (f->client), ==, AMS_CLIENT_STATE_DISCONNECTED);
  g_assert_cmpuint (f->reconnected, ==, 0);
  /* Re-create a peer so that teardown has one to free. */
  f->peer = ws_peer_new (f->context, NULL, NULL);
}

static void
test_reconnect_jitter (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "reconnect-base", 100, "reconnect-cap", 100,
                "reconnect-max-attempts", 3, "reconnect-jitter", 50, NULL);
  connect_and_wait (f);
  ws_peer_free (f->peer);
  f->peer = NULL;
  g_assert_true (wait_count (f, &f->disconnected, 1, 10000));
  g_assert_cmpuint (f->delays->len, ==, 3);
  for (guint i = 0; i < f->delays->len; i++) {
    guint d = g_array_index (f->delays, guint, i);
    g_assert_cmpuint (d, >=, 50);
    g_assert_cmpuint (d, <=, 150);
  }
  f->peer = ws_peer_new (f->context, NULL, NULL);
}

static void
test_reconnect_off (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "reconnect", FALSE, NULL);
  connect_and_wait (f);
  ws_peer_close (f->peer, 1001);
  g_assert_true (wait_count (f, &f->disconnected, 1, 3000));
  g_assert_error (f->disconnect_error, AMS_ERROR, AMS_ERROR_CLOSED);
  g_assert_nonnull (strstr (f->disconnect_error->message, "1001"));
  g_assert_cmpuint (f->reconnecting, ==, 0);
  settle (f, 100);
  g_assert_cmpuint (ws_peer_get_connections (f->peer), ==, 1);
}

static void
test_requests_while_reconnecting (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, "reconnect-base", 150, "reconnect-jitter", 0, NULL);
  connect_and_wait (f);
  AmsPublishParams pub;
  ams_publish_params_init (&pub, "pub1");
  g_assert_true (ams_client_publish (f->client, &pub, NULL));
  ws_peer_drop (f->peer);
  g_assert_true (wait_count (f, &f->reconnecting, 1, 3000));
  /* During the wait: a new session, a query, a second publish of the same
   * stream (replaces, not duplicates), and a stop of a session that only
   * existed on the dead socket (nothing to send). */
  AmsPlayParams play;
  ams_play_params_init (&play, "x1");
  g_assert_true (ams_client_play (f->client, &play, NULL));
  g_assert_true (ams_client_get_stream_info (f->client, "x1", NULL));
  pub.stream_name = "renamed";
  g_assert_true (ams_client_publish (f->client, &pub, NULL));
  g_assert_true (ams_client_stop (f->client, "x1", NULL));
  g_assert_true (ams_client_play (f->client, &play, NULL));
  g_assert_true (wait_count (f, &f->reconnected, 1, 3000));
  settle (f, 150);
  g_autoptr (GPtrArray) second = ws_peer_dup_non_ping (f->peer, 2);
  g_assert_cmpuint (second->len, ==, 3);
  assert_json_equal (g_ptr_array_index (second, 0),
                     "{\"command\":\"publish\",\"streamId\":\"pub1\",\"streamName\":\"renamed\","
                     "\"video\":true,\"audio\":true}");
  assert_json_equal (g_ptr_array_index (second, 1), "{\"command\":\"play\",\"streamId\":\"x1\"}");
  assert_json_equal (g_ptr_array_index (second, 2), "{\"command\":\"getStreamInfo\",\"streamId\":\"x1\"}");
}

static void
test_disconnect_clean (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  connect_and_wait (f);
  ams_client_disconnect (f->client);
  g_assert_cmpint (ams_client_get_state (f->client), ==, AMS_CLIENT_STATE_CLOSING);
  g_assert_true (wait_count (f, &f->disconnected, 1, 3000));
  g_assert_null (f->disconnect_error);
  settle (f, 50);
  g_assert_cmpint (ws_peer_get_last_close_code (f->peer), ==, 1000);
  g_assert_false (ws_peer_is_connected (f->peer));
  g_assert_cmpint (ams_client_get_state (f->client), ==, AMS_CLIENT_STATE_DISCONNECTED);
  /* It can connect again. */
  connect_and_wait (f);
  g_assert_cmpuint (f->connected, ==, 2);
  g_assert_cmpuint (ws_peer_get_connections (f->peer), ==, 2);
}

static void
test_unref_closes_1000 (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  connect_and_wait (f);
  g_clear_object (&f->client);
  settle (f, 100);
  g_assert_cmpint (ws_peer_get_last_close_code (f->peer), ==, 1000);
}

static void
unref_in_handler (AmsClient *client, AmsEvent *event, const char *stream_id, Fixture *f)
{
  g_clear_object (&f->client);
}

static void
test_unref_inside_signal (Fixture *f, gconstpointer data)
{
  make_client (f, NULL);
  g_object_set (f->client, "ping-interval", 0, NULL);
  g_signal_connect (f->client, "start", G_CALLBACK (unref_in_handler), f);
  connect_and_wait (f);
  ws_peer_send_text (f->peer, "{\"command\":\"start\",\"streamId\":\"s1\"}");
  ws_peer_send_text (f->peer, "{\"command\":\"start\",\"streamId\":\"s2\"}");
  GMainContext *ctx = f->context;
  gint64 end = g_get_monotonic_time () + 300000;
  while (f->client && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (ctx, FALSE))
      g_usleep (500);
  g_assert_null (f->client);
  settle (f, 100);
  g_assert_false (ws_peer_is_connected (f->peer));
}

static void
test_connect_refused (Fixture *f, gconstpointer data)
{
  /* A port that was free a moment ago: bound by nobody now. */
  WsPeer *gone = ws_peer_new (f->context, NULL, NULL);
  g_autofree char *url = ws_peer_dup_url (gone, NULL);
  ws_peer_free (gone);
  make_client (f, url);
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_connect (f->client, &error));
  g_assert_true (wait_count (f, &f->disconnected, 1, 5000));
  g_assert_error (f->disconnect_error, AMS_ERROR, AMS_ERROR_CONNECT);
  g_assert_cmpuint (f->reconnecting, ==, 0);
  g_assert_cmpuint (f->connected, ==, 0);
}

static gboolean
hold_connection (GSocketService *service, GSocketConnection *connection, GObject *source,
                 GPtrArray *held)
{
  /* Accept the TCP connection and never answer the WebSocket handshake. */
  g_ptr_array_add (held, g_object_ref (connection));
  return TRUE;
}

static void
test_connect_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GSocketService *service = g_socket_service_new ();
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), any_port,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &bound, &error));
  g_assert_no_error (error);
  GPtrArray *held = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (service, "incoming", G_CALLBACK (hold_connection), held);
  g_socket_service_start (service);
  guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/App/websocket", port);

  make_client (f, url);
  g_object_set (f->client, "connect-timeout", 200, NULL);
  gint64 start = g_get_monotonic_time ();
  g_assert_true (ams_client_connect (f->client, &error));
  g_assert_true (wait_count (f, &f->disconnected, 1, 5000));
  gint64 elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_error (f->disconnect_error, AMS_ERROR, AMS_ERROR_TIMEOUT);
  g_assert_cmpint (elapsed_ms, >=, 190);
  g_assert_cmpint (elapsed_ms, <, 2000);
  g_assert_cmpuint (held->len, ==, 1);
  g_assert_cmpuint (f->connected, ==, 0);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_object_unref (service);
  g_ptr_array_unref (held);
}

static void
test_bad_url (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  AmsClient *client = ams_client_new ("http://127.0.0.1/App/websocket", NULL, &error);
  g_assert_null (client);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_URL);
}

/* ---------------------------------------------------------------- threading */

typedef struct {
  char         *url;
  GThread      *emitted_on;   /* thread of every signal seen */
  gboolean      wrong_thread;
  guint         pongs;
  gboolean      done;
  GError       *error;
} ThreadRun;

static void
thread_check (ThreadRun *run)
{
  if (g_thread_self () != run->emitted_on)
    run->wrong_thread = TRUE;
}

static void thread_on_connected (AmsClient *c, ThreadRun *run)
{
  thread_check (run);
  ams_client_ping (c, NULL);
}
static void thread_on_pong (AmsClient *c, gint64 rtt, ThreadRun *run)
{
  thread_check (run);
  run->pongs++;
}

static gboolean
thread_pongs_done (gpointer data)
{
  ThreadRun *run = data;
  return run->pongs >= 3;
}

/* A client on a context of its own, not the thread-default one, in a
 * worker thread: all its signals come on that thread while that context is
 * iterated, and nothing needs the global default context. */
static gpointer
client_thread (gpointer data)
{
  ThreadRun *run = data;
  GMainContext *ctx = g_main_context_new ();
  run->emitted_on = g_thread_self ();
  AmsClient *client = ams_client_new (run->url, ctx, &run->error);
  if (client) {
    g_object_set (client, "ping-interval", 30, NULL);
    g_signal_connect (client, "connected", G_CALLBACK (thread_on_connected), run);
    g_signal_connect (client, "pong", G_CALLBACK (thread_on_pong), run);
    if (ams_client_connect (client, &run->error))
      ws_peer_wait (ctx, thread_pongs_done, run, 5000 * SLOW);
    g_object_unref (client);
  }
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_main_context_unref (ctx);
  g_atomic_int_set (&run->done, TRUE);
  return NULL;
}

static gboolean
thread_finished (gpointer data)
{
  return g_atomic_int_get (&((ThreadRun *) data)->done);
}

static void
test_own_context_in_thread (Fixture *f, gconstpointer data)
{
  ThreadRun run = { 0 };
  run.url = ws_peer_dup_url (f->peer, NULL);
  GThread *thread = g_thread_new ("client", client_thread, &run);
  /* The peer runs on this thread's context meanwhile. */
  g_assert_true (ws_peer_wait (f->context, thread_finished, &run, 10000 * SLOW));
  g_thread_join (thread);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.pongs, >=, 3);
  g_assert_false (run.wrong_thread);
  settle (f, 50);
  g_assert_cmpint (ws_peer_get_last_close_code (f->peer), ==, 1000);
  g_free (run.url);
}

/* ---------------------------------------------------------------- TLS */

typedef struct {
  char *dir;
  char *cert;
  char *key;
} TlsFiles;

static gboolean
make_self_signed (TlsFiles *tls)
{
  g_autoptr (GError) error = NULL;
  tls->dir = g_dir_make_tmp ("amsclient-tls-XXXXXX", &error);
  g_assert_no_error (error);
  tls->cert = g_build_filename (tls->dir, "cert.pem", NULL);
  tls->key = g_build_filename (tls->dir, "key.pem", NULL);
  const char *argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", tls->key, "-out", tls->cert, NULL
  };
  int status = 0;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                     G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

static void
tls_files_clear (TlsFiles *tls)
{
  if (tls->cert) g_unlink (tls->cert);
  if (tls->key) g_unlink (tls->key);
  if (tls->dir) g_rmdir (tls->dir);
  g_free (tls->cert);
  g_free (tls->key);
  g_free (tls->dir);
}

static void
run_tls_case (gboolean allow_self_signed, gboolean give_ca, gboolean expect_ok)
{
  TlsFiles tls = { 0 };
  if (!make_self_signed (&tls)) {
    tls_files_clear (&tls);
    g_test_skip ("the openssl command is not available");
    return;
  }
  Fixture fixture = { 0 }, *f = &fixture;
  fixture_setup_with (f, tls.cert, tls.key);
  make_client (f, NULL);
  g_assert_true (g_str_has_prefix (ams_client_get_url (f->client), "wss://"));
  g_object_set (f->client, "ping-interval", 0, "allow-self-signed", allow_self_signed,
                "ca-file", give_ca ? tls.cert : NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_connect (f->client, &error));
  if (expect_ok) {
    g_assert_true (wait_count (f, &f->connected, 1, 5000));
    g_assert_true (ams_client_ping (f->client, NULL));
    g_assert_true (wait_count (f, &f->pongs, 1, 3000));
  } else {
    g_assert_true (wait_count (f, &f->disconnected, 1, 5000));
    g_assert_error (f->disconnect_error, AMS_ERROR, AMS_ERROR_TLS);
    g_assert_cmpuint (f->connected, ==, 0);
    g_test_message ("refused: %s", f->disconnect_error->message);
  }
  fixture_teardown (f, NULL);
  tls_files_clear (&tls);
}

static void test_tls_refused_by_default (void) { run_tls_case (FALSE, FALSE, FALSE); }
static void test_tls_allow_self_signed (void) { run_tls_case (TRUE, FALSE, TRUE); }
static void test_tls_ca_file (void) { run_tls_case (FALSE, TRUE, TRUE); }

/* ---------------------------------------------------------------- AmsEvent */

static void
test_event_api (void)
{
  g_autoptr (AmsEvent) event = ams_event_new ("stats");
  ams_event_set_string (event, "streamId", "s1");
  ams_event_set_int (event, "frames", 42);
  ams_event_set_double (event, "fps", 29.5);
  ams_event_set_bool (event, "ok", TRUE);
  static const char *const names[] = { "a", "b", NULL };
  ams_event_set_strv (event, "tracks", names);
  ams_event_set_string (event, "nothing", NULL);
  g_assert_true (ams_event_set_json (event, "nested", "{\"x\":[1,2]}"));
  g_assert_false (ams_event_set_json (event, "broken", "{\"x\":"));
  g_assert_false (ams_event_set_json (event, "broken", "42 43"));
  g_assert_false (ams_event_set_json (event, "broken", ""));
  g_autoptr (AmsEvent) scalars = ams_event_new ("scalars");
  g_assert_true (ams_event_set_json (scalars, "n", "42"));
  g_assert_true (ams_event_set_json (scalars, "d", " 1.5 "));
  g_assert_true (ams_event_set_json (scalars, "b", "false"));
  g_assert_true (ams_event_set_json (scalars, "s", "\"x\""));
  g_assert_true (ams_event_set_json (scalars, "z", "null"));
  g_autofree char *scalars_json = ams_event_to_json (scalars);
  g_assert_cmpstr (scalars_json, ==, "{\"event\":\"scalars\",\"n\":42,\"d\":1.5,\"b\":false,\"s\":\"x\",\"z\":null}");
  g_assert_false (ams_event_has_field (event, "broken"));
  g_autofree char *json = ams_event_to_json (event);
  g_assert_cmpstr (json, ==, "{\"event\":\"stats\",\"streamId\":\"s1\",\"frames\":42,\"fps\":29.5,"
                             "\"ok\":true,\"tracks\":[\"a\",\"b\"],\"nothing\":null,\"nested\":{\"x\":[1,2]}}");
  g_assert_cmpstr (ams_event_get_stream_id (event), ==, "s1");
  gint64 i = 0;
  double d = 0;
  gboolean b = FALSE;
  g_assert_true (ams_event_get_int (event, "frames", &i));
  g_assert_cmpint (i, ==, 42);
  g_assert_true (ams_event_get_double (event, "fps", &d));
  g_assert_cmpfloat (d, ==, 29.5);
  g_assert_true (ams_event_get_double (event, "frames", &d));
  g_assert_true (ams_event_get_bool (event, "ok", &b));
  g_assert_true (b);
  g_assert_false (ams_event_get_int (event, "streamId", &i));
  g_assert_null (ams_event_get_string (event, "frames"));
  g_assert_null (ams_event_get_string (event, "nothing"));
  g_assert_true (ams_event_has_field (event, "nothing"));
  g_auto (GStrv) tracks = ams_event_dup_strv (event, "tracks");
  g_assert_cmpuint (g_strv_length (tracks), ==, 2);
  g_auto (GStrv) keys = ams_event_get_keys (event);
  g_assert_cmpuint (g_strv_length (keys), ==, 7);
  g_assert_null (ams_event_get_error (event));
  ams_event_remove (event, "nested");
  g_assert_false (ams_event_has_field (event, "nested"));

  g_autoptr (AmsEvent) err_event = ams_event_new ("error");
  g_autoptr (GError) source = g_error_new (AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS, "denied");
  ams_event_set_error (err_event, source);
  g_autoptr (GError) back = ams_event_get_error (err_event);
  g_assert_error (back, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS);
  g_assert_cmpstr (back->message, ==, "denied");
  g_assert_cmpstr (ams_event_get_string (err_event, "definition"), ==, "unauthorized_access");

  g_autoptr (GError) error = NULL;
  g_assert_null (ams_event_new_from_json ("x", "[1]", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
  g_autoptr (AmsEvent) parsed = ams_event_new_from_json ("x", "{\"count\":\"12\"}", NULL);
  g_assert_true (ams_event_get_int (parsed, "count", &i));
  g_assert_cmpint (i, ==, 12);
  g_assert_true (G_TYPE_IS_BOXED (AMS_TYPE_EVENT));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/client/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("connect-and-ping", test_connect_and_ping);
  ADD ("keepalive-interval", test_keepalive_interval);
  ADD ("requests-encode", test_requests_encode);
  ADD ("requests-invalid", test_requests_invalid);
  ADD ("queue-while-connecting", test_queue_while_connecting);
  ADD ("queue-bounded", test_queue_bounded);
  ADD ("server-messages", test_server_messages);
  ADD ("garbage", test_garbage);
  ADD ("fragmented", test_fragmented);
  ADD ("oversize", test_oversize);
  ADD ("watchdog", test_watchdog);
  ADD ("watchdog-reconnects", test_watchdog_reconnects);
  ADD ("reconnect-reissues-once", test_reconnect_reissues_once);
  ADD ("server-ended-sessions-not-reissued", test_server_ended_sessions_not_reissued);
  ADD ("reconnect-backoff-and-limit", test_reconnect_backoff_and_limit);
  ADD ("reconnect-jitter", test_reconnect_jitter);
  ADD ("reconnect-off", test_reconnect_off);
  ADD ("requests-while-reconnecting", test_requests_while_reconnecting);
  ADD ("disconnect-clean", test_disconnect_clean);
  ADD ("unref-closes-1000", test_unref_closes_1000);
  ADD ("unref-inside-signal", test_unref_inside_signal);
  ADD ("connect-refused", test_connect_refused);
  ADD ("bad-url", test_bad_url);
  ADD ("connect-timeout", test_connect_timeout);
  ADD ("own-context-in-thread", test_own_context_in_thread);
  g_test_add_func ("/client/tls/refused-by-default", test_tls_refused_by_default);
  g_test_add_func ("/client/tls/allow-self-signed", test_tls_allow_self_signed);
  g_test_add_func ("/client/tls/ca-file", test_tls_ca_file);
  g_test_add_func ("/client/event-api", test_event_api);
  return g_test_run ();
}
