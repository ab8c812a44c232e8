/* test-conference.c: AmsConference against a scripted server (ws-peer):
 * the exact messages of both room flows and how the object follows the
 * server's answers, with no media (the server never starts a publish).
 *
 * - legacy: joinRoom with and without an own id, joinedTheRoom with the
 *   generated id, publish and one play per listed stream, getRoomInfo
 *   polled at the set interval, roomInformation changes (joins, leaves,
 *   play stopped), no_active_streams_in_room (also while the own publish
 *   is pending: not its refusal), leaveFromRoom confirmed by
 *   leavedFromRoom, a refused joinRoom;
 * - multitrack: publish with mainTrack, one play of the room with
 *   userPublishId, subtrackAdded/subtrackRemoved (own track ignored),
 *   enableTrack, leave by stop confirmed by publish_finished;
 * - argument errors. Everything on 127.0.0.1. */
#include <amsclient/amsclient.h>
#include "helpers/ws-peer.h"

#include <json-c/json.h>
#include <string.h>

#define SLOW (g_getenv ("AMS_VALGRIND") ? 8 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)
#define TIMEOUT_MS (10000 * SLOW)

/* ------------------------------------------------------------ recorder */

typedef struct {
  AmsConference *conf;
  GPtrArray     *log;        /* "joined:id:name", "left:id", "track+:id", "track-:id", "state:s" */
  GError        *error;
} Rec;

static void
rec_add (Rec *r, char *line)
{
  g_ptr_array_add (r->log, line);
}

static void
on_joined (AmsConference *c, const char *id, const char *name, Rec *r)
{
  rec_add (r, g_strdup_printf ("joined:%s:%s", id, name ? name : "-"));
}

static void on_left (AmsConference *c, const char *id, Rec *r) { rec_add (r, g_strdup_printf ("left:%s", id)); }
static void on_track_added (AmsConference *c, const char *id, Rec *r) { rec_add (r, g_strdup_printf ("track+:%s", id)); }
static void on_track_removed (AmsConference *c, const char *id, Rec *r) { rec_add (r, g_strdup_printf ("track-:%s", id)); }

static void
on_state (AmsConference *c, int old_state, int new_state, Rec *r)
{
  rec_add (r, g_strdup_printf ("state:%s", ams_conference_state_to_string (new_state)));
}

static void
on_error (AmsConference *c, const GError *error, Rec *r)
{
  g_clear_error (&r->error);
  r->error = g_error_copy (error);
}

static void
rec_init (Rec *r, AmsConference *conf)
{
  memset (r, 0, sizeof *r);
  r->conf = conf;
  r->log = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (conf, "participant-joined", G_CALLBACK (on_joined), r);
  g_signal_connect (conf, "participant-left", G_CALLBACK (on_left), r);
  g_signal_connect (conf, "track-added", G_CALLBACK (on_track_added), r);
  g_signal_connect (conf, "track-removed", G_CALLBACK (on_track_removed), r);
  g_signal_connect (conf, "state-changed", G_CALLBACK (on_state), r);
  g_signal_connect (conf, "error", G_CALLBACK (on_error), r);
}

static void
rec_clear (Rec *r)
{
  g_signal_handlers_disconnect_by_data (r->conf, r);
  g_ptr_array_unref (r->log);
  g_clear_error (&r->error);
}

static char *
rec_join (Rec *r)
{
  g_ptr_array_add (r->log, NULL);
  char *s = g_strjoinv (" ", (char **) r->log->pdata);
  g_ptr_array_remove_index (r->log, r->log->len - 1);
  return s;
}

/* ------------------------------------------------------------ server side */

typedef struct {
  WsPeer     *peer;
  const char *command;
  const char *key, *value;   /* optional: a string member that must match */
  guint       n;             /* how many such messages are awaited */
} Want;

static guint
count_messages (WsPeer *peer, const char *command, const char *key, const char *value)
{
  g_autoptr (GPtrArray) msgs = ws_peer_dup_non_ping (peer, 0);
  guint n = 0;
  for (guint i = 0; i < msgs->len; i++) {
    json_object *o = json_tokener_parse (g_ptr_array_index (msgs, i)), *v;
    if (o && json_object_object_get_ex (o, "command", &v) &&
        g_strcmp0 (json_object_get_string (v), command) == 0 &&
        (key == NULL || (json_object_object_get_ex (o, key, &v) &&
                         g_strcmp0 (json_object_get_string (v), value) == 0)))
      n++;
    if (o)
      json_object_put (o);
  }
  return n;
}

