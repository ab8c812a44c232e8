/* ams-stream.h: AmsStream, one media session on an AmsClient.
 *
 * An AmsStream is a publish, a play or a peer-to-peer call: it sends the
 * request on its AmsClient, runs the offer/answer and candidate exchange
 * with the server, and carries the media through a GStreamer webrtcbin
 * pipeline (sources and encoders when sending; decoders, sinks or a
 * recording when receiving; a data channel both ways).
 *
 *   AmsMediaOptions media;
 *   ams_media_options_init (&media);
 *   media.ice_filter = "loopback";
 *   stream = ams_stream_new (client, AMS_STREAM_PLAY, "stream1", &media);
 *   g_signal_connect (stream, "video-frame", G_CALLBACK (on_frame), NULL);
 *   ams_stream_start (stream, &error);
 *
 * Several streams may share one client: each one only handles the server
 * messages that carry its stream id. A stream follows its client through
 * reconnections: the client re-issues the request by itself, and the stream
 * rebuilds its media for the new server session.
 *
 * Threading: an AmsStream lives on its client's GMainContext. Its signals
 * are emitted there (events of GStreamer's streaming threads are marshalled
 * onto it) and its functions must be called from the thread that runs it.
 * It starts no thread of its own and no main loop. */
#pragma once

#include <glib-object.h>
#include <amsclient/ams-export.h>
#include <amsclient/ams-error.h>
#include <amsclient/ams-event.h>
#include <amsclient/ams-client.h>

G_BEGIN_DECLS

/**
 * AmsStreamKind:
 * @AMS_STREAM_PUBLISH: send media (`publish`, then the client offers)
 * @AMS_STREAM_PLAY: receive media (`play`, then the server offers); also
 *   a multitrack room played as one main track, which the server re-offers
 *   as tracks come and go
 * @AMS_STREAM_P2P: a peer-to-peer call (`join`); the peer that gets
 *   `start` offers, the other answers; both send and receive
 */
typedef enum {
  AMS_STREAM_PUBLISH,
  AMS_STREAM_PLAY,
  AMS_STREAM_P2P,
} AmsStreamKind;

/**
 * AmsStreamState:
 * @AMS_STREAM_STATE_IDLE: created, not started
 * @AMS_STREAM_STATE_REQUESTING: the request is sent, no answer yet
 * @AMS_STREAM_STATE_WAITING_PEER: peer-to-peer: joined, no other peer yet
 * @AMS_STREAM_STATE_NEGOTIATING: SDP and candidates are being exchanged
 * @AMS_STREAM_STATE_STARTED: media flows (publish_started, play_started,
 *   or for a call the peer connection is connected)
 * @AMS_STREAM_STATE_RECONNECTING: the signalling connection was lost; the
 *   media is rebuilt once the client is back
 * @AMS_STREAM_STATE_STOPPING: ams_stream_stop() is finishing
 * @AMS_STREAM_STATE_FINISHED: ended normally (final)
 * @AMS_STREAM_STATE_FAILED: ended with an error (final)
 */
typedef enum {
  AMS_STREAM_STATE_IDLE,
  AMS_STREAM_STATE_REQUESTING,
  AMS_STREAM_STATE_WAITING_PEER,
  AMS_STREAM_STATE_NEGOTIATING,
  AMS_STREAM_STATE_STARTED,
  AMS_STREAM_STATE_RECONNECTING,
  AMS_STREAM_STATE_STOPPING,
  AMS_STREAM_STATE_FINISHED,
  AMS_STREAM_STATE_FAILED,
} AmsStreamState;

/**
 * ams_stream_state_to_string:
 * @state: a state
 *
 * Returns: (transfer none): a short lower-case name ("idle", "requesting",
 * "waiting-peer", "negotiating", "started", "reconnecting", "stopping",
 * "finished", "failed").
 */
AMS_API const char *ams_stream_state_to_string (AmsStreamState state);

