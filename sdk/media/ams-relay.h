/* ams-relay.h: the mini-server's media relay (internal API).
 *
 * One GstPipeline per published stream: the publisher's webrtcbin (answering
 * its offer) feeds one tee per medium; each player gets a leaky queue per
 * medium and its own webrtcbin that OFFERS exactly the publisher's codecs
 * (payload types, fmtp, SSRC), so RTP is forwarded without transcoding.
 *
 * Signalling-agnostic: sessions are named by opaque keys chosen by the
 * caller (unique across publishers and players); everything is reported
 * through AmsRelayCallbacks. Threading: bound to one GMainContext; call every
 * function from the thread running it; callbacks run there. */
#pragma once

#include <gst/gst.h>
#include "media/ams-peer.h"

G_BEGIN_DECLS

typedef struct _AmsRelay AmsRelay;

/* Where data-channel messages from a player go (AMS dataChannelPlayerDistribution). */
typedef enum {
  AMS_RELAY_DISTRIBUTION_NONE,
  AMS_RELAY_DISTRIBUTION_PUBLISHER,   /* default */
  AMS_RELAY_DISTRIBUTION_ALL,         /* the publisher and the other players */
} AmsRelayDistribution;

typedef struct {
  const char * const  *ice_servers;        /* none by default */
  AmsCandidateFilter   filter;
  const char          *local_address;      /* e.g. "127.0.0.1" */
  gint                 latency_ms;         /* publisher-side jitterbuffer; -1: AmsPeer default */
  guint                keyframe_window_ms; /* coalescing window of keyframe requests; 0: 400 */
  guint                publisher_timeout_ms; /* no RTP this long after it flowed: publisher gone; 0: off */
  AmsRelayDistribution distribution;
} AmsRelayOptions;

void ams_relay_options_init (AmsRelayOptions *options);

typedef struct {
  guint  width, height;         /* 0 until the first keyframe was parsed */
  guint  video_bitrate;         /* bit/s over the last second */
  guint  audio_bitrate;
  char   video_codec[16];       /* encoding name, e.g. "VP8", "H264"; "" when none */
  char   audio_codec[16];
  guint  players;               /* players attached */
} AmsRelayStreamInfo;

typedef struct {
  /* The relay's SDP for @key: "answer" to a publisher, "offer" to a player. */
  void (*local_description) (AmsRelay *relay, const char *key, const char *type, const char *sdp,
                             gpointer user_data);
  void (*local_candidate) (AmsRelay *relay, const char *key, guint label, const char *mid,
                           const char *candidate, gpointer user_data);
  /* The first RTP packet of @stream_id arrived (publish_started). */
  void (*publisher_started) (AmsRelay *relay, const char *stream_id, gpointer user_data);
  /* A player's connection reached connected (play_started). */
  void (*player_connected) (AmsRelay *relay, const char *stream_id, const char *key,
                            gpointer user_data);
  /* The publisher of @stream_id is gone (removed, ICE failed or media timed
   * out). @player_keys (NULL-terminated) were attached; the relay has already
   * dropped the stream and its players (send them play_finished). */
  void (*publisher_gone) (AmsRelay *relay, const char *stream_id, const char * const *player_keys,
                          gpointer user_data);
  /* Once a second while media flows. */
  void (*stream_info) (AmsRelay *relay, const char *stream_id, const AmsRelayStreamInfo *info,
                       gpointer user_data);
  /* A data-channel message (also relayed per the distribution setting). */
  void (*data_message) (AmsRelay *relay, const char *stream_id, const char *key, GBytes *data,
                        gboolean is_binary, gpointer user_data);
  void (*error) (AmsRelay *relay, const char *key, const GError *error, gpointer user_data);
} AmsRelayCallbacks;

/**
 * ams_relay_new:
 * @options: (nullable): copied; NULL for defaults
 * @context: (nullable): NULL for the thread-default context
 * @callbacks: copied
 *
 * Returns: (transfer full): a relay; free with ams_relay_free().
 */
AmsRelay *ams_relay_new (const AmsRelayOptions *options, GMainContext *context,
                         const AmsRelayCallbacks *callbacks, gpointer user_data);

/* Tears down every stream, without callbacks. NULL is fine. */
void ams_relay_free (AmsRelay *relay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsRelay, ams_relay_free)

/* A publisher's offer for @stream_id; the answer comes via local_description.
 * Fails with %AMS_ERROR_STREAM_ID_IN_USE, %AMS_ERROR_NEGOTIATION (bad SDP)
 * or %AMS_ERROR_MISSING_PLUGIN. */
gboolean ams_relay_add_publisher (AmsRelay *relay, const char *stream_id, const char *key,
                                  const char *offer_sdp, GError **error);

/* A player of @stream_id; its offer comes via local_description (at once, or
 * as soon as the publisher's answer exists). %AMS_ERROR_NO_STREAM_EXIST when
 * there is no such publisher. */
gboolean ams_relay_add_player (AmsRelay *relay, const char *stream_id, const char *key,
                               GError **error);

/* A player's answer. */
gboolean ams_relay_set_answer (AmsRelay *relay, const char *key, const char *sdp, GError **error);

/* A remote candidate for @key (label -1: use @mid). */
gboolean ams_relay_add_candidate (AmsRelay *relay, const char *key, int label, const char *mid,
                                  const char *candidate, GError **error);

/* Ends the session @key. For a publisher, publisher_gone is reported with the
 * players it had. Unknown keys are ignored. */
void ams_relay_remove (AmsRelay *relay, const char *key);

/* Returns: FALSE when @stream_id is not published here. */
gboolean ams_relay_get_stream_info (AmsRelay *relay, const char *stream_id,
                                    AmsRelayStreamInfo *info);

/* Taps: a leaky branch of a stream's RTP handed to the caller buffer by
 * buffer, for players built outside the relay (a multitrack room player
 * feeds several streams into one connection). Called on a STREAMING THREAD
 * with the buffer and its caps (transfer none); do not block in it. */
typedef void (*AmsRelayTapFunc) (GstBuffer *buffer, GstCaps *caps, gpointer user_data);

/**
 * ams_relay_add_tap:
 * @media: "video" or "audio"
 * @notify: (nullable): frees @user_data when the tap ends (removed, or its
 *   stream torn down)
 * @prefs: (out) (transfer full): the codec preferences a player's
 *   transceiver needs for this medium (payload type, fmtp, SSRC)
 *
 * Returns: a tap id (> 0), or 0 with %AMS_ERROR_NO_STREAM_EXIST,
 * %AMS_ERROR_NOT_INITIALIZED_YET (the publisher is not answered yet, or no
 * RTP of this medium arrived yet) or
 * %AMS_ERROR_INVALID_ARGUMENT (the stream has no such medium); @notify is
 * then called at once.
 */
guint ams_relay_add_tap (AmsRelay *relay, const char *stream_id, const char *media,
                         AmsRelayTapFunc func, gpointer user_data, GDestroyNotify notify,
                         GstCaps **prefs, GError **error);

/* Ends a tap: @func is not called once this returns. Unknown ids (also those
 * of streams torn down since) are ignored. */
void ams_relay_remove_tap (AmsRelay *relay, guint tap_id);

/* Asks @stream_id's publisher for a keyframe (coalesced like the one sent
 * when a player connects). Unknown streams are ignored. */
void ams_relay_request_keyframe (AmsRelay *relay, const char *stream_id);

/* Sends a data-channel message from the server side to every player of @stream_id. */
void ams_relay_send_to_players (AmsRelay *relay, const char *stream_id, GBytes *data,
                                gboolean is_binary);

G_END_DECLS
