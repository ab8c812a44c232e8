/* ams-client.c: AmsClient, the AMS signalling connection (keepalive,
 * reconnection with session re-issue, request queueing, signal dispatch).
 * The request functions are in ams-client-requests.c. */
#include "client/ams-client-private.h"
#include "client/ams-event-private.h"

#include <string.h>

enum {
  PROP_0,
  PROP_URL,
  PROP_PING_INTERVAL,
  PROP_PONG_MISSES,
  PROP_RECONNECT,
  PROP_RECONNECT_BASE,
  PROP_RECONNECT_CAP,
  PROP_RECONNECT_MAX_ATTEMPTS,
  PROP_RECONNECT_JITTER,
  PROP_CONNECT_TIMEOUT,
  PROP_ALLOW_SELF_SIGNED,
  PROP_CA_FILE,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_QUEUED,
  N_PROPS
};

enum {
  SIG_EVENT,
  SIG_CONNECTED,
  SIG_DISCONNECTED,
  SIG_RECONNECTING,
  SIG_RECONNECTED,
  SIG_PONG,
  SIG_PROTOCOL_ERROR,
  SIG_START,
  SIG_TAKE_CONFIGURATION,
  SIG_TAKE_CANDIDATE,
  SIG_STOP,
  SIG_STREAM_INFORMATION,
  SIG_ROOM_INFORMATION,
  SIG_TRACK_LIST,
  SIG_PEER_MESSAGE,
  SIG_CONNECT_WITH_NEW_ID,
  SIG_START_NEW_P2P_CONNECTION,
  SIG_ICE_SERVER_CONFIG,
  SIG_NOTIFICATION,
  SIG_SERVER_ERROR,
  SIG_MESSAGE,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AmsClient, ams_client, G_TYPE_OBJECT)

typedef struct {
  char *key;    /* "publish:<id>", "play:<id>", "join:<id>", "joinRoom:<room>" */
  char *json;   /* the request exactly as first sent */
} ActiveSession;

static void
active_session_free (gpointer data)
{
  ActiveSession *session = data;
  g_free (session->key);
  g_free (session->json);
  g_free (session);
}

static void open_socket (AmsClient *self);
static void stop_keepalive (AmsClient *self);

/* ---------------------------------------------------------------- events */

static void
emit_event (AmsClient *self, AmsEvent *event)
{
  g_signal_emit (self, signals[SIG_EVENT], 0, event);
}

static void
emit_client_event (AmsClient *self, const char *name, const GError *error)
{
  g_autoptr (AmsEvent) event = ams_event_new (name);
  if (error)
    ams_event_set_error (event, error);
  emit_event (self, event);
}

/* ---------------------------------------------------------------- keepalive */

static gboolean
send_ping (AmsClient *self, GError **error)
{
  static const char ping[] = "{\"command\":\"ping\"}";
  if (!self->ws || !ams_ws_client_send (self->ws, ping, sizeof ping - 1, error))
    return FALSE;
  gint64 now = g_get_monotonic_time ();
  g_array_append_val (self->ping_times, now);
  return TRUE;
}

static void connection_lost (AmsClient *self, const GError *error);

static gboolean
on_ping_tick (gpointer data)
{
  AmsClient *self = data;
  if (self->state != AMS_CLIENT_STATE_CONNECTED)
    return G_SOURCE_CONTINUE;
  if (self->pong_misses > 0 && self->ping_times->len >= self->pong_misses) {
    /* The last pong_misses pings went unanswered: the connection is dead
     * even if TCP has not noticed (half-open socket, stuck server). */
    g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_TIMEOUT,
        "no pong for %u pings in a row (%u ms apart): connection declared dead",
        self->ping_times->len, self->ping_interval_ms);
    g_clear_pointer (&self->ping_source, g_source_unref);
    ams_ws_client_free (g_steal_pointer (&self->ws));
    g_object_ref (self);
    connection_lost (self, error);
    g_object_unref (self);
    return G_SOURCE_REMOVE;
  }
  send_ping (self, NULL);
  return G_SOURCE_CONTINUE;
}

static void
start_keepalive (AmsClient *self)
{
  stop_keepalive (self);
  g_array_set_size (self->ping_times, 0);
  self->rtt_us = -1;
  if (self->ping_interval_ms == 0)
    return;
  self->ping_source = g_timeout_source_new (self->ping_interval_ms);
  g_source_set_callback (self->ping_source, on_ping_tick, self, NULL);
  g_source_attach (self->ping_source, self->context);
}

