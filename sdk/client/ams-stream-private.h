/* ams-stream-private.h: AmsStream's instance data, shared by its files.
 *
 * ams-stream.c        the object: options, state, signals, stop, stats
 * ams-stream-media.c  the AmsPeer of the current media session and its
 *                     callbacks (SDP and candidates out, frames, data)
 * ams-stream-signalling.c  the server messages of the stream's id: the
 *                     publish, play and peer-to-peer state machines, and
 *                     sending the request again (retry, recovery)
 * ams-stream-watchdog.c  the media stall detector of a started publish or
 *                     play */
#pragma once

#include <amsclient/ams-stream.h>
#include "media/ams-peer.h"

G_BEGIN_DECLS

/* Address families an ICE filter may keep (AmsCandidateFilter has no
 * family test, so the stream applies it on top). */
typedef enum {
  AMS_STREAM_FAMILY_V4 = 1 << 0,
  AMS_STREAM_FAMILY_V6 = 1 << 1,
} AmsStreamFamily;

typedef struct {
  int   label;
  char *mid;
  char *candidate;
} AmsStreamCandidate;

struct _AmsStream {
  GObject          parent_instance;

  AmsClient       *client;
  GMainContext    *context;
  AmsStreamKind    kind;
  char            *stream_id;
  AmsStreamState   state;
  GError          *error;

  /* Options, deep-copied: every string below is owned. */
  AmsMediaOptions  opts;
  GPtrArray       *owned;           /* strings and strvs behind @opts */
  AmsCandidateFilter filter;        /* parsed from opts.ice_filter */
  guint            families;        /* AmsStreamFamily mask, 0 = all */
  gboolean         loopback;
  char           **server_ice_servers; /* from iceServerConfig */

  /* Request fields (publish/play), owned. */
  char            *token, *subscriber_id, *subscriber_code, *stream_name, *main_track;
  char            *meta_data, *role, *room, *subscriber_name, *viewer_info, *user_publish_id;
  char           **track_list;
  gboolean         disable_tracks_by_default;

  gulong           handlers[12];    /* on the client */

  /* The media session. */
  AmsPeer         *peer;
  gboolean         remote_set;      /* a remote description was applied */
  gboolean         offered;         /* the server answered this request: play, its
                                       offer; publish, its start */
  gboolean         prebuilt;        /* play: @peer built before the offer, not used yet */
  gboolean         has_started;     /* started at least once: a broken media path is
                                       recovered (publish, play) */
  /* A publish_finished / play_finished may end an earlier session: ours,
   * while the request to publish or play again waits (end_pending: for the
   * server's answer to our `stop`), or, before the first answer on the
   * socket the stream started on, one that another stream of this id
   * stopped just before (earlier_end_possible). */
  gboolean         end_pending;
  gint64           end_sent_us;
  gboolean         earlier_end_possible;
  GQueue           early_candidates; /* AmsStreamCandidate, before the peer exists */
  gboolean         data_open;
  guint64          frames;          /* decoded video frames, this media session */
  guint            width, height;
  gint64           request_us;      /* when the request (or rebuild) happened */
  gint64           first_frame_us;
  AmsStreamStats   stats;           /* last report */
  GSource         *stats_source;
  gboolean         started_emitted;

  /* Sending the request again: play retry (opts.play_retry_interval_ms
   * > 0), publish retry, recovery from a stall. */
  GSource         *retry_source;    /* the pending re-send of the request */
  gint64           retry_deadline_us; /* 0: not retrying (started since) */
  guint            retry_attempt;

  /* The stall watchdog (opts.stall_timeout_ms > 0), while STARTED. */
  GSource         *watch_source;    /* the sampling timer */
  gboolean         watch_ice_only;  /* media may pause for good reasons (a room's play:
                                       nobody else publishes): only ICE is watched */
  gboolean         watch_armed;     /* player: packets came; publisher: a report
                                       was seen arriving (its time is known) */
  gboolean         watch_sampled;   /* a sample was judged in this session */
  guint64          watch_value;     /* player: RTP packets in; publisher: report mark */
  gint64           watch_moved_us;  /* when it last moved */
  gint64           watch_gap_us;    /* publisher: longest time between two reports */
  gint64           ice_down_us;     /* ICE "disconnected" since then; 0: not */
};

