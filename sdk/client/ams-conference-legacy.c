/* ams-conference-legacy.c: a legacy room (the joinRoom flow):
 *
 *   joinRoom -> joinedTheRoom {streamId, streams, streamList}
 *   publish {streamId}           the own stream, with the id the server gave
 *   play {streamId: X, room}     for every other stream of the room
 *   getRoomInfo every interval -> roomInformation: start and stop players
 *   leaveFromRoom -> leavedFromRoom
 *
 * Servers from 2.2 on announce no joins or leaves, hence the polling; a
 * player the server finishes (its publisher stopped) counts as gone at once. */
#include "client/ams-conference-private.h"

#include <json-c/json.h>
#include <string.h>

/* ------------------------------------------------------------ players */

static AmsParticipant *
participant_of (AmsConference *self, AmsStream *stream)
{
  for (guint i = 0; i < self->participants->len; i++) {
    AmsParticipant *p = g_ptr_array_index (self->participants, i);
    if (p->play == stream)
      return p;
  }
  return NULL;
}

static void
on_play_started (AmsStream *stream, gpointer data)
{
  AmsConference *self = data;
  AmsParticipant *p = participant_of (self, stream);
  if (p)
    _ams_conference_track_added (self, p);
}

static void
on_play_frame (AmsStream *stream, guint64 count, guint width, guint height, gpointer data)
{
  AmsConference *self = data;
  AmsParticipant *p = participant_of (self, stream);
  if (p)
    _ams_conference_frames (self, p, p->frames + 1, width, height);
}

static void
on_play_over (AmsConference *self, AmsStream *stream, const char *reason)
{
  AmsParticipant *p = participant_of (self, stream);
  if (p == NULL)
    return;
  g_autofree char *id = g_strdup (p->id);
  g_object_ref (self);
  _ams_conference_remove_participant (self, id, reason);
  g_object_unref (self);
}

static void
on_play_finished (AmsStream *stream, gpointer data)
{
  /* play_finished: the participant stopped publishing. */
  on_play_over (data, stream, "finished");
}

static void
on_play_error (AmsStream *stream, const GError *error, gpointer data)
{
  /* One participant's media failing (or gone before we played it) does
   * not end the conference; the next poll brings it back if it is there. */
  on_play_over (data, stream, "error");
}

void
_ams_conference_legacy_start_play (AmsConference *self, AmsParticipant *p)
{
  if (p->play || self->stream_id == NULL || g_str_equal (p->id, self->stream_id))
    return;
  AmsPlayParams params;
  ams_play_params_init (&params, p->id);
  params.room = self->room;
  params.token = self->publish.token;
  params.subscriber_id = self->publish.subscriber_id;
  params.subscriber_code = self->publish.subscriber_code;
  p->play = _ams_conference_new_stream (self, AMS_STREAM_PLAY, p->id);
  ams_stream_set_play_params (p->play, &params);
  _ams_conference_forward_stream (self, p->play, p);
  g_signal_connect (p->play, "started", G_CALLBACK (on_play_started), self);
  g_signal_connect (p->play, "video-frame", G_CALLBACK (on_play_frame), self);
  g_signal_connect (p->play, "finished", G_CALLBACK (on_play_finished), self);
  g_signal_connect (p->play, "error", G_CALLBACK (on_play_error), self);

  g_autoptr (GError) error = NULL;
  if (!ams_stream_start (p->play, &error)) {
    g_autofree char *id = g_strdup (p->id);
    g_debug ("room %s: cannot play %s: %s", self->room, id, error->message);
    _ams_conference_remove_participant (self, id, "error");
  }
}

/* ------------------------------------------------------------ room contents */

typedef struct {
  char *id, *name, *meta_data;
} Entry;

static void
entry_free (Entry *e)
{
  g_free (e->id);
  g_free (e->name);
  g_free (e->meta_data);
  g_free (e);
}