static void
stop_keepalive (AmsClient *self)
{
  if (self->ping_source) {
    g_source_destroy (self->ping_source);
    g_clear_pointer (&self->ping_source, g_source_unref);
  }
}

/* ---------------------------------------------------------------- connection */

static void
set_state (AmsClient *self, AmsClientState state)
{
  self->state = state;
}

static void
drop_queues (AmsClient *self)
{
  g_queue_clear_full (&self->pending, g_free);
  g_ptr_array_set_size (self->active, 0);
}

static guint
backoff_delay_ms (AmsClient *self, guint attempt)
{
  guint64 delay = self->reconnect_base_ms;
  for (guint i = 1; i < attempt && delay < self->reconnect_cap_ms; i++)
    delay *= 2;
  delay = MIN (delay, (guint64) self->reconnect_cap_ms);
  if (self->reconnect_jitter > 0 && delay > 0) {
    /* Spread within ±jitter% so that clients dropped together do not come
     * back together. */
    gint64 spread = (gint64) delay * self->reconnect_jitter / 100;
    delay = (guint64) MAX (0, (gint64) delay + g_random_int_range ((gint32) -spread, (gint32) spread + 1));
  }
  return (guint) delay;
}

static gboolean
on_retry_timer (gpointer data)
{
  AmsClient *self = data;
  g_clear_pointer (&self->retry_source, g_source_unref);
  open_socket (self);
  return G_SOURCE_REMOVE;
}

/* The socket ended with @error while connected or reconnecting: retry or
 * give up. */
static void
connection_lost (AmsClient *self, const GError *error)
{
  stop_keepalive (self);
  gboolean may_retry = self->reconnect &&
      (self->reconnect_max_attempts == 0 || self->attempt < self->reconnect_max_attempts);
  if (!may_retry) {
    set_state (self, AMS_CLIENT_STATE_DISCONNECTED);
    drop_queues (self);
    emit_client_event (self, "disconnected", error);
    g_signal_emit (self, signals[SIG_DISCONNECTED], 0, error);
    return;
  }
  self->attempt++;
  guint delay = backoff_delay_ms (self, self->attempt);
  set_state (self, AMS_CLIENT_STATE_RECONNECTING);
  self->retry_source = g_timeout_source_new (delay);
  g_source_set_callback (self->retry_source, on_retry_timer, self, NULL);
  g_source_attach (self->retry_source, self->context);

  g_autoptr (AmsEvent) event = ams_event_new ("reconnecting");
  ams_event_set_int (event, "attempt", self->attempt);
  ams_event_set_int (event, "delayMs", delay);
  if (error)
    ams_event_set_error (event, error);
  emit_event (self, event);
  g_signal_emit (self, signals[SIG_RECONNECTING], 0, self->attempt, delay);
}

static void
send_now (AmsClient *self, const char *json)
{
  g_autoptr (GError) error = NULL;
  if (!ams_ws_client_send (self->ws, json, strlen (json), &error))
    g_debug ("dropping a request: %s", error->message);
}

static void
on_ws_open (AmsWsClient *ws, gpointer user_data)
{
  AmsClient *self = user_data;
  gboolean was_reconnecting = self->state == AMS_CLIENT_STATE_RECONNECTING;
  set_state (self, AMS_CLIENT_STATE_CONNECTED);
  self->attempt = 0;
  /* Sessions first, each exactly once, then whatever was asked meanwhile. */
  for (guint i = 0; i < self->active->len; i++) {
    ActiveSession *session = g_ptr_array_index (self->active, i);
    send_now (self, session->json);
  }
  char *json;
  while ((json = g_queue_pop_head (&self->pending))) {
    send_now (self, json);
    g_free (json);
  }
  start_keepalive (self);

  g_object_ref (self);
  if (was_reconnecting) {
    emit_client_event (self, "reconnected", NULL);
    g_signal_emit (self, signals[SIG_RECONNECTED], 0);
  } else {
    emit_client_event (self, "connected", NULL);
    g_signal_emit (self, signals[SIG_CONNECTED], 0);
  }
  g_object_unref (self);
}