static gboolean
have_messages (gpointer data)
{
  Want *w = data;
  return count_messages (w->peer, w->command, w->key, w->value) >= w->n;
}

static gboolean
wait_messages_for (WsPeer *peer, const char *command, const char *key, const char *value, guint n,
                   guint timeout_ms)
{
  Want w = { peer, command, key, value, n };
  return ws_peer_wait (NULL, have_messages, &w, timeout_ms);
}

static gboolean
wait_messages (WsPeer *peer, const char *command, const char *key, const char *value, guint n)
{
  return wait_messages_for (peer, command, key, value, n, TIMEOUT_MS);
}

/* The last message with @command, compact JSON with sorted keys would be
 * overkill: the test checks members one by one. (transfer full) */
static json_object *
last_message (WsPeer *peer, const char *command)
{
  g_autoptr (GPtrArray) msgs = ws_peer_dup_non_ping (peer, 0);
  json_object *found = NULL;
  for (guint i = 0; i < msgs->len; i++) {
    json_object *o = json_tokener_parse (g_ptr_array_index (msgs, i)), *v;
    if (o && json_object_object_get_ex (o, "command", &v) &&
        g_strcmp0 (json_object_get_string (v), command) == 0) {
      if (found)
        json_object_put (found);
      found = o;
    } else if (o) {
      json_object_put (o);
    }
  }
  return found;
}

static const char *
member (json_object *o, const char *key)
{
  json_object *v;
  if (o && json_object_object_get_ex (o, key, &v))
    return json_object_is_type (v, json_type_null) ? "(null)" : json_object_get_string (v);
  return NULL;
}

static gboolean
is_connected (gpointer data)
{
  return ams_client_get_state (data) == AMS_CLIENT_STATE_CONNECTED;
}

typedef struct {
  AmsConference     *conf;
  AmsConferenceState state;
} WantState;

static gboolean
in_state (gpointer data)
{
  WantState *w = data;
  return ams_conference_get_state (w->conf) == w->state;
}

static gboolean
wait_state (AmsConference *conf, AmsConferenceState state)
{
  WantState w = { conf, state };
  return ws_peer_wait (NULL, in_state, &w, TIMEOUT_MS);
}

typedef struct {
  Rec        *rec;
  const char *entry;
} WantLog;

static gboolean
logged (gpointer data)
{
  WantLog *w = data;
  for (guint i = 0; i < w->rec->log->len; i++)
    if (g_str_equal (g_ptr_array_index (w->rec->log, i), w->entry))
      return TRUE;
  return FALSE;
}

static gboolean
wait_logged (Rec *rec, const char *entry)
{
  WantLog w = { rec, entry };
  return ws_peer_wait (NULL, logged, &w, TIMEOUT_MS);
}

