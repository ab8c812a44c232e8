/* ams-conference-multitrack.c: a multitrack room (the main-track model of
 * current Ant Media Server):
 *
 *   publish {streamId: own, mainTrack: room}
 *   play {streamId: room, userPublishId: own}   one connection for all
 *   server offers (and re-offers) with idMapping {mid: "ARDAMSv<id>", ...}
 *   notification subtrackAdded / subtrackRemoved {trackId, mainTrack}
 *   stop own, stop room
 *
 * Participants come from subtrackAdded and from the id mapping of each
 * offer (a server may announce nothing for those already there); they go
 * with subtrackRemoved, or when a re-offer no longer maps them. Frames are
 * counted per m-line by the taps and credited through the id mapping. */
#define GST_USE_UNSTABLE_API
#include "client/ams-conference-private.h"
#include "client/ams-stream-private.h"

#include <json-c/json.h>
#include <string.h>

/* How often the taps' counters are read. */
#define FRAMES_COLLECT_MS 100

/* "ARDAMSv<id>" / "ARDAMSa<id>" name the participant <id>; any other value
 * (e.g. "videoTrack0" with limited video tracks) is taken as it is. */
static char *
track_of_mapping (const char *value)
{
  if (g_str_has_prefix (value, "ARDAMSv") || g_str_has_prefix (value, "ARDAMSa"))
    return g_strdup (value + strlen ("ARDAMSv"));
  return g_strdup (value);
}

static gboolean
is_own (AmsConference *self, const char *id)
{
  return g_strcmp0 (id, self->stream_id) == 0 || g_strcmp0 (id, self->room) == 0;
}

/* ------------------------------------------------------------ frames */

static void
credit_frames (const char *mid, guint64 new_frames, guint width, guint height, gpointer data)
{
  AmsConference *self = data;
  const char *track = self->mid_to_track ? g_hash_table_lookup (self->mid_to_track, mid) : NULL;
  AmsParticipant *p = _ams_conference_find (self, track);
  if (p)
    _ams_conference_frames (self, p, p->frames + new_frames, width, height);
}

static gboolean
on_collect (gpointer data)
{
  AmsConference *self = data;
  g_object_ref (self);
  if (self->taps)
    _ams_track_taps_collect (self->taps, credit_frames, self);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

/* The room's play has a (new) media session: count what it decodes. */
static void
tap_room_play (AmsConference *self)
{
  if (self->room_play == NULL || self->room_play->peer == NULL)
    return;
  GstElement *webrtc = ams_peer_get_webrtcbin (self->room_play->peer);
  if (webrtc == NULL)
    return;
  _ams_track_taps_attach (self->taps, webrtc);
}

/* ------------------------------------------------------------ server messages */

void
_ams_conference_multitrack_subtrack (AmsConference *self, AmsEvent *event, gboolean added)
{
  const char *track = ams_event_get_string (event, "trackId");
  if (track == NULL || *track == '\0' || is_own (self, track) ||
      self->state != AMS_CONFERENCE_STATE_JOINED)
    return;
  if (added) {
    AmsParticipant *p = _ams_conference_add_participant (self, track, NULL, NULL);
    if (_ams_conference_find (self, track) == p)
      _ams_conference_track_added (self, p);
  } else {
    _ams_conference_remove_participant (self, track, "left");
  }
}

void
_ams_conference_multitrack_offer (AmsConference *self, AmsEvent *event)
{
  /* The room's stream handled the offer first (it connected earlier): its
   * media session exists now, before any RTP can arrive. */
  tap_room_play (self);

  g_autofree char *json = ams_event_dup_json (event, "idMapping");
  json_object *mapping = json ? json_tokener_parse (json) : NULL;
  if (mapping == NULL || !json_object_is_type (mapping, json_type_object)) {
    if (mapping)
      json_object_put (mapping);
    return;
  }
  GHashTable *old = self->mid_to_track;
  self->mid_to_track = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  json_object_object_foreach (mapping, mid, value) {
    if (!json_object_is_type (value, json_type_string) ||
        g_hash_table_size (self->mid_to_track) >= 1024)
      continue;
    g_hash_table_replace (self->mid_to_track, g_strdup (mid),
                          track_of_mapping (json_object_get_string (value)));
  }
  json_object_put (mapping);

  g_object_ref (self);
  /* Gone: mapped before, not any more. */
  if (old) {
    GHashTableIter it;
    gpointer track;
    g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
    g_hash_table_iter_init (&it, old);
    while (g_hash_table_iter_next (&it, NULL, &track)) {
      gboolean still = FALSE;
      GHashTableIter it2;
      gpointer t2;
      g_hash_table_iter_init (&it2, self->mid_to_track);
      while (!still && g_hash_table_iter_next (&it2, NULL, &t2))
        still = g_str_equal (t2, track);
      if (!still)
        g_ptr_array_add (gone, g_strdup (track));
    }
    g_hash_table_unref (old);
    for (guint i = 0; i < gone->len && self->state == AMS_CONFERENCE_STATE_JOINED; i++)
      _ams_conference_remove_participant (self, g_ptr_array_index (gone, i), "left");
  }
  /* New: mapped now. */
  GHashTableIter it;
  gpointer track;
  g_autoptr (GPtrArray) tracks = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&it, self->mid_to_track);
  while (g_hash_table_iter_next (&it, NULL, &track))
    g_ptr_array_add (tracks, g_strdup (track));
  for (guint i = 0; i < tracks->len && self->state == AMS_CONFERENCE_STATE_JOINED; i++) {
    const char *id = g_ptr_array_index (tracks, i);
    if (is_own (self, id))
      continue;
    AmsParticipant *p = _ams_conference_add_participant (self, id, NULL, NULL);
    if (_ams_conference_find (self, id) == p)
      _ams_conference_track_added (self, p);
  }
  g_object_unref (self);
}