/**
 * AmsMediaOptions:
 * @video: send or receive video (default %TRUE)
 * @audio: send or receive audio (default %TRUE)
 * @video_source: (nullable): sending: a gst-launch fragment ending in raw
 *   video, e.g. "v4l2src ! videoconvert"; %NULL: a live test pattern
 * @audio_source: (nullable): likewise for audio; %NULL: a live test tone
 * @file: (nullable): sending: a media file (path or URI) instead of the
 *   two sources
 * @video_codec: (nullable): "vp8" or "h264"; %NULL: VP8 when offering,
 *   the first supported codec of the remote offer when answering
 * @video_bitrate_kbps: 0: 1000
 * @width: sent video width; 0: 640
 * @height: sent video height; 0: 480
 * @framerate: sent frames per second; 0: 30
 * @video_sink: (nullable): receiving: a gst-launch fragment taking raw
 *   video, e.g. "autovideosink"; %NULL: decoded, counted and dropped
 * @audio_sink: (nullable): likewise for audio
 * @record_path: (nullable): receiving: record without decoding to this
 *   file (.mkv, .webm or .mp4); finalised by ams_stream_stop()
 * @video_samples: receiving: decoded video goes to an appsink and each
 *   frame is emitted as #AmsStream::video-sample instead of @video_sink
 * @data_channel: open a data channel (default %TRUE): created by the
 *   sending side (publish, the offering peer), accepted otherwise
 * @ice_servers: (nullable) (array zero-terminated=1): STUN/TURN servers,
 *   "stun:host:port" or "turn://user:password@host:port"; %NULL: the
 *   server's `iceServerConfig` when it sends one, else none (never a
 *   public server)
 * @ice_filter: (nullable): which candidates may be used, local and remote,
 *   a comma-separated list of "loopback", "udp", "tcp", "host", "srflx",
 *   "relay", "ipv4", "ipv6"; %NULL: all ("loopback" also gathers on
 *   127.0.0.1 only)
 * @latency_ms: receive jitterbuffer latency; -1 (default): 100 ms
 * @stun_pacing_ms: ICE connectivity-check pacing; 0 (default): 5 ms
 * @stats_interval_ms: emit #AmsStream::stats this often; 0 (default): only
 *   on ams_stream_request_stats()
 * @wait_peer: peer-to-peer: when the other peer leaves, wait for a new one
 *   instead of finishing (default %FALSE)
 * @p2p_mode: (nullable): peer-to-peer: "both" (default) or "play"
 *   (receive only)
 * @play_retry_interval_ms: play: when the server answers `no_stream_exist`
 *   or `stream_not_exist_or_not_streaming`, or ends the play with
 *   `play_finished` (its publisher went away), send `play` again after this
 *   many milliseconds instead of failing or finishing; each attempt emits a
 *   "retrying" event. 0 (default): no retry
 * @play_retry_timeout_ms: play: give up retrying (fail or finish as without
 *   a retry) when the stream has not played for this long since the first
 *   failed attempt; 0 (default): retry until ams_stream_stop()
 * @no_decode: receiving: depayload the media and count its frames
 *   (#AmsStream::video-frame, #AmsStreamStats.frames_decoded then count
 *   depayloaded frames; width and height come from the depayloader, 0
 *   when it gives none) without decoding; a small part of a decoder's CPU,
 *   for relay monitors, load tests and tools that only check that media
 *   arrives. Ignored with @record_path. Default %FALSE
 * @stall_timeout_ms: publish and play: once started, the media is watched
 *   (statistics sampled about once a second): a player whose received RTP
 *   packets stop growing for this long, a publisher whose receiver's RTCP
 *   reports stop for this long (and for at least twice the longest gap
 *   seen between two reports: many receivers report only every 5 s), or an
 *   ICE connection "disconnected" for this long or "failed", or a
 *   streaming error inside webrtcbin (libnice, DTLS, SRTP, the RTP
 *   session; reason "transport-error" with the error's "message"), is
 *   stalled: the stream emits a "media-stalled" event (reason, seconds), ends the
 *   media session (`stop`) and sends its request again (a "retrying"
 *   event per attempt). A player plays again every @play_retry_interval_ms
 *   within @play_retry_timeout_ms when they are set, else every second
 *   for at most a minute; a publisher follows @publish_retry_interval_ms.
 *   webrtcbin turns on no ICE consent checks, so without this a link that
 *   drops only the media (the signalling stays up) goes unnoticed. Shorter
 *   detects sooner, but a real network's pauses must not look like a
 *   stall: a few seconds. Default 5000 (ams_media_options_init()); 0: no
 *   watch, and an ICE failure or a transport error fails the stream as
 *   before it started
 * @publish_retry_interval_ms: publish: after the stream was started once,
 *   when the server ends the publish because no media reached it
 *   (`noPacketReceivedForTimeoutDuration`, `publishTimeoutError`), or the
 *   media stalls or its ICE fails, publish the same stream id again after
 *   this delay, doubled for the second attempt and four times for the
 *   later ones. Default 1000; 0: no retry (the stream fails)
 * @publish_retry_timeout_ms: publish: give up (fail with the last error)
 *   when the stream has not started again for this long since the first
 *   attempt. Default 60000; 0: retry until ams_stream_stop()
 * @fast_start_packets: receiving: the jitterbuffer releases the first
 *   packets as soon as this many consecutive ones have arrived, instead of
 *   holding the first one for @latency_ms (a keyframe is several packets
 *   arriving together, so the first frame is decoded at once; @latency_ms
 *   still absorbs reordering and jitter afterwards). 0 (default): 3;
 *   negative: off. The trade: the start is not smoothed by @latency_ms, so
 *   on a link that reorders or delays the very first packets a frame may be
 *   late or dropped right at the start; a sink that syncs to the clock
 *   still shows the first frame at its timestamp plus the latency
 * @file_passthrough: publishing @file: send its VP8 video as it is, without
 *   decoding and re-encoding, in a loop (timestamps continue), paced to
 *   real time; WebM, Matroska or IVF. The file is read into memory first
 *   (a clip: at most 256 MB). No audio is sent; @video_codec must be VP8
 *   or %NULL; @width, @height, @framerate and @video_bitrate_kbps do not
 *   apply; keyframes come only where the file has them, since a
 *   keyframe request cannot be honoured (a player waits for the next one:
 *   encode the clip with a short keyframe interval). Costs a small part of
 *   an encoder's CPU: for load tests and demos. Default %FALSE
 *
 * Media settings of a stream. Initialise with ams_media_options_init();
 * strings are borrowed and copied by ams_stream_new().
 */
