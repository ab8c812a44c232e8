/* ams-stream-signalling.c: the server side of an AmsStream. The client's
 * signals for the stream's id drive three small state machines:
 *
 *   publish  publish -> start -> (offer ->) answer -> publish_started ...
 *            publish_finished
 *   play     play -> offer (-> answer) -> play_started ... re-offers ...
 *            play_finished
 *   p2p      join -> joined -> start (we offer) or offer (we answer) ...
 *            stop (the other peer left: wait for a new one or end) ... leave
 *
 * A reconnection drops the media; the client re-issues the request by
 * itself and the next start/offer rebuilds it. */
#include "client/ams-stream-private.h"

#include <json-c/json.h>
#include <string.h>

static gboolean
is_ours (AmsStream *self, const char *stream_id)
{
  return stream_id != NULL && g_strcmp0 (stream_id, self->stream_id) == 0;
}

static void
fail_with (AmsStream *self, AmsError code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail_with (AmsStream *self, AmsError code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_autoptr (GError) error = g_error_new (AMS_ERROR, code, "stream %s: %s", self->stream_id,
                                          message);
  _ams_stream_fail (self, error);
}

/* Applies a remote description; a failure fails the stream. */
static void
apply_remote (AmsStream *self, const char *type, const char *sdp)
{
  g_autoptr (GError) error = NULL;
  if (!ams_peer_set_remote_description (self->peer, type, sdp, &error)) {
    _ams_stream_fail (self, error);
    return;
  }
  self->remote_set = TRUE;
}

/* A new media session starts: a fresh peer, offering or answering. */
static gboolean
new_media_session (AmsStream *self, gboolean offerer)
{
  g_autoptr (GError) error = NULL;
  _ams_stream_drop_peer (self, TRUE);
  if (!_ams_stream_ensure_peer (self, offerer, &error)) {
    _ams_stream_fail (self, error);
    return FALSE;
  }
  _ams_stream_set_state (self, AMS_STREAM_STATE_NEGOTIATING);
  return TRUE;
}

static void
emit_peer_joined (AmsStream *self)
{
  _ams_stream_emit_event (self, _ams_stream_new_event (self, "peer-joined"));
  g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_PEER_JOINED], 0);
}

/* Whether a message may start a new media session now. */
static gboolean
accepting (AmsStream *self)
{
  return _ams_stream_is_active (self) && self->state != AMS_STREAM_STATE_STOPPING;
}

/* ------------------------------------------------------------ the request again
 *
 * Three reasons to send the request again, one mechanism: a play retry
 * (no_stream_exist, play_finished: opts.play_retry_*), a publish retry
 * (the server ended a started publish for lack of media: opts.publish_retry_*),
 * and the recovery of a started publish or play whose media stalled
 * (ams-stream-watchdog.c). Each attempt is a "retrying" event; the period
 * runs from the first attempt and starts again once the stream started. */

/* When a player recovers from a stall with no play retry of its own. */
#define RECOVERY_INTERVAL_MS 1000
#define RECOVERY_PERIOD_MS 60000

void
_ams_stream_cancel_retry (AmsStream *self)
{
  if (self->retry_source) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
}

/* How long a new request waits for the server's end of the session we
 * stopped: the client forgets a session when its *_finished comes, so a
 * request sent before it would be forgotten (not re-issued on reconnect). */
#define END_ACK_WAIT_MS 2000

static gboolean on_retry_due (gpointer data);

static void
schedule_retry (AmsStream *self, guint delay_ms)
{
  _ams_stream_cancel_retry (self);
  self->retry_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->retry_source, on_retry_due, self, NULL);
  g_source_attach (self->retry_source, self->context);
}

