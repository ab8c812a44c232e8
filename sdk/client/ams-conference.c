/* ams-conference.c: AmsConference, the object: options, state, the list of
 * participants, signals, the own stream and leaving. The two room flows
 * live in ams-conference-legacy.c and ams-conference-multitrack.c. */
#include "client/ams-conference-private.h"

#include <string.h>

/* How long leaving waits for the server's confirmation: a loaded server
 * (three publishers and their room players on two cores) was measured
 * confirming a multitrack leave more than 2 s late. */
#define LEAVE_WAIT_MS 5000

guint _ams_conference_signals[AMS_CONFERENCE_N_SIGNALS];

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (AmsConference, ams_conference, G_TYPE_OBJECT)

const char *
ams_conference_state_to_string (AmsConferenceState state)
{
  switch (state) {
  case AMS_CONFERENCE_STATE_IDLE:    return "idle";
  case AMS_CONFERENCE_STATE_JOINING: return "joining";
  case AMS_CONFERENCE_STATE_JOINED:  return "joined";
  case AMS_CONFERENCE_STATE_LEAVING: return "leaving";
  case AMS_CONFERENCE_STATE_LEFT:    return "left";
  case AMS_CONFERENCE_STATE_FAILED:  return "failed";
  }
  return "unknown";
}

const char *
ams_conference_mode_to_string (AmsConferenceMode mode)
{
  return mode == AMS_CONFERENCE_MULTITRACK ? "multitrack" : "legacy";
}

/* ------------------------------------------------------------ options */

static const char *
own_str (AmsConference *self, const char *s)
{
  if (s == NULL)
    return NULL;
  char *copy = g_strdup (s);
  g_ptr_array_add (self->owned, copy);
  return copy;
}

static void
copy_media_options (AmsConference *self, const AmsMediaOptions *o)
{
  self->opts = *o;
  self->opts.video_source = own_str (self, o->video_source);
  self->opts.audio_source = own_str (self, o->audio_source);
  self->opts.file = own_str (self, o->file);
  self->opts.video_codec = own_str (self, o->video_codec);
  self->opts.video_sink = own_str (self, o->video_sink);
  self->opts.audio_sink = own_str (self, o->audio_sink);
  self->opts.record_path = own_str (self, o->record_path);
  self->opts.ice_filter = own_str (self, o->ice_filter);
  self->opts.p2p_mode = NULL;
  self->ice_servers = o->ice_servers ? g_strdupv ((char **) o->ice_servers) : NULL;
  self->opts.ice_servers = (const char *const *) self->ice_servers;
}

/* ------------------------------------------------------------ state */

void
_ams_conference_emit_event (AmsConference *self, AmsEvent *event)
{
  if (!ams_event_has_field (event, "room"))
    ams_event_set_string (event, "room", self->room);
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_EVENT], 0, event);
  ams_event_unref (event);
}

void
_ams_conference_set_state (AmsConference *self, AmsConferenceState state)
{
  AmsConferenceState old = self->state;
  if (old == state)
    return;
  self->state = state;
  g_object_ref (self);
  AmsEvent *event = ams_event_new ("conference-state");
  ams_event_set_string (event, "room", self->room);
  ams_event_set_string (event, "mode", ams_conference_mode_to_string (self->mode));
  ams_event_set_string (event, "state", ams_conference_state_to_string (state));
  ams_event_set_string (event, "streamId", self->stream_id);
  ams_event_set_int (event, "participants", self->participants->len);
  _ams_conference_emit_event (self, event);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_STATE_CHANGED], 0, old, state);
  g_object_unref (self);
}

static gboolean
is_over (AmsConference *self)
{
  return self->state == AMS_CONFERENCE_STATE_LEFT || self->state == AMS_CONFERENCE_STATE_FAILED;
}