typedef struct {
  gboolean            video;
  gboolean            audio;
  const char         *video_source;
  const char         *audio_source;
  const char         *file;
  const char         *video_codec;
  guint               video_bitrate_kbps;
  guint               width;
  guint               height;
  guint               framerate;
  const char         *video_sink;
  const char         *audio_sink;
  const char         *record_path;
  gboolean            video_samples;
  gboolean            data_channel;
  const char *const  *ice_servers;
  const char         *ice_filter;
  gint                latency_ms;
  guint               stun_pacing_ms;
  guint               stats_interval_ms;
  gboolean            wait_peer;
  const char         *p2p_mode;
  guint               play_retry_interval_ms;
  guint               play_retry_timeout_ms;
  gboolean            no_decode;
  guint               stall_timeout_ms;
  guint               publish_retry_interval_ms;
  guint               publish_retry_timeout_ms;
  gint                fast_start_packets;
  gboolean            file_passthrough;
  /*< private >*/
  gpointer            _reserved[4];
} AmsMediaOptions;

/**
 * ams_media_options_init:
 * @options: (out caller-allocates): the struct to fill
 *
 * Sets every field to its default (see #AmsMediaOptions).
 */
AMS_API void ams_media_options_init (AmsMediaOptions *options);

/**
 * AmsStreamStats:
 * @bitrate_in_kbps: received bits per second since the previous stats
 * @bitrate_out_kbps: sent bits per second since the previous stats
 * @bytes_received: total
 * @bytes_sent: total
 * @packets_received: total RTP packets
 * @packets_sent: total RTP packets
 * @packets_lost: as reported by RTCP (may be negative with duplicates)
 * @jitter_ms: inbound video jitter (else audio)
 * @rtt_ms: round-trip time, -1 when unknown
 * @frames_sent: encoded video frames sent
 * @frames_decoded: decoded video frames
 * @fps: frames per second (decoded, else sent) since the previous stats
 * @width: decoded (else sent) video width, 0 when none yet
 * @height: decoded (else sent) video height
 * @audio_buffers: decoded audio buffers
 *
 * A snapshot of a stream's statistics (a boxed type).
 */
typedef struct {
  double   bitrate_in_kbps;
  double   bitrate_out_kbps;
  guint64  bytes_received;
  guint64  bytes_sent;
  guint64  packets_received;
  guint64  packets_sent;
  gint64   packets_lost;
  double   jitter_ms;
  double   rtt_ms;
  guint64  frames_sent;
  guint64  frames_decoded;
  double   fps;
  guint    width;
  guint    height;
  guint64  audio_buffers;
  /*< private >*/
  gpointer _reserved[4];
} AmsStreamStats;