static gboolean
on_retry_due (gpointer data)
{
  AmsStream *self = data;
  g_clear_pointer (&self->retry_source, g_source_unref);
  if (!accepting (self) || self->state == AMS_STREAM_STATE_RECONNECTING)
    return G_SOURCE_REMOVE;
  if (self->end_pending &&
      g_get_monotonic_time () - self->end_sent_us < END_ACK_WAIT_MS * 1000) {
    schedule_retry (self, 50);
    return G_SOURCE_REMOVE;
  }
  /* Not acknowledged in time (a slow server): the end of the session we
   * stopped may still come, before the answer to this request (the server
   * answers in order), and must not be taken for the end of this one. */
  if (self->end_pending)
    self->earlier_end_possible = TRUE;
  self->end_pending = FALSE;
  g_object_ref (self);
  /* A new request: the next offer builds the media afresh. */
  self->request_us = g_get_monotonic_time ();
  self->first_frame_us = 0;
  self->offered = FALSE;
  g_autoptr (GError) error = NULL;
  if (!_ams_stream_send_request (self, &error))
    _ams_stream_fail (self, error);
  else
    _ams_stream_prebuild_peer (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Schedules the request again in @interval_ms unless the retry period
 * (@timeout_ms from the first attempt, 0: none) would be over by then.
 * @send_end: the server still runs the session: end it first. */
static gboolean
request_again (AmsStream *self, const char *reason, guint interval_ms, guint timeout_ms,
               gboolean send_end)
{
  if (interval_ms == 0 || !accepting (self))
    return FALSE;
  gint64 now = g_get_monotonic_time ();
  if (self->retry_deadline_us == 0)
    self->retry_deadline_us = timeout_ms ? now + (gint64) timeout_ms * 1000 : G_MAXINT64;
  if (now + (gint64) interval_ms * 1000 > self->retry_deadline_us)
    return FALSE;

  g_object_ref (self);
  _ams_stream_cancel_retry (self);
  /* The `stop` goes before the new request; the server's play_finished or
   * publish_finished for it comes before the answer to the new request,
   * which is how it is told apart (self->offered is FALSE until then). */
  if (send_end && ams_client_get_state (self->client) == AMS_CLIENT_STATE_CONNECTED) {
    _ams_stream_send_end (self);
    self->end_pending = TRUE;
    self->end_sent_us = now;
  }
  _ams_stream_drop_peer (self, TRUE);
  self->offered = FALSE;
  self->retry_attempt++;
  _ams_stream_set_state (self, AMS_STREAM_STATE_REQUESTING);
  AmsEvent *event = _ams_stream_new_event (self, "retrying");
  ams_event_set_string (event, "reason", reason);
  ams_event_set_int (event, "attempt", self->retry_attempt);
  ams_event_set_int (event, "delayMs", interval_ms);
  _ams_stream_emit_event (self, event);
  if (accepting (self))   /* a handler may have stopped the stream */
    schedule_retry (self, interval_ms);
  g_object_unref (self);
  return TRUE;
}

/* A play that found no stream, or whose stream ended: schedules `play`
 * again when the options ask for it and the retry period is not over.
 * Returns FALSE when the caller should fail or finish as usual. */
static gboolean
retry_play (AmsStream *self, const char *reason)
{
  if (self->kind != AMS_STREAM_PLAY)
    return FALSE;
  return request_again (self, reason, self->opts.play_retry_interval_ms,
                        self->opts.play_retry_timeout_ms, FALSE);
}

gboolean
_ams_stream_recover (AmsStream *self, const char *reason, gboolean send_end)
{
  const AmsMediaOptions *o = &self->opts;
  switch (self->kind) {
  case AMS_STREAM_PLAY:
    if (o->play_retry_interval_ms)
      return request_again (self, reason, o->play_retry_interval_ms, o->play_retry_timeout_ms,
                            send_end);
    return request_again (self, reason, RECOVERY_INTERVAL_MS, RECOVERY_PERIOD_MS, send_end);
  case AMS_STREAM_PUBLISH: {
    /* Backoff: the interval, twice it, then four times it. */
    guint factor = 1u << MIN (self->retry_attempt, 2u);
    guint interval = o->publish_retry_interval_ms > G_MAXUINT / 4
                         ? o->publish_retry_interval_ms : o->publish_retry_interval_ms * factor;
    return request_again (self, reason, interval, o->publish_retry_timeout_ms, send_end);
  }
  case AMS_STREAM_P2P:
    break;
  }
  return FALSE;
}

/* ------------------------------------------------------------ server messages */

static void
on_start (AmsClient *client, AmsEvent *event, const char *stream_id, gpointer data)
{
  AmsStream *self = data;
  if (!is_ours (self, stream_id) || !accepting (self) || self->kind == AMS_STREAM_PLAY)
    return;
  g_object_ref (self);
  if (self->kind == AMS_STREAM_P2P) {
    /* The other peer joined and we were first: we offer. */
    if (self->state == AMS_STREAM_STATE_WAITING_PEER && self->started_emitted)
      self->request_us = g_get_monotonic_time ();
    if (new_media_session (self, TRUE))
      emit_peer_joined (self);
  } else {
    self->offered = TRUE;   /* the server answered this publish */
    self->earlier_end_possible = FALSE;
    new_media_session (self, TRUE);
  }
  g_object_unref (self);
}

static void
on_take_configuration (AmsClient *client, AmsEvent *event, const char *stream_id,
                       const char *type, const char *sdp, gpointer data)
{
  AmsStream *self = data;
  if (!is_ours (self, stream_id) || !accepting (self))
    return;
  if (sdp == NULL || type == NULL) {
    fail_with (self, AMS_ERROR_PROTOCOL, "takeConfiguration without type or sdp");
    return;
  }
  g_object_ref (self);
  gboolean offer = g_str_equal (type, "offer");

  if (!offer) {
    /* An answer to our offer (publish, or a call we started). */
    if (self->peer == NULL || self->kind == AMS_STREAM_PLAY)
      g_debug ("stream %s: unexpected answer ignored", self->stream_id);
    else
      apply_remote (self, "answer", sdp);
  } else if (self->kind == AMS_STREAM_PUBLISH) {
    /* For a player of the same id on this socket: not ours. */
    g_debug ("stream %s: an offer is not for a publisher; ignored", self->stream_id);
  } else if (self->peer != NULL && self->remote_set) {
    /* A re-offer on the same connection: tracks came or went. */
    apply_remote (self, "offer", sdp);
    if (_ams_stream_is_active (self)) {
      g_autofree char *mapping = ams_event_dup_json (event, "idMapping");
      AmsEvent *ev = _ams_stream_new_event (self, "renegotiated");
      if (mapping)
        ams_event_set_json (ev, "idMapping", mapping);
      _ams_stream_emit_event (self, ev);
      g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_RENEGOTIATED], 0, mapping);
    }
  } else {
    /* Play: the server's offer. A call: the first peer's offer. */
    if (self->kind == AMS_STREAM_P2P && self->state == AMS_STREAM_STATE_WAITING_PEER &&
        self->started_emitted)
      self->request_us = g_get_monotonic_time ();
    self->offered = TRUE;
    self->earlier_end_possible = FALSE;
    if (self->kind == AMS_STREAM_PLAY && _ams_stream_take_prebuilt_peer (self)) {
      _ams_stream_set_state (self, AMS_STREAM_STATE_NEGOTIATING);
      apply_remote (self, "offer", sdp);
    } else if (new_media_session (self, FALSE)) {
      apply_remote (self, "offer", sdp);
      if (self->kind == AMS_STREAM_P2P && _ams_stream_is_active (self))
        emit_peer_joined (self);
    }
  }
  g_object_unref (self);
}