/* Every stream and timer goes; no message is sent. */
static void
drop_everything (AmsConference *self)
{
  if (self->poll_source) {
    g_source_destroy (self->poll_source);
    g_clear_pointer (&self->poll_source, g_source_unref);
  }
  if (self->frames_source) {
    g_source_destroy (self->frames_source);
    g_clear_pointer (&self->frames_source, g_source_unref);
  }
  while (self->participants->len > 0) {
    AmsParticipant *p = g_ptr_array_index (self->participants, self->participants->len - 1);
    _ams_conference_remove_participant (self, p->id, "leaving");
  }
  if (self->room_play) {
    _ams_conference_release_stream (self, self->room_play);
    self->room_play = NULL;
  }
  if (self->own) {
    _ams_conference_release_stream (self, self->own);
    self->own = NULL;
  }
}

void
_ams_conference_fail (AmsConference *self, const GError *error)
{
  if (is_over (self))
    return;
  g_object_ref (self);
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
  AmsEvent *event = ams_event_new ("error");
  ams_event_set_error (event, error);
  _ams_conference_emit_event (self, event);
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_ERROR], 0, error);
  if (!is_over (self)) {
    /* What was still up is ended as if leaving, so the server lets go. */
    if (self->mode == AMS_CONFERENCE_LEGACY)
      _ams_conference_legacy_stop (self);
    else
      _ams_conference_multitrack_stop (self);
    drop_everything (self);
    _ams_conference_set_state (self, AMS_CONFERENCE_STATE_FAILED);
  }
  g_object_unref (self);
}

/* ------------------------------------------------------------ participants */

static void
participant_free (AmsParticipant *p)
{
  g_free (p->id);
  g_free (p->name);
  g_free (p->meta_data);
  g_free (p);
}

AmsParticipant *
_ams_conference_find (AmsConference *self, const char *id)
{
  for (guint i = 0; id && i < self->participants->len; i++) {
    AmsParticipant *p = g_ptr_array_index (self->participants, i);
    if (g_str_equal (p->id, id))
      return p;
  }
  return NULL;
}

static void
set_nullable (char **field, const char *value)
{
  if (value && g_strcmp0 (*field, value) != 0) {
    g_free (*field);
    *field = g_strdup (value);
  }
}

AmsParticipant *
_ams_conference_add_participant (AmsConference *self, const char *id, const char *name,
                                 const char *meta_data)
{
  AmsParticipant *p = _ams_conference_find (self, id);
  if (p) {
    set_nullable (&p->name, name);
    set_nullable (&p->meta_data, meta_data);
    return p;
  }
  p = g_new0 (AmsParticipant, 1);
  p->id = g_strdup (id);
  p->name = g_strdup (name);
  p->meta_data = g_strdup (meta_data);
  g_ptr_array_add (self->participants, p);

  AmsEvent *event = ams_event_new ("participant-joined");
  ams_event_set_string (event, "streamId", id);
  ams_event_set_string (event, "streamName", name);
  ams_event_set_string (event, "metaData", meta_data);
  ams_event_set_int (event, "participants", self->participants->len);
  _ams_conference_emit_event (self, event);
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_PARTICIPANT_JOINED], 0, id,
                 name);
  return p;
}

void
_ams_conference_track_added (AmsConference *self, AmsParticipant *p)
{
  if (p->track)
    return;
  p->track = TRUE;
  AmsEvent *event = ams_event_new ("track-added");
  ams_event_set_string (event, "trackId", p->id);
  _ams_conference_emit_event (self, event);
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_TRACK_ADDED], 0, p->id);
}

void
_ams_conference_remove_participant (AmsConference *self, const char *id, const char *reason)
{
  guint index;
  AmsParticipant *p = NULL;
  for (index = 0; index < self->participants->len; index++) {
    p = g_ptr_array_index (self->participants, index);
    if (g_str_equal (p->id, id))
      break;
  }
  if (index == self->participants->len)
    return;
  g_ptr_array_remove_index (self->participants, index);
  g_object_ref (self);
  if (p->play) {
    _ams_conference_release_stream (self, p->play);
    p->play = NULL;
  }
  if (p->track) {
    AmsEvent *event = ams_event_new ("track-removed");
    ams_event_set_string (event, "trackId", p->id);
    _ams_conference_emit_event (self, event);
    g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_TRACK_REMOVED], 0, p->id);
  }
  AmsEvent *event = ams_event_new ("participant-left");
  ams_event_set_string (event, "streamId", p->id);
  ams_event_set_string (event, "reason", reason);
  ams_event_set_int (event, "framesDecoded", (gint64) p->frames);
  ams_event_set_int (event, "participants", self->participants->len);
  _ams_conference_emit_event (self, event);
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_PARTICIPANT_LEFT], 0, p->id);
  participant_free (p);
  g_object_unref (self);
}