static void
on_ws_close (AmsWsClient *ws, const GError *error, gpointer user_data)
{
  AmsClient *self = user_data;
  if (ws != self->ws)
    return;
  ams_ws_client_free (g_steal_pointer (&self->ws));
  g_object_ref (self);
  switch (self->state) {
  case AMS_CLIENT_STATE_CONNECTING:
  case AMS_CLIENT_STATE_CLOSING:
    set_state (self, AMS_CLIENT_STATE_DISCONNECTED);
    stop_keepalive (self);
    drop_queues (self);
    emit_client_event (self, "disconnected", error);
    g_signal_emit (self, signals[SIG_DISCONNECTED], 0, error);
    break;
  case AMS_CLIENT_STATE_CONNECTED:
  case AMS_CLIENT_STATE_RECONNECTING:
    connection_lost (self, error);
    break;
  case AMS_CLIENT_STATE_DISCONNECTED:
    break;
  }
  g_object_unref (self);
}

static void
handle_pong (AmsClient *self, AmsEvent *event)
{
  gint64 rtt = -1;
  if (self->ping_times->len > 0) {
    rtt = g_get_monotonic_time () - g_array_index (self->ping_times, gint64, 0);
    g_array_remove_index (self->ping_times, 0);
    self->rtt_us = rtt;
  }
  ams_event_set_int (event, "rttUs", rtt);
  emit_event (self, event);
  g_signal_emit (self, signals[SIG_PONG], 0, rtt);
}

static const char *
event_name_for (AmsMessage *msg)
{
  AmsCommand cmd = ams_message_get_command (msg);
  const char *definition = ams_message_get_definition (msg);
  if ((cmd == AMS_CMD_NOTIFICATION || cmd == AMS_CMD_ERROR) && definition)
    return definition;
  const char *command = ams_message_get_string (msg, "command");
  return command ? command : "unknown";
}

static ActiveSession *find_session (AmsClient *self, const char *key, guint *index);

static void
forget_session (AmsClient *self, const char *kind, const char *id)
{
  guint index;
  if (!id)
    return;
  g_autofree char *key = g_strconcat (kind, ":", id, NULL);
  if (find_session (self, key, &index))
    g_ptr_array_remove_index (self->active, index);
}

/* The server ended a session by itself: it is no longer active, so a
 * reconnection must not bring it back. */
static void
note_session_end (AmsClient *self, AmsMessage *msg)
{
  const char *stream_id = ams_message_get_string (msg, "streamId");
  switch (ams_message_get_notification (msg)) {
  case AMS_NOTIFY_PUBLISH_FINISHED:
    forget_session (self, "publish", stream_id);
    break;
  case AMS_NOTIFY_PLAY_FINISHED:
    forget_session (self, "play", stream_id);
    break;
  case AMS_NOTIFY_LEAVED:
    forget_session (self, "join", stream_id);
    break;
  case AMS_NOTIFY_LEAVED_FROM_ROOM: {
    const char *room = ams_message_get_string (msg, "room");
    forget_session (self, "joinRoom", room ? room : ams_message_get_string (msg, "ATTR_ROOM_NAME"));
    break;
  }
  default:
    break;
  }
}