/* ------------------------------------------------------------ the room's play */

static void
on_room_error (AmsStream *stream, const GError *error, gpointer data)
{
  _ams_conference_fail (data, error);
}

static void
on_room_finished (AmsStream *stream, gpointer data)
{
  AmsConference *self = data;
  if (self->state != AMS_CONFERENCE_STATE_JOINED)
    return;
  g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_FAILED,
                                          "room %s: the server ended the room's play",
                                          self->room);
  _ams_conference_fail (self, error);
}

static char *
random_stream_id (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  char id[13] = "p";
  for (guint i = 1; i < 12; i++)
    id[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  return g_strdup (id);
}

gboolean
_ams_conference_multitrack_join (AmsConference *self, GError **error)
{
  if (self->stream_id == NULL)
    self->stream_id = random_stream_id ();
  if (g_str_equal (self->stream_id, self->room)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "the own stream id cannot be the room id (%s)", self->room);
    return FALSE;
  }
  _ams_conference_set_state (self, AMS_CONFERENCE_STATE_JOINING);
  if (!_ams_conference_start_own (self, self->room, error)) {
    _ams_conference_set_state (self, AMS_CONFERENCE_STATE_IDLE);
    return FALSE;
  }

  /* The own publish goes first on the socket, so the room exists (as a
   * main track with one subtrack) when the play arrives. */
  AmsPlayParams params;
  ams_play_params_init (&params, self->room);
  params.token = self->publish.token;
  params.subscriber_id = self->publish.subscriber_id;
  params.subscriber_code = self->publish.subscriber_code;
  params.role = self->publish.role;
  params.user_publish_id = self->stream_id;
  self->room_play = _ams_conference_new_stream (self, AMS_STREAM_PLAY, self->room);
  /* The room's media stops whenever nobody else publishes: no stall then.
   * A broken path still is one (ICE disconnected or failed: play again). */
  self->room_play->watch_ice_only = TRUE;
  ams_stream_set_play_params (self->room_play, &params);
  _ams_conference_forward_stream (self, self->room_play, NULL);
  g_signal_connect (self->room_play, "error", G_CALLBACK (on_room_error), self);
  g_signal_connect (self->room_play, "finished", G_CALLBACK (on_room_finished), self);
  if (!ams_stream_start (self->room_play, error)) {
    _ams_conference_set_state (self, AMS_CONFERENCE_STATE_IDLE);
    return FALSE;
  }

  if (self->taps == NULL)
    self->taps = _ams_track_taps_new ();
  self->frames_source = g_timeout_source_new (FRAMES_COLLECT_MS);
  g_source_set_callback (self->frames_source, on_collect, self, NULL);
  g_source_attach (self->frames_source, self->context);
  _ams_conference_set_state (self, AMS_CONFERENCE_STATE_JOINED);
  return TRUE;
}

void
_ams_conference_multitrack_stop (AmsConference *self)
{
  /* Nothing to send of its own: stopping the own stream and the room's
   * play (done as the caller releases them) is how the room is left. */
}
