/* test-server-media: AmsMiniServer with its media relay, over real WebSocket
 * signalling on 127.0.0.1, publishers and players made of AmsClient +
 * AmsPeer in this process. Media really flows: players count decoded
 * frames and check their size. Every wait is bounded. */
#define GST_USE_UNSTABLE_API
#include <amsclient/amsclient.h>
#include "server/ams-mini-server-private.h"
#include "media/ams-peer.h"
#include "media/ams-sdp.h"

#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

/* Under valgrind (AMS_VALGRIND set) everything runs ~30x slower and the
 * first publisher of the process waits minutes for its DTLS key (measured:
 * 8x waits are not enough); AMS_SLOW=N sets the stretch (sanitizer builds). */
#define SLOW (g_getenv ("AMS_SLOW") ? MAX (1, atoi (g_getenv ("AMS_SLOW"))) : g_getenv ("AMS_VALGRIND") ? 40 : 1)
#define TIMEOUT_S (20 * SLOW)
/* Encoders under valgrind or sanitizers reach a fraction of their bitrate. */
#define RATE_DIV (g_getenv ("AMS_VALGRIND") ? 1000 : g_getenv ("AMS_SLOW") ? 10 * SLOW : 1)

typedef struct {
  AmsClient *client;
  AmsPeer   *peer;
  char      *stream_id;     /* what it publishes or plays */
  gboolean   publisher;
  const char *codec;
  guint      width, height;
  GPtrArray *events;        /* names */
  GPtrArray *json;
  GPtrArray *msgs;          /* data channel, "text:..." */
  gboolean   connected;
  gboolean   channel_open;
  guint64    frames;
  guint      frame_w, frame_h;
  gint64     play_us, first_frame_us;
  guint      bad_candidates;
  guint      errors;
  /* Room players: offers taken, the last idMapping, frames per participant. */
  guint      offers;
  char      *last_mapping;
  guint64    by_size[3];
  gboolean   room;          /* a room player: frames counted per decoded branch */
} Endpoint;

/* Multitrack rooms: participants told apart by their video size. */
#define PARTICIPANTS 3

static const guint mt_sizes[PARTICIPANTS][2] = { { 320, 240 }, { 352, 288 }, { 256, 192 } };

static void
count_by_size (Endpoint *e, guint width, guint height)
{
  for (int i = 0; i < PARTICIPANTS; i++)
    if (mt_sizes[i][0] == width && mt_sizes[i][1] == height)
      e->by_size[i]++;
}

/* ------------------------------------------------------------ peer side */

static void
peer_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  Endpoint *e = data;
  g_autoptr (GError) error = NULL;
  ams_client_take_configuration (e->client, e->stream_id, type, sdp, &error);
  g_assert_no_error (error);
}

static void
peer_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                      gpointer data)
{
  Endpoint *e = data;
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_take_candidate (e->client, e->stream_id, label, mid, candidate,
                                            &error));
}

static void
peer_error (AmsPeer *peer, const GError *error, gpointer data)
{
  Endpoint *e = data;
  g_test_message ("peer %s error: %s", e->stream_id, error->message);
  e->errors++;
}

static void
peer_video_frame (AmsPeer *peer, guint64 frames, guint width, guint height, gpointer data)
{
  Endpoint *e = data;
  if (!e->first_frame_us)
    e->first_frame_us = g_get_monotonic_time ();
  e->frames = frames;
  e->frame_w = width;
  e->frame_h = height;
}

static void
peer_channel_open (AmsPeer *peer, const char *label, gpointer data)
{
  ((Endpoint *) data)->channel_open = TRUE;
}

static void
peer_message (AmsPeer *peer, GBytes *bytes, gboolean binary, gpointer data)
{
  Endpoint *e = data;
  gsize size;
  const char *d = g_bytes_get_data (bytes, &size);
  g_ptr_array_add (e->msgs, binary ? g_strdup_printf ("binary:%zu", size)
                                   : g_strdup_printf ("text:%s", d));
}

/* Room players: every decoded branch has its own appsink, so each sample's
 * size says which participant it came from. */
static void
peer_video_sample (AmsPeer *peer, GstSample *sample, gpointer data)
{
  Endpoint *e = data;
  const GstStructure *s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
  int w = 0, h = 0;
  if (gst_structure_get_int (s, "width", &w) && gst_structure_get_int (s, "height", &h))
    count_by_size (e, (guint) w, (guint) h);
}

static const AmsPeerCallbacks room_peer_callbacks = {
  .local_description = peer_local_description,
  .local_candidate = peer_local_candidate,
  .error = peer_error,
  .video_frame = peer_video_frame,
  .video_sample = peer_video_sample,
  .data_channel_open = peer_channel_open,
  .data_message = peer_message,
};

static const AmsPeerCallbacks peer_callbacks = {
  .local_description = peer_local_description,
  .local_candidate = peer_local_candidate,
  .error = peer_error,
  .video_frame = peer_video_frame,
  .data_channel_open = peer_channel_open,
  .data_message = peer_message,
};

