/* ams-client.h: AmsClient, one signalling connection to an AMS server.
 *
 * An AmsClient speaks the Ant Media Server WebSocket protocol: a request
 * function for every client-to-server command, a GObject signal for every
 * server message, keepalive with a pong watchdog, and automatic reconnection
 * that re-issues the active sessions (publish, play, join, joinRoom) exactly
 * once each.
 *
 * Threading: an AmsClient is bound to the GMainContext given to
 * ams_client_new() (the thread-default context when %NULL). It never starts
 * a thread or a main loop of its own: the application runs that context. All
 * its signals are emitted on that context, and all its functions must be
 * called from the thread that runs it. Nothing happens while the context is
 * not iterated.
 *
 * Requests: every request function checks its arguments (a %NULL or invalid
 * stream id fails with %AMS_ERROR_INVALID_ARGUMENT), encodes one JSON message
 * and queues it. While the client is connecting or reconnecting, requests are
 * kept in a bounded queue (see #AmsClient:max-queued) and sent in order once
 * the socket is open; when it is disconnected they fail with
 * %AMS_ERROR_NOT_CONNECTED. A %TRUE return means queued, not answered: the
 * answer arrives as a signal. String arguments are copied (transfer none). */
#pragma once

#include <glib-object.h>
#include <amsclient/ams-export.h>
#include <amsclient/ams-error.h>
#include <amsclient/ams-event.h>

G_BEGIN_DECLS

#define AMS_TYPE_CLIENT (ams_client_get_type ())
AMS_API G_DECLARE_FINAL_TYPE (AmsClient, ams_client, AMS, CLIENT, GObject)

/**
 * AmsClientState:
 * @AMS_CLIENT_STATE_DISCONNECTED: not connected (initial and final state)
 * @AMS_CLIENT_STATE_CONNECTING: the first connection is being opened
 * @AMS_CLIENT_STATE_CONNECTED: the WebSocket is open
 * @AMS_CLIENT_STATE_RECONNECTING: the connection was lost; waiting to retry
 *   or retrying
 * @AMS_CLIENT_STATE_CLOSING: ams_client_disconnect() is closing the socket
 */
typedef enum {
  AMS_CLIENT_STATE_DISCONNECTED,
  AMS_CLIENT_STATE_CONNECTING,
  AMS_CLIENT_STATE_CONNECTED,
  AMS_CLIENT_STATE_RECONNECTING,
  AMS_CLIENT_STATE_CLOSING,
} AmsClientState;

/**
 * AmsPublishParams:
 * @stream_id: the stream to publish (required)
 * @token: (nullable): one-time, JWT or hash token
 * @subscriber_id: (nullable): TOTP subscriber id
 * @subscriber_code: (nullable): TOTP code
 * @stream_name: (nullable): broadcast name
 * @main_track: (nullable): the main track (room) this stream joins
 * @meta_data: (nullable): free text stored with the broadcast
 * @role: (nullable): conference role
 * @video: whether the stream carries video (default %TRUE)
 * @audio: whether the stream carries audio (default %TRUE)
 *
 * The fields of a `publish` request. %NULL strings are left out of the
 * message. Initialise with ams_publish_params_init(); strings are borrowed
 * (the client copies what it needs).
 */
typedef struct {
  const char *stream_id;
  const char *token;
  const char *subscriber_id;
  const char *subscriber_code;
  const char *stream_name;
  const char *main_track;
  const char *meta_data;
  const char *role;
  gboolean    video;
  gboolean    audio;
  /*< private >*/
  gpointer    _reserved[8];
} AmsPublishParams;

/**
 * ams_publish_params_init:
 * @params: (out caller-allocates): the struct to fill
 * @stream_id: the stream id (borrowed)
 *
 * Sets every field to its default: strings %NULL, @video and @audio %TRUE.
 */
AMS_API void ams_publish_params_init (AmsPublishParams *params, const char *stream_id);

