/* ams-conference.h: AmsConference, one conference room on an AmsClient.
 *
 * An AmsConference publishes the local camera and microphone into a room
 * and plays every other participant, kept in sync as people come and go.
 * It speaks either of the two room flows of Ant Media Server:
 *
 *  - %AMS_CONFERENCE_LEGACY: `joinRoom` (the server may choose the own
 *    stream id), `publish` with that id, one `play` per stream of the
 *    room, `getRoomInfo` polled to learn joins and leaves, `leaveFromRoom`.
 *  - %AMS_CONFERENCE_MULTITRACK: `publish` with `mainTrack` = the room,
 *    then the room played once as a main track (`userPublishId` keeps the
 *    own stream out); the server re-offers as participants join and leave
 *    and says so with `subtrackAdded` / `subtrackRemoved`.
 *
 *   AmsMediaOptions media;
 *   ams_media_options_init (&media);
 *   media.ice_filter = "loopback";
 *   conf = ams_conference_new (client, "room1", AMS_CONFERENCE_LEGACY, &media);
 *   g_signal_connect (conf, "participant-joined", G_CALLBACK (on_joined), NULL);
 *   ams_conference_join (conf, &error);
 *
 * Threading: an AmsConference lives on its client's GMainContext; its
 * signals are emitted there and its functions must be called from the
 * thread that runs it. It starts no thread and no main loop. */
#pragma once

#include <glib-object.h>
#include <amsclient/ams-export.h>
#include <amsclient/ams-error.h>
#include <amsclient/ams-event.h>
#include <amsclient/ams-client.h>
#include <amsclient/ams-stream.h>

G_BEGIN_DECLS

/**
 * AmsConferenceMode:
 * @AMS_CONFERENCE_LEGACY: `joinRoom`, one play per participant, polling
 * @AMS_CONFERENCE_MULTITRACK: the room is a main track played once
 */
typedef enum {
  AMS_CONFERENCE_LEGACY,
  AMS_CONFERENCE_MULTITRACK,
} AmsConferenceMode;

/**
 * AmsConferenceState:
 * @AMS_CONFERENCE_STATE_IDLE: created, not joined
 * @AMS_CONFERENCE_STATE_JOINING: the join request is sent
 * @AMS_CONFERENCE_STATE_JOINED: in the room (own stream requested, remote
 *   participants being played)
 * @AMS_CONFERENCE_STATE_LEAVING: ams_conference_leave() waits for the
 *   server's confirmation (bounded)
 * @AMS_CONFERENCE_STATE_LEFT: left normally (final)
 * @AMS_CONFERENCE_STATE_FAILED: ended with an error (final)
 */
typedef enum {
  AMS_CONFERENCE_STATE_IDLE,
  AMS_CONFERENCE_STATE_JOINING,
  AMS_CONFERENCE_STATE_JOINED,
  AMS_CONFERENCE_STATE_LEAVING,
  AMS_CONFERENCE_STATE_LEFT,
  AMS_CONFERENCE_STATE_FAILED,
} AmsConferenceState;

/**
 * ams_conference_state_to_string:
 * @state: a state
 *
 * Returns: (transfer none): "idle", "joining", "joined", "leaving", "left"
 * or "failed".
 */
AMS_API const char *ams_conference_state_to_string (AmsConferenceState state);

/**
 * ams_conference_mode_to_string:
 * @mode: a mode
 *
 * Returns: (transfer none): "legacy" or "multitrack".
 */
AMS_API const char *ams_conference_mode_to_string (AmsConferenceMode mode);

#define AMS_TYPE_CONFERENCE (ams_conference_get_type ())
AMS_API G_DECLARE_FINAL_TYPE (AmsConference, ams_conference, AMS, CONFERENCE, GObject)

/**
 * ams_conference_new:
 * @client: (transfer none): the signalling connection; the conference keeps
 *   a reference
 * @room: the room id (legacy room, or main track)
 * @mode: the room flow
 * @options: (nullable) (transfer none): media settings of the own stream
 *   and of the players, copied; %NULL for the defaults
 *
 * Creates a conference; nothing is sent until ams_conference_join().
 *
 * Returns: (transfer full): a new conference; g_object_unref() leaves the
 *   room (like ams_conference_leave()) if still in it.
 */
AMS_API AmsConference *ams_conference_new (AmsClient *client, const char *room,
                                           AmsConferenceMode mode,
                                           const AmsMediaOptions *options);

/**
 * ams_conference_set_stream_id:
 * @self: a conference, not joined
 * @stream_id: (nullable): the own stream id; %NULL (default): chosen by the
 *   server (legacy) or made up at random (multitrack)
 */
