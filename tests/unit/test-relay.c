/* test-relay.c: a publisher AmsPeer -> AmsRelay -> player AmsPeers, all in
 * one process over loopback ICE, signalling passed in-process. Frames are
 * decoded and counted by the players; nothing is transcoded by the relay. */
#define GST_USE_UNSTABLE_API
#include "helpers/find-elements.h"
#include "media/ams-relay.h"

#include <string.h>

/* Under valgrind (make valgrind sets AMS_VALGRIND) everything runs ~30x slower. */
#define SLOW (g_getenv ("AMS_VALGRIND") ? 8 : 1)
/* Waits: 16x under valgrind (a publisher took over 160 s to start there at
 * load average 40), 4x under sanitizers. */
#define WAIT_SLOW (g_getenv ("AMS_VALGRIND") ? 16 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)
#define TIMEOUT_S (20 * WAIT_SLOW)
/* Encoders under valgrind reach a tiny fraction of their bitrate. */
#define RATE_DIV (g_getenv ("AMS_VALGRIND") ? 100 : 1)
#define PLAYERS 2

typedef struct _Test Test;

typedef struct {
  Test      *t;
  char      *key;
  AmsPeer   *peer;
  guint64    frames;
  guint      width, height;
  gint64     created_us, first_frame_us;
  gboolean   channel_open;
  GPtrArray *msgs;
} Endpoint;

struct _Test {
  AmsRelay  *relay;
  Endpoint   pub;
  Endpoint   players[PLAYERS];
  gboolean   started;
  guint      connected;
  GPtrArray *gone_keys;
  gboolean   gone;
  AmsRelayStreamInfo info;
  guint      info_reports;
  guint      errors;
  char      *error_key;       /* whose the last relay error was */
  AmsRelayDistribution distribution;
  guint64    frames_goal;
};

static Endpoint *
endpoint_for_key (Test *t, const char *key)
{
  if (g_strcmp0 (t->pub.key, key) == 0)
    return &t->pub;
  for (int i = 0; i < PLAYERS; i++)
    if (g_strcmp0 (t->players[i].key, key) == 0)
      return &t->players[i];
  return NULL;
}

/* ---------------------------------------------------------------- relay side */

static void
relay_local_description (AmsRelay *relay, const char *key, const char *type, const char *sdp,
                         gpointer data)
{
  Endpoint *e = endpoint_for_key (data, key);
  g_assert_nonnull (e);
  g_assert_cmpstr (type, ==, e == &((Test *) data)->pub ? "answer" : "offer");
  g_autoptr (GError) error = NULL;
  if (e->peer)
    g_assert_true (ams_peer_set_remote_description (e->peer, type, sdp, &error));
  g_assert_no_error (error);
}

static void
relay_local_candidate (AmsRelay *relay, const char *key, guint label, const char *mid,
                       const char *candidate, gpointer data)
{
  Endpoint *e = endpoint_for_key (data, key);
  g_assert_nonnull (strstr (candidate, " 127.0.0.1 "));
  g_autoptr (GError) error = NULL;
  if (e && e->peer)
    g_assert_true (ams_peer_add_ice_candidate (e->peer, label, mid, candidate, &error));
  g_assert_no_error (error);
}

static void
relay_publisher_started (AmsRelay *relay, const char *stream_id, gpointer data)
{
  g_assert_cmpstr (stream_id, ==, "stream1");
  ((Test *) data)->started = TRUE;
}

static void
relay_player_connected (AmsRelay *relay, const char *stream_id, const char *key, gpointer data)
{
  Test *t = data;
  t->connected++;
  Endpoint *e = endpoint_for_key (t, key);
  g_test_message ("%s connected %.0f ms after it was created", key,
                  (g_get_monotonic_time () - e->created_us) / 1000.0);
}

static void
relay_publisher_gone (AmsRelay *relay, const char *stream_id, const char * const *keys,
                      gpointer data)
{
  Test *t = data;
  t->gone = TRUE;
  for (const char * const *k = keys; *k; k++)
    g_ptr_array_add (t->gone_keys, g_strdup (*k));
}