/**
 * AmsPlayParams:
 * @stream_id: the stream, or the room / main track for multitrack (required)
 * @token: (nullable): play token
 * @room: (nullable): legacy conference room
 * @track_list: (nullable) (array zero-terminated=1): subtrack ids to enable,
 *   "!id" to exclude one; %NULL leaves the field out
 * @subscriber_id: (nullable): TOTP subscriber id
 * @subscriber_name: (nullable): human-readable name
 * @subscriber_code: (nullable): TOTP code
 * @viewer_info: (nullable): free text
 * @role: (nullable): conference role
 * @user_publish_id: (nullable): own publish id on this socket
 * @disable_tracks_by_default: start with every track disabled (default
 *   %FALSE; sent only when %TRUE)
 *
 * The fields of a `play` request; initialise with ams_play_params_init().
 */
typedef struct {
  const char        *stream_id;
  const char        *token;
  const char        *room;
  const char *const *track_list;
  const char        *subscriber_id;
  const char        *subscriber_name;
  const char        *subscriber_code;
  const char        *viewer_info;
  const char        *role;
  const char        *user_publish_id;
  gboolean           disable_tracks_by_default;
  /*< private >*/
  gpointer           _reserved[8];
} AmsPlayParams;

/**
 * ams_play_params_init:
 * @params: (out caller-allocates): the struct to fill
 * @stream_id: the stream id (borrowed)
 *
 * Sets every field to its default (%NULL / %FALSE).
 */
AMS_API void ams_play_params_init (AmsPlayParams *params, const char *stream_id);

/**
 * ams_client_new:
 * @url: `ws://host[:port]/App/websocket[?query]` or `wss://...`
 * @context: (nullable): the context the client lives on; %NULL means the
 *   thread-default context at the time of the call
 * @error: return location for a #GError (%AMS_ERROR_INVALID_URL)
 *
 * Creates a client. It does not connect yet: set options (properties), connect
 * to signals, then call ams_client_connect().
 *
 * Properties (all readable and writable before connecting; changes apply to
 * the next connection): "ping-interval" (ms, default 3000, 0 turns keepalive
 * off), "pong-misses" (missed pongs that declare the connection dead,
 * default 2), "reconnect" (default %TRUE), "reconnect-base" (ms, 500),
 * "reconnect-cap" (ms, 8000), "reconnect-max-attempts" (0 = unlimited,
 * default 0), "reconnect-jitter" (percent, 20), "connect-timeout" (ms, 10000),
 * "allow-self-signed" (%FALSE), "ca-file" (%NULL = the system store),
 * "max-message-size" (bytes, 1 MiB), "max-queued" (queued requests, 256).
 *
 * Returns: (transfer full) (nullable): a new client, or %NULL when @url is
 * invalid. Free with g_object_unref(), which closes the connection.
 */
AMS_API AmsClient *ams_client_new (const char *url, GMainContext *context, GError **error);

/**
 * ams_client_get_url:
 * @self: a client
 *
 * Returns: (transfer none): the URL given to ams_client_new().
 */
AMS_API const char *ams_client_get_url (AmsClient *self);

/**
 * ams_client_get_state:
 * @self: a client
 *
 * Returns: the connection state.
 */
AMS_API AmsClientState ams_client_get_state (AmsClient *self);

/**
 * ams_client_get_context:
 * @self: a client
 *
 * Returns: (transfer none): the context the client emits its signals on.
 */
AMS_API GMainContext *ams_client_get_context (AmsClient *self);

/**
 * ams_client_connect:
 * @self: a client
 * @error: return location for a #GError
 *
 * Starts opening the WebSocket. The outcome comes as "connected", or as
 * "disconnected" with an error (%AMS_ERROR_CONNECT, %AMS_ERROR_TLS,
 * %AMS_ERROR_TIMEOUT). A first connection that fails is not retried;
 * reconnection applies once a connection was established.
 *
 * Returns: %FALSE with @error set when the connection cannot even start
 * (already connected: %AMS_ERROR_FAILED; no WebSocket support:
 * %AMS_ERROR_CONNECT).
 */
AMS_API gboolean ams_client_connect (AmsClient *self, GError **error);

/**
 * ams_client_disconnect:
 * @self: a client
 *
 * Closes the connection with code 1000 and stops reconnecting; queued
 * requests are dropped. "disconnected" is emitted with a %NULL error once the
 * socket is closed (or at once when there was no socket). Does nothing when
 * already disconnected.
 */
