/* ams-stream-media.c: the AmsPeer behind an AmsStream (one per media
 * session: rebuilt after a reconnection or, in a call, for each new peer)
 * and what it reports: SDP and candidates go to the server, states, frames,
 * data and statistics become stream signals. */
#define GST_USE_UNSTABLE_API
#include "client/ams-stream-private.h"

#include <gst/webrtc/webrtc.h>
#include <string.h>

void
_ams_stream_candidate_free (AmsStreamCandidate *c)
{
  g_free (c->mid);
  g_free (c->candidate);
  g_free (c);
}

/* ------------------------------------------------------------ candidates */

/* The address family part of the ICE filter, which AmsCandidateFilter
 * cannot express; the rest is applied by the peer itself. */
gboolean
_ams_stream_candidate_allowed (AmsStream *self, const char *candidate)
{
  if (self->families == 0 || self->families == (AMS_STREAM_FAMILY_V4 | AMS_STREAM_FAMILY_V6))
    return TRUE;
  AmsIceCandidate parsed;
  if (!ams_ice_candidate_parse (candidate, &parsed, NULL))
    return FALSE;
  gboolean v6 = strchr (parsed.address, ':') != NULL;
  ams_ice_candidate_clear (&parsed);
  return (self->families & (v6 ? AMS_STREAM_FAMILY_V6 : AMS_STREAM_FAMILY_V4)) != 0;
}

void
_ams_stream_add_remote_candidate (AmsStream *self, int label, const char *mid,
                                  const char *candidate)
{
  if (candidate == NULL || *candidate == '\0')
    return;   /* no end-of-candidates in this protocol; ignore empties */
  if (!_ams_stream_candidate_allowed (self, candidate))
    return;
  if (self->peer == NULL) {
    /* Before the offer (a server may trickle first): keep, bounded. */
    if (g_queue_get_length (&self->early_candidates) >= 256)
      return;
    AmsStreamCandidate *c = g_new0 (AmsStreamCandidate, 1);
    c->label = label;
    c->mid = g_strdup (mid);
    c->candidate = g_strdup (candidate);
    g_queue_push_tail (&self->early_candidates, c);
    return;
  }
  g_autoptr (GError) error = NULL;
  /* Receive by label; the peer falls back to the mid when label is -1. */
  if (!ams_peer_add_ice_candidate (self->peer, label, mid, candidate, &error))
    g_debug ("stream %s: candidate ignored: %s", self->stream_id, error->message);
}

/* ------------------------------------------------------------ peer callbacks */

static void
on_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  AmsStream *self = data;
  g_autoptr (GError) error = NULL;
  if (!ams_client_take_configuration (self->client, self->stream_id, type, sdp, &error))
    g_debug ("stream %s: cannot send the %s: %s", self->stream_id, type, error->message);
}

static void
on_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                    gpointer data)
{
  AmsStream *self = data;
  if (!_ams_stream_candidate_allowed (self, candidate))
    return;
  g_autoptr (GError) error = NULL;
  if (!ams_client_take_candidate (self->client, self->stream_id, label, mid, candidate, &error))
    g_debug ("stream %s: cannot send a candidate: %s", self->stream_id, error->message);
}

static const char *
enum_nick (GType type, int value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);
  const char *nick = v ? v->value_nick : "unknown";
  g_type_class_unref (klass);   /* the class stays: the nick is static */
  return nick;
}