/* ams-stream.c */
void     _ams_stream_set_state (AmsStream *self, AmsStreamState state);
void     _ams_stream_fail (AmsStream *self, const GError *error);
void     _ams_stream_finish (AmsStream *self);
void     _ams_stream_mark_started (AmsStream *self);
/* A new event @name with "streamId" and "kind" set (transfer full); add
 * fields, then _ams_stream_emit_event() emits "event" and unrefs it. */
AmsEvent *_ams_stream_new_event (AmsStream *self, const char *name);
void     _ams_stream_emit_event (AmsStream *self, AmsEvent *event);
gboolean _ams_stream_is_active (AmsStream *self);

/* ams-stream-media.c */
gboolean _ams_stream_ensure_peer (AmsStream *self, gboolean offerer, GError **error);
void     _ams_stream_drop_peer (AmsStream *self, gboolean finalise_recording);
void     _ams_stream_prebuild_peer (AmsStream *self);
/* The prebuilt peer for the server's offer, given the ICE servers learnt
 * since; FALSE when there is none (build a new one). */
gboolean _ams_stream_take_prebuilt_peer (AmsStream *self);
void     _ams_stream_add_remote_candidate (AmsStream *self, int label, const char *mid,
                                           const char *candidate);
gboolean _ams_stream_candidate_allowed (AmsStream *self, const char *candidate);
void     _ams_stream_start_stats_timer (AmsStream *self);
void     _ams_stream_stop_stats_timer (AmsStream *self);
void     _ams_stream_candidate_free (AmsStreamCandidate *c);

/* ams-stream-signalling.c */
void     _ams_stream_connect_client (AmsStream *self);
void     _ams_stream_disconnect_client (AmsStream *self);
gboolean _ams_stream_send_request (AmsStream *self, GError **error);
void     _ams_stream_send_end (AmsStream *self);
void     _ams_stream_cancel_retry (AmsStream *self);
/* The media of a started publish or play broke (@reason: a server error
 * definition, "no-media", "ice-failed"...): ends the media session (with
 * `stop` to the server when @send_end) and schedules the request again.
 * FALSE when the options or the retry period allow no more attempts: the
 * caller fails the stream. */
gboolean _ams_stream_recover (AmsStream *self, const char *reason, gboolean send_end);

/* ams-stream-watchdog.c */
void     _ams_stream_watchdog_start (AmsStream *self);
void     _ams_stream_watchdog_stop (AmsStream *self);
/* An ICE or peer connection state (GstWebRTCICEConnectionState values)
 * of the current peer. Returns TRUE when a failure was taken as a stall
 * and is being recovered (the caller must not fail the stream). */
gboolean _ams_stream_watchdog_ice_state (AmsStream *self, int ice_state);
/* The peer's connection broke inside webrtcbin (ams_peer_error_in_transport()):
 * a stall with reason "transport-error" and @message when it may be
 * recovered, as an ICE failure is. TRUE: being recovered (the caller must
 * not fail the stream). */
gboolean _ams_stream_watchdog_transport_error (AmsStream *self, const char *message);

/* Signals, emitted from every file. */
enum {
  AMS_STREAM_SIG_EVENT,
  AMS_STREAM_SIG_STATE_CHANGED,
  AMS_STREAM_SIG_STARTED,
  AMS_STREAM_SIG_FINISHED,
  AMS_STREAM_SIG_ERROR,
  AMS_STREAM_SIG_ICE_STATE,
  AMS_STREAM_SIG_DTLS_STATE,
  AMS_STREAM_SIG_PEER_STATE,
  AMS_STREAM_SIG_PEER_JOINED,
  AMS_STREAM_SIG_PEER_LEFT,
  AMS_STREAM_SIG_VIDEO_FRAME,
  AMS_STREAM_SIG_VIDEO_SAMPLE,
  AMS_STREAM_SIG_DATA_CHANNEL,
  AMS_STREAM_SIG_DATA,
  AMS_STREAM_SIG_STATS,
  AMS_STREAM_SIG_RENEGOTIATED,
  AMS_STREAM_SIG_RECORDING_DONE,
  AMS_STREAM_N_SIGNALS
};
extern guint _ams_stream_signals[AMS_STREAM_N_SIGNALS];

G_END_DECLS