static const char *
string_member (json_object *o, const char *key)
{
  json_object *v;
  if (json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  return NULL;
}

/* The streams of a joinedTheRoom or roomInformation: `streamList` (names
 * and meta data, 2.4+) and `streams` (ids only), merged. NULL when the
 * message has neither as an array: it says nothing of the room.
 * (transfer full) */
static GPtrArray *
room_entries (AmsConference *self, AmsEvent *event)
{
  g_autofree char *list = ams_event_dup_json (event, "streamList");
  json_object *array = list ? json_tokener_parse (list) : NULL;
  g_auto (GStrv) streams = ams_event_dup_strv (event, "streams");
  if (streams == NULL && !(array && json_object_is_type (array, json_type_array))) {
    if (array)
      json_object_put (array);
    return NULL;
  }
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  if (array && json_object_is_type (array, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length (array) && entries->len < 1024; i++) {
      json_object *o = json_object_array_get_idx (array, i);
      const char *id = json_object_is_type (o, json_type_object) ? string_member (o, "streamId")
                                                                  : NULL;
      if (id == NULL || *id == '\0')
        continue;
      Entry *e = g_new0 (Entry, 1);
      e->id = g_strdup (id);
      e->name = g_strdup (string_member (o, "streamName"));
      e->meta_data = g_strdup (string_member (o, "metaData"));
      g_ptr_array_add (entries, e);
    }
  }
  if (array)
    json_object_put (array);

  for (char **s = streams; s && *s && entries->len < 1024; s++) {
    gboolean known = **s == '\0';
    for (guint i = 0; i < entries->len && !known; i++)
      known = g_str_equal (((Entry *) g_ptr_array_index (entries, i))->id, *s);
    if (!known) {
      Entry *e = g_new0 (Entry, 1);
      e->id = g_strdup (*s);
      g_ptr_array_add (entries, e);
    }
  }
  /* Servers remove the caller's own id; do not trust that. */
  for (guint i = 0; i < entries->len; i++)
    if (self->stream_id && g_str_equal (((Entry *) g_ptr_array_index (entries, i))->id,
                                        self->stream_id))
      g_ptr_array_remove_index (entries, i--);
  return entries;
}

/* Brings the participants in line with @entries: newcomers joined and
 * played, the missing ones left. */
static void
sync_room (AmsConference *self, GPtrArray *entries)
{
  g_object_ref (self);
  for (guint i = 0; i < self->participants->len; i++) {
    AmsParticipant *p = g_ptr_array_index (self->participants, i);
    gboolean present = FALSE;
    for (guint k = 0; k < entries->len && !present; k++)
      present = g_str_equal (((Entry *) g_ptr_array_index (entries, k))->id, p->id);
    if (!present) {
      g_autofree char *id = g_strdup (p->id);
      _ams_conference_remove_participant (self, id, "left");
      i = (guint) -1;   /* the list changed: start over */
    }
  }
  for (guint k = 0; k < entries->len && self->state == AMS_CONFERENCE_STATE_JOINED; k++) {
    Entry *e = g_ptr_array_index (entries, k);
    AmsParticipant *p = _ams_conference_add_participant (self, e->id, e->name, e->meta_data);
    if (self->state == AMS_CONFERENCE_STATE_JOINED && _ams_conference_find (self, e->id))
      _ams_conference_legacy_start_play (self, p);
  }
  g_object_unref (self);
}

void
_ams_conference_legacy_room_information (AmsConference *self, AmsEvent *event)
{
  g_autoptr (GPtrArray) entries = room_entries (self, event);
  if (entries)
    sync_room (self, entries);
  else
    g_debug ("room %s: a room message without streams ignored", self->room);
}

/* ------------------------------------------------------------ the flow */

static gboolean
on_poll (gpointer data)
{
  AmsConference *self = data;
  g_autoptr (GError) error = NULL;
  if (ams_client_get_state (self->client) == AMS_CLIENT_STATE_CONNECTED &&
      !ams_client_get_room_info (self->client, self->room, self->stream_id, &error))
    g_debug ("room %s: cannot poll: %s", self->room, error->message);
  return G_SOURCE_CONTINUE;
}

gboolean
_ams_conference_legacy_join (AmsConference *self, GError **error)
{
  _ams_conference_set_state (self, AMS_CONFERENCE_STATE_JOINING);
  if (!ams_client_join_room (self->client, self->room, self->stream_id, "legacy", error)) {
    _ams_conference_set_state (self, AMS_CONFERENCE_STATE_IDLE);
    return FALSE;
  }
  return TRUE;
}

void
_ams_conference_legacy_joined (AmsConference *self, AmsEvent *event, const char *stream_id)
{
  if (self->state != AMS_CONFERENCE_STATE_JOINING) {
    if (self->state != AMS_CONFERENCE_STATE_JOINED)
      return;
    /* A reconnection re-issued a joinRoom that had no id: the server made
     * a new one, but our publish keeps the first. Join again with it, so
     * the room lists our stream (and later reconnections send it). */
    if (stream_id && self->stream_id && !g_str_equal (stream_id, self->stream_id)) {
      g_autoptr (GError) error = NULL;
      if (!ams_client_join_room (self->client, self->room, self->stream_id, "legacy", &error))
        g_debug ("room %s: cannot join again as %s: %s", self->room, self->stream_id,
                 error->message);
    }
    _ams_conference_legacy_room_information (self, event);
    return;
  }
  if (stream_id == NULL || *stream_id == '\0') {
    g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_PROTOCOL,
                                            "room %s: joinedTheRoom without a stream id",
                                            self->room);
    _ams_conference_fail (self, error);
    return;
  }
  if (self->stream_id == NULL)
    self->stream_id = g_strdup (stream_id);
  _ams_conference_set_state (self, AMS_CONFERENCE_STATE_JOINED);

  g_autoptr (GError) error = NULL;
  if (!_ams_conference_start_own (self, NULL, &error)) {
    _ams_conference_fail (self, error);
    return;
  }
  _ams_conference_legacy_room_information (self, event);
}