AMS_API void ams_client_disconnect (AmsClient *self);

/**
 * ams_client_get_rtt:
 * @self: a client
 *
 * Returns: the round-trip time of the last ping/pong in microseconds, or -1
 * when no pong was received on the current connection.
 */
AMS_API gint64 ams_client_get_rtt (AmsClient *self);

/* ---------------------------------------------------------------- requests
 * All: @self a client; string arguments (transfer none) copied; @error set
 * and %FALSE returned when the request is refused (see the top of this
 * file). Optional (nullable) strings are left out when %NULL; integers marked
 * "optional" are left out when negative. */

/**
 * ams_client_publish:
 * @params: what to publish; @params->stream_id is required
 *
 * Sends `publish`. The stream is remembered as active (re-issued once after
 * a reconnection, with the same parameters) until ams_client_stop() for it,
 * or until the server reports `publish_finished` for it. (Likewise play ends
 * with `play_finished`, join with `leaved`, joinRoom with `leavedFromRoom`.)
 */
AMS_API gboolean ams_client_publish (AmsClient *self, const AmsPublishParams *params, GError **error);

/**
 * ams_client_play:
 * @params: what to play; @params->stream_id is required
 *
 * Sends `play`; remembered as active like ams_client_publish().
 */
AMS_API gboolean ams_client_play (AmsClient *self, const AmsPlayParams *params, GError **error);

/**
 * ams_client_stop:
 * @stream_id: a published, played or joined stream
 *
 * Sends `stop` and forgets @stream_id as an active publish, play or join.
 */
AMS_API gboolean ams_client_stop (AmsClient *self, const char *stream_id, GError **error);

/**
 * ams_client_take_configuration:
 * @stream_id: the stream
 * @type: "offer" or "answer"
 * @sdp: the session description
 *
 * Sends `takeConfiguration`.
 */
AMS_API gboolean ams_client_take_configuration (AmsClient *self, const char *stream_id,
                                                const char *type, const char *sdp, GError **error);

/**
 * ams_client_take_candidate:
 * @stream_id: the stream
 * @label: the sdpMLineIndex (sent as a JSON integer)
 * @id: (nullable): the sdpMid
 * @candidate: the candidate attribute without "a="
 *
 * Sends `takeCandidate`.
 */
AMS_API gboolean ams_client_take_candidate (AmsClient *self, const char *stream_id, guint label,
                                            const char *id, const char *candidate, GError **error);

/**
 * ams_client_ping:
 *
 * Sends `ping` now; the reply raises "pong" with the round-trip time. (The
 * client also pings by itself every #AmsClient:ping-interval.)
 */
AMS_API gboolean ams_client_ping (AmsClient *self, GError **error);

/**
 * ams_client_join:
 * @stream_id: the peer-to-peer session id
 * @mode: (nullable): "play" or "both"
 * @multi_peer: send `multiPeer: true` (sent only when %TRUE)
 *
 * Sends `join`; remembered as active until ams_client_leave() or
 * ams_client_stop() for @stream_id.
 */
AMS_API gboolean ams_client_join (AmsClient *self, const char *stream_id, const char *mode,
                                  gboolean multi_peer, GError **error);

/**
 * ams_client_leave:
 * @stream_id: the peer-to-peer session id
 *
 * Sends `leave` and forgets the join.
 */
AMS_API gboolean ams_client_leave (AmsClient *self, const char *stream_id, GError **error);

/**
 * ams_client_join_room:
 * @room: the room id (required)
 * @stream_id: (nullable): own stream id (the server makes one when %NULL)
 * @mode: (nullable): "legacy", "mcu", "amcu" or "multitrack"
 *
 * Sends `joinRoom`; remembered as active until ams_client_leave_from_room().
 */
AMS_API gboolean ams_client_join_room (AmsClient *self, const char *room, const char *stream_id,
                                       const char *mode, GError **error);

/**
 * ams_client_leave_from_room:
 * @room: the room id
 * @stream_id: (nullable): own stream id
 *
 * Sends `leaveFromRoom` and forgets the room.
 */