static void
dispatch_message (AmsClient *self, AmsMessage *msg)
{
  g_autoptr (AmsEvent) event = ams_event_new_from_object (event_name_for (msg),
                                                          ams_message_get_object (msg));
  const char *stream_id = ams_message_get_string (msg, "streamId");
  AmsCommand cmd = ams_message_get_command (msg);

  if (cmd == AMS_CMD_PONG) {
    handle_pong (self, event);
    return;
  }
  emit_event (self, event);
  switch (cmd) {
  case AMS_CMD_START:
    g_signal_emit (self, signals[SIG_START], 0, event, stream_id);
    break;
  case AMS_CMD_TAKE_CONFIGURATION:
    g_signal_emit (self, signals[SIG_TAKE_CONFIGURATION], 0, event, stream_id,
                   ams_message_get_string (msg, "type"), ams_message_get_string (msg, "sdp"));
    break;
  case AMS_CMD_TAKE_CANDIDATE: {
    gint64 label = -1;
    ams_message_get_int (msg, "label", &label);
    g_signal_emit (self, signals[SIG_TAKE_CANDIDATE], 0, event, stream_id, (gint) label,
                   ams_message_get_string (msg, "id"), ams_message_get_string (msg, "candidate"));
    break;
  }
  case AMS_CMD_STOP:
    g_signal_emit (self, signals[SIG_STOP], 0, event, stream_id);
    break;
  case AMS_CMD_STREAM_INFORMATION:
    g_signal_emit (self, signals[SIG_STREAM_INFORMATION], 0, event, stream_id);
    break;
  case AMS_CMD_ROOM_INFORMATION:
    g_signal_emit (self, signals[SIG_ROOM_INFORMATION], 0, event, ams_message_get_string (msg, "room"));
    break;
  case AMS_CMD_TRACK_LIST: {
    g_auto (GStrv) tracks = ams_message_dup_strv (msg, "trackList");
    if (!tracks)
      tracks = g_new0 (char *, 1);
    g_signal_emit (self, signals[SIG_TRACK_LIST], 0, event, stream_id, tracks);
    break;
  }
  case AMS_CMD_PEER_MESSAGE_COMMAND:
    g_signal_emit (self, signals[SIG_PEER_MESSAGE], 0, event, stream_id,
                   ams_message_get_string (msg, "definition"));
    break;
  case AMS_CMD_CONNECT_WITH_NEW_ID:
    g_signal_emit (self, signals[SIG_CONNECT_WITH_NEW_ID], 0, event, stream_id);
    break;
  case AMS_CMD_START_NEW_P2P_CONNECTION:
    g_signal_emit (self, signals[SIG_START_NEW_P2P_CONNECTION], 0, event, stream_id);
    break;
  case AMS_CMD_ICE_SERVER_CONFIG:
    g_signal_emit (self, signals[SIG_ICE_SERVER_CONFIG], 0, event,
                   ams_message_get_string (msg, "stunServerUri"));
    break;
  case AMS_CMD_NOTIFICATION: {
    const char *definition = ams_message_get_definition (msg);
    GQuark detail = definition ? g_quark_from_string (definition) : 0;
    note_session_end (self, msg);
    g_signal_emit (self, signals[SIG_NOTIFICATION], detail, event, stream_id);
    break;
  }
  case AMS_CMD_ERROR: {
    g_autoptr (GError) error = ams_event_get_error (event);
    g_signal_emit (self, signals[SIG_SERVER_ERROR], 0, error, event);
    break;
  }
  default:
    g_signal_emit (self, signals[SIG_MESSAGE], 0, event);
    break;
  }
}

static void
report_protocol_error (AmsClient *self, const GError *error)
{
  emit_client_event (self, "protocol-error", error);
  g_signal_emit (self, signals[SIG_PROTOCOL_ERROR], 0, error);
}

static void
on_ws_message (AmsWsClient *ws, const char *data, gsize len, gboolean binary, gpointer user_data)
{
  AmsClient *self = user_data;
  if (ws != self->ws)
    return;
  g_object_ref (self);  /* a handler may drop the last reference */
  if (binary) {
    g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_PROTOCOL,
        "ignored a binary WebSocket message of %" G_GSIZE_FORMAT " bytes (AMS uses text)", len);
    report_protocol_error (self, error);
  } else {
    g_autoptr (GError) error = NULL;
    g_autoptr (AmsMessage) msg = ams_message_decode (data, len, self->max_message_size, &error);
    if (msg)
      dispatch_message (self, msg);
    else
      report_protocol_error (self, error);
  }
  g_object_unref (self);
}

static const AmsWsClientCallbacks ws_callbacks = {
  .on_open = on_ws_open,
  .on_message = on_ws_message,
  .on_close = on_ws_close,
};

static AmsWsClient *
new_socket (AmsClient *self, GError **error)
{
  AmsWsClientOptions options = {
    .allow_self_signed = self->allow_self_signed,
    .ca_file = self->ca_file,
    .max_message_size = self->max_message_size,
    .connect_timeout_ms = self->connect_timeout_ms,
  };
  return ams_ws_client_new (self->url, &options, self->context, &ws_callbacks, self, error);
}

static void
open_socket (AmsClient *self)
{
  g_autoptr (GError) error = NULL;
  self->ws = new_socket (self, &error);
  if (!self->ws) {
    g_object_ref (self);
    if (self->state == AMS_CLIENT_STATE_RECONNECTING) {
      connection_lost (self, error);
    } else {
      set_state (self, AMS_CLIENT_STATE_DISCONNECTED);
      drop_queues (self);
      emit_client_event (self, "disconnected", error);
      g_signal_emit (self, signals[SIG_DISCONNECTED], 0, error);
    }
    g_object_unref (self);
  }
}