static void
on_state_changed (AmsPeer *peer, AmsPeerStateKind kind, int state, gpointer data)
{
  AmsStream *self = data;
  const char *name, *nick;
  guint signal_id;

  switch (kind) {
  case AMS_PEER_STATE_ICE:
    name = "ice-state";
    signal_id = _ams_stream_signals[AMS_STREAM_SIG_ICE_STATE];
    nick = enum_nick (GST_TYPE_WEBRTC_ICE_CONNECTION_STATE, state);
    break;
  case AMS_PEER_STATE_DTLS:
    name = "dtls-state";
    signal_id = _ams_stream_signals[AMS_STREAM_SIG_DTLS_STATE];
    nick = enum_nick (GST_TYPE_WEBRTC_DTLS_TRANSPORT_STATE, state);
    break;
  case AMS_PEER_STATE_CONNECTION:
    name = "peer-state";
    signal_id = _ams_stream_signals[AMS_STREAM_SIG_PEER_STATE];
    nick = enum_nick (GST_TYPE_WEBRTC_PEER_CONNECTION_STATE, state);
    break;
  default:
    return;   /* gathering: of no interest to users */
  }

  g_object_ref (self);
  AmsEvent *event = _ams_stream_new_event (self, name);
  ams_event_set_string (event, "state", nick);
  _ams_stream_emit_event (self, event);
  g_signal_emit (self, signal_id, 0, nick);

  if (kind == AMS_PEER_STATE_CONNECTION && state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED &&
      self->kind == AMS_STREAM_P2P) {
    /* A call has no server notification: connected is started. */
    _ams_stream_mark_started (self);
  } else if (kind == AMS_PEER_STATE_ICE && _ams_stream_watchdog_ice_state (self, state)) {
    /* A started publish or play: taken as a stall, being re-established. */
  } else if (kind == AMS_PEER_STATE_CONNECTION &&
             state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED &&
             _ams_stream_watchdog_ice_state (self, GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)) {
  } else if ((kind == AMS_PEER_STATE_ICE && state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) ||
             (kind == AMS_PEER_STATE_CONNECTION &&
              state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)) {
    g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_ICE,
                                            "stream %s: ICE failed (no candidate pair works)",
                                            self->stream_id);
    _ams_stream_fail (self, error);
  } else if (kind == AMS_PEER_STATE_DTLS && state == GST_WEBRTC_DTLS_TRANSPORT_STATE_FAILED) {
    g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_DTLS,
                                            "stream %s: the DTLS handshake failed",
                                            self->stream_id);
    _ams_stream_fail (self, error);
  }
  g_object_unref (self);
}

static void
on_peer_error (AmsPeer *peer, const GError *error, gpointer data)
{
  AmsStream *self = data;
  if (ams_peer_error_in_transport (peer) &&
      _ams_stream_watchdog_transport_error (self, error->message))
    return;
  g_autoptr (GError) copy = g_error_copy (error);
  if (copy->domain != AMS_ERROR) {
    copy->domain = AMS_ERROR;
    copy->code = AMS_ERROR_MEDIA;
  }
  g_prefix_error (&copy, "stream %s: ", self->stream_id);
  _ams_stream_fail (self, copy);
}

static void
on_video_frame (AmsPeer *peer, guint64 frames, guint width, guint height, gpointer data)
{
  AmsStream *self = data;
  self->frames = frames;
  self->width = width;
  self->height = height;
  self->stats.frames_decoded = frames;
  self->stats.width = width;
  self->stats.height = height;
  g_object_ref (self);
  if (self->first_frame_us == 0) {
    self->first_frame_us = g_get_monotonic_time ();
    AmsEvent *event = _ams_stream_new_event (self, "first-frame");
    ams_event_set_double (event, "delayMs",
                          (self->first_frame_us - self->request_us) / 1000.0);
    ams_event_set_int (event, "width", width);
    ams_event_set_int (event, "height", height);
    _ams_stream_emit_event (self, event);
  }
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_VIDEO_FRAME], 0, frames, width, height);
  g_object_unref (self);
}

static void
on_video_sample (AmsPeer *peer, GstSample *sample, gpointer data)
{
  g_signal_emit (data, _ams_stream_signals[AMS_STREAM_SIG_VIDEO_SAMPLE], 0, sample);
}

static void
emit_channel (AmsStream *self, gboolean open, const char *label)
{
  /* A channel the remote opened may report "open" twice. */
  if (self->data_open == open)
    return;
  self->data_open = open;
  AmsEvent *event = _ams_stream_new_event (self, "data-channel");
  ams_event_set_bool (event, "open", open);
  if (label)
    ams_event_set_string (event, "label", label);
  _ams_stream_emit_event (self, event);
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_DATA_CHANNEL], 0, open);
}

static void
on_channel_open (AmsPeer *peer, const char *label, gpointer data)
{
  emit_channel (data, TRUE, label);
}

static void
on_channel_closed (AmsPeer *peer, gpointer data)
{
  emit_channel (data, FALSE, NULL);
}

