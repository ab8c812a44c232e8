/* ams-room-player.h: one peer connection that plays a multitrack room
 * (internal API).
 *
 * A webrtcbin in its own pipeline that OFFERS the tracks of several
 * participants: each participant's RTP (tapped from the relay, see
 * ams_relay_add_tap()) is pushed into an appsrc feeding its own sendonly
 * transceiver with the participant's codec, payload type and SSRC, so
 * nothing is transcoded. Adding or removing a participant renegotiates on
 * the same connection (a new offer; a removed participant's m-lines become
 * inactive). Every offer comes with its id mapping: mid -> "ARDAMSv<id>" /
 * "ARDAMSa<id>", as Ant Media Server's idMapping.
 *
 * Threading: bound to one GMainContext (callbacks run there); call every
 * function from its thread, except ams_room_player_push(), which is called
 * from streaming threads. */
#pragma once

#include <gst/gst.h>
#include "media/ams-peer.h"

G_BEGIN_DECLS

typedef struct _AmsRoomPlayer AmsRoomPlayer;

typedef struct {
  /* An offer (every renegotiation) with its id mapping: NULL-terminated
   * pairs mid, track id. */
  void (*local_description) (AmsRoomPlayer *player, const char *type, const char *sdp,
                             const char *const *id_mapping, gpointer user_data);
  void (*local_candidate) (AmsRoomPlayer *player, guint label, const char *mid,
                           const char *candidate, gpointer user_data);
  /* The connection reached connected (once). */
  void (*connected) (AmsRoomPlayer *player, gpointer user_data);
  /* A participant's video needs a keyframe now: the connection just came up,
   * or the participant was added to a connected player. */
  void (*keyframe_needed) (AmsRoomPlayer *player, const char *participant, gpointer user_data);
  void (*error) (AmsRoomPlayer *player, const GError *error, gpointer user_data);
} AmsRoomPlayerCallbacks;

/**
 * ams_room_player_new:
 * @room_id: the main track; also the data channel's label
 * @ice: (transfer none): ICE settings (ice_servers, filter, local_address,
 *   stun_pacing_ms) copied from it; other members are ignored
 * @context: (nullable): NULL for the thread-default context
 * @callbacks: copied
 *
 * Returns: (transfer full) (nullable): the player (no offer yet: add
 * participants, then ams_room_player_start()), or NULL with
 * %AMS_ERROR_MISSING_PLUGIN or %AMS_ERROR_MEDIA.
 */
AmsRoomPlayer *ams_room_player_new (const char *room_id, const AmsPeerOptions *ice,
                                    GMainContext *context, const AmsRoomPlayerCallbacks *callbacks,
                                    gpointer user_data, GError **error);

/* Stops and frees; no callback afterwards. NULL is fine. */
void ams_room_player_free (AmsRoomPlayer *player);

/* Makes the first offer. */
gboolean ams_room_player_start (AmsRoomPlayer *player, GError **error);

/**
 * ams_room_player_add_participant:
 * @participant: the participant's stream id
 * @video_prefs: (nullable) (transfer none): codec preferences of its video
 * @audio_prefs: (nullable) (transfer none): codec preferences of its audio
 *
 * Adds a transceiver per medium and, once started, renegotiates.
 * Returns: FALSE with %AMS_ERROR_INVALID_ARGUMENT when already present, or
 * %AMS_ERROR_MEDIA.
 */
gboolean ams_room_player_add_participant (AmsRoomPlayer *player, const char *participant,
                                          GstCaps *video_prefs, GstCaps *audio_prefs,
                                          GError **error);

/* Stops forwarding @participant, makes its m-lines inactive and
 * renegotiates. Unknown ids are ignored. */
void ams_room_player_remove_participant (AmsRoomPlayer *player, const char *participant);

/* Forwarding on or off (enableTrack). Unknown ids are ignored. */
void ams_room_player_set_enabled (AmsRoomPlayer *player, const char *participant,
                                  gboolean enabled);

gboolean ams_room_player_has_participant (AmsRoomPlayer *player, const char *participant);

/* Any thread: one RTP buffer of @participant's @media ("video" or "audio")
 * with its caps. Dropped when unknown or disabled. (transfer none) */
void ams_room_player_push (AmsRoomPlayer *player, const char *participant, const char *media,
                           GstBuffer *buffer, GstCaps *caps);

/* The remote answer, and remote candidates (label -1: use @mid). */
gboolean ams_room_player_set_answer (AmsRoomPlayer *player, const char *sdp, GError **error);
gboolean ams_room_player_add_candidate (AmsRoomPlayer *player, int label, const char *mid,
                                        const char *candidate, GError **error);

/* (transfer none) */
AmsPeer *ams_room_player_get_peer (AmsRoomPlayer *player);

G_END_DECLS
