/* ams-stream.c: AmsStream, the object: options, state, signals, stop and
 * statistics. The media session lives in ams-stream-media.c and the server
 * dialogue in ams-stream-signalling.c. */
#define GST_USE_UNSTABLE_API
#include "client/ams-stream-private.h"

#include <gst/gst.h>
#include <math.h>
#include <string.h>

guint _ams_stream_signals[AMS_STREAM_N_SIGNALS];

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (AmsStream, ams_stream, G_TYPE_OBJECT)

/* ------------------------------------------------------------ small types */

const char *
ams_stream_state_to_string (AmsStreamState state)
{
  switch (state) {
  case AMS_STREAM_STATE_IDLE:         return "idle";
  case AMS_STREAM_STATE_REQUESTING:   return "requesting";
  case AMS_STREAM_STATE_WAITING_PEER: return "waiting-peer";
  case AMS_STREAM_STATE_NEGOTIATING:  return "negotiating";
  case AMS_STREAM_STATE_STARTED:      return "started";
  case AMS_STREAM_STATE_RECONNECTING: return "reconnecting";
  case AMS_STREAM_STATE_STOPPING:     return "stopping";
  case AMS_STREAM_STATE_FINISHED:     return "finished";
  case AMS_STREAM_STATE_FAILED:       return "failed";
  }
  return "unknown";
}

static const char *
kind_to_string (AmsStreamKind kind)
{
  switch (kind) {
  case AMS_STREAM_PUBLISH: return "publish";
  case AMS_STREAM_PLAY:    return "play";
  case AMS_STREAM_P2P:     return "p2p";
  }
  return "unknown";
}

void
ams_media_options_init (AmsMediaOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->video = TRUE;
  options->audio = TRUE;
  options->data_channel = TRUE;
  options->latency_ms = -1;
  options->stall_timeout_ms = 5000;
  options->publish_retry_interval_ms = 1000;
  options->publish_retry_timeout_ms = 60000;
}

AmsStreamStats *
ams_stream_stats_copy (const AmsStreamStats *stats)
{
  return stats ? g_memdup2 (stats, sizeof *stats) : NULL;
}

void
ams_stream_stats_free (AmsStreamStats *stats)
{
  g_free (stats);
}

G_DEFINE_BOXED_TYPE (AmsStreamStats, ams_stream_stats, ams_stream_stats_copy, ams_stream_stats_free)

AmsEvent *
ams_stream_stats_to_event (const AmsStreamStats *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  AmsEvent *event = ams_event_new ("stats");
  /* Rates rounded to 0.1, which is all a reader needs. */
  ams_event_set_double (event, "bitrateInKbps", round (s->bitrate_in_kbps * 10) / 10);
  ams_event_set_double (event, "bitrateOutKbps", round (s->bitrate_out_kbps * 10) / 10);
  ams_event_set_int (event, "bytesReceived", (gint64) s->bytes_received);
  ams_event_set_int (event, "bytesSent", (gint64) s->bytes_sent);
  ams_event_set_int (event, "packetsReceived", (gint64) s->packets_received);
  ams_event_set_int (event, "packetsSent", (gint64) s->packets_sent);
  ams_event_set_int (event, "packetsLost", s->packets_lost);
  ams_event_set_double (event, "jitterMs", round (s->jitter_ms * 10) / 10);
  ams_event_set_double (event, "rttMs", s->rtt_ms < 0 ? -1 : round (s->rtt_ms * 10) / 10);
  ams_event_set_int (event, "framesSent", (gint64) s->frames_sent);
  ams_event_set_int (event, "framesDecoded", (gint64) s->frames_decoded);
  ams_event_set_double (event, "fps", round (s->fps * 10) / 10);
  ams_event_set_int (event, "width", s->width);
  ams_event_set_int (event, "height", s->height);
  ams_event_set_int (event, "audioBuffers", (gint64) s->audio_buffers);
  return event;
}

/* ------------------------------------------------------------ events and state */

AmsEvent *
_ams_stream_new_event (AmsStream *self, const char *name)
{
  AmsEvent *event = ams_event_new (name);
  ams_event_set_string (event, "streamId", self->stream_id);
  ams_event_set_string (event, "kind", kind_to_string (self->kind));
  return event;
}

void
_ams_stream_emit_event (AmsStream *self, AmsEvent *event)
{
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_EVENT], 0, event);
  ams_event_unref (event);
}

