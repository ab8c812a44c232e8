/* ams-peer.h: one WebRTC peer connection around webrtcbin (internal API).
 *
 * Used by the client layer (publish, play, p2p) and by the mini-server's
 * relay. It knows nothing of WebSocket or JSON: SDP and candidates go in and
 * come out as strings through AmsPeerCallbacks.
 *
 * Threading: an AmsPeer is bound to the GMainContext given to ams_peer_new();
 * every function must be called from the thread running that context, and
 * every callback runs there (webrtcbin events from streaming threads are
 * marshalled). No callback is called after ams_peer_free(). */
#pragma once

#include <gst/gst.h>
#include <amsclient/ams-error.h>
#include "media/ams-sdp.h"

G_BEGIN_DECLS

typedef struct _AmsPeer AmsPeer;

typedef enum {
  AMS_PEER_SEND = 1 << 0,      /* publish: sources and encoders */
  AMS_PEER_RECEIVE = 1 << 1,   /* play: decoders and sinks, or a recording */
  AMS_PEER_BOTH = AMS_PEER_SEND | AMS_PEER_RECEIVE,  /* p2p */
} AmsPeerRole;

/* Which kind of state a state callback reports. The value is the matching
 * GstWebRTC*State enum (GstWebRTCICEConnectionState, GstWebRTCDTLSTransportState,
 * GstWebRTCPeerConnectionState, GstWebRTCICEGatheringState). */
typedef enum {
  AMS_PEER_STATE_ICE,
  AMS_PEER_STATE_DTLS,
  AMS_PEER_STATE_CONNECTION,
  AMS_PEER_STATE_GATHERING,
} AmsPeerStateKind;

typedef struct {
  AmsPeerRole  role;
  gboolean     video;            /* default TRUE */
  gboolean     audio;            /* default TRUE */

  /* Sending. Partial gst-launch descriptions ending in raw media. */
  const char  *video_source;     /* NULL: "videotestsrc is-live=true" */
  const char  *audio_source;     /* NULL: "audiotestsrc is-live=true" */
  const char  *file_uri;         /* a media file (URI or path) instead of the two sources */
  gboolean     file_passthrough; /* send file_uri's VP8 video as it is, looped, no audio */
  const char  *video_codec;      /* "vp8", "h264" or NULL: VP8 when offering, the remote
                                    offer's first supported codec when answering */
  guint        video_bitrate_kbps; /* 0: 1000 */
  guint        audio_bitrate_kbps; /* 0: 64 */
  guint        width, height;      /* 0: 640x480 */
  guint        framerate;          /* 0: 30 */

  /* Receiving. */
  const char  *video_sink;       /* NULL: autovideosink ("fakesink" etc. work) */
  const char  *audio_sink;       /* NULL: autoaudiosink */
  const char  *record_path;      /* .mkv, .webm or .mp4: record without decoding */
  gboolean     no_decode;        /* depayload and count (video_frame per depayloaded frame),
                                    never decode: relay monitors, many players per process */

  /* Data channel: created by the sending side (label, ordered) before the offer. */
  gboolean     data_channel;
  const char  *data_channel_label; /* NULL: "data" */

  /* ICE. */
  /* ICE servers, none by default: "stun:host:port" or "stun://host:port";
   * TURN with credentials as "turn://user:password@host:port" (webrtcbin's
   * form; "turn:" without "//" is converted). */
  const char * const *ice_servers;
  AmsCandidateFilter  filter;      /* applied to local and remote candidates */
  const char  *local_address;      /* gather only on this address ("127.0.0.1" in tests) */
  gboolean     ice_tcp;            /* default FALSE */
  guint        stun_pacing_ms;     /* 0: 5 ms (libnice default 20 ms: slower checks) */

  /* Tunings. */
  gint         latency_ms;         /* webrtcbin jitterbuffer; -1 (default): 100 ms (GStreamer's
                                      200 ms delays every first frame, twice behind a relay) */
  gint         fast_start_packets; /* jitterbuffer faststart-min-packets: 0 (default): 3;
                                      negative: off (the first packet waits for the latency) */

  /* Relay mode: add webrtcbin to this bin (the caller owns state, bus and
   * linking) instead of a private pipeline; no sources, decoders or sinks
   * are created and ams_peer_get_webrtcbin() gives the element. */
  GstBin      *external_bin;
} AmsPeerOptions;