AMS_API gboolean ams_client_leave_from_room (AmsClient *self, const char *room,
                                             const char *stream_id, GError **error);

/**
 * ams_client_get_room_info:
 * @room: the room id
 * @stream_id: (nullable): own stream id (excluded from the answer)
 *
 * Sends `getRoomInfo`; the answer is "room-information".
 */
AMS_API gboolean ams_client_get_room_info (AmsClient *self, const char *room,
                                           const char *stream_id, GError **error);

/** ams_client_get_stream_info: sends `getStreamInfo`; answer "stream-information". */
AMS_API gboolean ams_client_get_stream_info (AmsClient *self, const char *stream_id, GError **error);

/**
 * ams_client_force_stream_quality:
 * @stream_height: the height to receive; 0 = automatic
 * @track_id: (nullable): a subtrack
 *
 * Sends `forceStreamQuality`.
 */
AMS_API gboolean ams_client_force_stream_quality (AmsClient *self, const char *stream_id,
                                                  guint stream_height, const char *track_id,
                                                  GError **error);

/** ams_client_toggle_video: sends `toggleVideo` {streamId, trackId (nullable: = stream_id), enabled}. */
AMS_API gboolean ams_client_toggle_video (AmsClient *self, const char *stream_id, const char *track_id,
                                          gboolean enabled, GError **error);
/** ams_client_toggle_audio: sends `toggleAudio` {streamId, trackId (nullable: = stream_id), enabled}. */
AMS_API gboolean ams_client_toggle_audio (AmsClient *self, const char *stream_id, const char *track_id,
                                          gboolean enabled, GError **error);
/** ams_client_enable_track: sends `enableTrack` {streamId (main track), trackId (required), enabled}. */
AMS_API gboolean ams_client_enable_track (AmsClient *self, const char *stream_id, const char *track_id,
                                          gboolean enabled, GError **error);
/** ams_client_get_track_list: sends `getTrackList` {streamId, token (nullable)}; answer "track-list". */
AMS_API gboolean ams_client_get_track_list (AmsClient *self, const char *stream_id, const char *token,
                                            GError **error);
/** ams_client_get_broadcast_object: sends `getBroadcastObject`; answer "notification::broadcastObject". */
AMS_API gboolean ams_client_get_broadcast_object (AmsClient *self, const char *stream_id, GError **error);
/** ams_client_get_subtracks: sends `getSubtracks` {streamId, role (nullable), offset, size (optional)}. */
AMS_API gboolean ams_client_get_subtracks (AmsClient *self, const char *stream_id, const char *role,
                                           gint offset, gint size, GError **error);
/** ams_client_get_subtracks_count: sends `getSubtracksCount` {streamId, role, status (nullable)}. */
AMS_API gboolean ams_client_get_subtracks_count (AmsClient *self, const char *stream_id, const char *role,
                                                 const char *status, GError **error);
/** ams_client_get_subscriber_count: sends `getSubscriberCount` {streamId}. */
AMS_API gboolean ams_client_get_subscriber_count (AmsClient *self, const char *stream_id, GError **error);
/** ams_client_get_subscribers: sends `getSubscribers` {streamId, offset, size (optional)}. */
AMS_API gboolean ams_client_get_subscribers (AmsClient *self, const char *stream_id, gint offset,
                                             gint size, GError **error);
/** ams_client_update_stream_meta_data: sends `updateStreamMetaData` {streamId, metaData (required)}. */
AMS_API gboolean ams_client_update_stream_meta_data (AmsClient *self, const char *stream_id,
                                                     const char *meta_data, GError **error);
/**
 * ams_client_peer_message:
 * @definition: the message kind, free text
 * @data: (nullable): the payload, sent as a JSON string
 *
 * Sends `peerMessageCommand` to the other peer of a peer-to-peer session.
 */
AMS_API gboolean ams_client_peer_message (AmsClient *self, const char *stream_id, const char *definition,
                                          const char *data, GError **error);