static void
on_take_candidate (AmsClient *client, AmsEvent *event, const char *stream_id, gint label,
                   const char *id, const char *candidate, gpointer data)
{
  AmsStream *self = data;
  if (!is_ours (self, stream_id) || !accepting (self))
    return;
  _ams_stream_add_remote_candidate (self, label, id, candidate);
}

static void
on_stop (AmsClient *client, AmsEvent *event, const char *stream_id, gpointer data)
{
  AmsStream *self = data;
  if (!is_ours (self, stream_id) || !accepting (self))
    return;
  g_object_ref (self);
  if (self->kind == AMS_STREAM_P2P) {
    /* The other peer left (or dropped). */
    _ams_stream_drop_peer (self, TRUE);
    _ams_stream_emit_event (self, _ams_stream_new_event (self, "peer-left"));
    g_signal_emit (self, _ams_stream_signals[AMS_STREAM_SIG_PEER_LEFT], 0);
    if (!_ams_stream_is_active (self)) {
      /* A handler stopped the stream. */
    } else if (self->opts.wait_peer) {
      self->started_emitted = TRUE;   /* later sessions reset the clock */
      _ams_stream_set_state (self, AMS_STREAM_STATE_WAITING_PEER);
    } else {
      ams_stream_stop (self);
    }
  } else {
    /* Not used by AMS for publish and play; take it as the end. */
    _ams_stream_finish (self);
  }
  g_object_unref (self);
}

/* A publish_finished or play_finished that ends an earlier session, not
 * the one of our pending request (see end_pending). */