gboolean
_ams_stream_is_active (AmsStream *self)
{
  return self->state != AMS_STREAM_STATE_IDLE && self->state != AMS_STREAM_STATE_FINISHED &&
         self->state != AMS_STREAM_STATE_FAILED;
}

void
_ams_stream_set_state (AmsStream *self, AmsStreamState state)
{
  AmsStreamState old = self->state;
  if (old == state)
    return;
  self->state = state;
  AmsEvent *event = _ams_stream_new_event (self, "state");
  ams_event_set_string (event, "state", ams_stream_state_to_string (state));
  ams_event_set_string (event, "previous", ams_stream_state_to_string (old));
  _ams_stream_emit_event (self, event);
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_STATE_CHANGED], 0, old, state);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

void
_ams_stream_mark_started (AmsStream *self)
{
  if (self->state == AMS_STREAM_STATE_STARTED || !_ams_stream_is_active (self) ||
      self->state == AMS_STREAM_STATE_STOPPING)
    return;
  /* It plays: a later loss gets a whole retry period again. */
  self->retry_deadline_us = 0;
  self->retry_attempt = 0;
  self->has_started = TRUE;
  _ams_stream_set_state (self, AMS_STREAM_STATE_STARTED);
  _ams_stream_watchdog_start (self);
  _ams_stream_emit_event (self, _ams_stream_new_event (self, "started"));
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_STARTED], 0);
}

/* The end of the stream, whichever way it comes: media released, the
 * client no longer watched. */
static void
end_session (AmsStream *self)
{
  _ams_stream_stop_stats_timer (self);
  _ams_stream_cancel_retry (self);
  _ams_stream_watchdog_stop (self);
  _ams_stream_drop_peer (self, TRUE);
  _ams_stream_disconnect_client (self);
}

void
_ams_stream_fail (AmsStream *self, const GError *error)
{
  if (!_ams_stream_is_active (self))
    return;
  g_object_ref (self);
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
  /* Tell the server we are gone, so that it frees the session. */
  _ams_stream_send_end (self);
  end_session (self);
  _ams_stream_set_state (self, AMS_STREAM_STATE_FAILED);
  AmsEvent *event = _ams_stream_new_event (self, "error");
  ams_event_set_error (event, error);
  _ams_stream_emit_event (self, event);
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_ERROR], 0, error);
  g_object_unref (self);
}

void
_ams_stream_finish (AmsStream *self)
{
  if (!_ams_stream_is_active (self))
    return;
  g_object_ref (self);
  end_session (self);
  _ams_stream_set_state (self, AMS_STREAM_STATE_FINISHED);
  AmsEvent *event = _ams_stream_new_event (self, "finished");
  ams_event_set_int (event, "framesDecoded", (gint64) self->stats.frames_decoded);
  _ams_stream_emit_event (self, event);
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_FINISHED], 0);
  g_object_unref (self);
}

/* ------------------------------------------------------------ options */

static const char *
keep (AmsStream *self, const char *s)
{
  if (s == NULL)
    return NULL;
  char *copy = g_strdup (s);
  g_ptr_array_add (self->owned, copy);
  return copy;
}

/* Parses opts.ice_filter into the candidate filter; unknown words are
 * ignored here (ams_stream_start reports them). */
static gboolean
parse_filter (AmsStream *self, GError **error)
{
  memset (&self->filter, 0, sizeof self->filter);
  self->families = 0;
  self->loopback = FALSE;
  if (self->opts.ice_filter == NULL || *self->opts.ice_filter == '\0')
    return TRUE;
  g_auto (GStrv) words = g_strsplit (self->opts.ice_filter, ",", -1);
  for (char **w = words; *w; w++) {
    const char *word = g_strstrip (*w);
    if (*word == '\0')
      continue;
    if (g_str_equal (word, "loopback"))
      self->loopback = TRUE;
    else if (g_str_equal (word, "udp"))
      self->filter.protocols |= AMS_ICE_PROTOCOL_UDP;
    else if (g_str_equal (word, "tcp"))
      self->filter.protocols |= AMS_ICE_PROTOCOL_TCP;
    else if (g_str_equal (word, "host"))
      self->filter.types |= AMS_ICE_TYPE_HOST;
    else if (g_str_equal (word, "srflx"))
      self->filter.types |= AMS_ICE_TYPE_SRFLX;
    else if (g_str_equal (word, "relay"))
      self->filter.types |= AMS_ICE_TYPE_RELAY;
    else if (g_str_equal (word, "ipv4"))
      self->families |= AMS_STREAM_FAMILY_V4;
    else if (g_str_equal (word, "ipv6"))
      self->families |= AMS_STREAM_FAMILY_V6;
    else {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                   "ICE filter: '%s' is not one of loopback, udp, tcp, host, srflx, relay, "
                   "ipv4, ipv6", word);
      return FALSE;
    }
  }
  if (self->loopback)
    self->filter.address = "127.0.0.1,::1";
  return TRUE;
}