gboolean
ams_client_connect (AmsClient *self, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (self->state != AMS_CLIENT_STATE_DISCONNECTED) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_FAILED, "the client is already connected or connecting");
    return FALSE;
  }
  self->attempt = 0;
  self->ws = new_socket (self, error);
  if (!self->ws)
    return FALSE;
  set_state (self, AMS_CLIENT_STATE_CONNECTING);
  return TRUE;
}

void
ams_client_disconnect (AmsClient *self)
{
  g_return_if_fail (AMS_IS_CLIENT (self));
  if (self->state == AMS_CLIENT_STATE_DISCONNECTED || self->state == AMS_CLIENT_STATE_CLOSING)
    return;
  stop_keepalive (self);
  if (self->retry_source) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  drop_queues (self);
  if (self->ws && ams_ws_client_is_open (self->ws)) {
    set_state (self, AMS_CLIENT_STATE_CLOSING);
    ams_ws_client_close (self->ws);   /* "disconnected" (NULL) from on_ws_close */
    return;
  }
  /* Nothing open (connecting or waiting to retry): stop at once. */
  ams_ws_client_free (g_steal_pointer (&self->ws));
  set_state (self, AMS_CLIENT_STATE_DISCONNECTED);
  emit_client_event (self, "disconnected", NULL);
  g_signal_emit (self, signals[SIG_DISCONNECTED], 0, NULL);
}

/* ---------------------------------------------------------------- requests core */

static ActiveSession *
find_session (AmsClient *self, const char *key, guint *index)
{
  for (guint i = 0; i < self->active->len; i++) {
    ActiveSession *session = g_ptr_array_index (self->active, i);
    if (strcmp (session->key, key) == 0) {
      if (index)
        *index = i;
      return session;
    }
  }
  return NULL;
}

gboolean
_ams_client_submit (AmsClient *self, AmsMessage *msg, const char *session_key,
                    const char *const *ended_sessions, GError **error)
{
  if (self->state == AMS_CLIENT_STATE_DISCONNECTED || self->state == AMS_CLIENT_STATE_CLOSING) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "the client is not connected");
    return FALSE;
  }
  gsize len = 0;
  g_autofree char *json = ams_message_encode (msg, &len);
  if (!json) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "the request cannot be encoded");
    return FALSE;
  }
  if (len > self->max_message_size) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG,
                 "request of %" G_GSIZE_FORMAT " bytes exceeds max-message-size %" G_GSIZE_FORMAT,
                 len, self->max_message_size);
    return FALSE;
  }
  gboolean connected = self->state == AMS_CLIENT_STATE_CONNECTED && self->ws;

  /* A request that ends a session while reconnecting has nothing to end on
   * the new socket (the server dropped the old one's sessions): forget the
   * session and send nothing. */
  gboolean ended_any = FALSE;
  for (gsize i = 0; ended_sessions && ended_sessions[i]; i++) {
    guint index;
    if (find_session (self, ended_sessions[i], &index)) {
      g_ptr_array_remove_index (self->active, index);
      ended_any = TRUE;
    }
  }
  if (ended_any && self->state == AMS_CLIENT_STATE_RECONNECTING)
    return TRUE;

  if (session_key) {
    ActiveSession *session = find_session (self, session_key, NULL);
    if (!session) {
      session = g_new0 (ActiveSession, 1);
      session->key = g_strdup (session_key);
      g_ptr_array_add (self->active, session);
    }
    g_free (session->json);
    session->json = g_strdup (json);
    /* Not connected: the session list is sent when the socket opens. */
    if (!connected)
      return TRUE;
  }

  if (connected)
    return ams_ws_client_send (self->ws, json, len, error);

  if (g_queue_get_length (&self->pending) >= self->max_queued) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED,
                 "not connected yet and %u requests are already queued", self->max_queued);
    return FALSE;
  }
  g_queue_push_tail (&self->pending, g_steal_pointer (&json));
  return TRUE;
}

