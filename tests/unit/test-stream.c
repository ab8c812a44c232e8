/* test-stream.c: AmsStream at the SDK level.
 *
 * - arguments and start errors;
 * - play against a scripted server (ws-peer) whose media side is an AmsPeer
 *   of the test: the exact messages the stream sends (play, the answer,
 *   candidates with an integer label and the mid of that m-line, stop), a
 *   server data-channel message, then a dropped connection: the client
 *   re-issues play once and the stream rebuilds its media and decodes again;
 * - a peer-to-peer call through an embedded AmsMiniServer: both decode, data
 *   both ways (text and binary), the leave of one is seen by the other;
 * - publish then play through the mini-server's relay, and play_finished
 *   when the publisher stops.
 * Everything on 127.0.0.1; ICE filtered to loopback. */
#include <amsclient/amsclient.h>
#include "media/ams-peer.h"
#include "helpers/ws-peer.h"
#include "client/ams-stream-private.h"   /* white box: the peer's ICE setup */

#include <json-c/json.h>
#include <string.h>

/* Under valgrind a scripted play took 230 s to its first frame on a loaded
 * machine (DTLS and codecs in one emulated process): bound each wait at
 * 16x, 8 minutes. Sanitised, two p2p peers took over 30 s to decode 30
 * frames at load average 40: 4x there. */
#define SLOW (g_getenv ("AMS_VALGRIND") ? 16 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)
#define TIMEOUT_MS (30000 * SLOW)

static void
loopback_media (AmsMediaOptions *o)
{
  ams_media_options_init (o);
  o->ice_filter = "loopback";
}

/* What a test records from one stream. */
typedef struct {
  AmsStream *stream;
  guint64    frames;        /* video-frame signals, all media sessions */
  guint64    session_frames; /* the count of the last video-frame */
  guint      width, height;
  gboolean   started, finished, peer_left, channel_open;
  GError    *error;
  GPtrArray *states;        /* "old>new" */
  GPtrArray *data;          /* "t:text" / "b:hex" */
} Watch;

static void
on_state_changed (AmsStream *s, int old_state, int new_state, Watch *w)
{
  g_ptr_array_add (w->states, g_strdup_printf ("%s>%s", ams_stream_state_to_string (old_state),
                                               ams_stream_state_to_string (new_state)));
}

static void on_started (AmsStream *s, Watch *w) { w->started = TRUE; }
static void on_finished (AmsStream *s, Watch *w) { w->finished = TRUE; }
static void on_peer_left (AmsStream *s, Watch *w) { w->peer_left = TRUE; }
static void on_channel (AmsStream *s, gboolean open, Watch *w) { w->channel_open = open; }

static void
on_error (AmsStream *s, const GError *error, Watch *w)
{
  g_test_message ("stream error: %s", error->message);
  g_clear_error (&w->error);
  w->error = g_error_copy (error);
}

static void
on_frame (AmsStream *s, guint64 count, guint width, guint height, Watch *w)
{
  w->frames++;
  w->session_frames = count;
  w->width = width;
  w->height = height;
}

static void
on_data (AmsStream *s, GBytes *bytes, gboolean binary, Watch *w)
{
  gsize size;
  const guint8 *d = g_bytes_get_data (bytes, &size);
  if (!binary) {
    g_ptr_array_add (w->data, g_strdup_printf ("t:%s", (const char *) d));
    return;
  }
  GString *hex = g_string_new ("b:");
  for (gsize i = 0; i < size; i++)
    g_string_append_printf (hex, "%02x", d[i]);
  g_ptr_array_add (w->data, g_string_free (hex, FALSE));
}

static void
watch_init (Watch *w, AmsStream *stream)
{
  memset (w, 0, sizeof *w);
  w->stream = stream;
  w->states = g_ptr_array_new_with_free_func (g_free);
  w->data = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (stream, "state-changed", G_CALLBACK (on_state_changed), w);
  g_signal_connect (stream, "started", G_CALLBACK (on_started), w);
  g_signal_connect (stream, "finished", G_CALLBACK (on_finished), w);
  g_signal_connect (stream, "error", G_CALLBACK (on_error), w);
  g_signal_connect (stream, "peer-left", G_CALLBACK (on_peer_left), w);
  g_signal_connect (stream, "data-channel", G_CALLBACK (on_channel), w);
  g_signal_connect (stream, "video-frame", G_CALLBACK (on_frame), w);
  g_signal_connect (stream, "data", G_CALLBACK (on_data), w);
}