static void
copy_options (AmsStream *self, const AmsMediaOptions *options)
{
  if (options)
    self->opts = *options;
  else
    ams_media_options_init (&self->opts);
  AmsMediaOptions *o = &self->opts;
  o->video_source = keep (self, o->video_source);
  o->audio_source = keep (self, o->audio_source);
  o->file = keep (self, o->file);
  o->video_codec = keep (self, o->video_codec);
  o->video_sink = keep (self, o->video_sink);
  o->audio_sink = keep (self, o->audio_sink);
  o->record_path = keep (self, o->record_path);
  o->ice_filter = keep (self, o->ice_filter);
  o->p2p_mode = keep (self, o->p2p_mode);
  if (o->ice_servers) {
    char **copy = g_strdupv ((char **) o->ice_servers);
    g_object_set_data_full (G_OBJECT (self), "ams-ice-servers", copy, (GDestroyNotify) g_strfreev);
    o->ice_servers = (const char *const *) copy;
  }
}

/* ------------------------------------------------------------ public API */

AmsStream *
ams_stream_new (AmsClient *client, AmsStreamKind kind, const char *stream_id,
                const AmsMediaOptions *options)
{
  g_return_val_if_fail (AMS_IS_CLIENT (client), NULL);
  g_return_val_if_fail (kind <= AMS_STREAM_P2P, NULL);

  AmsStream *self = g_object_new (AMS_TYPE_STREAM, NULL);
  self->client = g_object_ref (client);
  GMainContext *context = ams_client_get_context (client);
  /* NULL stands for the global default context. */
  self->context = g_main_context_ref (context ? context : g_main_context_default ());
  self->kind = kind;
  self->stream_id = g_strdup (stream_id);
  copy_options (self, options);
  /* The DTLS key takes 100-450 ms to make: start now, in parallel with
   * connecting, not when the first offer needs it. */
  ams_media_init ();
  ams_media_prewarm ();
  return self;
}

void
ams_stream_set_publish_params (AmsStream *self, const AmsPublishParams *params)
{
  g_return_if_fail (AMS_IS_STREAM (self) && params != NULL);
  g_return_if_fail (self->state == AMS_STREAM_STATE_IDLE);
#define SET(field, value) G_STMT_START { g_free (self->field); self->field = g_strdup (value); } G_STMT_END
  SET (token, params->token);
  SET (subscriber_id, params->subscriber_id);
  SET (subscriber_code, params->subscriber_code);
  SET (stream_name, params->stream_name);
  SET (main_track, params->main_track);
  SET (meta_data, params->meta_data);
  SET (role, params->role);
}

void
ams_stream_set_play_params (AmsStream *self, const AmsPlayParams *params)
{
  g_return_if_fail (AMS_IS_STREAM (self) && params != NULL);
  g_return_if_fail (self->state == AMS_STREAM_STATE_IDLE);
  SET (token, params->token);
  SET (room, params->room);
  SET (subscriber_id, params->subscriber_id);
  SET (subscriber_name, params->subscriber_name);
  SET (subscriber_code, params->subscriber_code);
  SET (viewer_info, params->viewer_info);
  SET (role, params->role);
  SET (user_publish_id, params->user_publish_id);
#undef SET
  g_strfreev (self->track_list);
  self->track_list = g_strdupv ((char **) params->track_list);
  self->disable_tracks_by_default = params->disable_tracks_by_default;
}