/* Fills @options with the defaults above. */
void ams_peer_options_init (AmsPeerOptions *options);

/* Statistics from webrtcbin's get-stats plus the peer's own counters. */
typedef struct {
  double   bitrate_in_kbps;      /* since the previous stats call */
  double   bitrate_out_kbps;
  guint64  bytes_received, bytes_sent;
  guint64  packets_received, packets_sent;
  gint64   packets_lost;
  double   jitter_ms;            /* video inbound, else audio */
  double   rtt_ms;               /* -1 when unknown */
  guint64  frames_sent;          /* encoded video frames */
  guint64  frames_decoded;       /* decoded video frames */
  double   fps;                  /* decoded (or sent) frames per second since the previous call */
  guint    width, height;        /* decoded (or sent) resolution */
  guint64  audio_buffers;        /* decoded audio buffers */
  /* The latest RTCP receiver report about each stream we send, summed over
   * them: the figures change with every report that arrives. */
  gboolean have_receiver_reports; /* at least one stream has had one */
  guint64  rb_exthighestseq;     /* extended highest sequence number received */
  guint64  rb_lsr;               /* the last sender report it echoes */
  guint64  rb_dlsr;              /* the delay since that sender report */
  gint64   taken_us;             /* monotonic time webrtcbin gave the figures
                                    (the reply may be handled much later) */
} AmsPeerStats;

typedef struct {
  /* A local description was created and set: send it to the remote side. */
  void (*local_description) (AmsPeer *peer, const char *type, const char *sdp, gpointer user_data);
  /* A local candidate passed the filter. @label is the sdpMLineIndex, @mid read
   * from the local SDP (may be NULL). */
  void (*local_candidate) (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                           gpointer user_data);
  void (*state_changed) (AmsPeer *peer, AmsPeerStateKind kind, int state, gpointer user_data);
  /* A fatal or pipeline error. The peer keeps existing until freed. */
  void (*error) (AmsPeer *peer, const GError *error, gpointer user_data);
  /* Each decoded video frame (when recording: each received frame); @frames
   * counts them from 1; @width/@height are the decoded size (0 when recording
   * a codec whose parser gives none). */
  void (*video_frame) (AmsPeer *peer, guint64 frames, guint width, guint height, gpointer user_data);
  /* Decoded (or, when recording, received) audio buffers: called for the
   * first one and then every 25th (about every half second of Opus). */
  void (*audio_buffer) (AmsPeer *peer, guint64 buffers, gpointer user_data);
  /* An appsink sample of decoded video (only when set: it replaces the
   * video sink). (transfer none) */
  void (*video_sample) (AmsPeer *peer, GstSample *sample, gpointer user_data);
  void (*data_channel_open) (AmsPeer *peer, const char *label, gpointer user_data);
  void (*data_channel_closed) (AmsPeer *peer, gpointer user_data);
  /* @data is text (is_binary FALSE, NUL-terminated) or bytes. */
  void (*data_message) (AmsPeer *peer, GBytes *data, gboolean is_binary, gpointer user_data);
  /* Relay mode only: a received RTP src pad of webrtcbin, @media "video" or
   * "audio". Called on the STREAMING THREAD so the pad can be linked at
   * once; do nothing but linking in it. */
  void (*rtp_pad_added) (AmsPeer *peer, GstPad *pad, const char *media, gpointer user_data);
  /* A recording was finalised (EOS reached the file) after ams_peer_stop(). */
  void (*recording_done) (AmsPeer *peer, const char *path, gpointer user_data);
} AmsPeerCallbacks;

/**
 * ams_peer_new:
 * @options: (transfer none): copied
 * @context: (nullable) (transfer none): where callbacks run; NULL: the thread-default context
 * @callbacks: (transfer none): copied; any member may be NULL
 *
 * Builds the pipeline (sources, encoders, data channel) and starts it.
 * Returns: (transfer full) (nullable): the peer, or NULL with
 * %AMS_ERROR_MISSING_PLUGIN naming the element, or %AMS_ERROR_MEDIA.
 */