static void
on_data_message (AmsPeer *peer, GBytes *bytes, gboolean is_binary, gpointer data)
{
  AmsStream *self = data;
  gsize size = 0;
  const char *d = g_bytes_get_data (bytes, &size);
  AmsEvent *event = _ams_stream_new_event (self, "data");
  ams_event_set_bool (event, "binary", is_binary);
  if (!is_binary && d && g_utf8_validate (d, -1, NULL)) {
    ams_event_set_string (event, "text", d);
  } else {
    g_autofree char *b64 = g_base64_encode ((const guchar *) d, size);
    ams_event_set_string (event, "base64", b64);
  }
  ams_event_set_int (event, "size", (gint64) (is_binary ? size : (size ? size - 1 : 0)));
  g_object_ref (self);
  _ams_stream_emit_event (self, event);
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_DATA], 0, bytes, is_binary);
  g_object_unref (self);
}

/* ------------------------------------------------------------ statistics */

static void
on_stats (AmsPeer *peer, const AmsPeerStats *s, gpointer data)
{
  AmsStream *self = data;
  AmsStreamStats *st = &self->stats;
  st->bitrate_in_kbps = s->bitrate_in_kbps;
  st->bitrate_out_kbps = s->bitrate_out_kbps;
  st->bytes_received = s->bytes_received;
  st->bytes_sent = s->bytes_sent;
  st->packets_received = s->packets_received;
  st->packets_sent = s->packets_sent;
  st->packets_lost = s->packets_lost;
  st->jitter_ms = s->jitter_ms;
  st->rtt_ms = s->rtt_ms;
  st->frames_sent = s->frames_sent;
  st->frames_decoded = s->frames_decoded;
  st->fps = s->fps;
  st->width = s->width;
  st->height = s->height;
  st->audio_buffers = s->audio_buffers;

  g_object_ref (self);
  AmsEvent *event = ams_stream_stats_to_event (st);
  ams_event_set_string (event, "streamId", self->stream_id);
  _ams_stream_emit_event (self, event);
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_STATS], 0, st);
  g_object_unref (self);
}

void
ams_stream_request_stats (AmsStream *self)
{
  g_return_if_fail (AMS_IS_STREAM (self));
  if (self->peer)
    ams_peer_request_stats (self->peer, on_stats, self);
}

static gboolean
on_stats_tick (gpointer data)
{
  ams_stream_request_stats (data);
  return G_SOURCE_CONTINUE;
}

void
_ams_stream_start_stats_timer (AmsStream *self)
{
  if (self->opts.stats_interval_ms == 0 || self->stats_source)
    return;
  self->stats_source = g_timeout_source_new (self->opts.stats_interval_ms);
  g_source_set_callback (self->stats_source, on_stats_tick, self, NULL);
  g_source_attach (self->stats_source, self->context);
}

void
_ams_stream_stop_stats_timer (AmsStream *self)
{
  if (self->stats_source) {
    g_source_destroy (self->stats_source);
    g_clear_pointer (&self->stats_source, g_source_unref);
  }
}

/* ------------------------------------------------------------ the peer */