gboolean
ams_stream_start (AmsStream *self, GError **error)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), FALSE);
  if (self->state != AMS_STREAM_STATE_IDLE) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_FAILED, "the stream %s was already started",
                 self->stream_id ? self->stream_id : "(none)");
    return FALSE;
  }
  if (self->stream_id == NULL || *self->stream_id == '\0') {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "a stream needs a stream id");
    return FALSE;
  }
  if (!parse_filter (self, error))
    return FALSE;
  if (self->kind == AMS_STREAM_P2P && self->opts.p2p_mode &&
      !g_str_equal (self->opts.p2p_mode, "both") && !g_str_equal (self->opts.p2p_mode, "play")) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "peer-to-peer mode '%s' is not \"both\" or \"play\"", self->opts.p2p_mode);
    return FALSE;
  }
  _ams_stream_connect_client (self);
  self->earlier_end_possible = TRUE;
  self->request_us = g_get_monotonic_time ();
  if (!_ams_stream_send_request (self, error)) {
    _ams_stream_disconnect_client (self);
    return FALSE;
  }
  _ams_stream_set_state (self, AMS_STREAM_STATE_REQUESTING);
  _ams_stream_start_stats_timer (self);
  /* The request is out: build the player's media while it is answered. */
  _ams_stream_prebuild_peer (self);
  return TRUE;
}

void
ams_stream_stop (AmsStream *self)
{
  g_return_if_fail (AMS_IS_STREAM (self));
  if (!_ams_stream_is_active (self) || self->state == AMS_STREAM_STATE_STOPPING)
    return;
  g_object_ref (self);
  _ams_stream_set_state (self, AMS_STREAM_STATE_STOPPING);
  _ams_stream_send_end (self);
  _ams_stream_finish (self);
  g_object_unref (self);
}

AmsStreamKind
ams_stream_get_kind (AmsStream *self)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), AMS_STREAM_PUBLISH);
  return self->kind;
}

const char *
ams_stream_get_stream_id (AmsStream *self)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), NULL);
  return self->stream_id;
}

AmsClient *
ams_stream_get_client (AmsStream *self)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), NULL);
  return self->client;
}

AmsStreamState
ams_stream_get_state (AmsStream *self)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), AMS_STREAM_STATE_FAILED);
  return self->state;
}

const GError *
ams_stream_get_error (AmsStream *self)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), NULL);
  return self->error;
}

gboolean
ams_stream_send_text (AmsStream *self, const char *text, GError **error)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), FALSE);
  if (text == NULL || !g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "the text is not UTF-8");
    return FALSE;
  }
  if (self->peer == NULL) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "the data channel is not open");
    return FALSE;
  }
  return ams_peer_send_text (self->peer, text, error);
}

gboolean
ams_stream_send_data (AmsStream *self, GBytes *data, GError **error)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), FALSE);
  if (data == NULL) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no data");
    return FALSE;
  }
  if (self->peer == NULL) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "the data channel is not open");
    return FALSE;
  }
  return ams_peer_send_data (self->peer, data, error);
}

gboolean
ams_stream_is_data_channel_open (AmsStream *self)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), FALSE);
  return self->peer != NULL && ams_peer_data_channel_is_open (self->peer);
}

void
ams_stream_get_stats (AmsStream *self, AmsStreamStats *stats)
{
  g_return_if_fail (AMS_IS_STREAM (self) && stats != NULL);
  *stats = self->stats;
  if (self->peer) {
    stats->frames_decoded = ams_peer_get_frames_decoded (self->peer);
    stats->audio_buffers = ams_peer_get_audio_buffers (self->peer);
    guint w = 0, h = 0;
    ams_peer_get_resolution (self->peer, &w, &h);
    if (w && h) {
      stats->width = w;
      stats->height = h;
    }
  }
}

gint64
ams_stream_get_first_frame_delay (AmsStream *self)
{
  g_return_val_if_fail (AMS_IS_STREAM (self), -1);
  if (self->first_frame_us == 0)
    return -1;
  return self->first_frame_us - self->request_us;
}

/* ------------------------------------------------------------ GObject */

static void
ams_stream_init (AmsStream *self)
{
  self->owned = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&self->early_candidates);
  self->stats.rtt_ms = -1;
}

static void
ams_stream_dispose (GObject *object)
{
  AmsStream *self = AMS_STREAM (object);
  /* A running stream is stopped (stop/leave sent, recording finalised). */
  if (_ams_stream_is_active (self) && self->client)
    ams_stream_stop (self);
  end_session (self);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (ams_stream_parent_class)->dispose (object);
}