gboolean
ams_client_ping (AmsClient *self, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (self->state != AMS_CLIENT_STATE_CONNECTED) {
    /* A ping measures this socket: it is not queued. */
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "the client is not connected");
    return FALSE;
  }
  return send_ping (self, error);
}

/* ---------------------------------------------------------------- GObject */

AmsClient *
ams_client_new (const char *url, GMainContext *context, GError **error)
{
  g_autoptr (AmsUrl) parsed = ams_url_parse (url, error);
  if (!parsed)
    return NULL;
  AmsClient *self = g_object_new (AMS_TYPE_CLIENT, "url", url, NULL);
  self->url = g_steal_pointer (&parsed);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  return self;
}

const char *
ams_client_get_url (AmsClient *self)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), NULL);
  return self->url_string;
}

AmsClientState
ams_client_get_state (AmsClient *self)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), AMS_CLIENT_STATE_DISCONNECTED);
  return self->state;
}

GMainContext *
ams_client_get_context (AmsClient *self)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), NULL);
  return self->context;
}

gint64
ams_client_get_rtt (AmsClient *self)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), -1);
  return self->rtt_us;
}

static void
ams_client_init (AmsClient *self)
{
  self->state = AMS_CLIENT_STATE_DISCONNECTED;
  self->ping_interval_ms = 3000;
  self->pong_misses = 2;
  self->reconnect = TRUE;
  self->reconnect_base_ms = 500;
  self->reconnect_cap_ms = 8000;
  self->reconnect_max_attempts = 0;
  self->reconnect_jitter = 20;
  self->connect_timeout_ms = 10000;
  self->max_message_size = AMS_MESSAGE_DEFAULT_MAX_SIZE;
  self->max_queued = 256;
  self->rtt_us = -1;
  self->ping_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->active = g_ptr_array_new_with_free_func (active_session_free);
  g_queue_init (&self->pending);
}

static void
ams_client_dispose (GObject *object)
{
  AmsClient *self = AMS_CLIENT (object);
  stop_keepalive (self);
  if (self->retry_source) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  if (self->ws) {
    /* Say goodbye with code 1000 when we can, within a bounded wait. */
    ams_ws_client_close_and_free (g_steal_pointer (&self->ws), 500);
  }
  self->state = AMS_CLIENT_STATE_DISCONNECTED;
  G_OBJECT_CLASS (ams_client_parent_class)->dispose (object);
}

static void
ams_client_finalize (GObject *object)
{
  AmsClient *self = AMS_CLIENT (object);
  g_queue_clear_full (&self->pending, g_free);
  g_ptr_array_unref (self->active);
  g_array_unref (self->ping_times);
  ams_url_free (self->url);
  g_free (self->url_string);
  g_free (self->ca_file);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (ams_client_parent_class)->finalize (object);
}

static void
ams_client_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  AmsClient *self = AMS_CLIENT (object);
  switch (id) {
  case PROP_URL: g_free (self->url_string); self->url_string = g_value_dup_string (value); break;
  case PROP_PING_INTERVAL: self->ping_interval_ms = g_value_get_uint (value); break;
  case PROP_PONG_MISSES: self->pong_misses = g_value_get_uint (value); break;
  case PROP_RECONNECT: self->reconnect = g_value_get_boolean (value); break;
  case PROP_RECONNECT_BASE: self->reconnect_base_ms = g_value_get_uint (value); break;
  case PROP_RECONNECT_CAP: self->reconnect_cap_ms = g_value_get_uint (value); break;
  case PROP_RECONNECT_MAX_ATTEMPTS: self->reconnect_max_attempts = g_value_get_uint (value); break;
  case PROP_RECONNECT_JITTER: self->reconnect_jitter = g_value_get_uint (value); break;
  case PROP_CONNECT_TIMEOUT: self->connect_timeout_ms = g_value_get_uint (value); break;
  case PROP_ALLOW_SELF_SIGNED: self->allow_self_signed = g_value_get_boolean (value); break;
  case PROP_CA_FILE: g_free (self->ca_file); self->ca_file = g_value_dup_string (value); break;
  case PROP_MAX_MESSAGE_SIZE: self->max_message_size = g_value_get_uint64 (value); break;
  case PROP_MAX_QUEUED: self->max_queued = g_value_get_uint (value); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec); break;
  }
}