void
_ams_conference_frames (AmsConference *self, AmsParticipant *p, guint64 frames, guint width,
                        guint height)
{
  if (p->frames == 0 && frames > 0) {
    AmsEvent *event = ams_event_new ("participant-first-frame");
    ams_event_set_string (event, "streamId", p->id);
    ams_event_set_int (event, "width", width);
    ams_event_set_int (event, "height", height);
    _ams_conference_emit_event (self, event);
  }
  p->frames = frames;
  if (width && height) {
    p->width = width;
    p->height = height;
  }
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_VIDEO_FRAME], 0, p->id, frames,
                 p->width, p->height);
}

/* ------------------------------------------------------------ streams */

AmsStream *
_ams_conference_new_stream (AmsConference *self, AmsStreamKind kind, const char *stream_id)
{
  AmsMediaOptions o = self->opts;
  if (kind != AMS_STREAM_PUBLISH)
    o.record_path = NULL;   /* several players cannot share one file */
  return ams_stream_new (self->client, kind, stream_id, &o);
}

static void
on_stream_event (AmsStream *stream, AmsEvent *event, gpointer data)
{
  AmsConference *self = data;
  /* Data is reported once, by the conference itself, with its sender. */
  if (g_str_equal (ams_event_get_name (event), "data"))
    return;
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_EVENT], 0, event);
}

static void
emit_data (AmsConference *self, const char *from, GBytes *bytes, gboolean is_binary)
{
  gsize size = 0;
  const char *d = g_bytes_get_data (bytes, &size);
  AmsEvent *event = ams_event_new ("data");
  ams_event_set_string (event, "from", from);
  ams_event_set_bool (event, "binary", is_binary);
  if (!is_binary && d && g_utf8_validate (d, -1, NULL)) {
    ams_event_set_string (event, "text", d);
  } else {
    g_autofree char *b64 = g_base64_encode ((const guchar *) d, size);
    ams_event_set_string (event, "base64", b64);
  }
  ams_event_set_int (event, "size", (gint64) (is_binary ? size : (size ? size - 1 : 0)));
  g_object_ref (self);
  _ams_conference_emit_event (self, event);
  g_signal_emit (self, _ams_conference_signals[AMS_CONFERENCE_SIG_DATA], 0, from, bytes, is_binary);
  g_object_unref (self);
}

static void
on_stream_data (AmsStream *stream, GBytes *bytes, gboolean is_binary, gpointer data)
{
  AmsConference *self = data;
  const char *from = NULL;
  /* A legacy player's channel carries its publisher's messages. */
  for (guint i = 0; i < self->participants->len; i++) {
    AmsParticipant *p = g_ptr_array_index (self->participants, i);
    if (p->play == stream)
      from = p->id;
  }
  emit_data (self, from, bytes, is_binary);
}

void
_ams_conference_forward_stream (AmsConference *self, AmsStream *stream, AmsParticipant *from)
{
  g_signal_connect (stream, "event", G_CALLBACK (on_stream_event), self);
  g_signal_connect (stream, "data", G_CALLBACK (on_stream_data), self);
}

static gboolean
unref_later (gpointer data)
{
  return G_SOURCE_REMOVE;
}