/** ams_client_get_ice_server_config: sends `getIceServerConfig` (no stream id); answer "ice-server-config". */
AMS_API gboolean ams_client_get_ice_server_config (AmsClient *self, GError **error);
/** ams_client_get_debug_info: sends `getDebugInfo` {streamId}. */
AMS_API gboolean ams_client_get_debug_info (AmsClient *self, const char *stream_id, GError **error);
/** ams_client_get_video_track_assignments: sends `getVideoTrackAssignmentsCommand` {streamId}. */
AMS_API gboolean ams_client_get_video_track_assignments (AmsClient *self, const char *stream_id,
                                                         GError **error);
/** ams_client_assign_video_track: sends `assignVideoTrackCommand` {streamId, videoTrackId, enabled}. */
AMS_API gboolean ams_client_assign_video_track (AmsClient *self, const char *stream_id,
                                                const char *video_track_id, gboolean enabled,
                                                GError **error);
/** ams_client_update_video_track_assignments: sends `updateVideoTrackAssignmentsCommand` {streamId, offset, size}. */
AMS_API gboolean ams_client_update_video_track_assignments (AmsClient *self, const char *stream_id,
                                                            gint offset, gint size, GError **error);
/** ams_client_set_max_video_track_count: sends `setMaxVideoTrackCountCommand` {streamId, maxTrackCount}. */
AMS_API gboolean ams_client_set_max_video_track_count (AmsClient *self, const char *stream_id,
                                                       gint max_track_count, GError **error);

/**
 * ams_client_send_json:
 * @json: one JSON object with a string `command` member
 *
 * Sends any message as given (after checking it is such an object and fits
 * #AmsClient:max-message-size): for commands this header has no function for
 * (push notifications, cluster registration). Not remembered for reconnection.
 */
AMS_API gboolean ams_client_send_json (AmsClient *self, const char *json, GError **error);

/* ---------------------------------------------------------------- signals
 *
 * All run on the client's context. AmsEvent and GError arguments are owned
 * by the emitter (transfer none): ref/copy them to keep them. Every signal
 * with an AmsEvent is also preceded by "event", which gets every event the
 * client reports (server messages and client-side ones alike), so a program
 * can log everything from one handler.
 *
 * "event"                (AmsEvent *event)
 * "connected"            ()
 * "disconnected"         (const GError *error)  NULL after ams_client_disconnect();
 *                        otherwise why the connection ended for good
 * "reconnecting"         (guint attempt, guint delay_ms)  before each retry wait
 * "reconnected"          ()  a retry succeeded; active sessions were re-issued
 * "pong"                 (gint64 rtt_us)
 * "protocol-error"       (const GError *error)  an undecodable server message
 *                        (dropped; the connection stays up)
 * "start"                (AmsEvent *event, const char *stream_id)
 * "take-configuration"   (AmsEvent *event, const char *stream_id, const char *type, const char *sdp)
 * "take-candidate"       (AmsEvent *event, const char *stream_id, gint label, const char *id,
 *                         const char *candidate)
 * "stop"                 (AmsEvent *event, const char *stream_id)
 * "stream-information"   (AmsEvent *event, const char *stream_id)
 * "room-information"     (AmsEvent *event, const char *room)
 * "track-list"           (AmsEvent *event, const char *stream_id, GStrv track_list)
 * "peer-message"         (AmsEvent *event, const char *stream_id, const char *definition)
 * "connect-with-new-id"  (AmsEvent *event, const char *stream_id)
 * "start-new-p2p-connection" (AmsEvent *event, const char *stream_id)
 * "ice-server-config"    (AmsEvent *event, const char *stun_server_uri)
 * "notification"         (AmsEvent *event, const char *stream_id)  DETAILED by the
 *                        definition, e.g. "notification::publish_started"
 * "server-error"         (const GError *error, AmsEvent *event)  an `error` message,
 *                        mapped into the AMS_ERROR domain
 * "message"              (AmsEvent *event)  a server command this library does not know
 *
 * Nullable string arguments are NULL when the server left the field out or
 * sent null. Client-side event names (ams_event_get_name()): "connected",
 * "disconnected", "reconnecting", "reconnected", "pong", "protocol-error". */

G_END_DECLS