static void
make_peer (Endpoint *e)
{
  AmsPeerOptions o;
  ams_peer_options_init (&o);
  o.role = e->publisher ? AMS_PEER_SEND : AMS_PEER_RECEIVE;
  o.local_address = "127.0.0.1";
  o.filter.address = "127.0.0.1";
  if (e->publisher)
    {
      o.video_codec = e->codec;
      o.width = e->width;
      o.height = e->height;
      o.data_channel = TRUE;
      o.data_channel_label = e->stream_id;
    }
  else
    {
      o.video_sink = "fakesink";
      o.audio_sink = "fakesink";
    }
  g_autoptr (GError) error = NULL;
  e->peer = ams_peer_new (&o, NULL, e->room ? &room_peer_callbacks : &peer_callbacks, e, &error);
  g_assert_no_error (error);
}

/* ------------------------------------------------------------ signalling side */

static void
on_event (AmsClient *client, AmsEvent *event, Endpoint *e)
{
  const char *name = ams_event_get_name (event);
  g_ptr_array_add (e->events, g_strdup (name));
  g_ptr_array_add (e->json, ams_event_to_json (event));
  g_autoptr (GError) error = NULL;
  if (strcmp (name, "start") == 0 && e->publisher)
    {
      make_peer (e);
      g_assert_true (ams_peer_create_offer (e->peer, &error));
    }
  else if (strcmp (name, "takeConfiguration") == 0 && e->peer)
    {
      const char *type = ams_event_get_string (event, "type");
      g_assert_cmpstr (type, ==, e->publisher ? "answer" : "offer");
      if (!e->publisher)
        {
          e->offers++;
          g_free (e->last_mapping);
          e->last_mapping = ams_event_dup_json (event, "idMapping");
          if (e->last_mapping == NULL)
            e->last_mapping = g_strdup ("");
        }
      g_assert_true (ams_peer_set_remote_description (e->peer, type,
                                                      ams_event_get_string (event, "sdp"),
                                                      &error));
    }
  else if (strcmp (name, "takeCandidate") == 0 && e->peer)
    {
      /* label: an integer sdpMLineIndex; id: the mid; loopback only. */
      gint64 label = -1;
      const char *cand = ams_event_get_string (event, "candidate");
      const char *mid = ams_event_get_string (event, "id");
      if (!ams_event_get_int (event, "label", &label) || label < 0 || mid == NULL
          || cand == NULL || strstr (cand, " 127.0.0.1 ") == NULL)
        e->bad_candidates++;
      ams_peer_add_ice_candidate (e->peer, (int) label, mid, cand, &error);
    }
  g_assert_no_error (error);
}

static void
on_connected (AmsClient *client, Endpoint *e)
{
  e->connected = TRUE;
}

static gboolean
spin_until (gboolean (*cond) (gpointer), gpointer data, guint seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
    }
  return TRUE;
}

static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
}

static gboolean
is_connected (gpointer e)
{
  return ((Endpoint *) e)->connected;
}

static gint
find_event (Endpoint *e, const char *name)
{
  for (guint i = 0; i < e->events->len; i++)
    if (strcmp (g_ptr_array_index (e->events, i), name) == 0)
      return (gint) i;
  return -1;
}

typedef struct {
  Endpoint   *e;
  const char *name;
} WaitEvent;

static gboolean
has_event (gpointer data)
{
  WaitEvent *w = data;
  return find_event (w->e, w->name) >= 0;
}

/* Waits for @name and returns its JSON (owned by the endpoint). */
static const char *
wait_event (Endpoint *e, const char *name)
{
  WaitEvent w = { e, name };
  if (!spin_until (has_event, &w, TIMEOUT_S))
    {
      for (guint i = 0; i < e->json->len; i++)
        g_printerr ("  %s seen: %s\n", e->stream_id, (char *) g_ptr_array_index (e->json, i));
      g_error ("%s: no '%s' event within the time limit", e->stream_id, name);
    }
  return g_ptr_array_index (e->json, find_event (e, name));
}

static Endpoint *
endpoint_new (AmsMiniServer *server, const char *stream_id, gboolean publisher)
{
  Endpoint *e = g_new0 (Endpoint, 1);
  e->stream_id = g_strdup (stream_id);
  e->publisher = publisher;
  e->events = g_ptr_array_new_with_free_func (g_free);
  e->json = g_ptr_array_new_with_free_func (g_free);
  e->msgs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/LiveApp/websocket",
                                          ams_mini_server_get_port (server));
  g_autoptr (GError) error = NULL;
  e->client = ams_client_new (url, NULL, &error);
  g_assert_no_error (error);
  g_object_set (e->client, "reconnect", FALSE, "ping-interval", 0, NULL);
  g_signal_connect (e->client, "event", G_CALLBACK (on_event), e);
  g_signal_connect (e->client, "connected", G_CALLBACK (on_connected), e);
  g_assert_true (ams_client_connect (e->client, &error));
  g_assert_true (spin_until (is_connected, e, TIMEOUT_S));
  return e;
}

static void
endpoint_free (Endpoint *e)
{
  if (e == NULL)
    return;
  g_clear_pointer (&e->peer, ams_peer_free);
  g_signal_handlers_disconnect_by_data (e->client, e);
  g_object_unref (e->client);
  g_ptr_array_unref (e->events);
  g_ptr_array_unref (e->json);
  g_ptr_array_unref (e->msgs);
  g_free (e->stream_id);
  g_free (e->last_mapping);
  g_free (e);
}