AmsPeer *ams_peer_new (const AmsPeerOptions *options, GMainContext *context,
                       const AmsPeerCallbacks *callbacks, gpointer user_data, GError **error);

/* Stops media (EOS to a recording, bounded to 3 s) and frees. NULL is fine. */
void ams_peer_free (AmsPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsPeer, ams_peer_free)

/* Sends EOS to a recording and waits (at most 3 s) until the file is
 * finalised; stops sending. Idempotent. */
void ams_peer_stop (AmsPeer *peer);

/* Creates an offer; the result arrives through local_description. */
gboolean ams_peer_create_offer (AmsPeer *peer, GError **error);

/* Applies a remote "offer" or "answer". After an offer the answer is created
 * and reported through local_description. Queued candidates are added once
 * the description is applied. */
gboolean ams_peer_set_remote_description (AmsPeer *peer, const char *type, const char *sdp,
                                          GError **error);

/* Adds a remote candidate. @label: sdpMLineIndex or -1 (then @mid is looked
 * up in the remote SDP). Queued until the remote description is set.
 * Filtered candidates are silently dropped (returns TRUE). */
/* STUN/TURN servers learnt after the peer was built (the server's
 * iceServerConfig): applied before negotiation starts gathering. Call
 * before the local description is made. Main context. */
void     ams_peer_add_ice_servers (AmsPeer *peer, const char *const *servers);

gboolean ams_peer_add_ice_candidate (AmsPeer *peer, int label, const char *mid,
                                     const char *candidate, GError **error);

/* Sends on the data channel. FALSE with %AMS_ERROR_NOT_CONNECTED when none is open. */
gboolean ams_peer_send_text (AmsPeer *peer, const char *text, GError **error);
gboolean ams_peer_send_data (AmsPeer *peer, GBytes *data, GError **error);
gboolean ams_peer_data_channel_is_open (AmsPeer *peer);

typedef void (*AmsPeerStatsFunc) (AmsPeer *peer, const AmsPeerStats *stats, gpointer user_data);
/* Asks webrtcbin for stats; @func runs later on the context (not if the peer is freed first). */
void ams_peer_request_stats (AmsPeer *peer, AmsPeerStatsFunc func, gpointer user_data);
/* The same pass without the rates (bitrates and fps stay 0): their
 * baseline, the previous ams_peer_request_stats(), is left alone, so a
 * watcher may sample often without shortening the caller's rate window. */
void ams_peer_request_counters (AmsPeer *peer, AmsPeerStatsFunc func, gpointer user_data);

/* Counters readable at any time on the context thread. */
guint64 ams_peer_get_frames_decoded (AmsPeer *peer);
guint64 ams_peer_get_audio_buffers (AmsPeer *peer);
void ams_peer_get_resolution (AmsPeer *peer, guint *width, guint *height);
int ams_peer_get_connection_state (AmsPeer *peer);  /* GstWebRTCPeerConnectionState */

/* (transfer none) */
GstElement *ams_peer_get_webrtcbin (AmsPeer *peer);

/* TRUE when the error the peer reported last came from inside webrtcbin
 * (libnice, DTLS, SRTP, the RTP session): the connection broke, and a new
 * one may work.  Context thread, from the error callback. */
gboolean ams_peer_error_in_transport (AmsPeer *peer);
/* (transfer none) (nullable): the remote/local SDP text as set. */
const char *ams_peer_get_remote_sdp (AmsPeer *peer);
const char *ams_peer_get_local_sdp (AmsPeer *peer);

/* Creates one dtlssrtpdec in a background thread, once per process, so the
 * DTLS key (100-450 ms of RSA generation) exists before the first
 * negotiation needs it, and loads webrtcbin's and libnice's plugins in
 * another. Safe to call many times from any thread. */
void ams_media_prewarm (void);

/* Ensures gst_init() has run (idempotent, thread-safe). */
void ams_media_init (void);

G_END_DECLS