static void
ams_client_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  AmsClient *self = AMS_CLIENT (object);
  switch (id) {
  case PROP_URL: g_value_set_string (value, self->url_string); break;
  case PROP_PING_INTERVAL: g_value_set_uint (value, self->ping_interval_ms); break;
  case PROP_PONG_MISSES: g_value_set_uint (value, self->pong_misses); break;
  case PROP_RECONNECT: g_value_set_boolean (value, self->reconnect); break;
  case PROP_RECONNECT_BASE: g_value_set_uint (value, self->reconnect_base_ms); break;
  case PROP_RECONNECT_CAP: g_value_set_uint (value, self->reconnect_cap_ms); break;
  case PROP_RECONNECT_MAX_ATTEMPTS: g_value_set_uint (value, self->reconnect_max_attempts); break;
  case PROP_RECONNECT_JITTER: g_value_set_uint (value, self->reconnect_jitter); break;
  case PROP_CONNECT_TIMEOUT: g_value_set_uint (value, self->connect_timeout_ms); break;
  case PROP_ALLOW_SELF_SIGNED: g_value_set_boolean (value, self->allow_self_signed); break;
  case PROP_CA_FILE: g_value_set_string (value, self->ca_file); break;
  case PROP_MAX_MESSAGE_SIZE: g_value_set_uint64 (value, self->max_message_size); break;
  case PROP_MAX_QUEUED: g_value_set_uint (value, self->max_queued); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec); break;
  }
}

#define RW (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)

static guint
new_event_signal (const char *name, guint n_extra, ...)
{
  GType types[6] = { AMS_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE };
  va_list args;
  va_start (args, n_extra);
  for (guint i = 0; i < n_extra && i < 5; i++)
    types[i + 1] = va_arg (args, GType);
  va_end (args);
  return g_signal_newv (name, AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST, NULL, NULL, NULL, NULL,
                        G_TYPE_NONE, n_extra + 1, types);
}