static void
relay_stream_info (AmsRelay *relay, const char *stream_id, const AmsRelayStreamInfo *info,
                   gpointer data)
{
  Test *t = data;
  t->info = *info;
  t->info_reports++;
}

static void
relay_error (AmsRelay *relay, const char *key, const GError *error, gpointer data)
{
  g_test_message ("relay error (%s): %s", key, error->message);
  Test *t = data;
  t->errors++;
  g_free (t->error_key);
  t->error_key = g_strdup (key);
}

static const AmsRelayCallbacks relay_callbacks = {
  .local_description = relay_local_description,
  .local_candidate = relay_local_candidate,
  .publisher_started = relay_publisher_started,
  .player_connected = relay_player_connected,
  .publisher_gone = relay_publisher_gone,
  .stream_info = relay_stream_info,
  .error = relay_error,
};

/* ---------------------------------------------------------------- client side */

static void
peer_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  Endpoint *e = data;
  g_autoptr (GError) error = NULL;
  if (e == &e->t->pub)
    g_assert_true (ams_relay_add_publisher (e->t->relay, "stream1", e->key, sdp, &error));
  else
    g_assert_true (ams_relay_set_answer (e->t->relay, e->key, sdp, &error));
  g_assert_no_error (error);
}

static void
peer_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                      gpointer data)
{
  Endpoint *e = data;
  g_autoptr (GError) error = NULL;
  /* The publisher may gather before the relay has its session: drop those
   * (the others suffice on loopback). */
  if (!ams_relay_add_candidate (e->t->relay, e->key, label, mid, candidate, &error))
    g_test_message ("candidate for %s not taken: %s", e->key, error->message);
}

static void
peer_error (AmsPeer *peer, const GError *error, gpointer data)
{
  Endpoint *e = data;
  g_test_message ("peer %s error: %s", e->key, error->message);
  e->t->errors++;
}

static void
peer_video_frame (AmsPeer *peer, guint64 frames, guint width, guint height, gpointer data)
{
  Endpoint *e = data;
  if (!e->first_frame_us)
    e->first_frame_us = g_get_monotonic_time ();
  e->frames = frames;
  e->width = width;
  e->height = height;
}