gboolean
_ams_stream_ensure_peer (AmsStream *self, gboolean offerer, GError **error)
{
  if (self->peer)
    return TRUE;

  const AmsMediaOptions *o = &self->opts;
  AmsPeerOptions po;
  ams_peer_options_init (&po);
  switch (self->kind) {
  case AMS_STREAM_PUBLISH:
    po.role = AMS_PEER_SEND;
    break;
  case AMS_STREAM_PLAY:
    po.role = AMS_PEER_RECEIVE;
    break;
  case AMS_STREAM_P2P:
    po.role = g_strcmp0 (o->p2p_mode, "play") == 0 ? AMS_PEER_RECEIVE : AMS_PEER_BOTH;
    break;
  }
  po.video = o->video;
  po.audio = o->audio;
  po.video_source = o->video_source;
  po.audio_source = o->audio_source;
  po.file_uri = o->file;
  po.file_passthrough = o->file_passthrough;
  po.video_codec = o->video_codec;
  po.video_bitrate_kbps = o->video_bitrate_kbps;
  po.width = o->width;
  po.height = o->height;
  po.framerate = o->framerate;
  /* Counted and dropped unless the user chose sinks: a stream must work on
   * a machine with no display and no sound card. */
  po.video_sink = o->video_sink ? o->video_sink : "fakesink";
  po.audio_sink = o->audio_sink ? o->audio_sink : "fakesink";
  po.record_path = o->record_path;
  po.no_decode = o->no_decode;
  po.data_channel = o->data_channel;
  /* The official SDKs label the channel with the stream id. */
  po.data_channel_label = self->stream_id;
  /* The user's ICE servers, else the server's iceServerConfig, else none. */
  po.ice_servers = o->ice_servers && o->ice_servers[0]
                       ? o->ice_servers : (const char *const *) self->server_ice_servers;
  po.filter = self->filter;
  if (self->loopback)
    po.local_address = "127.0.0.1";
  po.stun_pacing_ms = o->stun_pacing_ms;
  po.latency_ms = o->latency_ms;
  po.fast_start_packets = o->fast_start_packets;

  AmsPeerCallbacks cb = {
    .local_description = on_local_description,
    .local_candidate = on_local_candidate,
    .state_changed = on_state_changed,
    .error = on_peer_error,
    .video_frame = on_video_frame,
    .video_sample = o->video_samples ? on_video_sample : NULL,
    .data_channel_open = on_channel_open,
    .data_channel_closed = on_channel_closed,
    .data_message = on_data_message,
  };
  g_autoptr (GError) local_error = NULL;
  self->peer = ams_peer_new (&po, self->context, &cb, self, &local_error);
  if (self->peer == NULL) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "stream %s: ",
                                self->stream_id);
    return FALSE;
  }
  self->remote_set = FALSE;
  self->frames = 0;
  self->data_open = FALSE;

  if (offerer && !ams_peer_create_offer (self->peer, error))
    return FALSE;

  /* Candidates that came before the peer existed. */
  AmsStreamCandidate *c;
  while ((c = g_queue_pop_head (&self->early_candidates))) {
    _ams_stream_add_remote_candidate (self, c->label, c->mid, c->candidate);
    _ams_stream_candidate_free (c);
  }
  return TRUE;
}

/* Play: the receiving peer (webrtcbin, its ICE agent, the pipeline: tens to
 * hundreds of ms) is built while the request is on its way, so the server's
 * offer only has to be applied. A failure is left to the offer, which
 * builds again and reports it. */
void
_ams_stream_prebuild_peer (AmsStream *self)
{
  if (self->kind != AMS_STREAM_PLAY || self->peer != NULL || self->offered ||
      self->state != AMS_STREAM_STATE_REQUESTING)
    return;
  g_autoptr (GError) error = NULL;
  if (!_ams_stream_ensure_peer (self, FALSE, &error)) {
    g_debug ("%s; built again when the offer comes", error->message);
    _ams_stream_drop_peer (self, FALSE);
    return;
  }
  self->prebuilt = TRUE;
}

gboolean
_ams_stream_take_prebuilt_peer (AmsStream *self)
{
  if (!self->prebuilt || self->peer == NULL || self->remote_set)
    return FALSE;
  self->prebuilt = FALSE;
  /* The server's iceServerConfig came after the peer was built. */
  if ((self->opts.ice_servers == NULL || self->opts.ice_servers[0] == NULL) &&
      self->server_ice_servers != NULL)
    ams_peer_add_ice_servers (self->peer, (const char *const *) self->server_ice_servers);
  return TRUE;
}

void
_ams_stream_drop_peer (AmsStream *self, gboolean finalise_recording)
{
  self->prebuilt = FALSE;
  g_queue_clear_full (&self->early_candidates, (GDestroyNotify) _ams_stream_candidate_free);
  _ams_stream_watchdog_stop (self);   /* it watches this peer */
  if (self->peer == NULL)
    return;
  AmsPeer *peer = g_steal_pointer (&self->peer);
  /* Keep the final counters: the peer goes, the figures stay readable. */
  self->stats.frames_decoded = MAX (self->stats.frames_decoded, ams_peer_get_frames_decoded (peer));
  self->stats.audio_buffers = MAX (self->stats.audio_buffers, ams_peer_get_audio_buffers (peer));
  self->remote_set = FALSE;
  self->data_open = FALSE;
  if (finalise_recording && self->opts.record_path) {
    /* EOS to the muxer and a bounded wait, so the file is playable. */
    ams_peer_stop (peer);
    ams_peer_free (peer);
    AmsEvent *event = _ams_stream_new_event (self, "recording-done");
    ams_event_set_string (event, "path", self->opts.record_path);
    _ams_stream_emit_event (self, event);
    g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_RECORDING_DONE], 0,
                   self->opts.record_path);
    return;
  }
  ams_peer_free (peer);
}