void
_ams_conference_release_stream (AmsConference *self, AmsStream *stream)
{
  g_signal_handlers_disconnect_by_data (stream, self);
  ams_stream_stop (stream);
  /* The stream may be emitting the signal that brought us here. */
  GSource *source = g_idle_source_new ();
  g_source_set_callback (source, unref_later, stream, g_object_unref);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* The own stream. */

static void
on_own_state (AmsStream *stream, int old_state, int new_state, gpointer data)
{
  AmsConference *self = data;
  AmsEvent *event = ams_event_new ("own-stream-state");
  ams_event_set_string (event, "streamId", ams_stream_get_stream_id (stream));
  ams_event_set_string (event, "state", ams_stream_state_to_string (new_state));
  _ams_conference_emit_event (self, event);
  if (self->mode == AMS_CONFERENCE_LEGACY)
    _ams_conference_legacy_own_state (self, new_state);
}

static void
on_own_error (AmsStream *stream, const GError *error, gpointer data)
{
  _ams_conference_fail (data, error);
}

static void
on_own_finished (AmsStream *stream, gpointer data)
{
  AmsConference *self = data;
  if (is_over (self) || self->state == AMS_CONFERENCE_STATE_LEAVING || stream != self->own)
    return;
  g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_FAILED,
                                          "room %s: the server ended the own stream %s",
                                          self->room, ams_stream_get_stream_id (stream));
  _ams_conference_fail (self, error);
}

gboolean
_ams_conference_start_own (AmsConference *self, const char *main_track, GError **error)
{
  AmsPublishParams params = self->publish;
  params.stream_id = self->stream_id;
  params.main_track = main_track;
  self->own = _ams_conference_new_stream (self, AMS_STREAM_PUBLISH, self->stream_id);
  ams_stream_set_publish_params (self->own, &params);
  _ams_conference_forward_stream (self, self->own, NULL);
  g_signal_connect (self->own, "state-changed", G_CALLBACK (on_own_state), self);
  g_signal_connect (self->own, "error", G_CALLBACK (on_own_error), self);
  g_signal_connect (self->own, "finished", G_CALLBACK (on_own_finished), self);
  return ams_stream_start (self->own, error);
}

/* ------------------------------------------------------------ client signals */

static gboolean
is_our_room (AmsConference *self, AmsEvent *event)
{
  const char *room = ams_event_get_string (event, "room");
  if (room == NULL)
    room = ams_event_get_string (event, "ATTR_ROOM_NAME");
  if (room == NULL)
    room = ams_event_get_string (event, "mainTrack");
  return g_strcmp0 (room, self->room) == 0;
}

static void
on_leave_confirmed (AmsConference *self)
{
  if (self->leave_source) {
    g_source_destroy (self->leave_source);
    g_clear_pointer (&self->leave_source, g_source_unref);
  }
  _ams_conference_set_state (self, AMS_CONFERENCE_STATE_LEFT);
}

static void
on_notification (AmsClient *client, AmsEvent *event, const char *stream_id, gpointer data)
{
  AmsConference *self = data;
  const char *definition = ams_event_get_name (event);

  if (is_over (self))
    return;
  g_object_ref (self);
  if (g_str_equal (definition, "joinedTheRoom")) {
    if (self->mode == AMS_CONFERENCE_LEGACY && is_our_room (self, event))
      _ams_conference_legacy_joined (self, event, stream_id);
  } else if (g_str_equal (definition, "leavedFromRoom")) {
    if (self->state == AMS_CONFERENCE_STATE_LEAVING && self->mode == AMS_CONFERENCE_LEGACY &&
        is_our_room (self, event))
      on_leave_confirmed (self);
    else if (self->state == AMS_CONFERENCE_STATE_JOINED && self->mode == AMS_CONFERENCE_LEGACY &&
             is_our_room (self, event))
      _ams_conference_legacy_rejoin (self);
  } else if (g_str_equal (definition, "publish_finished")) {
    /* A multitrack room is left by stopping the own stream. */
    if (self->state == AMS_CONFERENCE_STATE_LEAVING && self->mode == AMS_CONFERENCE_MULTITRACK &&
        self->stream_id && g_strcmp0 (stream_id, self->stream_id) == 0)
      on_leave_confirmed (self);
  } else if (g_str_equal (definition, "subtrackAdded") ||
             g_str_equal (definition, "subtrackRemoved")) {
    if (self->mode == AMS_CONFERENCE_MULTITRACK && is_our_room (self, event))
      _ams_conference_multitrack_subtrack (self, event,
                                           g_str_equal (definition, "subtrackAdded"));
  }
  g_object_unref (self);
}