typedef struct {
  WsPeer    *server;
  AmsClient *client;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->server = ws_peer_new (g_main_context_default (), NULL, NULL);
  g_autofree char *url = ws_peer_dup_url (f->server, "127.0.0.1");
  g_autoptr (GError) error = NULL;
  f->client = ams_client_new (url, NULL, &error);
  g_assert_no_error (error);
  g_object_set (f->client, "reconnect", FALSE, "ping-interval", 0u, NULL);
  g_assert_true (ams_client_connect (f->client, &error));
  g_assert_true (ws_peer_wait (NULL, is_connected, f->client, TIMEOUT_MS));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ams_client_disconnect (f->client);
  g_clear_object (&f->client);
  /* Let the close complete and idle unrefs run. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  ws_peer_free (f->server);
}

static AmsConference *
new_conference (AmsClient *client, const char *room, AmsConferenceMode mode)
{
  AmsMediaOptions media;
  ams_media_options_init (&media);
  media.ice_filter = "loopback";
  return ams_conference_new (client, room, mode, &media);
}

/* ------------------------------------------------------------ legacy */

static void
test_legacy_flow (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AmsConference) conf = new_conference (f->client, "room1", AMS_CONFERENCE_LEGACY);
  Rec rec;
  rec_init (&rec, conf);
  ams_conference_set_poll_interval (conf, 200);

  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_IDLE);
  g_assert_null (ams_conference_get_stream_id (conf));
  g_assert_true (ams_conference_join (conf, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_JOINING);

  /* joinRoom {room, mode: legacy} and no streamId: the server picks it. */
  g_assert_true (wait_messages (f->server, "joinRoom", NULL, NULL, 1));
  json_object *m = last_message (f->server, "joinRoom");
  g_assert_cmpstr (member (m, "room"), ==, "room1");
  g_assert_cmpstr (member (m, "mode"), ==, "legacy");
  g_assert_null (member (m, "streamId"));
  json_object_put (m);

  ws_peer_send_text (f->server,
                     "{\"command\":\"notification\",\"definition\":\"joinedTheRoom\","
                     "\"streamId\":\"gen1\",\"streams\":[\"p1\",\"gen1\"],"
                     "\"streamList\":[{\"streamId\":\"p1\",\"streamName\":\"Pat\",\"metaData\":\"m1\"}],"
                     "\"ATTR_ROOM_NAME\":\"room1\",\"room\":\"room1\",\"maxTrackCount\":-1}");
  g_assert_true (wait_state (conf, AMS_CONFERENCE_STATE_JOINED));
  g_assert_cmpstr (ams_conference_get_stream_id (conf), ==, "gen1");
  g_assert_true (wait_logged (&rec, "joined:p1:Pat"));
  g_assert_cmpuint (ams_conference_get_n_participants (conf), ==, 1);
  g_assert_cmpstr (ams_conference_get_participant_name (conf, "p1"), ==, "Pat");
  g_assert_cmpstr (ams_conference_get_participant_meta_data (conf, "p1"), ==, "m1");
  g_assert_nonnull (ams_conference_get_participant_stream (conf, "p1"));
  g_assert_null (ams_conference_get_room_stream (conf));
  g_assert_nonnull (ams_conference_get_own_stream (conf));

  /* The own publish with the given id, and a play of p1 in the room; the
   * own id, though listed, is not played. */
  g_assert_true (wait_messages (f->server, "publish", "streamId", "gen1", 1));
  m = last_message (f->server, "publish");
  g_assert_null (member (m, "mainTrack"));
  json_object_put (m);
  g_assert_true (wait_messages (f->server, "play", "streamId", "p1", 1));
  m = last_message (f->server, "play");
  g_assert_cmpstr (member (m, "room"), ==, "room1");
  json_object_put (m);
  g_assert_cmpuint (count_messages (f->server, "play", "streamId", "gen1"), ==, 0);

  /* An empty room's answer to a poll that crosses the publish request (as
   * after a reconnection, when the others are not back yet) empties the
   * room but is no refusal of the publish: the conference goes on. */
  ws_peer_send_text (f->server,
                     "{\"command\":\"error\",\"definition\":\"no_active_streams_in_room\",\"room\":\"room1\"}");
  g_assert_true (wait_logged (&rec, "left:p1"));
  g_assert_cmpint (ams_stream_get_state (ams_conference_get_own_stream (conf)), ==,
                   AMS_STREAM_STATE_REQUESTING);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_JOINED);
  g_assert_no_error (rec.error);

  /* No polling before the server takes the publish; then every 200 ms,
   * with the own id. (The publish makes its offer; it is never answered.) */
  g_assert_cmpuint (count_messages (f->server, "getRoomInfo", NULL, NULL), ==, 0);
  ws_peer_send_text (f->server, "{\"command\":\"start\",\"streamId\":\"gen1\"}");
  gint64 t0 = g_get_monotonic_time ();
  /* The publish's first offer makes the process's DTLS key, which may hold
   * the loop for long under valgrind: allow for it. */
  if (!wait_messages_for (f->server, "getRoomInfo", "room", "room1", 2, 4 * TIMEOUT_MS)) {
    g_autofree char *log = rec_join (&rec);
    AmsStream *own = ams_conference_get_own_stream (conf);
    g_error ("no polling: %s; own stream %s%s%s", log,
             own ? ams_stream_state_to_string (ams_stream_get_state (own)) : "none",
             rec.error ? ", error: " : "", rec.error ? rec.error->message : "");
  }
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 200 * 1000);
  m = last_message (f->server, "getRoomInfo");
  g_assert_cmpstr (member (m, "streamId"), ==, "gen1");
  json_object_put (m);

  /* p1 went, p2 came: p1's play is stopped, p2 is played. */
  ws_peer_send_text (f->server,
                     "{\"command\":\"roomInformation\",\"room\":\"room1\",\"ATTR_ROOM_NAME\":\"room1\","
                     "\"streams\":[\"p2\"],\"streamList\":[{\"streamId\":\"p2\",\"streamName\":null,"
                     "\"metaData\":null}]}");
  g_assert_true (wait_logged (&rec, "joined:p2:-"));
  g_assert_true (logged (&(WantLog) { &rec, "left:p1" }));
  g_assert_true (wait_messages (f->server, "stop", "streamId", "p1", 1));
  g_assert_true (wait_messages (f->server, "play", "streamId", "p2", 1));
  g_auto (GStrv) ids = ams_conference_dup_participants (conf);
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, "p2");

  /* A joinRoom re-issued after a reconnection got another generated id:
   * the conference joins again with the id it publishes. */
  ws_peer_send_text (f->server,
                     "{\"command\":\"notification\",\"definition\":\"joinedTheRoom\","
                     "\"streamId\":\"gen2\",\"streams\":[\"p2\"],\"room\":\"room1\"}");
  g_assert_true (wait_messages (f->server, "joinRoom", "streamId", "gen1", 1));
  g_assert_cmpstr (ams_conference_get_stream_id (conf), ==, "gen1");
  g_assert_cmpuint (count_messages (f->server, "publish", NULL, NULL), ==, 1);

  /* The server took us out of the room while we stay (a stop of the own
   * publish, recovering from a stall, leaves a legacy room): join again. */
  ws_peer_send_text (f->server,
                     "{\"command\":\"notification\",\"definition\":\"leavedFromRoom\","
                     "\"ATTR_ROOM_NAME\":\"room1\"}");
  g_assert_true (wait_messages (f->server, "joinRoom", "streamId", "gen1", 2));
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_JOINED);

  /* The same answer again changes nothing. */
  ws_peer_send_text (f->server,
                     "{\"command\":\"roomInformation\",\"room\":\"room1\",\"streams\":[\"p2\"]}");
  /* Another room's answer is not ours. */
  ws_peer_send_text (f->server,
                     "{\"command\":\"roomInformation\",\"room\":\"other\",\"streams\":[\"x9\"]}");
  /* Nobody publishes: the room is empty, the conference goes on. */
  ws_peer_send_text (f->server,
                     "{\"command\":\"error\",\"definition\":\"no_active_streams_in_room\",\"room\":\"room1\"}");
  g_assert_true (wait_logged (&rec, "left:p2"));
  g_assert_cmpuint (ams_conference_get_n_participants (conf), ==, 0);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_JOINED);
  g_assert_false (logged (&(WantLog) { &rec, "joined:x9:-" }));
  g_assert_cmpuint (count_messages (f->server, "play", "streamId", "p2"), ==, 1);

  /* Data needs an open channel: there is no media here. */
  g_assert_false (ams_conference_is_data_channel_open (conf));
  g_assert_false (ams_conference_send_text (conf, "hi", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  /* Tracks are a multitrack matter. */
  g_assert_false (ams_conference_enable_track (conf, "p2", FALSE, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Leave: leaveFromRoom with the own id, the own stop; leavedFromRoom
   * confirms. */
  ams_conference_leave (conf);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_LEAVING);
  g_assert_true (wait_messages (f->server, "leaveFromRoom", "room", "room1", 1));
  m = last_message (f->server, "leaveFromRoom");
  g_assert_cmpstr (member (m, "streamId"), ==, "gen1");
  json_object_put (m);
  g_assert_true (wait_messages (f->server, "stop", "streamId", "gen1", 1));
  ws_peer_send_text (f->server,
                     "{\"command\":\"notification\",\"definition\":\"leavedFromRoom\",\"ATTR_ROOM_NAME\":\"room1\"}");
  g_assert_true (wait_state (conf, AMS_CONFERENCE_STATE_LEFT));
  g_assert_no_error (rec.error);

  g_autofree char *log = rec_join (&rec);
  g_assert_cmpstr (log, ==, "state:joining state:joined joined:p1:Pat left:p1 joined:p2:- left:p2 "
                            "state:leaving state:left");
  /* Polling stopped with the leave. */
  guint polls = count_messages (f->server, "getRoomInfo", NULL, NULL);
  for (gint64 end = g_get_monotonic_time () + 500 * 1000; g_get_monotonic_time () < end;)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_cmpuint (count_messages (f->server, "getRoomInfo", NULL, NULL), ==, polls);
  rec_clear (&rec);
}

static void
test_legacy_own_id_and_refusal (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AmsConference) conf = new_conference (f->client, "closed", AMS_CONFERENCE_LEGACY);
  Rec rec;
  rec_init (&rec, conf);
  ams_conference_set_stream_id (conf, "mine");
  g_assert_true (ams_conference_join (conf, &error));
  g_assert_true (wait_messages (f->server, "joinRoom", "streamId", "mine", 1));
  g_assert_false (ams_conference_join (conf, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_FAILED);
  g_clear_error (&error);

  ws_peer_send_text (f->server, "{\"command\":\"error\",\"definition\":\"not_allowed_unregistered_streams\","
                                "\"streamId\":\"closed\"}");
  g_assert_true (wait_state (conf, AMS_CONFERENCE_STATE_FAILED));
  g_assert_error (rec.error, AMS_ERROR, AMS_ERROR_NOT_ALLOWED_UNREGISTERED_STREAMS);
  g_assert_nonnull (ams_conference_get_error (conf));
  g_assert_cmpuint (count_messages (f->server, "publish", NULL, NULL), ==, 0);
  /* A late joinedTheRoom does nothing to a failed conference. */
  ws_peer_send_text (f->server, "{\"command\":\"notification\",\"definition\":\"joinedTheRoom\","
                                "\"streamId\":\"mine\",\"room\":\"closed\",\"streams\":[\"z\"]}");
  g_assert_true (wait_messages (f->server, "leaveFromRoom", NULL, NULL, 1));
  for (int i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_FAILED);
  g_assert_cmpuint (ams_conference_get_n_participants (conf), ==, 0);
  rec_clear (&rec);
}

/* Odd room messages (what the protocol decoder lets through): empty ids,
 * the own id, entries of the wrong type, no streams at all. */
static void
test_legacy_malformed (Fixture *f, gconstpointer data)
{
  g_autoptr (AmsConference) conf = new_conference (f->client, "rm", AMS_CONFERENCE_LEGACY);
  Rec rec;
  rec_init (&rec, conf);
  ams_conference_set_stream_id (conf, "me");
  g_assert_true (ams_conference_join (conf, NULL));
  g_assert_true (wait_messages (f->server, "joinRoom", NULL, NULL, 1));
  ws_peer_send_text (f->server,
                     "{\"command\":\"notification\",\"definition\":\"joinedTheRoom\",\"streamId\":\"me\","
                     "\"room\":\"rm\",\"streams\":[\"\",\"okid\",\"me\"],"
                     "\"streamList\":[7,null,{\"streamId\":null},{\"streamId\":\"okid\",\"streamName\":5}]}");
  g_assert_true (wait_logged (&rec, "joined:okid:-"));
  g_assert_cmpuint (ams_conference_get_n_participants (conf), ==, 1);
  /* No streams array at all: says nothing; okid stays. */
  ws_peer_send_text (f->server, "{\"command\":\"roomInformation\",\"room\":\"rm\",\"streams\":\"okid\"}");
  ws_peer_send_text (f->server, "{\"command\":\"roomInformation\",\"room\":\"rm\"}");
  /* A subtrack notice means nothing in a legacy room. */
  ws_peer_send_text (f->server, "{\"command\":\"notification\",\"definition\":\"subtrackAdded\","
                                "\"trackId\":\"zz\",\"mainTrack\":\"rm\"}");
  ws_peer_send_text (f->server, "{\"command\":\"roomInformation\",\"room\":\"rm\",\"streams\":[\"okid\",\"late\"]}");
  g_assert_true (wait_logged (&rec, "joined:late:-"));
  g_autofree char *log = rec_join (&rec);
  g_assert_cmpstr (log, ==, "state:joining state:joined joined:okid:- joined:late:-");
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_JOINED);
  rec_clear (&rec);
}

/* ------------------------------------------------------------ multitrack */

static void
test_multitrack_flow (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AmsConference) conf = new_conference (f->client, "mt", AMS_CONFERENCE_MULTITRACK);
  Rec rec;
  rec_init (&rec, conf);
  AmsPublishParams params;
  ams_publish_params_init (&params, "ignored");
  params.stream_name = "Me";
  params.meta_data = "{\"mic\":true}";
  ams_conference_set_publish_params (conf, &params);
  ams_conference_set_stream_id (conf, "me");
  g_assert_true (ams_conference_join (conf, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_JOINED);
  g_assert_nonnull (ams_conference_get_room_stream (conf));

  /* publish {me, mainTrack: mt}, then one play of the room without us. */
  g_assert_true (wait_messages (f->server, "publish", "streamId", "me", 1));
  json_object *m = last_message (f->server, "publish");
  g_assert_cmpstr (member (m, "mainTrack"), ==, "mt");
  g_assert_cmpstr (member (m, "streamName"), ==, "Me");
  g_assert_cmpstr (member (m, "metaData"), ==, "{\"mic\":true}");
  json_object_put (m);
  g_assert_true (wait_messages (f->server, "play", "streamId", "mt", 1));
  m = last_message (f->server, "play");
  g_assert_cmpstr (member (m, "userPublishId"), ==, "me");
  json_object_put (m);
  g_assert_cmpuint (count_messages (f->server, "joinRoom", NULL, NULL), ==, 0);
  g_assert_cmpuint (count_messages (f->server, "play", NULL, NULL), ==, 1);

  /* Subtracks come and go; our own is not a participant; another room's
   * are not ours. */
  ws_peer_send_text (f->server, "{\"trackId\":\"me\",\"definition\":\"subtrackAdded\","
                                "\"command\":\"notification\",\"mainTrack\":\"mt\"}");
  ws_peer_send_text (f->server, "{\"trackId\":\"x\",\"definition\":\"subtrackAdded\","
                                "\"command\":\"notification\",\"mainTrack\":\"elsewhere\"}");
  ws_peer_send_text (f->server, "{\"trackId\":\"p1\",\"definition\":\"subtrackAdded\","
                                "\"command\":\"notification\",\"mainTrack\":\"mt\"}");
  g_assert_true (wait_logged (&rec, "track+:p1"));
  g_assert_cmpuint (ams_conference_get_n_participants (conf), ==, 1);
  g_assert_null (ams_conference_get_participant_stream (conf, "p1"));
  AmsStreamStats stats;
  g_assert_true (ams_conference_get_participant_stats (conf, "p1", &stats));
  g_assert_cmpuint (stats.frames_decoded, ==, 0);
  g_assert_false (ams_conference_get_participant_stats (conf, "nobody", &stats));

  g_assert_true (ams_conference_enable_track (conf, "p1", FALSE, &error));
  g_assert_true (wait_messages (f->server, "enableTrack", "trackId", "p1", 1));
  m = last_message (f->server, "enableTrack");
  g_assert_cmpstr (member (m, "streamId"), ==, "mt");
  g_assert_cmpstr (member (m, "enabled"), ==, "false");
  json_object_put (m);

  ws_peer_send_text (f->server, "{\"command\":\"notification\",\"definition\":\"subtrackRemoved\","
                                "\"trackId\":\"p1\",\"mainTrack\":\"mt\"}");
  g_assert_true (wait_logged (&rec, "left:p1"));

  /* Leave: stop the own stream and the room; publish_finished confirms. */
  ams_conference_leave (conf);
  g_assert_true (wait_messages (f->server, "stop", "streamId", "me", 1));
  g_assert_true (wait_messages (f->server, "stop", "streamId", "mt", 1));
  g_assert_cmpuint (count_messages (f->server, "leaveFromRoom", NULL, NULL), ==, 0);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_LEAVING);
  ws_peer_send_text (f->server, "{\"command\":\"notification\",\"definition\":\"publish_finished\","
                                "\"streamId\":\"me\"}");
  g_assert_true (wait_state (conf, AMS_CONFERENCE_STATE_LEFT));
  g_autofree char *log = rec_join (&rec);
  g_assert_cmpstr (log, ==, "state:joining state:joined joined:p1:- track+:p1 track-:p1 left:p1 "
                            "state:leaving state:left");
  rec_clear (&rec);
}