AMS_API void ams_conference_set_stream_id (AmsConference *self, const char *stream_id);

/**
 * ams_conference_set_publish_params:
 * @self: a conference, not joined
 * @params: (transfer none): extra `publish` fields of the own stream (token,
 *   subscriber, name, meta data, role); copied. Its @stream_id and
 *   @main_track are ignored (see ams_conference_set_stream_id()).
 */
AMS_API void ams_conference_set_publish_params (AmsConference *self,
                                                const AmsPublishParams *params);

/**
 * ams_conference_set_poll_interval:
 * @self: a conference
 * @interval_ms: how often a legacy room is polled with `getRoomInfo`;
 *   0 means the default, 5000 ms
 *
 * Polling starts once the server accepted the own publish (`start`).
 */
AMS_API void ams_conference_set_poll_interval (AmsConference *self, guint interval_ms);

/**
 * ams_conference_join:
 * @self: an idle conference
 * @error: return location for a #GError
 *
 * Sends `joinRoom` (legacy), or the own `publish` and the room's `play`
 * (multitrack), or queues them while the client is connecting. The rest is
 * reported by signals.
 *
 * Returns: %FALSE with @error when the request cannot be made
 * (%AMS_ERROR_NOT_CONNECTED, %AMS_ERROR_INVALID_ARGUMENT, or
 * %AMS_ERROR_FAILED when already joined).
 */
AMS_API gboolean ams_conference_join (AmsConference *self, GError **error);

/**
 * ams_conference_leave:
 * @self: a conference
 *
 * Leaves the room: stops every player and the own stream, sends
 * `leaveFromRoom` (legacy) and moves to %AMS_CONFERENCE_STATE_LEAVING, then
 * to %AMS_CONFERENCE_STATE_LEFT once the server confirmed (or after 5 s, or
 * at once when the client is not connected). Does nothing on a conference
 * that already ended.
 */
AMS_API void ams_conference_leave (AmsConference *self);

/**
 * ams_conference_get_room:
 * @self: a conference
 *
 * Returns: (transfer none): the room id.
 */
AMS_API const char *ams_conference_get_room (AmsConference *self);
/**
 * ams_conference_get_mode:
 * @self: a conference
 *
 * Returns: the room flow.
 */
AMS_API AmsConferenceMode ams_conference_get_mode (AmsConference *self);
/**
 * ams_conference_get_state:
 * @self: a conference
 *
 * Returns: the current state (also the "state" property).
 */
AMS_API AmsConferenceState ams_conference_get_state (AmsConference *self);
/**
 * ams_conference_get_client:
 * @self: a conference
 *
 * Returns: (transfer none): the client.
 */
AMS_API AmsClient *ams_conference_get_client (AmsConference *self);

/**
 * ams_conference_get_stream_id:
 * @self: a conference
 *
 * Returns: (transfer none) (nullable): the own stream id, %NULL while a
 * legacy room has not given one yet.
 */
AMS_API const char *ams_conference_get_stream_id (AmsConference *self);

/**
 * ams_conference_get_own_stream:
 * @self: a conference
 *
 * Returns: (transfer none) (nullable): the own publish stream, once
 * requested.
 */
AMS_API AmsStream *ams_conference_get_own_stream (AmsConference *self);

/**
 * ams_conference_dup_participants:
 * @self: a conference
 *
 * Returns: (transfer full) (array zero-terminated=1): the stream ids of the
 * remote participants present, in order of arrival; free with g_strfreev().
 */
AMS_API char **ams_conference_dup_participants (AmsConference *self);

/**
 * ams_conference_get_n_participants:
 * @self: a conference
 *
 * Returns: the number of remote participants present.
 */
AMS_API guint ams_conference_get_n_participants (AmsConference *self);

/**
 * ams_conference_get_participant_name:
 * @self: a conference
 * @stream_id: a participant
 *
 * Returns: (transfer none) (nullable): the participant's `streamName` as the
 * server gave it, or %NULL when unknown.
 */
AMS_API const char *ams_conference_get_participant_name (AmsConference *self,
                                                         const char *stream_id);

/**
 * ams_conference_get_participant_meta_data:
 * @self: a conference
 * @stream_id: a participant
 *
 * Returns: (transfer none) (nullable): the participant's `metaData`, or
 * %NULL when unknown.
 */
AMS_API const char *ams_conference_get_participant_meta_data (AmsConference *self,
                                                              const char *stream_id);