#define AMS_TYPE_STREAM_STATS (ams_stream_stats_get_type ())
AMS_API GType ams_stream_stats_get_type (void);
/** ams_stream_stats_copy: Returns: (transfer full): a copy; free with ams_stream_stats_free(). */
AMS_API AmsStreamStats *ams_stream_stats_copy (const AmsStreamStats *stats);
AMS_API void ams_stream_stats_free (AmsStreamStats *stats);

/**
 * ams_stream_stats_to_event:
 * @stats: statistics
 *
 * Returns: (transfer full): an event named "stats" with the fields
 * bitrateInKbps, bitrateOutKbps, bytesReceived, bytesSent, packetsReceived,
 * packetsSent, packetsLost, jitterMs, rttMs, framesSent, framesDecoded,
 * fps, width, height and audioBuffers.
 */
AMS_API AmsEvent *ams_stream_stats_to_event (const AmsStreamStats *stats);

#define AMS_TYPE_STREAM (ams_stream_get_type ())
AMS_API G_DECLARE_FINAL_TYPE (AmsStream, ams_stream, AMS, STREAM, GObject)

/**
 * ams_stream_new:
 * @client: (transfer none): the signalling connection; the stream keeps a
 *   reference
 * @kind: publish, play or peer-to-peer
 * @stream_id: the stream id (for a call: the session id both peers join)
 * @options: (nullable) (transfer none): media settings, copied; %NULL for
 *   the defaults
 *
 * Creates a stream; nothing is sent until ams_stream_start(). Starts
 * generating the process's DTLS key in the background, so that it is ready
 * by the time the connection is.
 *
 * Returns: (transfer full): a new stream; g_object_unref() stops it (like
 * ams_stream_stop()) if still running.
 */
AMS_API AmsStream *ams_stream_new (AmsClient *client, AmsStreamKind kind, const char *stream_id,
                                   const AmsMediaOptions *options);

/**
 * ams_stream_set_publish_params:
 * @self: a publish stream, not started
 * @params: (transfer none): extra `publish` fields (token, subscriber,
 *   name, main track, ...); copied. Its @stream_id is ignored (the
 *   stream's own is used), and @video / @audio follow the media options.
 */
AMS_API void ams_stream_set_publish_params (AmsStream *self, const AmsPublishParams *params);

/**
 * ams_stream_set_play_params:
 * @self: a play stream, not started
 * @params: (transfer none): extra `play` fields (token, room, track list,
 *   subscriber, ...); copied. Its @stream_id is ignored.
 */
AMS_API void ams_stream_set_play_params (AmsStream *self, const AmsPlayParams *params);

/**
 * ams_stream_start:
 * @self: an idle stream
 * @error: return location for a #GError
 *
 * Sends the request (`publish`, `play` or `join`), or queues it while the
 * client is still connecting. The rest is reported by signals.
 *
 * Returns: %FALSE with @error when the request cannot be made
 * (%AMS_ERROR_NOT_CONNECTED, %AMS_ERROR_INVALID_ARGUMENT, or
 * %AMS_ERROR_FAILED when already started).
 */
AMS_API gboolean ams_stream_start (AmsStream *self, GError **error);

/**
 * ams_stream_stop:
 * @self: a stream
 *
 * Ends the session: sends `stop` (`leave` for a call) while connected,
 * finalises a recording (waiting at most 3 s for the file to be complete),
 * releases the media and moves to %AMS_STREAM_STATE_FINISHED ("finished"
 * is emitted). Does nothing on a stream that already ended.
 */
AMS_API void ams_stream_stop (AmsStream *self);

/** ams_stream_get_kind: Returns: the kind given to ams_stream_new(). */
AMS_API AmsStreamKind ams_stream_get_kind (AmsStream *self);
/** ams_stream_get_stream_id: Returns: (transfer none): the stream id. */
AMS_API const char *ams_stream_get_stream_id (AmsStream *self);
/** ams_stream_get_client: Returns: (transfer none): the client. */
AMS_API AmsClient *ams_stream_get_client (AmsStream *self);
/** ams_stream_get_state: Returns: the current state (also the "state" property). */
AMS_API AmsStreamState ams_stream_get_state (AmsStream *self);