/* Polling starts once the server took the own publish (start): an answer
 * without a stream id (no_active_streams_in_room) would otherwise be taken
 * by the pending publish as its own refusal. */
void
_ams_conference_legacy_own_state (AmsConference *self, AmsStreamState state)
{
  if (self->state != AMS_CONFERENCE_STATE_JOINED || self->poll_source ||
      (state != AMS_STREAM_STATE_NEGOTIATING && state != AMS_STREAM_STATE_STARTED))
    return;
  self->poll_source = g_timeout_source_new (self->poll_interval_ms);
  g_source_set_callback (self->poll_source, on_poll, self, NULL);
  g_source_attach (self->poll_source, self->context);
}

/* The server took us out of the room while we stay: a `stop` of the own
 * publish leaves a legacy room (the own stream recovering from a stall or
 * a lost publish sends one before publishing again). Join again with the
 * own id, so the room lists the stream once it is published again. */
void
_ams_conference_legacy_rejoin (AmsConference *self)
{
  g_autoptr (GError) error = NULL;
  if (ams_client_get_state (self->client) == AMS_CLIENT_STATE_CONNECTED &&
      !ams_client_join_room (self->client, self->room, self->stream_id, "legacy", &error))
    g_debug ("room %s: cannot join again as %s: %s", self->room, self->stream_id,
             error->message);
}

void
_ams_conference_legacy_stop (AmsConference *self)
{
  if (ams_client_get_state (self->client) != AMS_CLIENT_STATE_CONNECTED)
    return;
  g_autoptr (GError) error = NULL;
  if (!ams_client_leave_from_room (self->client, self->room, self->stream_id, &error))
    g_debug ("room %s: cannot send leaveFromRoom: %s", self->room, error->message);
}