static AmsMiniServer *
server_new (const char *config)
{
  AmsMiniServer *server = ams_mini_server_new (NULL);
  g_autoptr (GError) error = NULL;
  /* Every packet stays on loopback: the relay gathers only there. */
  g_autoptr (GKeyFile) loopback = g_key_file_new ();
  g_key_file_set_string (loopback, "media", "ice-address", "127.0.0.1");
  /* The start timeout (10 s) is too short for media under valgrind: as long
   * as the tests wait. */
  g_key_file_set_integer (loopback, "server", "start-timeout-ms", TIMEOUT_S * 1000);
  /* So is the 5 s no-packet timeout of a publisher: under valgrind at load
   * average 30 a relay saw no packet for that long and ended the stream
   * under its players. A test's own config still sets its own. */
  g_key_file_set_integer (loopback, "media", "publisher-timeout-ms", 5000 * SLOW);
  /* No WebSocket keepalive: under valgrind a pong can take longer than the
   * hang-up delay (keepalive has its own tests). */
  g_key_file_set_integer (loopback, "server", "idle-ping-seconds", 0);
  g_assert_true (ams_mini_server_load_config (server, loopback, &error));
  if (config)
    {
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      g_key_file_set_list_separator (kf, ';');
      g_assert_true (g_key_file_load_from_data (kf, config, -1, G_KEY_FILE_NONE, &error));
      g_assert_true (ams_mini_server_load_config (server, kf, &error));
      g_assert_no_error (error);
    }
  ams_mini_server_set_port (server, 0);
  g_assert_true (ams_mini_server_start (server, &error));
  g_assert_no_error (error);
  return server;
}

static Endpoint *
publish (AmsMiniServer *server, const char *stream_id, const char *codec, guint w, guint h,
         const char *main_track)
{
  Endpoint *e = endpoint_new (server, stream_id, TRUE);
  e->codec = codec;
  e->width = w;
  e->height = h;
  AmsPublishParams params;
  ams_publish_params_init (&params, stream_id);
  params.main_track = main_track;
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_publish (e->client, &params, &error));
  g_assert_no_error (error);
  return e;
}

static Endpoint *
play (AmsMiniServer *server, const char *stream_id)
{
  Endpoint *e = endpoint_new (server, stream_id, FALSE);
  make_peer (e);
  AmsPlayParams params;
  ams_play_params_init (&params, stream_id);
  g_autoptr (GError) error = NULL;
  e->play_us = g_get_monotonic_time ();
  g_assert_true (ams_client_play (e->client, &params, &error));
  g_assert_no_error (error);
  return e;
}

static gboolean
decoded_60 (gpointer data)
{
  Endpoint *e = data;
  return e->frames >= 60 && ams_peer_get_audio_buffers (e->peer) > 0;
}

static gboolean
channel_open (gpointer data)
{
  return ((Endpoint *) data)->channel_open;
}

static gboolean
has_message (gpointer data)
{
  return ((Endpoint *) data)->msgs->len > 0;
}

/* Asks getStreamInfo until the relay's figures arrived; returns the JSON. */
static char *
wait_stream_info (Endpoint *asker, const char *stream_id, guint width)
{
  gint64 end = g_get_monotonic_time () + (gint64) TIMEOUT_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      g_autoptr (GError) error = NULL;
      g_ptr_array_set_size (asker->events, 0);
      g_ptr_array_set_size (asker->json, 0);
      g_assert_true (ams_client_get_stream_info (asker->client, stream_id, &error));
      const char *j = wait_event (asker, "streamInformation");
      g_autofree char *want = g_strdup_printf ("\"streamWidth\":%u", width);
      if (strstr (j, want) && !strstr (j, "\"videoBitrate\":0,"))
        return g_strdup (j);
      spin_for (300);
    }
  return NULL;
}

static gint64
json_int (const char *json, const char *key)
{
  g_autofree char *pattern = g_strdup_printf ("\"%s\":", key);
  const char *p = strstr (json, pattern);
  return p ? g_ascii_strtoll (p + strlen (pattern), NULL, 10) : -1;
}

/* Under valgrind one media test takes minutes: the long ones run only with
 * AMS_VALGRIND_ALL set (the sanitizer build runs them all). */
static gboolean
too_slow_here (void)
{
  if (!g_getenv ("AMS_VALGRIND") || g_getenv ("AMS_VALGRIND_ALL"))
    return FALSE;
  g_test_skip ("minutes under valgrind; set AMS_VALGRIND_ALL to run it");
  return TRUE;
}

static void assert_single_stream_mapping (Endpoint *p, const char *stream_id);

/* One publisher, two players through the server: frames, sizes, stream
 * info, data channel, and the end of the publisher. */