static gboolean
ends_earlier_session (AmsStream *self)
{
  /* Our new request is not sent yet (it waits for this very message when
   * we sent `stop`; after a server error, the server may still send the
   * end of the session it ended). */
  if (self->retry_source != NULL) {
    self->end_pending = FALSE;   /* acknowledged: the new request may go */
    return TRUE;
  }
  return !self->offered && self->earlier_end_possible;
}

static void
on_notification (AmsClient *client, AmsEvent *event, const char *stream_id, gpointer data)
{
  AmsStream *self = data;
  const char *definition = ams_event_get_name (event);
  if (!is_ours (self, stream_id) || !_ams_stream_is_active (self))
    return;

  switch (self->kind) {
  case AMS_STREAM_PUBLISH:
    if (g_str_equal (definition, "publish_started"))
      _ams_stream_mark_started (self);
    else if (g_str_equal (definition, "publish_finished") && ends_earlier_session (self))
      /* The end of the session a `stop` ended before we published again
       * (the server answers in order: its start would come first). */
      g_debug ("stream %s: publish_finished of an earlier publish ignored", self->stream_id);
    else if (g_str_equal (definition, "publish_finished"))
      _ams_stream_finish (self);
    break;
  case AMS_STREAM_PLAY:
    if (g_str_equal (definition, "play_started"))
      _ams_stream_mark_started (self);
    else if (g_str_equal (definition, "play_finished") && ends_earlier_session (self))
      /* The server answers a play with an offer (or an error) and handles a
       * socket's messages in order, so a play_finished before our offer
       * ends an earlier play of this id on this socket: its stop was sent
       * just before our play, the answer crossed it. */
      g_debug ("stream %s: play_finished of an earlier play ignored", self->stream_id);
    else if (g_str_equal (definition, "play_finished") && !retry_play (self, definition))
      _ams_stream_finish (self);
    break;
  case AMS_STREAM_P2P:
    if (g_str_equal (definition, "joined") && self->peer == NULL &&
        self->state == AMS_STREAM_STATE_REQUESTING)
      _ams_stream_set_state (self, AMS_STREAM_STATE_WAITING_PEER);
    break;
  }
}

static void
on_server_error (AmsClient *client, const GError *error, AmsEvent *event, gpointer data)
{
  AmsStream *self = data;
  const char *stream_id = ams_event_get_stream_id (event);
  if (!_ams_stream_is_active (self) || self->state == AMS_STREAM_STATE_STOPPING)
    return;
  if (stream_id != NULL && !is_ours (self, stream_id))
    return;
  /* getRoomInfo's answer for an empty room, never one to publish or play:
   * a room's poll may cross our request (after a reconnection, say). */
  if (g_error_matches (error, AMS_ERROR, AMS_ERROR_NO_ACTIVE_STREAMS_IN_ROOM))
    return;
  /* Errors without a stream id (NoSpaceForNewPeer, highResourceUsage, old
   * servers) answer a request still pending: ours if we have one. */
  if (stream_id == NULL && self->state != AMS_STREAM_STATE_REQUESTING)
    return;
  /* A call trickles candidates while the other peer is leaving: the
   * server's "nobody to relay to" is not a failure of the call. */
  if (self->kind == AMS_STREAM_P2P && g_error_matches (error, AMS_ERROR,
                                                       AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE))
    return;
  /* The stream is not published (yet, or again): a player may wait. */
  if ((g_error_matches (error, AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST) ||
       g_error_matches (error, AMS_ERROR, AMS_ERROR_STREAM_NOT_EXIST_OR_NOT_STREAMING)) &&
      retry_play (self, ams_event_get_name (event)))
    return;
  /* A publish that ran and lost its media (the server saw no packets, or
   * none after publishing again): publish again. */
  if (self->kind == AMS_STREAM_PUBLISH && self->has_started &&
      (g_error_matches (error, AMS_ERROR, AMS_ERROR_NO_PACKET_RECEIVED_FOR_TIMEOUT_DURATION) ||
       g_error_matches (error, AMS_ERROR, AMS_ERROR_PUBLISH_TIMEOUT)) &&
      _ams_stream_recover (self, ams_event_get_name (event), FALSE))
    return;
  _ams_stream_fail (self, error);
}