static void
on_room_information (AmsClient *client, AmsEvent *event, const char *room, gpointer data)
{
  AmsConference *self = data;
  if (self->mode != AMS_CONFERENCE_LEGACY || self->state != AMS_CONFERENCE_STATE_JOINED ||
      g_strcmp0 (room, self->room) != 0)
    return;
  g_object_ref (self);
  _ams_conference_legacy_room_information (self, event);
  g_object_unref (self);
}

static void
on_take_configuration (AmsClient *client, AmsEvent *event, const char *stream_id,
                       const char *type, const char *sdp, gpointer data)
{
  AmsConference *self = data;
  if (self->mode == AMS_CONFERENCE_MULTITRACK && !is_over (self) &&
      g_strcmp0 (stream_id, self->room) == 0 && g_strcmp0 (type, "offer") == 0)
    _ams_conference_multitrack_offer (self, event);
}

static void
on_server_error (AmsClient *client, const GError *error, AmsEvent *event, gpointer data)
{
  AmsConference *self = data;
  const char *stream_id = ams_event_get_stream_id (event);

  if (is_over (self) || self->state == AMS_CONFERENCE_STATE_LEAVING)
    return;
  if (g_error_matches (error, AMS_ERROR, AMS_ERROR_NO_ACTIVE_STREAMS_IN_ROOM)) {
    /* The answer to our poll when nobody publishes in the room. */
    if (self->mode == AMS_CONFERENCE_LEGACY && self->state == AMS_CONFERENCE_STATE_JOINED &&
        is_our_room (self, event)) {
      g_object_ref (self);
      while (self->participants->len > 0) {
        AmsParticipant *p = g_ptr_array_index (self->participants, 0);
        _ams_conference_remove_participant (self, p->id, "left");
      }
      g_object_unref (self);
    }
    return;
  }
  /* joinRoom's refusals: no_room_specified, not_allowed_unregistered_streams,
   * room_not_active_or_expired, unauthorized_access (room id or none). */
  if (self->mode == AMS_CONFERENCE_LEGACY && self->state == AMS_CONFERENCE_STATE_JOINING &&
      (stream_id == NULL || g_strcmp0 (stream_id, self->room) == 0 ||
       g_strcmp0 (stream_id, self->stream_id) == 0)) {
    g_autoptr (GError) copy = g_error_copy (error);
    g_prefix_error (&copy, "room %s: ", self->room);
    _ams_conference_fail (self, copy);
  }
}

static void
on_disconnected (AmsClient *client, const GError *error, gpointer data)
{
  AmsConference *self = data;
  if (is_over (self) || self->state == AMS_CONFERENCE_STATE_IDLE)
    return;
  if (error == NULL || self->state == AMS_CONFERENCE_STATE_LEAVING) {
    /* The application closed the connection: everything ended. */
    drop_everything (self);
    on_leave_confirmed (self);
    return;
  }
  g_autoptr (GError) copy = g_error_copy (error);
  g_prefix_error (&copy, "room %s: the connection ended: ", self->room);
  _ams_conference_fail (self, copy);
}

static void
connect_client (AmsConference *self)
{
  guint i = 0;
  self->handlers[i++] = g_signal_connect (self->client, "notification",
                                          G_CALLBACK (on_notification), self);
  self->handlers[i++] = g_signal_connect (self->client, "room-information",
                                          G_CALLBACK (on_room_information), self);
  /* After the room's stream handled the offer, so its media exists. */
  self->handlers[i++] = g_signal_connect_after (self->client, "take-configuration",
                                                G_CALLBACK (on_take_configuration), self);
  self->handlers[i++] = g_signal_connect (self->client, "server-error",
                                          G_CALLBACK (on_server_error), self);
  self->handlers[i++] = g_signal_connect (self->client, "disconnected",
                                          G_CALLBACK (on_disconnected), self);
}

static void
disconnect_client (AmsConference *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->handlers); i++)
    if (self->handlers[i]) {
      g_signal_handler_disconnect (self->client, self->handlers[i]);
      self->handlers[i] = 0;
    }
}