/* Leaving with no answer from the server ends after the bounded wait. */
static void
test_leave_unconfirmed (Fixture *f, gconstpointer data)
{
  g_autoptr (AmsConference) conf = new_conference (f->client, "mt2", AMS_CONFERENCE_MULTITRACK);
  g_assert_true (ams_conference_join (conf, NULL));
  g_assert_true (wait_messages (f->server, "play", "streamId", "mt2", 1));
  /* The own id was made up, and is not the room's. */
  const char *own = ams_conference_get_stream_id (conf);
  g_assert_nonnull (own);
  g_assert_cmpstr (own, !=, "mt2");
  gint64 t0 = g_get_monotonic_time ();
  ams_conference_leave (conf);
  g_assert_true (wait_state (conf, AMS_CONFERENCE_STATE_LEFT));
  gint64 waited = g_get_monotonic_time () - t0;
  g_assert_cmpint (waited, >=, 4900 * 1000);
  /* Leaving twice is harmless. */
  ams_conference_leave (conf);
  g_assert_cmpint (ams_conference_get_state (conf), ==, AMS_CONFERENCE_STATE_LEFT);
}

/* ------------------------------------------------------------ arguments */

static void
test_arguments (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AmsConference) empty = new_conference (f->client, "", AMS_CONFERENCE_LEGACY);
  g_assert_false (ams_conference_join (empty, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (ams_conference_get_state (empty), ==, AMS_CONFERENCE_STATE_IDLE);

  g_autoptr (AmsConference) same = new_conference (f->client, "r", AMS_CONFERENCE_MULTITRACK);
  ams_conference_set_stream_id (same, "r");
  g_assert_false (ams_conference_join (same, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_autoptr (AmsConference) bad = new_conference (f->client, "r", AMS_CONFERENCE_LEGACY);
  ams_conference_set_stream_id (bad, "not valid!");
  g_assert_false (ams_conference_join (bad, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_autoptr (AmsConference) idle = new_conference (f->client, "r", AMS_CONFERENCE_LEGACY);
  g_assert_false (ams_conference_send_text (idle, "x", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_autoptr (GBytes) bytes = g_bytes_new_static ("ab", 2);
  g_assert_false (ams_conference_send_data (idle, bytes, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_false (ams_conference_enable_track (idle, "x", TRUE, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_auto (GStrv) none = ams_conference_dup_participants (idle);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
  /* Leaving what was never joined ends it. */
  ams_conference_leave (idle);
  g_assert_cmpint (ams_conference_get_state (idle), ==, AMS_CONFERENCE_STATE_LEFT);

  g_assert_cmpstr (ams_conference_state_to_string (AMS_CONFERENCE_STATE_LEAVING), ==, "leaving");
  g_assert_cmpstr (ams_conference_mode_to_string (AMS_CONFERENCE_MULTITRACK), ==, "multitrack");
  g_assert_cmpuint (count_messages (f->server, "joinRoom", NULL, NULL), ==, 0);
  g_assert_cmpuint (count_messages (f->server, "publish", NULL, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/conference/legacy/flow", Fixture, NULL, fixture_set_up, test_legacy_flow,
              fixture_tear_down);
  g_test_add ("/conference/legacy/own-id-and-refusal", Fixture, NULL, fixture_set_up,
              test_legacy_own_id_and_refusal, fixture_tear_down);
  g_test_add ("/conference/legacy/malformed", Fixture, NULL, fixture_set_up, test_legacy_malformed,
              fixture_tear_down);
  g_test_add ("/conference/multitrack/flow", Fixture, NULL, fixture_set_up, test_multitrack_flow,
              fixture_tear_down);
  g_test_add ("/conference/leave-unconfirmed", Fixture, NULL, fixture_set_up,
              test_leave_unconfirmed, fixture_tear_down);
  g_test_add ("/conference/arguments", Fixture, NULL, fixture_set_up, test_arguments,
              fixture_tear_down);
  return g_test_run ();
}