/**
 * ams_conference_get_participant_stats:
 * @self: a conference
 * @stream_id: a participant
 * @stats: (out caller-allocates): filled with what is known of the media
 *   received from @stream_id: frames decoded and resolution always; the
 *   network figures only in a legacy room (a multitrack room shares one
 *   connection: see the stream of ams_conference_get_room_stream())
 *
 * Returns: %FALSE when @stream_id is not a participant present.
 */
AMS_API gboolean ams_conference_get_participant_stats (AmsConference *self,
                                                       const char *stream_id,
                                                       AmsStreamStats *stats);

/**
 * ams_conference_get_participant_stream:
 * @self: a conference
 * @stream_id: a participant
 *
 * Returns: (transfer none) (nullable): in a legacy room, the play stream of
 * @stream_id; %NULL in a multitrack room or for an unknown id.
 */
AMS_API AmsStream *ams_conference_get_participant_stream (AmsConference *self,
                                                          const char *stream_id);

/**
 * ams_conference_get_room_stream:
 * @self: a conference
 *
 * Returns: (transfer none) (nullable): in a multitrack room, the play stream
 * of the room (one connection for every participant); %NULL otherwise.
 */
AMS_API AmsStream *ams_conference_get_room_stream (AmsConference *self);

/**
 * ams_conference_enable_track:
 * @self: a multitrack conference
 * @track_id: a participant's stream id
 * @enabled: receive it or not
 * @error: return location for a #GError
 *
 * Sends `enableTrack` {room, @track_id, @enabled}: the server starts or
 * stops forwarding that participant on the room's connection.
 *
 * Returns: %FALSE with %AMS_ERROR_INVALID_ARGUMENT in a legacy room, or as
 * ams_client_enable_track().
 */
AMS_API gboolean ams_conference_enable_track (AmsConference *self, const char *track_id,
                                              gboolean enabled, GError **error);

/**
 * ams_conference_send_text:
 * @self: a conference
 * @text: UTF-8 text, copied
 * @error: return location for a #GError
 *
 * Sends @text to the room on the data channel of the own stream.
 *
 * Returns: %FALSE with %AMS_ERROR_NOT_CONNECTED when that channel is not
 * open (yet): see ams_conference_is_data_channel_open().
 */
AMS_API gboolean ams_conference_send_text (AmsConference *self, const char *text, GError **error);

/**
 * ams_conference_send_data:
 * @self: a conference
 * @data: (transfer none): bytes, sent as a binary message
 * @error: return location for a #GError
 *
 * Returns: %FALSE with %AMS_ERROR_NOT_CONNECTED when no channel is open.
 */
AMS_API gboolean ams_conference_send_data (AmsConference *self, GBytes *data, GError **error);

/**
 * ams_conference_is_data_channel_open:
 * @self: a conference
 *
 * Returns: %TRUE when ams_conference_send_text() can send now.
 */
AMS_API gboolean ams_conference_is_data_channel_open (AmsConference *self);

/**
 * ams_conference_get_error:
 * @self: a conference
 *
 * Returns: (transfer none) (nullable): the error that failed the conference.
 */
AMS_API const GError *ams_conference_get_error (AmsConference *self);

/* ---------------------------------------------------------------- signals
 *
 * All run on the client's context; arguments are owned by the emitter
 * (transfer none).
 *
 * "event"              (AmsEvent *event)  every event below as one AmsEvent
 *                      with a "room" field ("conference-state",
 *                      "participant-joined", "participant-left",
 *                      "track-added", "track-removed", "data", "error",
 *                      "own-stream-state", "participant-first-frame"),
 *                      plus every event of the
 *                      conference's streams (with their "streamId"; e.g.
 *                      "data-channel" of the own stream) except their
 *                      "data", for logging
 * "state-changed"      (AmsConferenceState old_state, AmsConferenceState new_state)
 * "participant-joined" (const char *stream_id, const char *name)  a remote
 *                      participant is in the room; @name may be NULL
 * "participant-left"   (const char *stream_id)
 * "track-added"        (const char *track_id)  a participant's media is being
 *                      received: its play started (legacy), or the server
 *                      added its subtrack (multitrack); @track_id is the
 *                      participant's stream id
 * "track-removed"      (const char *track_id)
 * "video-frame"        (const char *stream_id, guint64 frames, guint width,
 *                      guint height)  frames decoded from a participant
 *                      (in a multitrack room, counted every 100 ms)
 * "data"               (const char *from, GBytes *data, gboolean is_binary)
 *                      a data-channel message; @from is the participant whose
 *                      channel carried it, or NULL (the own stream's or the
 *                      room's channel); text is NUL-terminated like
 *                      AmsStream::data
 * "error"              (const GError *error)  the conference has FAILED: the
 *                      own stream, the room's play or the join failed */

G_END_DECLS