/* ------------------------------------------------------------ public API */

AmsConference *
ams_conference_new (AmsClient *client, const char *room, AmsConferenceMode mode,
                    const AmsMediaOptions *options)
{
  g_return_val_if_fail (AMS_IS_CLIENT (client), NULL);
  g_return_val_if_fail (room != NULL, NULL);

  AmsConference *self = g_object_new (AMS_TYPE_CONFERENCE, NULL);
  self->client = g_object_ref (client);
  /* A client on the default context may report none. */
  GMainContext *context = ams_client_get_context (client);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->room = g_strdup (room);
  self->mode = mode == AMS_CONFERENCE_MULTITRACK ? AMS_CONFERENCE_MULTITRACK
                                                 : AMS_CONFERENCE_LEGACY;
  AmsMediaOptions defaults;
  ams_media_options_init (&defaults);
  copy_media_options (self, options ? options : &defaults);
  ams_publish_params_init (&self->publish, NULL);
  self->publish.video = self->opts.video;
  self->publish.audio = self->opts.audio;
  return self;
}

void
ams_conference_set_stream_id (AmsConference *self, const char *stream_id)
{
  g_return_if_fail (AMS_IS_CONFERENCE (self));
  g_return_if_fail (self->state == AMS_CONFERENCE_STATE_IDLE);
  g_free (self->stream_id);
  self->stream_id = stream_id && *stream_id ? g_strdup (stream_id) : NULL;
}

void
ams_conference_set_publish_params (AmsConference *self, const AmsPublishParams *params)
{
  g_return_if_fail (AMS_IS_CONFERENCE (self));
  g_return_if_fail (params != NULL);
  g_return_if_fail (self->state == AMS_CONFERENCE_STATE_IDLE);
  ams_publish_params_init (&self->publish, NULL);
  self->publish.token = own_str (self, params->token);
  self->publish.subscriber_id = own_str (self, params->subscriber_id);
  self->publish.subscriber_code = own_str (self, params->subscriber_code);
  self->publish.stream_name = own_str (self, params->stream_name);
  self->publish.meta_data = own_str (self, params->meta_data);
  self->publish.role = own_str (self, params->role);
  self->publish.video = self->opts.video;
  self->publish.audio = self->opts.audio;
}

void
ams_conference_set_poll_interval (AmsConference *self, guint interval_ms)
{
  g_return_if_fail (AMS_IS_CONFERENCE (self));
  self->poll_interval_ms = interval_ms ? interval_ms : 5000;
}

gboolean
ams_conference_join (AmsConference *self, GError **error)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state != AMS_CONFERENCE_STATE_IDLE) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_FAILED, "room %s: already joined", self->room);
    return FALSE;
  }
  if (*self->room == '\0') {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "the room id is empty");
    return FALSE;
  }
  connect_client (self);
  gboolean ok = self->mode == AMS_CONFERENCE_LEGACY ? _ams_conference_legacy_join (self, error)
                                                    : _ams_conference_multitrack_join (self, error);
  if (!ok) {
    disconnect_client (self);
    drop_everything (self);
    return FALSE;
  }
  return TRUE;
}

static gboolean
on_leave_wait_over (gpointer data)
{
  AmsConference *self = data;
  g_clear_pointer (&self->leave_source, g_source_unref);
  _ams_conference_set_state (self, AMS_CONFERENCE_STATE_LEFT);
  return G_SOURCE_REMOVE;
}