static void
peer_channel_open (AmsPeer *peer, const char *label, gpointer data)
{
  Endpoint *e = data;
  g_assert_cmpstr (label, ==, "stream1");
  e->channel_open = TRUE;
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

static const AmsPeerCallbacks peer_callbacks = {
  .local_description = peer_local_description,
  .local_candidate = peer_local_candidate,
  .error = peer_error,
  .video_frame = peer_video_frame,
  .data_channel_open = peer_channel_open,
  .data_message = peer_message,
};

static void
endpoint_init (Test *t, Endpoint *e, const char *key)
{
  e->t = t;
  e->key = g_strdup (key);
  e->msgs = g_ptr_array_new_with_free_func (g_free);
}

static void
endpoint_clear (Endpoint *e)
{
  g_clear_pointer (&e->peer, ams_peer_free);
  g_free (e->key);
  g_ptr_array_unref (e->msgs);
}

static void
test_init (Test *t, guint publisher_timeout_ms, AmsRelayDistribution distribution)
{
  memset (t, 0, sizeof *t);
  t->distribution = distribution;
  AmsRelayOptions o;
  ams_relay_options_init (&o);
  o.distribution = distribution;
  o.local_address = "127.0.0.1";
  o.filter.address = "127.0.0.1";
  o.publisher_timeout_ms = publisher_timeout_ms;
  t->relay = ams_relay_new (&o, NULL, &relay_callbacks, t);
  /* As ams-mini-server does once it listens: the DTLS key is made in the
   * background, not by the first peer on this thread. */
  ams_media_prewarm ();
  t->gone_keys = g_ptr_array_new_with_free_func (g_free);
  endpoint_init (t, &t->pub, "pub-conn-1");
  for (int i = 0; i < PLAYERS; i++) {
    g_autofree char *key = g_strdup_printf ("play-conn-%d", i + 1);
    endpoint_init (t, &t->players[i], key);
  }
}

static void
test_clear (Test *t)
{
  endpoint_clear (&t->pub);
  for (int i = 0; i < PLAYERS; i++)
    endpoint_clear (&t->players[i]);
  g_clear_pointer (&t->relay, ams_relay_free);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (t->gone_keys);
  g_free (t->error_key);
}

typedef gboolean (*Condition) (Test *t);

static gboolean
run_until (Test *t, Condition done, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  while (!done (t) && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
  return done (t);
}

static gboolean
publisher_started (Test *t)
{
  return t->started;
}

static gboolean
players_decoded (Test *t)
{
  for (int i = 0; i < PLAYERS; i++)
    if (t->players[i].frames < 60 || ams_peer_get_audio_buffers (t->players[i].peer) == 0)
      return FALSE;
  return TRUE;
}

static gboolean
channels_open (Test *t)
{
  for (int i = 0; i < PLAYERS; i++)
    if (!t->players[i].channel_open)
      return FALSE;
  return t->pub.channel_open;
}

static gboolean
messages_in (Test *t)
{
  for (int i = 0; i < PLAYERS; i++)
    if (t->players[i].msgs->len < 1)
      return FALSE;
  /* With "all", player 1 also gets what player 2 sent. */
  if (t->distribution == AMS_RELAY_DISTRIBUTION_ALL && t->players[0].msgs->len < 2)
    return FALSE;
  return t->pub.msgs->len >= 1;
}

static gboolean
second_player_continues (Test *t)
{
  return t->players[1].frames >= t->frames_goal;
}

static gboolean
stream_gone (Test *t)
{
  return t->gone;
}

static gboolean
info_ready (Test *t)
{
  return t->info_reports > 0 && t->info.width > 0 &&
         t->info.video_bitrate > 100000 / RATE_DIV && t->info.audio_bitrate > 10000 / RATE_DIV;
}

static void
start_publisher (Test *t, const char *codec, guint width, guint height)
{
  AmsPeerOptions o;
  ams_peer_options_init (&o);
  o.role = AMS_PEER_SEND;
  o.video_codec = codec;
  o.width = width;
  o.height = height;
  o.local_address = "127.0.0.1";
  o.filter.address = "127.0.0.1";
  o.data_channel = TRUE;
  o.data_channel_label = "stream1";
  g_autoptr (GError) error = NULL;
  t->pub.peer = ams_peer_new (&o, NULL, &peer_callbacks, &t->pub, &error);
  g_assert_no_error (error);
  g_assert_true (ams_peer_create_offer (t->pub.peer, &error));
  g_assert_no_error (error);
  g_assert_true (run_until (t, publisher_started, TIMEOUT_S));
}

static void
start_players (Test *t)
{
  for (int i = 0; i < PLAYERS; i++) {
    Endpoint *e = &t->players[i];
    AmsPeerOptions o;
    ams_peer_options_init (&o);
    o.role = AMS_PEER_RECEIVE;
    o.local_address = "127.0.0.1";
    o.filter.address = "127.0.0.1";
    o.video_sink = "fakesink";
    o.audio_sink = "fakesink";
    g_autoptr (GError) error = NULL;
    e->created_us = g_get_monotonic_time ();
    e->peer = ams_peer_new (&o, NULL, &peer_callbacks, e, &error);
    g_assert_no_error (error);
    g_assert_true (ams_relay_add_player (t->relay, "stream1", e->key, &error));
    g_assert_no_error (error);
  }
}

static void
check_fanout (const char *codec, guint width, guint height, AmsRelayDistribution distribution)
{
  Test t;
  test_init (&t, 0, distribution);
  start_publisher (&t, codec, width, height);
  start_players (&t);
  g_assert_true (run_until (&t, players_decoded, TIMEOUT_S));
  g_assert_cmpuint (t.errors, ==, 0);
  g_assert_cmpuint (t.connected, ==, PLAYERS);
  for (int i = 0; i < PLAYERS; i++) {
    Endpoint *e = &t.players[i];
    g_assert_cmpuint (e->width, ==, width);
    g_assert_cmpuint (e->height, ==, height);
    g_test_message ("%s player %d: %" G_GUINT64_FORMAT " frames %ux%u, first decoded frame "
                    "%.0f ms after the player was created", codec, i + 1, e->frames, e->width,
                    e->height, (e->first_frame_us - e->created_us) / 1000.0);
    /* The player was offered the publisher's codec, not a transcoded one. */
    const char *offer = ams_peer_get_remote_sdp (e->peer);
    g_assert_nonnull (strstr (offer, g_str_equal (codec, "h264") ? "H264/90000" : "VP8/90000"));
  }

  /* getStreamInfo material: the real resolution and bitrates. */
  g_assert_true (run_until (&t, info_ready, TIMEOUT_S));
  g_test_message ("stream info: %ux%u %s %u bit/s, %s %u bit/s, %u players", t.info.width,
                  t.info.height, t.info.video_codec, t.info.video_bitrate, t.info.audio_codec,
                  t.info.audio_bitrate, t.info.players);
  g_assert_cmpuint (t.info.width, ==, width);
  g_assert_cmpuint (t.info.height, ==, height);
  g_assert_cmpstr (t.info.video_codec, ==, g_str_equal (codec, "h264") ? "H264" : "VP8");
  g_assert_cmpstr (t.info.audio_codec, ==, "OPUS");
  g_assert_cmpuint (t.info.video_bitrate, >, 100000 / RATE_DIV);
  g_assert_cmpuint (t.info.audio_bitrate, >, 10000 / RATE_DIV);
  g_assert_cmpuint (t.info.players, ==, PLAYERS);

  /* Data channel: publisher -> every player; player -> publisher (default distribution). */
  g_assert_true (run_until (&t, channels_open, TIMEOUT_S));
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_peer_send_text (t.pub.peer, "hello players", &error));
  g_assert_true (ams_peer_send_text (t.players[1].peer, "hello publisher", &error));
  g_assert_no_error (error);
  g_assert_true (run_until (&t, messages_in, TIMEOUT_S));
  /* Let any stray copy arrive before counting. */
  gint64 settle = g_get_monotonic_time () + 200 * 1000 * SLOW;
  while (g_get_monotonic_time () < settle)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_cmpuint (t.players[1].msgs->len, ==, 1);   /* never its own message back */
  g_assert_cmpstr (t.players[1].msgs->pdata[0], ==, "text:hello players");
  if (distribution == AMS_RELAY_DISTRIBUTION_ALL) {
    /* Two routes (publisher, player 2): either may arrive first. */
    g_assert_cmpuint (t.players[0].msgs->len, ==, 2);
    gboolean straight = g_str_equal (t.players[0].msgs->pdata[0], "text:hello players");
    g_assert_cmpstr (t.players[0].msgs->pdata[straight ? 0 : 1], ==, "text:hello players");
    g_assert_cmpstr (t.players[0].msgs->pdata[straight ? 1 : 0], ==, "text:hello publisher");
  } else {
    g_assert_cmpuint (t.players[0].msgs->len, ==, 1);
    g_assert_cmpstr (t.players[0].msgs->pdata[0], ==, "text:hello players");
  }
  g_assert_cmpuint (t.pub.msgs->len, ==, 1);
  g_assert_cmpstr (t.pub.msgs->pdata[0], ==, "text:hello publisher");

  /* One player leaves: the other keeps decoding. */
  ams_relay_remove (t.relay, t.players[0].key);
  g_clear_pointer (&t.players[0].peer, ams_peer_free);
  t.frames_goal = t.players[1].frames + 30;
  g_assert_true (run_until (&t, second_player_continues, TIMEOUT_S));

  /* The publisher stops: the server removes it and the relay names the players. */
  g_clear_pointer (&t.pub.peer, ams_peer_free);
  ams_relay_remove (t.relay, t.pub.key);
  g_assert_true (t.gone);
  g_assert_cmpuint (t.gone_keys->len, ==, 1);
  g_assert_cmpstr (t.gone_keys->pdata[0], ==, "play-conn-2");
  AmsRelayStreamInfo info;
  g_assert_false (ams_relay_get_stream_info (t.relay, "stream1", &info));
  g_assert_cmpuint (t.errors, ==, 0);
  test_clear (&t);
}

static void
test_fanout_vp8 (void)
{
  check_fanout ("vp8", 320, 240, AMS_RELAY_DISTRIBUTION_PUBLISHER);
}

static void
test_fanout_h264 (void)
{
  /* Also: player messages distributed to everyone. */
  check_fanout ("h264", 352, 288, AMS_RELAY_DISTRIBUTION_ALL);
}

/* The publisher vanishes without a word: its media stops, the relay notices. */
static void
test_publisher_timeout (void)
{
  Test t;
  /* 1 s without media ends the stream; under valgrind the publisher's own
   * pauses are longer than that (the stream ended before the players had
   * 60 frames). */
  test_init (&t, 1000 * SLOW, AMS_RELAY_DISTRIBUTION_PUBLISHER);
  start_publisher (&t, "vp8", 320, 240);
  start_players (&t);
  g_assert_true (run_until (&t, players_decoded, TIMEOUT_S));
  gint64 stop = g_get_monotonic_time ();
  g_clear_pointer (&t.pub.peer, ams_peer_free);
  g_assert_true (run_until (&t, stream_gone, 5 * SLOW));
  g_test_message ("publisher gone reported %.0f ms after it stopped",
                  (g_get_monotonic_time () - stop) / 1000.0);
  g_assert_cmpuint (t.gone_keys->len, ==, PLAYERS);
  test_clear (&t);
}

/* The relay keeps its pipeline private: a tracer hook collects every
 * webrtcbin created so the test can reach the relay's own. */
typedef struct { GstTracer parent; } WebrtcTracer;
typedef struct { GstTracerClass parent_class; } WebrtcTracerClass;
static GType webrtc_tracer_get_type (void);
G_DEFINE_TYPE (WebrtcTracer, webrtc_tracer, GST_TYPE_TRACER)
static void webrtc_tracer_class_init (WebrtcTracerClass *klass) {}
static void webrtc_tracer_init (WebrtcTracer *self) {}

static GPtrArray *created_webrtcbins;   /* GstElement*, owned refs */

static void
on_element_new (GstTracer *tracer, guint64 ts, GstElement *element)
{
  if (g_str_equal (G_OBJECT_TYPE_NAME (element), "GstWebRTCBin"))
    g_ptr_array_add (created_webrtcbins, gst_object_ref (element));
}

static GstObject *
toplevel_of (GstElement *element)
{
  GstObject *top = gst_object_ref (GST_OBJECT (element));
  GstObject *parent;
  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  return top;
}

static gboolean
other_player_continues (Test *t)
{
  Endpoint *other = g_strcmp0 (t->error_key, t->players[0].key) == 0 ? &t->players[1]
                                                                       : &t->players[0];
  return other->frames >= t->frames_goal;
}

/* A player's data channel fails inside the relay (what a browser leaving
 * does to sctpenc): the error names that player and the stream lives on.
 * It used to be reported as the publisher's and end the whole stream. */
static void
test_player_error_is_the_players (void)
{
  created_webrtcbins = g_ptr_array_new_with_free_func (gst_object_unref);
  GstTracer *tracer = g_object_new (webrtc_tracer_get_type (), NULL);
  gst_tracing_register_hook (tracer, "element-new", G_CALLBACK (on_element_new));

  Test t;
  test_init (&t, 0, AMS_RELAY_DISTRIBUTION_PUBLISHER);
  start_publisher (&t, "vp8", 320, 240);
  start_players (&t);
  g_assert_true (run_until (&t, players_decoded, TIMEOUT_S));
  g_assert_cmpuint (t.errors, ==, 0);

  /* The relay's pipeline is the one holding three webrtcbins (publisher
   * first, then the players); every test peer has a pipeline of its own. */
  GstElement *relay_player = NULL;
  for (guint i = 0; i < created_webrtcbins->len && !relay_player; i++) {
    g_autoptr (GstObject) top = toplevel_of (created_webrtcbins->pdata[i]);
    guint same = 0;
    GstElement *last = NULL;
    for (guint j = 0; j < created_webrtcbins->len; j++) {
      g_autoptr (GstObject) other = toplevel_of (created_webrtcbins->pdata[j]);
      if (other == top) {
        same++;
        last = created_webrtcbins->pdata[j];
      }
    }
    if (same == 1 + PLAYERS)
      relay_player = last;
  }
  g_assert_nonnull (relay_player);
  g_autoptr (GstElement) sctpenc = find_element (relay_player, "sctpenc");
  g_assert_nonnull (sctpenc);
  GST_ELEMENT_ERROR (sctpenc, RESOURCE, WRITE, ("Could not write to resource."), (NULL));

  gint64 deadline = g_get_monotonic_time () + 5 * SLOW * G_TIME_SPAN_SECOND;
  while (t.errors == 0 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_cmpuint (t.errors, ==, 1);
  g_assert_cmpstr (t.error_key, !=, t.pub.key);
  g_assert_true (g_strcmp0 (t.error_key, t.players[0].key) == 0 ||
                 g_strcmp0 (t.error_key, t.players[1].key) == 0);

  /* The other player keeps decoding and the stream stays published. */
  Endpoint *other = g_strcmp0 (t.error_key, t.players[0].key) == 0 ? &t.players[1]
                                                                     : &t.players[0];
  t.frames_goal = other->frames + 30;
  g_assert_true (run_until (&t, other_player_continues, TIMEOUT_S));
  g_assert_false (t.gone);
  g_assert_cmpuint (t.errors, ==, 1);
  AmsRelayStreamInfo info;
  g_assert_true (ams_relay_get_stream_info (t.relay, "stream1", &info));
  test_clear (&t);
  /* The tracer stays registered (GStreamer has no unregister); it only
   * collects, so the array is kept for any later test. */
}

static void
test_bad_input (void)
{
  Test t;
  test_init (&t, 0, AMS_RELAY_DISTRIBUTION_NONE);
  g_autoptr (GError) error = NULL;
  g_assert_false (ams_relay_add_player (t.relay, "nostream", "k1", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST);
  g_clear_error (&error);
  g_assert_false (ams_relay_add_publisher (t.relay, "s", "k2", "garbage", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION);
  g_clear_error (&error);
  g_assert_false (ams_relay_set_answer (t.relay, "unknown", "v=0\r\n", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE);
  g_clear_error (&error);
  g_assert_false (ams_relay_add_candidate (t.relay, "unknown", 0, NULL, "candidate:x", &error));
  g_clear_error (&error);
  ams_relay_remove (t.relay, "unknown");
  AmsRelayStreamInfo info;
  g_assert_false (ams_relay_get_stream_info (t.relay, "s", &info));
  test_clear (&t);
}

/* For SANITIZE=address builds. GLib's quark table drops its first block
 * when it grows (allocated in a library constructor, on purpose, since
 * readers may still hold it); GStreamer makes it grow. Not ours. */
__attribute__ ((visibility ("default"))) const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  /* OpenSSL 3 keeps per-thread error and DRBG state until
   * OPENSSL_thread_stop(), which GStreamer's DTLS element never calls on
   * the streaming threads that end when a peer is freed. */
  return "leak:_dl_init\n"
         "leak:libgstdtls.so\n";
}

/* Full stacks on malloc: GLib has no frame pointers, and without them every
 * leak stops at g_malloc and cannot be told apart. */
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
  g_test_add_func ("/relay/fanout-vp8", test_fanout_vp8);
  g_test_add_func ("/relay/fanout-h264", test_fanout_h264);
  g_test_add_func ("/relay/publisher-timeout", test_publisher_timeout);
  g_test_add_func ("/relay/player-error-is-the-players", test_player_error_is_the_players);
  g_test_add_func ("/relay/bad-input", test_bad_input);
  return g_test_run ();
}