static void
on_reconnecting (AmsClient *client, guint attempt, guint delay_ms, gpointer data)
{
  AmsStream *self = data;
  if (!accepting (self) || self->state == AMS_STREAM_STATE_RECONNECTING)
    return;
  /* The server dropped the old socket's sessions: this media is dead. The
   * client re-issues the request after reconnecting: no retry of ours. */
  _ams_stream_cancel_retry (self);
  _ams_stream_drop_peer (self, TRUE);
  /* A new socket carries no earlier session of ours. */
  self->end_pending = FALSE;
  self->earlier_end_possible = FALSE;
  _ams_stream_set_state (self, AMS_STREAM_STATE_RECONNECTING);
}

static void
on_reconnected (AmsClient *client, gpointer data)
{
  AmsStream *self = data;
  if (self->state != AMS_STREAM_STATE_RECONNECTING)
    return;
  /* The client re-issued our request; measure the rebuild afresh. */
  self->request_us = g_get_monotonic_time ();
  self->first_frame_us = 0;
  self->offered = FALSE;
  _ams_stream_set_state (self, AMS_STREAM_STATE_REQUESTING);
  _ams_stream_prebuild_peer (self);
}

static void
on_disconnected (AmsClient *client, const GError *error, gpointer data)
{
  AmsStream *self = data;
  if (!_ams_stream_is_active (self))
    return;
  if (error == NULL) {
    /* ams_client_disconnect(): the application ended everything. */
    _ams_stream_finish (self);
    return;
  }
  g_autoptr (GError) copy = g_error_copy (error);
  g_prefix_error (&copy, "stream %s: the connection ended: ", self->stream_id);
  _ams_stream_fail (self, copy);
}

/* iceServerConfig: `stunServerUri` (+ TURN credentials) and, from newer
 * servers, `iceServers` [{urls, username, credential}]. */
static char *
ice_uri (const char *url, const char *username, const char *credential)
{
  if (url == NULL || *url == '\0')
    return NULL;
  if (g_str_has_prefix (url, "turn:") || g_str_has_prefix (url, "turns:")) {
    const char *scheme_end = strchr (url, ':');
    g_autofree char *scheme = g_strndup (url, scheme_end - url);
    const char *rest = scheme_end + 1;
    while (*rest == '/')
      rest++;
    if (username && credential && !strchr (rest, '@')) {
      g_autofree char *user = g_uri_escape_string (username, NULL, FALSE);
      g_autofree char *pass = g_uri_escape_string (credential, NULL, FALSE);
      return g_strdup_printf ("%s://%s:%s@%s", scheme, user, pass, rest);
    }
    return g_strdup_printf ("%s://%s", scheme, rest);
  }
  if (g_str_has_prefix (url, "stun:"))
    return g_strdup (url);
  return NULL;   /* not a scheme webrtcbin knows */
}

static void
on_ice_server_config (AmsClient *client, AmsEvent *event, const char *stun_uri, gpointer data)
{
  AmsStream *self = data;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  g_autofree char *first = ice_uri (stun_uri, ams_event_get_string (event, "turnServerUsername"),
                                    ams_event_get_string (event, "turnServerCredential"));
  if (first) {
    g_strv_builder_add (builder, first);
    n++;
  }
  g_autofree char *list = ams_event_dup_json (event, "iceServers");
  json_object *servers = list ? json_tokener_parse (list) : NULL;
  if (servers && json_object_is_type (servers, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length (servers) && n < 16; i++) {
      json_object *entry = json_object_array_get_idx (servers, i), *v;
      if (!json_object_is_type (entry, json_type_object))
        continue;
      const char *username = json_object_object_get_ex (entry, "username", &v) &&
                             json_object_is_type (v, json_type_string)
                                 ? json_object_get_string (v) : NULL;
      const char *credential = json_object_object_get_ex (entry, "credential", &v) &&
                               json_object_is_type (v, json_type_string)
                                   ? json_object_get_string (v) : NULL;
      if (!json_object_object_get_ex (entry, "urls", &v))
        continue;
      /* "urls" is a string or an array of strings. */
      size_t count = json_object_is_type (v, json_type_array) ? json_object_array_length (v) : 1;
      for (size_t k = 0; k < count && n < 16; k++) {
        json_object *u = json_object_is_type (v, json_type_array)
                             ? json_object_array_get_idx (v, k) : v;
        if (!json_object_is_type (u, json_type_string))
          continue;
        g_autofree char *uri = ice_uri (json_object_get_string (u), username, credential);
        /* The first server may come twice (stunServerUri and iceServers). */
        if (uri && !(first && g_str_equal (uri, first))) {
          g_strv_builder_add (builder, uri);
          n++;
        }
      }
    }
  }
  if (servers)
    json_object_put (servers);
  g_strfreev (self->server_ice_servers);
  self->server_ice_servers = n ? g_strv_builder_end (builder) : NULL;
}