static void
ams_client_class_init (AmsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = ams_client_dispose;
  object_class->finalize = ams_client_finalize;
  object_class->set_property = ams_client_set_property;
  object_class->get_property = ams_client_get_property;

  props[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_PING_INTERVAL] = g_param_spec_uint ("ping-interval", NULL, NULL, 0, G_MAXUINT, 3000, RW);
  props[PROP_PONG_MISSES] = g_param_spec_uint ("pong-misses", NULL, NULL, 0, G_MAXUINT, 2, RW);
  props[PROP_RECONNECT] = g_param_spec_boolean ("reconnect", NULL, NULL, TRUE, RW);
  props[PROP_RECONNECT_BASE] = g_param_spec_uint ("reconnect-base", NULL, NULL, 0, G_MAXUINT, 500, RW);
  props[PROP_RECONNECT_CAP] = g_param_spec_uint ("reconnect-cap", NULL, NULL, 0, G_MAXUINT, 8000, RW);
  props[PROP_RECONNECT_MAX_ATTEMPTS] = g_param_spec_uint ("reconnect-max-attempts", NULL, NULL,
                                                          0, G_MAXUINT, 0, RW);
  props[PROP_RECONNECT_JITTER] = g_param_spec_uint ("reconnect-jitter", NULL, NULL, 0, 100, 20, RW);
  props[PROP_CONNECT_TIMEOUT] = g_param_spec_uint ("connect-timeout", NULL, NULL, 0, G_MAXUINT, 10000, RW);
  props[PROP_ALLOW_SELF_SIGNED] = g_param_spec_boolean ("allow-self-signed", NULL, NULL, FALSE, RW);
  props[PROP_CA_FILE] = g_param_spec_string ("ca-file", NULL, NULL, NULL, RW);
  props[PROP_MAX_MESSAGE_SIZE] = g_param_spec_uint64 ("max-message-size", NULL, NULL, 64, G_MAXUINT32,
                                                      AMS_MESSAGE_DEFAULT_MAX_SIZE, RW);
  props[PROP_MAX_QUEUED] = g_param_spec_uint ("max-queued", NULL, NULL, 0, 1000000, 256, RW);
  g_object_class_install_properties (object_class, N_PROPS, props);

  GType error_type = G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE;
  GType string_type = G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE;
  /**
   * AmsClient::event:
   * @client: the client
   * @event: (transfer none): every event the client reports, server messages
   *   and client-side events alike, just before its specific signal
   */
  signals[SIG_EVENT] = new_event_signal ("event", 0);
  /**
   * AmsClient::connected:
   * @client: the client
   *
   * The first connection is open; queued requests have been handed to it.
   */
  signals[SIG_CONNECTED] = g_signal_new ("connected", AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * AmsClient::disconnected:
   * @client: the client
   * @error: (nullable) (transfer none): why the connection ended for good;
   *   %NULL after ams_client_disconnect()
   *
   * The client is in %AMS_CLIENT_STATE_DISCONNECTED and will not retry.
   */
  signals[SIG_DISCONNECTED] = g_signal_new ("disconnected", AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 1, error_type);
  /**
   * AmsClient::reconnecting:
   * @client: the client
   * @attempt: 1 for the first retry since the connection was lost
   * @delay_ms: the wait before this retry (backoff with jitter)
   */
  signals[SIG_RECONNECTING] = g_signal_new ("reconnecting", AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * AmsClient::reconnected:
   * @client: the client
   *
   * A retry succeeded; the active publish, play, join and joinRoom requests
   * were re-sent once each, then the requests queued meanwhile.
   */
  signals[SIG_RECONNECTED] = g_signal_new ("reconnected", AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * AmsClient::pong:
   * @client: the client
   * @rtt_us: round-trip time of the matching ping in microseconds (-1 for an
   *   unsolicited pong)
   */
  signals[SIG_PONG] = g_signal_new ("pong", AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  /**
   * AmsClient::protocol-error:
   * @client: the client
   * @error: (transfer none): %AMS_ERROR_PROTOCOL or %AMS_ERROR_MESSAGE_TOO_BIG
   *
   * A server message could not be decoded and was dropped; the connection
   * stays up.
   */
  signals[SIG_PROTOCOL_ERROR] = g_signal_new ("protocol-error", AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 1, error_type);
  /* The server-message signals: (AmsEvent *event, then the key fields as
   * listed in ams-client.h). Strings are (nullable) (transfer none). */
  signals[SIG_START] = new_event_signal ("start", 1, string_type);
  signals[SIG_TAKE_CONFIGURATION] = new_event_signal ("take-configuration", 3, string_type,
                                                      string_type, string_type);
  signals[SIG_TAKE_CANDIDATE] = new_event_signal ("take-candidate", 4, string_type, G_TYPE_INT,
                                                  string_type, string_type);
  signals[SIG_STOP] = new_event_signal ("stop", 1, string_type);
  signals[SIG_STREAM_INFORMATION] = new_event_signal ("stream-information", 1, string_type);
  signals[SIG_ROOM_INFORMATION] = new_event_signal ("room-information", 1, string_type);
  signals[SIG_TRACK_LIST] = new_event_signal ("track-list", 2, string_type,
                                              G_TYPE_STRV | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIG_PEER_MESSAGE] = new_event_signal ("peer-message", 2, string_type, string_type);
  signals[SIG_CONNECT_WITH_NEW_ID] = new_event_signal ("connect-with-new-id", 1, string_type);
  signals[SIG_START_NEW_P2P_CONNECTION] = new_event_signal ("start-new-p2p-connection", 1, string_type);
  signals[SIG_ICE_SERVER_CONFIG] = new_event_signal ("ice-server-config", 1, string_type);
  /**
   * AmsClient::notification:
   * @client: the client
   * @event: (transfer none): the notification; ams_event_get_name() is its
   *   definition
   * @stream_id: (nullable): its `streamId`
   *
   * Detailed by the definition: connect to "notification::play_started" for
   * one kind only.
   */
  {
    GType types[2] = { AMS_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE, string_type };
    signals[SIG_NOTIFICATION] = g_signal_newv ("notification", AMS_TYPE_CLIENT,
                                               G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                                               NULL, NULL, NULL, NULL, G_TYPE_NONE, 2, types);
  }
  /**
   * AmsClient::server-error:
   * @client: the client
   * @error: (transfer none): the `error` message mapped into %AMS_ERROR
   *   (%AMS_ERROR_UNKNOWN_SERVER_ERROR for definitions this library does not
   *   know)
   * @event: (transfer none): the message with all its fields
   */
  signals[SIG_SERVER_ERROR] = g_signal_new ("server-error", AMS_TYPE_CLIENT, G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 2, error_type,
                                            AMS_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIG_MESSAGE] = new_event_signal ("message", 0);
}