void
ams_conference_leave (AmsConference *self)
{
  g_return_if_fail (AMS_IS_CONFERENCE (self));
  if (is_over (self) || self->state == AMS_CONFERENCE_STATE_LEAVING)
    return;
  g_object_ref (self);
  if (self->state == AMS_CONFERENCE_STATE_IDLE) {
    _ams_conference_set_state (self, AMS_CONFERENCE_STATE_LEFT);
    g_object_unref (self);
    return;
  }
  gboolean connected = ams_client_get_state (self->client) == AMS_CLIENT_STATE_CONNECTED;
  _ams_conference_set_state (self, AMS_CONFERENCE_STATE_LEAVING);
  if (self->mode == AMS_CONFERENCE_LEGACY)
    _ams_conference_legacy_stop (self);
  else
    _ams_conference_multitrack_stop (self);
  /* Players and the own stream send their `stop`; the server's answer
   * (leavedFromRoom, or publish_finished of the own stream) confirms. */
  drop_everything (self);
  if (!connected) {
    _ams_conference_set_state (self, AMS_CONFERENCE_STATE_LEFT);
  } else if (self->state == AMS_CONFERENCE_STATE_LEAVING) {
    self->leave_source = g_timeout_source_new (LEAVE_WAIT_MS);
    g_source_set_callback (self->leave_source, on_leave_wait_over, self, NULL);
    g_source_attach (self->leave_source, self->context);
  }
  g_object_unref (self);
}

const char *
ams_conference_get_room (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  return self->room;
}

AmsConferenceMode
ams_conference_get_mode (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), AMS_CONFERENCE_LEGACY);
  return self->mode;
}

AmsConferenceState
ams_conference_get_state (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), AMS_CONFERENCE_STATE_IDLE);
  return self->state;
}

AmsClient *
ams_conference_get_client (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  return self->client;
}

const char *
ams_conference_get_stream_id (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  return self->stream_id;
}

AmsStream *
ams_conference_get_own_stream (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  return self->own;
}

AmsStream *
ams_conference_get_room_stream (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  return self->room_play;
}

char **
ams_conference_dup_participants (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  char **ids = g_new0 (char *, self->participants->len + 1);
  for (guint i = 0; i < self->participants->len; i++)
    ids[i] = g_strdup (((AmsParticipant *) g_ptr_array_index (self->participants, i))->id);
  return ids;
}

guint
ams_conference_get_n_participants (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), 0);
  return self->participants->len;
}

const char *
ams_conference_get_participant_name (AmsConference *self, const char *stream_id)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  AmsParticipant *p = _ams_conference_find (self, stream_id);
  return p ? p->name : NULL;
}

const char *
ams_conference_get_participant_meta_data (AmsConference *self, const char *stream_id)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  AmsParticipant *p = _ams_conference_find (self, stream_id);
  return p ? p->meta_data : NULL;
}

gboolean
ams_conference_get_participant_stats (AmsConference *self, const char *stream_id,
                                      AmsStreamStats *stats)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);
  AmsParticipant *p = _ams_conference_find (self, stream_id);
  memset (stats, 0, sizeof *stats);
  stats->rtt_ms = -1;
  if (p == NULL)
    return FALSE;
  if (p->play)
    ams_stream_get_stats (p->play, stats);
  stats->frames_decoded = MAX (stats->frames_decoded, p->frames);
  if (p->width && p->height) {
    stats->width = p->width;
    stats->height = p->height;
  }
  return TRUE;
}

AmsStream *
ams_conference_get_participant_stream (AmsConference *self, const char *stream_id)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  AmsParticipant *p = _ams_conference_find (self, stream_id);
  return p ? p->play : NULL;
}

gboolean
ams_conference_enable_track (AmsConference *self, const char *track_id, gboolean enabled,
                             GError **error)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), FALSE);
  if (self->mode != AMS_CONFERENCE_MULTITRACK) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "room %s: tracks are enabled only in a multitrack room", self->room);
    return FALSE;
  }
  if (track_id == NULL || *track_id == '\0') {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no track id");
    return FALSE;
  }
  return ams_client_enable_track (self->client, self->room, track_id, enabled, error);
}

gboolean
ams_conference_send_text (AmsConference *self, const char *text, GError **error)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), FALSE);
  if (text == NULL) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no text");
    return FALSE;
  }
  if (self->own == NULL) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "room %s: not publishing",
                 self->room);
    return FALSE;
  }
  return ams_stream_send_text (self->own, text, error);
}

gboolean
ams_conference_send_data (AmsConference *self, GBytes *data, GError **error)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), FALSE);
  if (data == NULL) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no data");
    return FALSE;
  }
  if (self->own == NULL) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "room %s: not publishing",
                 self->room);
    return FALSE;
  }
  return ams_stream_send_data (self->own, data, error);
}