static void
check_relay (const char *codec, guint width, guint height, gboolean disconnect)
{
  AmsMiniServer *server = server_new ("[media]\nkeyframe-window-ms=300\n");
  Endpoint *pub = publish (server, "cam1", codec, width, height, NULL);
  const char *j = wait_event (pub, "publish_started");
  g_assert_nonnull (strstr (j, "\"streamId\":\"cam1\""));
  g_assert_cmpint (find_event (pub, "publishTimeoutError"), <, 0);

  Endpoint *players[2] = { play (server, "cam1"), play (server, "cam1") };
  for (int i = 0; i < 2; i++)
    {
      Endpoint *p = players[i];
      if (!spin_until (decoded_60, p, TIMEOUT_S))
        {
          for (guint k = 0; k < p->events->len; k++)
            g_test_message ("player %d saw %s", i + 1, (char *) g_ptr_array_index (p->events, k));
          g_error ("player %d: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
                   " audio buffers within the time limit", i + 1, p->frames,
                   ams_peer_get_audio_buffers (p->peer));
        }
      wait_event (p, "play_started");
      g_assert_cmpuint (p->frame_w, ==, width);
      g_assert_cmpuint (p->frame_h, ==, height);
      g_assert_cmpuint (p->bad_candidates, ==, 0);
      g_assert_cmpuint (p->errors, ==, 0);
      /* Offered the publisher's own codec: nothing is transcoded. */
      const char *offer = ams_peer_get_remote_sdp (p->peer);
      g_assert_nonnull (strstr (offer, g_str_equal (codec, "h264") ? "H264/90000" : "VP8/90000"));
      assert_single_stream_mapping (p, "cam1");
      g_test_message ("%s player %d: %" G_GUINT64_FORMAT " frames %ux%u, first frame %.0f ms "
                      "after play", codec, i + 1, p->frames, p->frame_w, p->frame_h,
                      (p->first_frame_us - p->play_us) / 1000.0);
    }
  g_assert_cmpuint (pub->bad_candidates, ==, 0);

  /* getStreamInfo: the relay's real figures. */
  g_autofree char *info = wait_stream_info (players[0], "cam1", width);
  g_assert_nonnull (info);
  g_test_message ("stream info: %s", info);
  g_assert_cmpint (json_int (info, "streamWidth"), ==, width);
  g_assert_cmpint (json_int (info, "streamHeight"), ==, height);
  g_assert_cmpint (json_int (info, "videoBitrate"), >, 100000 / RATE_DIV);
  g_assert_cmpint (json_int (info, "audioBitrate"), >, 10000 / RATE_DIV);
  g_assert_nonnull (strstr (info, g_str_equal (codec, "h264") ? "\"videoCodec\":\"H264\""
                                                              : "\"videoCodec\":\"VP8\""));

  /* Data channel: publisher -> every player, player -> publisher. */
  g_assert_true (spin_until (channel_open, pub, TIMEOUT_S));
  for (int i = 0; i < 2; i++)
    g_assert_true (spin_until (channel_open, players[i], TIMEOUT_S));
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_peer_send_text (pub->peer, "hello players", &error));
  for (int i = 0; i < 2; i++)
    {
      g_assert_true (spin_until (has_message, players[i], TIMEOUT_S));
      g_assert_cmpstr (g_ptr_array_index (players[i]->msgs, 0), ==, "text:hello players");
    }
  g_assert_true (ams_peer_send_text (players[1]->peer, "hello publisher", &error));
  g_assert_no_error (error);
  g_assert_true (spin_until (has_message, pub, TIMEOUT_S));
  g_assert_cmpstr (g_ptr_array_index (pub->msgs, 0), ==, "text:hello publisher");

  /* The publisher goes: both players get play_finished. */
  if (disconnect)
    {
      endpoint_free (pub);
      pub = NULL;
    }
  else
    {
      g_assert_true (ams_client_stop (pub->client, "cam1", &error));
      wait_event (pub, "publish_finished");
    }
  for (int i = 0; i < 2; i++)
    {
      j = wait_event (players[i], "play_finished");
      g_assert_nonnull (strstr (j, "\"streamId\":\"cam1\""));
    }
  /* And the stream is gone from the server. */
  g_ptr_array_set_size (players[0]->events, 0);
  g_ptr_array_set_size (players[0]->json, 0);
  g_assert_true (ams_client_get_stream_info (players[0]->client, "cam1", &error));
  wait_event (players[0], "no_stream_exist");

  endpoint_free (pub);
  for (int i = 0; i < 2; i++)
    endpoint_free (players[i]);
  g_object_unref (server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_relay_vp8 (void)
{
  check_relay ("vp8", 320, 240, FALSE);
}

static void
test_relay_h264 (void)
{
  if (too_slow_here ())
    return;
  check_relay ("h264", 352, 288, TRUE);
}

/* The official JavaScript SDK looks every incoming track up in the offer's
 * idMapping: a relayed play maps each media mid of its offer to the stream. */
static void
assert_single_stream_mapping (Endpoint *p, const char *stream_id)
{
  g_assert_nonnull (p->last_mapping);
  g_test_message ("play idMapping: %s", p->last_mapping);
  json_object *map = json_tokener_parse (p->last_mapping);
  g_assert_nonnull (map);
  g_assert_true (json_object_is_type (map, json_type_object));
  const char *offer = ams_peer_get_remote_sdp (p->peer);
  guint n = ams_sdp_count_media (offer), media_lines = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *media = ams_sdp_index_to_media (offer, i);
      if (g_strcmp0 (media, "video") != 0 && g_strcmp0 (media, "audio") != 0)
        continue;
      media_lines++;
      g_autofree char *mid = ams_sdp_index_to_mid (offer, i);
      json_object *track = NULL;
      g_assert_true (json_object_object_get_ex (map, mid, &track));
      g_assert_cmpstr (json_object_get_string (track), ==, stream_id);
    }
  g_assert_cmpuint (media_lines, ==, 2);
  g_assert_cmpint (json_object_object_length (map), ==, media_lines);
  json_object_put (map);
}