/**
 * ams_stream_send_text:
 * @self: a stream
 * @text: UTF-8 text, copied
 * @error: return location for a #GError
 *
 * Sends @text on the data channel.
 *
 * Returns: %FALSE with %AMS_ERROR_NOT_CONNECTED when no channel is open.
 */
AMS_API gboolean ams_stream_send_text (AmsStream *self, const char *text, GError **error);

/**
 * ams_stream_send_data:
 * @self: a stream
 * @data: (transfer none): bytes, sent as a binary message
 * @error: return location for a #GError
 *
 * Returns: %FALSE with %AMS_ERROR_NOT_CONNECTED when no channel is open.
 */
AMS_API gboolean ams_stream_send_data (AmsStream *self, GBytes *data, GError **error);

/** ams_stream_is_data_channel_open: Returns: %TRUE when a message can be sent now. */
AMS_API gboolean ams_stream_is_data_channel_open (AmsStream *self);

/**
 * ams_stream_get_stats:
 * @self: a stream
 * @stats: (out caller-allocates): filled with the latest statistics
 *
 * The counters (frames decoded, resolution, audio buffers) are current;
 * the rates and network figures are those of the last #AmsStream::stats.
 */
AMS_API void ams_stream_get_stats (AmsStream *self, AmsStreamStats *stats);

/**
 * ams_stream_request_stats:
 * @self: a stream
 *
 * Asks the media for fresh statistics; #AmsStream::stats follows (not when
 * no media runs).
 */
AMS_API void ams_stream_request_stats (AmsStream *self);

/**
 * ams_stream_get_first_frame_delay:
 * @self: a stream
 *
 * Returns: microseconds from the request (`play`, `join`; for a
 * reconnection, the rebuild of the media) to the first decoded video
 * frame, or -1 when none was decoded yet.
 */
AMS_API gint64 ams_stream_get_first_frame_delay (AmsStream *self);

/**
 * ams_stream_get_error:
 * @self: a stream
 *
 * Returns: (transfer none) (nullable): the error that failed the stream.
 */
AMS_API const GError *ams_stream_get_error (AmsStream *self);

/* ---------------------------------------------------------------- signals
 *
 * All run on the client's context; arguments are owned by the emitter
 * (transfer none).
 *
 * "event"          (AmsEvent *event)  every stream event below as one
 *                  AmsEvent with a "streamId" field (names: "state",
 *                  "started", "finished", "error", "ice-state",
 *                  "peer-state", "dtls-state", "peer-joined", "peer-left",
 *                  "data-channel", "data", "stats", "first-frame",
 *                  "renegotiated", "recording-done", "retrying",
 *                  "media-stalled"), for logging
 * "state-changed"  (AmsStreamState old_state, AmsStreamState new_state)
 * "started"        ()  publish_started / play_started / call connected
 * "finished"       ()  ended: stopped, or the server finished the stream
 * "error"          (const GError *error)  in the AMS_ERROR domain (server
 *                  errors keep their mapped code); the stream has FAILED
 * "ice-state"      (const char *state)  "new", "checking", "connected",
 *                  "completed", "failed", "disconnected", "closed"
 * "dtls-state"     (const char *state)  "new", "closed", "failed",
 *                  "connecting", "connected"
 * "peer-state"     (const char *state)  the peer connection: "new",
 *                  "connecting", "connected", "disconnected", "failed",
 *                  "closed"
 * "peer-joined"    ()  a call: the other peer is there (offer or start)
 * "peer-left"      ()  a call: the other peer left (server `stop`)
 * "video-frame"    (guint64 count, guint width, guint height)  each decoded
 *                  frame (with no_decode: each depayloaded frame); count
 *                  from 1 per media session
 * "video-sample"   (GstSample *sample)  with @video_samples only
 * "data-channel"   (gboolean open)
 * "data"           (GBytes *data, gboolean is_binary)  text is UTF-8 and
 *                  NUL-terminated (the NUL is part of the size)
 * "stats"          (const AmsStreamStats *stats)
 * "renegotiated"   (const char *id_mapping)  a server re-offer was answered;
 *                  @id_mapping is the offer's `idMapping` as JSON, or NULL
 * "recording-done" (const char *path)  the recording was finalised */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsStreamStats, ams_stream_stats_free)

G_END_DECLS