/* ------------------------------------------------------------ wiring */

void
_ams_stream_connect_client (AmsStream *self)
{
  if (self->handlers[0])
    return;
  guint i = 0;
  self->handlers[i++] = g_signal_connect (self->client, "start", G_CALLBACK (on_start), self);
  self->handlers[i++] = g_signal_connect (self->client, "take-configuration",
                                          G_CALLBACK (on_take_configuration), self);
  self->handlers[i++] = g_signal_connect (self->client, "take-candidate",
                                          G_CALLBACK (on_take_candidate), self);
  self->handlers[i++] = g_signal_connect (self->client, "stop", G_CALLBACK (on_stop), self);
  self->handlers[i++] = g_signal_connect (self->client, "notification",
                                          G_CALLBACK (on_notification), self);
  self->handlers[i++] = g_signal_connect (self->client, "server-error",
                                          G_CALLBACK (on_server_error), self);
  self->handlers[i++] = g_signal_connect (self->client, "reconnecting",
                                          G_CALLBACK (on_reconnecting), self);
  self->handlers[i++] = g_signal_connect (self->client, "reconnected",
                                          G_CALLBACK (on_reconnected), self);
  self->handlers[i++] = g_signal_connect (self->client, "disconnected",
                                          G_CALLBACK (on_disconnected), self);
  self->handlers[i++] = g_signal_connect (self->client, "ice-server-config",
                                          G_CALLBACK (on_ice_server_config), self);
  g_assert (i <= G_N_ELEMENTS (self->handlers));
}

void
_ams_stream_disconnect_client (AmsStream *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->handlers); i++)
    if (self->handlers[i]) {
      g_signal_handler_disconnect (self->client, self->handlers[i]);
      self->handlers[i] = 0;
    }
}

gboolean
_ams_stream_send_request (AmsStream *self, GError **error)
{
  /* No servers of the user's: ask the server for its own (AMS answers
   * only when it has some; without an answer, none are used). */
  if (self->opts.ice_servers == NULL || self->opts.ice_servers[0] == NULL)
    ams_client_get_ice_server_config (self->client, NULL);

  switch (self->kind) {
  case AMS_STREAM_PUBLISH: {
    AmsPublishParams p;
    ams_publish_params_init (&p, self->stream_id);
    p.token = self->token;
    p.subscriber_id = self->subscriber_id;
    p.subscriber_code = self->subscriber_code;
    p.stream_name = self->stream_name;
    p.main_track = self->main_track;
    p.meta_data = self->meta_data;
    p.role = self->role;
    p.video = self->opts.video;
    p.audio = self->opts.audio;
    return ams_client_publish (self->client, &p, error);
  }
  case AMS_STREAM_PLAY: {
    AmsPlayParams p;
    ams_play_params_init (&p, self->stream_id);
    p.token = self->token;
    p.room = self->room;
    p.track_list = (const char *const *) self->track_list;
    p.subscriber_id = self->subscriber_id;
    p.subscriber_name = self->subscriber_name;
    p.subscriber_code = self->subscriber_code;
    p.viewer_info = self->viewer_info;
    p.role = self->role;
    p.user_publish_id = self->user_publish_id;
    p.disable_tracks_by_default = self->disable_tracks_by_default;
    return ams_client_play (self->client, &p, error);
  }
  case AMS_STREAM_P2P:
    return ams_client_join (self->client, self->stream_id,
                            self->opts.p2p_mode ? self->opts.p2p_mode : "both", FALSE, error);
  }
  g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "unknown stream kind");
  return FALSE;
}

void
_ams_stream_send_end (AmsStream *self)
{
  AmsClientState state = ams_client_get_state (self->client);
  if (state == AMS_CLIENT_STATE_DISCONNECTED || state == AMS_CLIENT_STATE_CLOSING)
    return;
  g_autoptr (GError) error = NULL;
  gboolean ok = self->kind == AMS_STREAM_P2P
                    ? ams_client_leave (self->client, self->stream_id, &error)
                    : ams_client_stop (self->client, self->stream_id, &error);
  if (!ok)
    g_debug ("stream %s: cannot send the end of the session: %s", self->stream_id,
             error->message);
}