/* A play that comes before the publisher's offer waits for it. */
static void
test_play_before_offer (void)
{
  if (too_slow_here ())
    return;
  AmsMiniServer *server = server_new (NULL);
  Endpoint *pub = endpoint_new (server, "early", TRUE);
  pub->codec = "vp8";
  pub->width = 320;
  pub->height = 240;
  /* Hold the offer back: make the peer only after the player asked. */
  AmsPublishParams params;
  ams_publish_params_init (&params, "early");
  g_autoptr (GError) error = NULL;
  pub->publisher = FALSE;   /* "start" does not create the peer */
  g_assert_true (ams_client_publish (pub->client, &params, &error));
  wait_event (pub, "start");
  Endpoint *player = play (server, "early");
  spin_for (200);
  g_assert_cmpint (find_event (player, "takeConfiguration"), <, 0);
  pub->publisher = TRUE;
  make_peer (pub);
  g_assert_true (ams_peer_create_offer (pub->peer, &error));
  g_assert_true (spin_until (decoded_60, player, TIMEOUT_S));
  g_assert_cmpuint (player->frame_w, ==, 320);
  endpoint_free (player);
  endpoint_free (pub);
  g_object_unref (server);
}

/* A publisher offer that is not SDP: notSetRemoteDescription, the publish ends. */
static void
test_bad_offer (void)
{
  AmsMiniServer *server = server_new (NULL);
  Endpoint *pub = endpoint_new (server, "bad", FALSE);
  AmsPublishParams params;
  ams_publish_params_init (&params, "bad");
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_publish (pub->client, &params, &error));
  wait_event (pub, "start");
  g_assert_true (ams_client_take_configuration (pub->client, "bad", "offer", "garbage", &error));
  const char *j = wait_event (pub, "notSetRemoteDescription");
  g_assert_nonnull (strstr (j, "\"streamId\":\"bad\""));
  wait_event (pub, "publish_finished");
  endpoint_free (pub);
  g_object_unref (server);
}

/* [media] keys are validated at load time. */
static void
test_config (void)
{
  const char *bad[] = { "[media]\nenabled=maybe\n", "[media]\nlatency-ms=x\n",
                        "[media]\ndata-channel-player-distribution=some\n",
                        "[media]\ncandidate-protocols=sctp\n",
                        "[media]\nkeyframe-window-ms=-3\n" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (AmsMiniServer) server = ams_mini_server_new (NULL);
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      g_autoptr (GError) error = NULL;
      g_assert_true (g_key_file_load_from_data (kf, bad[i], -1, G_KEY_FILE_NONE, NULL));
      g_assert_false (ams_mini_server_load_config (server, kf, &error));
      g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "[media]"));
    }
  /* Media off: signalling only, the publish times out as before. */
  AmsMiniServer *server = server_new ("[media]\nenabled=false\n[server]\nstart-timeout-ms=300\n");
  Endpoint *pub = publish (server, "off", "vp8", 320, 240, NULL);
  wait_event (pub, "publishTimeoutError");
  g_assert_cmpint (find_event (pub, "takeConfiguration"), <, 0);
  endpoint_free (pub);
  g_object_unref (server);
}

/* ------------------------------------------------------------ multitrack */


typedef struct {
  Endpoint *pub[PARTICIPANTS];
  Endpoint *play[PARTICIPANTS];
} Room;

/* Frames a room player decoded from participant @who (told apart by size). */
static guint64
frames_from (Endpoint *player, int who)
{
  return player->by_size[who];
}


typedef struct {
  Endpoint *player;
  int       self;
  guint     present;   /* bit mask of the participants it must see */
  guint64   floor[PARTICIPANTS];
} SeesOthers;

static gboolean
sees_others (gpointer data)
{
  SeesOthers *s = data;
  for (int i = 0; i < PARTICIPANTS; i++)
    if ((s->present & (1u << i)) && frames_from (s->player, i) < s->floor[i] + 30)
      return FALSE;
  return TRUE;
}

static Endpoint *
play_room (AmsMiniServer *server, const char *room, const char *own)
{
  Endpoint *e = endpoint_new (server, room, FALSE);
  e->room = TRUE;
  make_peer (e);
  AmsPlayParams params;
  ams_play_params_init (&params, room);
  params.user_publish_id = own;
  params.room = room;
  g_autoptr (GError) error = NULL;
  e->play_us = g_get_monotonic_time ();
  g_assert_true (ams_client_play (e->client, &params, &error));
  g_assert_no_error (error);
  return e;
}

static gboolean
offers_at_least (Endpoint *e, guint n)
{
  return e->offers >= n;
}