static void
watch_clear (Watch *w)
{
  if (w->stream)
    g_signal_handlers_disconnect_by_data (w->stream, w);
  g_clear_object (&w->stream);
  g_ptr_array_unref (w->states);
  g_ptr_array_unref (w->data);
  g_clear_error (&w->error);
}

static gboolean
has_state (Watch *w, const char *transition)
{
  for (guint i = 0; i < w->states->len; i++)
    if (g_str_equal (g_ptr_array_index (w->states, i), transition))
      return TRUE;
  return FALSE;
}

static gboolean
watch_started (gpointer data)
{
  return ((Watch *) data)->started;
}

static gboolean
watch_finished (gpointer data)
{
  return ((Watch *) data)->finished;
}

static gboolean
watch_failed (gpointer data)
{
  return ((Watch *) data)->error != NULL;
}

static gboolean
client_connected (gpointer data)
{
  return ams_client_get_state (data) == AMS_CLIENT_STATE_CONNECTED;
}

/* ------------------------------------------------------------ arguments */

static void
test_arguments (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AmsClient) client = ams_client_new ("ws://127.0.0.1:9/App/websocket", NULL, &error);
  g_assert_no_error (error);
  AmsMediaOptions o;

  ams_media_options_init (&o);
  g_assert_true (o.video && o.audio && o.data_channel);
  g_assert_cmpint (o.latency_ms, ==, -1);

  /* No stream id. */
  g_autoptr (AmsStream) empty = ams_stream_new (client, AMS_STREAM_PLAY, "", NULL);
  g_assert_false (ams_stream_start (empty, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (ams_stream_get_state (empty), ==, AMS_STREAM_STATE_IDLE);

  /* A filter word that does not exist. */
  o.ice_filter = "udp,nonsense";
  g_autoptr (AmsStream) bad_filter = ams_stream_new (client, AMS_STREAM_PUBLISH, "s", &o);
  g_assert_false (ams_stream_start (bad_filter, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "nonsense"));
  g_clear_error (&error);

  ams_media_options_init (&o);
  o.p2p_mode = "sideways";
  g_autoptr (AmsStream) bad_mode = ams_stream_new (client, AMS_STREAM_P2P, "s", &o);
  g_assert_false (ams_stream_start (bad_mode, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A client that is not connected refuses the request. */
  g_autoptr (AmsStream) offline = ams_stream_new (client, AMS_STREAM_PLAY, "s", NULL);
  g_assert_false (ams_stream_start (offline, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  /* Sending data with no media session. */
  g_assert_false (ams_stream_send_text (offline, "x", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_false (ams_stream_is_data_channel_open (offline));
  g_assert_cmpint (ams_stream_get_first_frame_delay (offline), ==, -1);
  ams_stream_stop (offline);   /* never started: nothing happens */
  g_assert_cmpint (ams_stream_get_state (offline), ==, AMS_STREAM_STATE_IDLE);

  AmsStreamStats stats = { .frames_decoded = 7, .width = 320, .height = 240, .rtt_ms = -1 };
  g_autoptr (AmsEvent) event = ams_stream_stats_to_event (&stats);
  g_autofree char *json = ams_event_to_json (event);
  g_assert_nonnull (strstr (json, "\"framesDecoded\":7"));
  g_assert_nonnull (strstr (json, "\"width\":320"));
  g_assert_nonnull (strstr (json, "\"rttMs\":-1"));
  g_assert_cmpstr (ams_stream_state_to_string (AMS_STREAM_STATE_WAITING_PEER), ==, "waiting-peer");
}

/* ------------------------------------------------------------ scripted server */

typedef struct {
  WsPeer   *ws;
  guint     next;         /* next message index to process */
  AmsPeer  *media;        /* the "server" side of the play */
  guint     plays[3];     /* play requests per connection */
  guint     stops;
  guint     answers;
  guint     candidates;   /* checked client candidates */
  char     *answer_sdp;
  gboolean  channel_open;
} Script;

static void
script_send (Script *s, json_object *msg)
{
  ws_peer_send_text (s->ws, json_object_to_json_string_ext (msg, JSON_C_TO_STRING_PLAIN));
  json_object_put (msg);
}

static void
server_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  json_object *m = json_object_new_object ();
  json_object_object_add (m, "command", json_object_new_string ("takeConfiguration"));
  json_object_object_add (m, "streamId", json_object_new_string ("s1"));
  json_object_object_add (m, "type", json_object_new_string (type));
  json_object_object_add (m, "sdp", json_object_new_string (sdp));
  json_object_object_add (m, "idMapping", json_object_new_object ());
  script_send (data, m);
}

static void
server_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                        gpointer data)
{
  json_object *m = json_object_new_object ();
  json_object_object_add (m, "command", json_object_new_string ("takeCandidate"));
  json_object_object_add (m, "streamId", json_object_new_string ("s1"));
  json_object_object_add (m, "label", json_object_new_int ((int) label));
  json_object_object_add (m, "id", json_object_new_string (mid ? mid : "0"));
  json_object_object_add (m, "candidate", json_object_new_string (candidate));
  script_send (data, m);
}

static void
server_channel_open (AmsPeer *peer, const char *label, gpointer data)
{
  ((Script *) data)->channel_open = TRUE;
}

static void
server_offer (Script *s)
{
  g_autoptr (GError) error = NULL;
  AmsPeerOptions o;
  ams_peer_options_init (&o);
  o.role = AMS_PEER_SEND;
  o.width = 320;
  o.height = 240;
  o.local_address = "127.0.0.1";
  o.filter.address = "127.0.0.1";
  o.data_channel = TRUE;
  o.data_channel_label = "s1";
  AmsPeerCallbacks cb = {
    .local_description = server_local_description,
    .local_candidate = server_local_candidate,
    .data_channel_open = server_channel_open,
  };
  g_clear_pointer (&s->media, ams_peer_free);
  s->channel_open = FALSE;
  g_clear_pointer (&s->answer_sdp, g_free);
  s->media = ams_peer_new (&o, NULL, &cb, s, &error);
  g_assert_no_error (error);
  g_assert_true (ams_peer_create_offer (s->media, &error));
  g_assert_no_error (error);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The keys of @obj, sorted and comma-joined. */
static char *
keys_of (json_object *obj)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  json_object_object_foreach (obj, key, value) {
    (void) value;
    g_ptr_array_add (keys, key);
  }
  g_ptr_array_sort (keys, compare_strings);
  g_ptr_array_add (keys, NULL);
  return g_strjoinv (",", (char **) keys->pdata);
}

static const char *
get_str (json_object *obj, const char *key)
{
  json_object *v;
  return json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_string)
             ? json_object_get_string (v) : NULL;
}

/* Handles what the client sent since the last call. */
static void
script_pump (Script *s)
{
  GPtrArray *messages = ws_peer_get_messages (s->ws);
  for (; s->next < messages->len; s->next++) {
    WsPeerMessage *wm = g_ptr_array_index (messages, s->next);
    json_object *msg = json_tokener_parse (wm->text);
    g_assert_nonnull (msg);
    const char *command = get_str (msg, "command");
    g_autofree char *keys = keys_of (msg);

    if (g_strcmp0 (command, "play") == 0) {
      /* Exactly what the stream asks for: nothing else is sent. */
      g_assert_cmpstr (keys, ==, "command,streamId");
      g_assert_cmpstr (get_str (msg, "streamId"), ==, "s1");
      g_assert_cmpuint (wm->connection, <, G_N_ELEMENTS (s->plays));
      s->plays[wm->connection]++;
      server_offer (s);
    } else if (g_strcmp0 (command, "takeConfiguration") == 0) {
      g_assert_cmpstr (keys, ==, "command,sdp,streamId,type");
      g_assert_cmpstr (get_str (msg, "streamId"), ==, "s1");
      g_assert_cmpstr (get_str (msg, "type"), ==, "answer");
      g_autoptr (GError) error = NULL;
      s->answer_sdp = g_strdup (get_str (msg, "sdp"));
      g_assert_true (ams_peer_set_remote_description (s->media, "answer", s->answer_sdp, &error));
      g_assert_no_error (error);
      s->answers++;
    } else if (g_strcmp0 (command, "takeCandidate") == 0) {
      g_assert_cmpstr (keys, ==, "candidate,command,id,label,streamId");
      json_object *label;
      g_assert_true (json_object_object_get_ex (msg, "label", &label));
      /* label is a JSON integer, id the mid of that m-line. */
      g_assert_true (json_object_is_type (label, json_type_int));
      g_assert_nonnull (s->answer_sdp);
      g_autofree char *mid = ams_sdp_index_to_mid (s->answer_sdp, json_object_get_int (label));
      g_assert_cmpstr (get_str (msg, "id"), ==, mid);
      g_assert_nonnull (strstr (get_str (msg, "candidate"), " 127.0.0.1 "));
      g_autoptr (GError) error = NULL;
      g_assert_true (ams_peer_add_ice_candidate (s->media, json_object_get_int (label),
                                                 get_str (msg, "id"), get_str (msg, "candidate"),
                                                 &error));
      s->candidates++;
    } else if (g_strcmp0 (command, "stop") == 0) {
      g_assert_cmpstr (keys, ==, "command,streamId");
      g_assert_cmpstr (get_str (msg, "streamId"), ==, "s1");
      s->stops++;
    }
    /* getIceServerConfig: a real EE server without STUN/TURN says nothing. */
    json_object_put (msg);
  }
}

typedef struct {
  Script *script;
  Watch  *watch;
  guint64 frames;
} PlayWait;

static gboolean
play_frames (gpointer data)
{
  PlayWait *p = data;
  script_pump (p->script);
  return p->watch->session_frames >= p->frames && p->watch->width > 0;
}

static gboolean
play_reconnecting (gpointer data)
{
  PlayWait *p = data;
  script_pump (p->script);
  return ams_stream_get_state (p->watch->stream) == AMS_STREAM_STATE_RECONNECTING;
}

static gboolean
server_channel_ready (gpointer data)
{
  PlayWait *p = data;
  script_pump (p->script);
  return p->script->channel_open && p->watch->channel_open;
}

static gboolean
got_data (gpointer data)
{
  PlayWait *p = data;
  script_pump (p->script);
  return p->watch->data->len > 0;
}

static gboolean
got_stop (gpointer data)
{
  PlayWait *p = data;
  script_pump (p->script);
  return p->script->stops > 0;
}

static void
test_play_scripted (void)
{
  g_autoptr (GError) error = NULL;
  Script s = { .ws = ws_peer_new (g_main_context_default (), NULL, NULL) };
  g_autofree char *url = ws_peer_dup_url (s.ws, "127.0.0.1");
  g_autoptr (AmsClient) client = ams_client_new (url, NULL, &error);
  g_assert_no_error (error);
  g_object_set (client, "ping-interval", 0u, "reconnect-base", 100u, "reconnect-jitter", 0u, NULL);

  AmsMediaOptions o;
  loopback_media (&o);
  Watch w;
  watch_init (&w, ams_stream_new (client, AMS_STREAM_PLAY, "s1", &o));
  PlayWait p = { .script = &s, .watch = &w, .frames = 30 };

  g_assert_true (ams_client_connect (client, &error));
  g_assert_true (ws_peer_wait (NULL, client_connected, client, TIMEOUT_MS));
  g_assert_true (ams_stream_start (w.stream, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ams_stream_get_state (w.stream), ==, AMS_STREAM_STATE_REQUESTING);

  g_assert_true (ws_peer_wait (NULL, play_frames, &p, TIMEOUT_MS));
  g_assert_cmpuint (s.plays[1], ==, 1);
  g_assert_cmpuint (s.answers, ==, 1);
  g_assert_cmpuint (s.candidates, >, 0);
  g_assert_cmpuint (w.width, ==, 320);
  g_assert_cmpuint (w.height, ==, 240);
  g_assert_null (w.error);
  g_assert_true (has_state (&w, "requesting>negotiating"));
  gint64 first = ams_stream_get_first_frame_delay (w.stream);
  g_assert_cmpint (first, >, 0);
  g_test_message ("scripted play: first frame %.1f ms after play", first / 1000.0);

  /* play_started from the server: started. */
  ws_peer_send_text (s.ws, "{\"command\":\"notification\",\"definition\":\"play_started\","
                           "\"streamId\":\"s1\"}");
  g_assert_true (ws_peer_wait (NULL, watch_started, &w, TIMEOUT_MS));
  g_assert_cmpint (ams_stream_get_state (w.stream), ==, AMS_STREAM_STATE_STARTED);

  /* The server's data channel reaches the player. */
  g_assert_true (ws_peer_wait (NULL, server_channel_ready, &p, TIMEOUT_MS));
  g_assert_true (ams_peer_send_text (s.media, "from the server", &error));
  g_assert_true (ws_peer_wait (NULL, got_data, &p, TIMEOUT_MS));
  g_assert_cmpstr (g_ptr_array_index (w.data, 0), ==, "t:from the server");

  /* The connection drops: the media goes, play is re-issued once on the
   * new connection, the new offer rebuilds the media. */
  ws_peer_drop (s.ws);
  g_assert_true (ws_peer_wait (NULL, play_reconnecting, &p, TIMEOUT_MS));
  guint64 before = w.frames;
  w.session_frames = 0;
  w.width = 0;
  g_assert_true (ws_peer_wait (NULL, play_frames, &p, TIMEOUT_MS));
  g_assert_cmpuint (s.plays[1], ==, 1);
  g_assert_cmpuint (s.plays[2], ==, 1);
  g_assert_cmpuint (s.answers, ==, 2);
  g_assert_cmpuint (w.frames, >=, before + 30);
  g_assert_true (has_state (&w, "started>reconnecting"));
  g_assert_true (has_state (&w, "reconnecting>requesting"));
  g_assert_null (w.error);

  /* stop: sent exactly, the stream is finished. */
  ams_stream_stop (w.stream);
  g_assert_true (ws_peer_wait (NULL, got_stop, &p, TIMEOUT_MS));
  g_assert_cmpuint (s.stops, ==, 1);
  g_assert_true (w.finished);
  g_assert_cmpint (ams_stream_get_state (w.stream), ==, AMS_STREAM_STATE_FINISHED);

  watch_clear (&w);
  ams_client_disconnect (client);
  g_clear_pointer (&s.media, ams_peer_free);
  g_free (s.answer_sdp);
  g_clear_object (&client);
  ws_peer_free (s.ws);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ------------------------------------------------------------ mini-server */

static AmsMiniServer *
start_server (char **url)
{
  g_autoptr (GError) error = NULL;
  AmsMiniServer *server = ams_mini_server_new (NULL);
  /* The server's 10 s publish start timeout and 5 s no-packet timeout are
   * not what these tests check: they scale with the waits (under valgrind a
   * publisher got publishTimeoutError before its media was up). */
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_key_file_set_integer (kf, "server", "start-timeout-ms", TIMEOUT_MS);
  g_key_file_set_integer (kf, "media", "publisher-timeout-ms", 5000 * SLOW);
  g_assert_true (ams_mini_server_load_config (server, kf, &error));
  ams_mini_server_set_port (server, 0);
  g_assert_true (ams_mini_server_start (server, &error));
  g_assert_no_error (error);
  *url = g_strdup_printf ("ws://127.0.0.1:%u/WebRTCAppEE/websocket",
                          ams_mini_server_get_port (server));
  return server;
}

static AmsClient *
connect_client (const char *url)
{
  g_autoptr (GError) error = NULL;
  AmsClient *client = ams_client_new (url, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ams_client_connect (client, &error));
  g_assert_true (ws_peer_wait (NULL, client_connected, client, TIMEOUT_MS));
  return client;
}

typedef struct {
  Watch *a, *b;
  guint64 frames;
} Two;

static gboolean
both_decode (gpointer data)
{
  Two *t = data;
  return t->a->frames >= t->frames && t->b->frames >= t->frames;
}

static gboolean
both_channels (gpointer data)
{
  Two *t = data;
  return t->a->channel_open && t->b->channel_open;
}

static gboolean
both_got_data (gpointer data)
{
  Two *t = data;
  return t->a->data->len > 0 && t->b->data->len > 0;
}

static gboolean
a_peer_left (gpointer data)
{
  Two *t = data;
  return t->a->peer_left && t->a->finished;
}

static gboolean
stream_waiting (gpointer data)
{
  return ams_stream_get_state (data) == AMS_STREAM_STATE_WAITING_PEER;
}

static void
test_p2p (void)
{
  g_autofree char *url = NULL;
  g_autoptr (AmsMiniServer) server = start_server (&url);
  g_autoptr (AmsClient) ca = connect_client (url);
  g_autoptr (AmsClient) cb = connect_client (url);
  g_autoptr (GError) error = NULL;
  AmsMediaOptions o;
  loopback_media (&o);
  o.width = 320;
  o.height = 240;

  Watch a, b;
  watch_init (&a, ams_stream_new (ca, AMS_STREAM_P2P, "call", &o));
  watch_init (&b, ams_stream_new (cb, AMS_STREAM_P2P, "call", &o));
  g_assert_true (ams_stream_start (a.stream, &error));
  g_assert_true (ws_peer_wait (NULL, stream_waiting, a.stream, TIMEOUT_MS));
  g_assert_true (ams_stream_start (b.stream, &error));
  g_assert_no_error (error);

  Two t = { &a, &b, 30 };
  g_assert_true (ws_peer_wait (NULL, both_decode, &t, TIMEOUT_MS));
  g_assert_cmpuint (a.width, ==, 320);
  g_assert_cmpuint (b.height, ==, 240);
  g_assert_true (a.started && b.started);
  g_assert_null (a.error);
  g_assert_null (b.error);

  g_assert_true (ws_peer_wait (NULL, both_channels, &t, TIMEOUT_MS));
  g_assert_true (ams_stream_send_text (a.stream, "hi b", &error));
  guint8 bin[] = { 0, 1, 2, 255 };
  g_autoptr (GBytes) bytes = g_bytes_new (bin, sizeof bin);
  g_assert_true (ams_stream_send_data (b.stream, bytes, &error));
  g_assert_no_error (error);
  g_assert_true (ws_peer_wait (NULL, both_got_data, &t, TIMEOUT_MS));
  g_assert_cmpstr (g_ptr_array_index (b.data, 0), ==, "t:hi b");
  g_assert_cmpstr (g_ptr_array_index (a.data, 0), ==, "b:000102ff");

  /* b leaves: a sees it and, not waiting for another peer, finishes. */
  ams_stream_stop (b.stream);
  g_assert_true (b.finished);
  g_assert_true (ws_peer_wait (NULL, a_peer_left, &t, TIMEOUT_MS));
  g_assert_cmpint (ams_stream_get_state (a.stream), ==, AMS_STREAM_STATE_FINISHED);

  watch_clear (&a);
  watch_clear (&b);
  ams_client_disconnect (ca);
  ams_client_disconnect (cb);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
player_frames (gpointer data)
{
  Watch *w = data;
  return w->frames >= 30;
}

static void
test_publish_play (void)
{
  g_autofree char *url = NULL;
  g_autoptr (AmsMiniServer) server = start_server (&url);
  g_autoptr (AmsClient) publisher = connect_client (url);
  g_autoptr (AmsClient) client = connect_client (url);
  g_autoptr (GError) error = NULL;
  AmsMediaOptions o;
  loopback_media (&o);
  o.width = 352;
  o.height = 288;
  o.video_codec = "h264";

  Watch pub, play;
  watch_init (&pub, ams_stream_new (publisher, AMS_STREAM_PUBLISH, "pp1", &o));
  g_assert_true (ams_stream_start (pub.stream, &error));
  g_assert_no_error (error);
  g_assert_true (ws_peer_wait (NULL, watch_started, &pub, TIMEOUT_MS));

  loopback_media (&o);
  watch_init (&play, ams_stream_new (client, AMS_STREAM_PLAY, "pp1", &o));
  g_assert_true (ams_stream_start (play.stream, &error));
  g_assert_true (ws_peer_wait (NULL, player_frames, &play, TIMEOUT_MS));
  g_assert_cmpuint (play.width, ==, 352);
  g_assert_cmpuint (play.height, ==, 288);
  g_assert_true (ws_peer_wait (NULL, watch_started, &play, TIMEOUT_MS));
  g_test_message ("relay play: first frame %.1f ms after play",
                  ams_stream_get_first_frame_delay (play.stream) / 1000.0);

  AmsStreamStats stats;
  ams_stream_get_stats (play.stream, &stats);
  g_assert_cmpuint (stats.frames_decoded, >=, 30);
  g_assert_cmpuint (stats.width, ==, 352);

  /* The publisher stops: the player is finished by play_finished. */
  ams_stream_stop (pub.stream);
  g_assert_true (ws_peer_wait (NULL, watch_finished, &play, TIMEOUT_MS));
  g_assert_null (play.error);
  g_assert_null (pub.error);

  /* Playing a stream nobody publishes, on the same client as the first
   * play: the server's error, mapped, for this stream only. */
  Watch none;
  watch_init (&none, ams_stream_new (client, AMS_STREAM_PLAY, "nobody", &o));
  g_assert_true (ams_stream_start (none.stream, &error));
  g_assert_true (ws_peer_wait (NULL, watch_failed, &none, TIMEOUT_MS));
  g_assert_error (none.error, AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST);
  g_assert_cmpint (ams_stream_get_state (none.stream), ==, AMS_STREAM_STATE_FAILED);

  watch_clear (&none);
  watch_clear (&play);
  watch_clear (&pub);
  ams_client_disconnect (publisher);
  ams_client_disconnect (client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
has_peer (gpointer data)
{
  return ((AmsStream *) data)->peer != NULL;
}

static char *
peer_stun_server (AmsStream *stream)
{
  char *uri = NULL;
  g_object_get (ams_peer_get_webrtcbin (stream->peer), "stun-server", &uri, NULL);
  return uri;
}

/* With no ICE server of the user's, the server's iceServerConfig is used;
 * the user's own always win. (The STUN server is a loopback address where
 * nothing listens: no packet leaves the machine.) */
static void
test_ice_server_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GKeyFile) config = g_key_file_new ();
  g_key_file_set_string (config, "ice", "stun-server", "stun:127.0.0.1:3478");
  AmsMiniServer *server = ams_mini_server_new (NULL);
  g_assert_true (ams_mini_server_load_config (server, config, &error));
  g_assert_no_error (error);
  ams_mini_server_set_port (server, 0);
  g_assert_true (ams_mini_server_start (server, &error));
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/WebRTCAppEE/websocket",
                                          ams_mini_server_get_port (server));
  g_autoptr (AmsClient) client = connect_client (url);

  AmsMediaOptions o;
  loopback_media (&o);
  g_autoptr (AmsStream) from_server = ams_stream_new (client, AMS_STREAM_PUBLISH, "ice1", &o);
  const char *const mine[] = { "stun:127.0.0.2:3479", NULL };
  o.ice_servers = mine;
  g_autoptr (AmsStream) own = ams_stream_new (client, AMS_STREAM_PUBLISH, "ice2", &o);
  g_assert_true (ams_stream_start (from_server, &error));
  g_assert_true (ams_stream_start (own, &error));
  g_assert_no_error (error);
  g_assert_true (ws_peer_wait (NULL, has_peer, from_server, TIMEOUT_MS));
  g_assert_true (ws_peer_wait (NULL, has_peer, own, TIMEOUT_MS));

  g_autofree char *a = peer_stun_server (from_server);
  g_autofree char *b = peer_stun_server (own);
  g_assert_cmpstr (a, ==, "stun://127.0.0.1:3478");
  g_assert_cmpstr (b, ==, "stun://127.0.0.2:3479");

  ams_stream_stop (from_server);
  ams_stream_stop (own);
  ams_client_disconnect (client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stream/arguments", test_arguments);
  g_test_add_func ("/stream/play-scripted-reconnect", test_play_scripted);
  g_test_add_func ("/stream/p2p", test_p2p);
  g_test_add_func ("/stream/publish-play", test_publish_play);
  g_test_add_func ("/stream/ice-server-config", test_ice_server_config);
  return g_test_run ();
}