gboolean
ams_conference_is_data_channel_open (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), FALSE);
  return self->own != NULL && ams_stream_is_data_channel_open (self->own);
}

const GError *
ams_conference_get_error (AmsConference *self)
{
  g_return_val_if_fail (AMS_IS_CONFERENCE (self), NULL);
  return self->error;
}

/* ------------------------------------------------------------ GObject */

static void
ams_conference_dispose (GObject *object)
{
  AmsConference *self = AMS_CONFERENCE (object);
  if (self->client) {
    if (!is_over (self) && self->state != AMS_CONFERENCE_STATE_IDLE)
      ams_conference_leave (self);
    if (self->leave_source) {
      g_source_destroy (self->leave_source);
      g_clear_pointer (&self->leave_source, g_source_unref);
    }
    disconnect_client (self);
    drop_everything (self);
    g_clear_object (&self->client);
  }
  G_OBJECT_CLASS (ams_conference_parent_class)->dispose (object);
}

static void
ams_conference_finalize (GObject *object)
{
  AmsConference *self = AMS_CONFERENCE (object);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->taps, _ams_track_taps_unref);
  g_clear_pointer (&self->mid_to_track, g_hash_table_unref);
  g_ptr_array_unref (self->participants);
  g_ptr_array_unref (self->owned);
  g_clear_error (&self->error);
  g_free (self->room);
  g_free (self->stream_id);
  g_strfreev (self->ice_servers);
  G_OBJECT_CLASS (ams_conference_parent_class)->finalize (object);
}

static void
ams_conference_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  AmsConference *self = AMS_CONFERENCE (object);
  switch (id) {
  case PROP_STATE:
    g_value_set_int (value, self->state);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
}

static void
ams_conference_class_init (AmsConferenceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = ams_conference_dispose;
  object_class->finalize = ams_conference_finalize;
  object_class->get_property = ams_conference_get_property;

  /**
   * AmsConference:state:
   *
   * The #AmsConferenceState, as an integer.
   */
  props[PROP_STATE] = g_param_spec_int ("state", "State", "The conference state",
                                        AMS_CONFERENCE_STATE_IDLE, AMS_CONFERENCE_STATE_FAILED,
                                        AMS_CONFERENCE_STATE_IDLE,
                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  GType type = G_TYPE_FROM_CLASS (klass);
  _ams_conference_signals[AMS_CONFERENCE_SIG_EVENT] =
      g_signal_new ("event", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                    AMS_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
  _ams_conference_signals[AMS_CONFERENCE_SIG_STATE_CHANGED] =
      g_signal_new ("state-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                    2, G_TYPE_INT, G_TYPE_INT);
  _ams_conference_signals[AMS_CONFERENCE_SIG_PARTICIPANT_JOINED] =
      g_signal_new ("participant-joined", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  _ams_conference_signals[AMS_CONFERENCE_SIG_PARTICIPANT_LEFT] =
      g_signal_new ("participant-left", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_STRING);
  _ams_conference_signals[AMS_CONFERENCE_SIG_TRACK_ADDED] =
      g_signal_new ("track-added", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                    G_TYPE_STRING);
  _ams_conference_signals[AMS_CONFERENCE_SIG_TRACK_REMOVED] =
      g_signal_new ("track-removed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                    1, G_TYPE_STRING);
  _ams_conference_signals[AMS_CONFERENCE_SIG_VIDEO_FRAME] =
      g_signal_new ("video-frame", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                    G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_UINT, G_TYPE_UINT);
  _ams_conference_signals[AMS_CONFERENCE_SIG_DATA] =
      g_signal_new ("data", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                    G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_BOOLEAN);
  _ams_conference_signals[AMS_CONFERENCE_SIG_ERROR] =
      g_signal_new ("error", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                    G_TYPE_ERROR);
}

static void
ams_conference_init (AmsConference *self)
{
  self->owned = g_ptr_array_new_with_free_func (g_free);
  self->participants = g_ptr_array_new ();
  self->poll_interval_ms = 5000;
  self->state = AMS_CONFERENCE_STATE_IDLE;
}