typedef struct {
  Endpoint *e;
  guint     n;
} OfferWait;

static gboolean
has_offers (gpointer data)
{
  OfferWait *w = data;
  return offers_at_least (w->e, w->n);
}

/* Frames from @who once what was already on its way (queues,
 * jitterbuffers) has drained: the count stops moving for half a second. */
static guint64
drained (Endpoint *player, int who)
{
  guint64 count = frames_from (player, who);
  for (gint64 end = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
       g_get_monotonic_time () < end;)
    {
      spin_for (500 * SLOW);
      if (frames_from (player, who) == count)
        break;
      count = frames_from (player, who);
    }
  return count;
}

static gboolean
maps_p3 (gpointer data)
{
  Endpoint *e = data;
  return e->last_mapping && strstr (e->last_mapping, "\"ARDAMSvp3\"") != NULL;
}

static char *
participant_id (int i)
{
  return g_strdup_printf ("p%d", i + 1);
}

/* Three participants of one room each receive the other two on ONE
 * connection; the third joins late (the first two are re-offered its
 * tracks) and leaves (they are re-offered without them, at once). */
static void
test_multitrack (void)
{
  if (too_slow_here ())
    return;
  AmsMiniServer *server = server_new (NULL);
  Room r = { 0 };
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *id = participant_id (i);
      r.pub[i] = publish (server, id, "vp8", mt_sizes[i][0], mt_sizes[i][1], "room1");
      const char *j = wait_event (r.pub[i], "publish_started");
      g_assert_nonnull (strstr (j, "\"ATTR_ROOM_NAME\":\"room1\""));
    }
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *id = participant_id (i);
      r.play[i] = play_room (server, "room1", id);
    }
  for (int i = 0; i < 2; i++)
    {
      SeesOthers s = { r.play[i], i, 3u & ~(1u << i), { 0 } };
      g_assert_true (spin_until (sees_others, &s, TIMEOUT_S));
      g_assert_cmpuint (frames_from (r.play[i], i), ==, 0);   /* never itself */
      /* One offer, or two when a participant's audio or video was not
       * flowing yet when the room was played (it comes with a re-offer). */
      g_assert_cmpuint (r.play[i]->offers, >=, 1);
      g_test_message ("room player %d: first frame %.0f ms after play", i + 1,
                      (r.play[i]->first_frame_us - r.play[i]->play_us) / 1000.0);
      /* idMapping names the other participant's tracks, not its own. */
      g_autofree char *other = g_strdup_printf ("\"ARDAMSvp%d\"", 2 - i);
      g_autofree char *own = g_strdup_printf ("\"ARDAMSvp%d\"", i + 1);
      g_test_message ("idMapping: %s", r.play[i]->last_mapping);
      g_assert_nonnull (strstr (r.play[i]->last_mapping, other));
      g_assert_null (strstr (r.play[i]->last_mapping, own));
    }

  /* A participant's data-channel message reaches the other participant's
   * room connection, and never comes back on its own. */
  g_assert_true (spin_until (channel_open, r.pub[0], TIMEOUT_S));
  for (int i = 0; i < 2; i++)
    g_assert_true (spin_until (channel_open, r.play[i], TIMEOUT_S));
  g_autoptr (GError) send_error = NULL;
  g_assert_true (ams_peer_send_text (r.pub[0]->peer, "hello room", &send_error));
  g_assert_no_error (send_error);
  g_assert_true (spin_until (has_message, r.play[1], TIMEOUT_S));
  spin_for (300 * SLOW);   /* let any stray copy arrive before counting */
  g_assert_cmpuint (r.play[1]->msgs->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (r.play[1]->msgs, 0), ==, "text:hello room");
  g_assert_cmpuint (r.play[0]->msgs->len, ==, 0);

  /* The third joins: the two connected players are re-offered its tracks. */
  guint offers_before[2] = { r.play[0]->offers, r.play[1]->offers };
  r.pub[2] = publish (server, "p3", "vp8", mt_sizes[2][0], mt_sizes[2][1], "room1");
  wait_event (r.pub[2], "publish_started");
  for (int i = 0; i < 2; i++)
    {
      wait_event (r.play[i], "subtrackAdded");
      OfferWait w = { r.play[i], offers_before[i] + 1 };
      g_assert_true (spin_until (has_offers, &w, TIMEOUT_S));
      g_assert_true (spin_until (maps_p3, r.play[i], TIMEOUT_S));
    }
  r.play[2] = play_room (server, "room1", "p3");
  gboolean all_seen = TRUE;
  for (int i = 0; i < PARTICIPANTS; i++)
    {
      SeesOthers s = { r.play[i], i, 7u & ~(1u << i), { 0 } };
      for (int k = 0; k < PARTICIPANTS; k++)
        s.floor[k] = i < 2 && k < 2 ? frames_from (r.play[i], k) : 0;
      gboolean seen = spin_until (sees_others, &s, TIMEOUT_S);
      if (!seen)
        g_test_message ("room player %d saw %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%"
                        G_GUINT64_FORMAT " frames of p1/p2/p3, %u offers", i + 1,
                        frames_from (r.play[i], 0), frames_from (r.play[i], 1),
                        frames_from (r.play[i], 2), r.play[i]->offers);
      all_seen = all_seen && seen;
      g_assert_cmpuint (frames_from (r.play[i], i), ==, 0);
      g_assert_cmpuint (r.play[i]->errors, ==, 0);
      g_assert_cmpuint (r.play[i]->bad_candidates, ==, 0);
    }

  g_assert_true (all_seen);

  /* Membership as the room reports it. */
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_get_subtracks_count (r.play[0]->client, "room1", NULL, NULL, &error));
  const char *j = wait_event (r.play[0], "subtrackCount");
  g_assert_cmpint (json_int (j, "count"), ==, 3);
  g_assert_true (ams_client_get_broadcast_object (r.play[0]->client, "room1", &error));
  j = wait_event (r.play[0], "broadcastObject");
  g_assert_nonnull (strstr (j, "p3"));

  /* enableTrack: player 1 stops receiving p2, then gets it back. */
  g_assert_true (ams_client_enable_track (r.play[0]->client, "room1", "p2", FALSE, &error));
  guint64 paused = drained (r.play[0], 1);
  /* While p3 goes on for 30 more frames, p2 stays still. */
  SeesOthers p3_on = { r.play[0], 0, 4u, { 0, 0, frames_from (r.play[0], 2) } };
  g_assert_true (spin_until (sees_others, &p3_on, TIMEOUT_S));
  g_assert_cmpuint (frames_from (r.play[0], 1), <=, paused + 1);
  g_assert_true (ams_client_enable_track (r.play[0]->client, "room1", "p2", TRUE, &error));
  SeesOthers again = { r.play[0], 0, 2u, { 0, frames_from (r.play[0], 1), 0 } };
  g_assert_true (spin_until (sees_others, &again, TIMEOUT_S));

  /* The third leaves: the others are re-offered at once, its media stops. */
  guint offers[2] = { r.play[0]->offers, r.play[1]->offers };
  gint64 left = g_get_monotonic_time ();
  g_assert_true (ams_client_stop (r.pub[2]->client, "p3", &error));
  for (int i = 0; i < 2; i++)
    {
      j = wait_event (r.play[i], "subtrackRemoved");
      g_assert_nonnull (strstr (j, "\"trackId\":\"p3\""));
      g_assert_nonnull (strstr (j, "\"mainTrack\":\"room1\""));
      OfferWait w = { r.play[i], offers[i] + 1 };
      g_assert_true (spin_until (has_offers, &w, 2 * SLOW));
      g_test_message ("room player %d re-offered %.0f ms after the third left", i + 1,
                      (g_get_monotonic_time () - left) / 1000.0);
      g_assert_null (strstr (r.play[i]->last_mapping, "\"ARDAMSvp3\""));
    }
  for (int i = 0; i < 2; i++)
    {
      guint64 before3 = drained (r.play[i], 2);
      /* While the other goes on for 30 more frames, p3 stays still. */
      SeesOthers on = { r.play[i], i, 1u << (1 - i), { 0 } };
      on.floor[1 - i] = frames_from (r.play[i], 1 - i);
      g_assert_true (spin_until (sees_others, &on, TIMEOUT_S));
      g_assert_cmpuint (frames_from (r.play[i], 2), <=, before3 + 1);
    }
  g_assert_true (ams_client_get_subtracks_count (r.play[1]->client, "room1", NULL, NULL, &error));
  j = wait_event (r.play[1], "subtrackCount");
  g_assert_cmpint (json_int (j, "count"), ==, 2);

  for (int i = 0; i < PARTICIPANTS; i++)
    {
      endpoint_free (r.play[i]);
      endpoint_free (r.pub[i]);
    }
  g_object_unref (server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* What Chromium offers when it publishes (trimmed: no candidates): RTP
 * header extensions, RTX, several codecs, an application m-line. */
static const char chrome_offer[] =
  "v=0\r\n"
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0 1 2\r\n"
  "a=extmap-allow-mixed\r\n"
  "a=msid-semantic: WMS stream\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=rtcp:9 IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:abcd\r\n"
  "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
  "a=setup:actpass\r\n"
  "a=mid:0\r\n"
  "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r\n"
  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
  "a=extmap:3 urn:3gpp:video-orientation\r\n"
  "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
  "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
  "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
  "a=sendonly\r\n"
  "a=msid:stream v1\r\n"
  "a=rtcp-mux\r\n"
  "a=rtcp-rsize\r\n"
  "a=rtpmap:96 VP8/90000\r\n"
  "a=rtcp-fb:96 goog-remb\r\n"
  "a=rtcp-fb:96 transport-cc\r\n"
  "a=rtcp-fb:96 ccm fir\r\n"
  "a=rtcp-fb:96 nack\r\n"
  "a=rtcp-fb:96 nack pli\r\n"
  "a=rtpmap:97 rtx/90000\r\n"
  "a=fmtp:97 apt=96\r\n"
  "a=rtpmap:102 H264/90000\r\n"
  "a=rtcp-fb:102 nack pli\r\n"
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
  "a=rtpmap:103 rtx/90000\r\n"
  "a=fmtp:103 apt=102\r\n"
  "a=ssrc-group:FID 1111 2222\r\n"
  "a=ssrc:1111 cname:abc\r\n"
  "a=ssrc:1111 msid:stream v1\r\n"
  "a=ssrc:2222 cname:abc\r\n"
  "a=ssrc:2222 msid:stream v1\r\n"
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=rtcp:9 IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:abcd\r\n"
  "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
  "a=setup:actpass\r\n"
  "a=mid:1\r\n"
  "a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
  "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
  "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
  "a=sendonly\r\n"
  "a=msid:stream a1\r\n"
  "a=rtcp-mux\r\n"
  "a=rtpmap:111 opus/48000/2\r\n"
  "a=rtcp-fb:111 transport-cc\r\n"
  "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
  "a=rtpmap:63 red/48000/2\r\n"
  "a=fmtp:63 111/111\r\n"
  "a=rtpmap:9 G722/8000\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:13 CN/8000\r\n"
  "a=rtpmap:110 telephone-event/48000\r\n"
  "a=rtpmap:126 telephone-event/8000\r\n"
  "a=ssrc:3333 cname:abc\r\n"
  "a=ssrc:3333 msid:stream a1\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:abcd\r\n"
  "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
  "a=setup:actpass\r\n"
  "a=mid:2\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:262144\r\n";

static gboolean
has_offer (gpointer data)
{
  return find_event (data, "takeConfiguration") >= 0;
}

/* A browser publisher: the relay declares no header extension in its answer
 * (so none are sent to it), answers the data channel, and offers players the
 * chosen codec with the browser's SSRC and no header extension either. */
static void
test_browser_offer (void)
{
  AmsMiniServer *server = server_new (NULL);
  Endpoint *pub = endpoint_new (server, "browser", FALSE);
  AmsPublishParams params;
  ams_publish_params_init (&params, "browser");
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_client_publish (pub->client, &params, &error));
  wait_event (pub, "start");
  g_assert_true (ams_client_take_configuration (pub->client, "browser", "offer", chrome_offer,
                                                &error));
  const char *j = wait_event (pub, "takeConfiguration");
  g_assert_nonnull (strstr (j, "\"type\":\"answer\""));
  g_assert_null (strstr (j, "a=extmap"));
  g_assert_nonnull (strstr (j, "m=application"));
  g_assert_nonnull (strstr (j, "VP8/90000"));

  Endpoint *player = endpoint_new (server, "browser", FALSE);
  AmsPlayParams play;
  ams_play_params_init (&play, "browser");
  g_assert_true (ams_client_play (player->client, &play, &error));
  g_assert_true (spin_until (has_offer, player, TIMEOUT_S));
  j = g_ptr_array_index (player->json, find_event (player, "takeConfiguration"));
  g_assert_nonnull (strstr (j, "\"type\":\"offer\""));
  g_assert_nonnull (strstr (j, "VP8/90000"));
  g_assert_nonnull (strstr (j, "a=ssrc:1111 "));
  g_assert_nonnull (strstr (j, "a=ssrc:3333 "));
  g_assert_nonnull (strstr (j, "m=application"));
  g_assert_null (strstr (j, "a=extmap"));
  endpoint_free (player);
  endpoint_free (pub);
  g_object_unref (server);
}