static void
ams_stream_finalize (GObject *object)
{
  AmsStream *self = AMS_STREAM (object);
  g_queue_clear_full (&self->early_candidates, (GDestroyNotify) _ams_stream_candidate_free);
  g_ptr_array_unref (self->owned);
  g_strfreev (self->server_ice_servers);
  g_clear_error (&self->error);
  g_free (self->stream_id);
  g_free (self->token);
  g_free (self->subscriber_id);
  g_free (self->subscriber_code);
  g_free (self->stream_name);
  g_free (self->main_track);
  g_free (self->meta_data);
  g_free (self->role);
  g_free (self->room);
  g_free (self->subscriber_name);
  g_free (self->viewer_info);
  g_free (self->user_publish_id);
  g_strfreev (self->track_list);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (ams_stream_parent_class)->finalize (object);
}

static void
ams_stream_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  AmsStream *self = AMS_STREAM (object);
  switch (id) {
  case PROP_STATE:
    g_value_set_int (value, self->state);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
}

static guint
new_signal (const char *name, guint n_params, ...)
{
  va_list args;
  GType types[4];
  va_start (args, n_params);
  for (guint i = 0; i < n_params && i < G_N_ELEMENTS (types); i++)
    types[i] = va_arg (args, GType);
  va_end (args);
  return g_signal_newv (name, AMS_TYPE_STREAM, G_SIGNAL_RUN_LAST, NULL, NULL, NULL, NULL,
                        G_TYPE_NONE, n_params, types);
}

static void
ams_stream_class_init (AmsStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = ams_stream_dispose;
  object_class->finalize = ams_stream_finalize;
  object_class->get_property = ams_stream_get_property;

  /**
   * AmsStream:state:
   *
   * The #AmsStreamState, as an int (read-only).
   */
  props[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, AMS_STREAM_STATE_IDLE,
                                        AMS_STREAM_STATE_FAILED, AMS_STREAM_STATE_IDLE,
                                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                        G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* GST_TYPE_SAMPLE exists once GStreamer is initialised. */
  ams_media_init ();
  GType event_type = AMS_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE;
  GType string_type = G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE;
  GType error_type = G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE;

  _ams_stream_signals[AMS_STREAM_SIG_EVENT] = new_signal ("event", 1, event_type);
  _ams_stream_signals[AMS_STREAM_SIG_STATE_CHANGED] =
      new_signal ("state-changed", 2, G_TYPE_INT, G_TYPE_INT);
  _ams_stream_signals[AMS_STREAM_SIG_STARTED] = new_signal ("started", 0);
  _ams_stream_signals[AMS_STREAM_SIG_FINISHED] = new_signal ("finished", 0);
  _ams_stream_signals[AMS_STREAM_SIG_ERROR] = new_signal ("error", 1, error_type);
  _ams_stream_signals[AMS_STREAM_SIG_ICE_STATE] = new_signal ("ice-state", 1, string_type);
  _ams_stream_signals[AMS_STREAM_SIG_DTLS_STATE] = new_signal ("dtls-state", 1, string_type);
  _ams_stream_signals[AMS_STREAM_SIG_PEER_STATE] = new_signal ("peer-state", 1, string_type);
  _ams_stream_signals[AMS_STREAM_SIG_PEER_JOINED] = new_signal ("peer-joined", 0);
  _ams_stream_signals[AMS_STREAM_SIG_PEER_LEFT] = new_signal ("peer-left", 0);
  _ams_stream_signals[AMS_STREAM_SIG_VIDEO_FRAME] =
      new_signal ("video-frame", 3, G_TYPE_UINT64, G_TYPE_UINT, G_TYPE_UINT);
  _ams_stream_signals[AMS_STREAM_SIG_VIDEO_SAMPLE] =
      new_signal ("video-sample", 1, GST_TYPE_SAMPLE | G_SIGNAL_TYPE_STATIC_SCOPE);
  _ams_stream_signals[AMS_STREAM_SIG_DATA_CHANNEL] = new_signal ("data-channel", 1, G_TYPE_BOOLEAN);
  _ams_stream_signals[AMS_STREAM_SIG_DATA] =
      new_signal ("data", 2, G_TYPE_BYTES | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_BOOLEAN);
  _ams_stream_signals[AMS_STREAM_SIG_STATS] =
      new_signal ("stats", 1, AMS_TYPE_STREAM_STATS | G_SIGNAL_TYPE_STATIC_SCOPE);
  _ams_stream_signals[AMS_STREAM_SIG_RENEGOTIATED] = new_signal ("renegotiated", 1, string_type);
  _ams_stream_signals[AMS_STREAM_SIG_RECORDING_DONE] =
      new_signal ("recording-done", 1, string_type);
}