/* The publisher's media stops while its socket stays: after the publisher
 * timeout it is told, and so are its players. */
static void
test_publisher_timeout (void)
{
  if (too_slow_here ())
    return;
  AmsMiniServer *server = server_new ("[media]\npublisher-timeout-ms=1000\n");
  Endpoint *pub = publish (server, "quiet", "vp8", 320, 240, NULL);
  wait_event (pub, "publish_started");
  Endpoint *player = play (server, "quiet");
  g_assert_true (spin_until (decoded_60, player, TIMEOUT_S));
  gint64 stopped = g_get_monotonic_time ();
  g_clear_pointer (&pub->peer, ams_peer_free);
  wait_event (player, "play_finished");
  g_test_message ("players told %.0f ms after the publisher's media stopped",
                  (g_get_monotonic_time () - stopped) / 1000.0);
  wait_event (pub, "publish_finished");
  g_assert_cmpint (find_event (pub, "noPacketReceivedForTimeoutDuration"), >=, 0);
  endpoint_free (player);
  endpoint_free (pub);
  g_object_unref (server);
}

/* For SANITIZE=address builds, as in test-relay.c. */
__attribute__ ((visibility ("default"))) const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:_dl_init\n";
}

__attribute__ ((visibility ("default"))) const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  ams_media_prewarm ();
  g_test_add_func ("/server-media/config", test_config);
  g_test_add_func ("/server-media/bad-offer", test_bad_offer);
  g_test_add_func ("/server-media/relay-vp8", test_relay_vp8);
  g_test_add_func ("/server-media/relay-h264", test_relay_h264);
  g_test_add_func ("/server-media/play-before-offer", test_play_before_offer);
  g_test_add_func ("/server-media/browser-offer", test_browser_offer);
  g_test_add_func ("/server-media/publisher-timeout", test_publisher_timeout);
  g_test_add_func ("/server-media/multitrack", test_multitrack);
  return g_test_run ();
}
