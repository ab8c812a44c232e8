/* ams-sdp.h: pure SDP and ICE candidate helpers (no I/O, no GStreamer).
 *
 * Everything here takes untrusted text and returns a result or a GError in
 * the AMS_ERROR domain; nothing asserts on input, so the helpers are fuzzed.
 * SDP text may use "\r\n" or "\n" line endings. */
#pragma once

#include <glib.h>
#include <amsclient/ams-error.h>

G_BEGIN_DECLS

/* One payload type offered in one m-line. */
typedef struct {
  guint    mline;          /* index of the m-line (sdpMLineIndex) */
  char    *media;          /* "video", "audio", "application" */
  char    *mid;            /* a=mid of the m-line, or NULL */
  guint    payload_type;
  char    *encoding_name;  /* as written, e.g. "VP8", "H264", "opus" */
  guint    clock_rate;
  guint    channels;       /* 0 when the rtpmap gives none */
  char    *fmtp;           /* parameters of a=fmtp verbatim, or NULL */
  guint32  ssrc;           /* first a=ssrc of the m-line, 0 if none */
} AmsSdpCodec;

void ams_sdp_codec_free (AmsSdpCodec *codec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsSdpCodec, ams_sdp_codec_free)

/* Returns: (transfer full): an array of AmsSdpCodec (element free function
 * set), in m-line then payload order; rtx/red/ulpfec entries are kept (the
 * caller filters). NULL with @error set when @sdp has no m-line at all or is
 * not SDP. */
GPtrArray *ams_sdp_get_codecs (const char *sdp, GError **error);

/* The number of m-lines of @sdp (0 when none or not SDP). */
guint ams_sdp_count_media (const char *sdp);

/* Returns: the m-line index whose a=mid is @mid, or -1. */
int ams_sdp_mid_to_index (const char *sdp, const char *mid);

/* Returns: (transfer full) (nullable): the a=mid of m-line @index. */
char *ams_sdp_index_to_mid (const char *sdp, guint index);

/* Returns: (transfer full) (nullable): the media kind ("video"...) of m-line @index. */
char *ams_sdp_index_to_media (const char *sdp, guint index);

/* Checks codec sanity rules peers rely on, e.g. Opus must be opus/48000/2. */
gboolean ams_sdp_codec_check (const AmsSdpCodec *codec, GError **error);

typedef enum {
  AMS_ICE_PROTOCOL_UDP = 1 << 0,
  AMS_ICE_PROTOCOL_TCP = 1 << 1,
} AmsIceProtocol;

typedef enum {
  AMS_ICE_TYPE_HOST  = 1 << 0,
  AMS_ICE_TYPE_SRFLX = 1 << 1,
  AMS_ICE_TYPE_PRFLX = 1 << 2,
  AMS_ICE_TYPE_RELAY = 1 << 3,
} AmsIceType;

/* One parsed "candidate:" attribute. */
typedef struct {
  char          *foundation;
  guint          component;
  AmsIceProtocol protocol;
  guint64        priority;
  char          *address;
  guint          port;
  AmsIceType     type;
} AmsIceCandidate;

void ams_ice_candidate_clear (AmsIceCandidate *candidate);

/* Parses "candidate:F C proto prio addr port typ T ..." (with or without a
 * leading "a="). Returns: FALSE with @error set on malformed input. */
gboolean ams_ice_candidate_parse (const char *line, AmsIceCandidate *out, GError **error);

/* What candidates may pass. Zero masks mean "all"; @address, when set, is a
 * comma-separated list of exact addresses that may pass. */
typedef struct {
  guint        protocols;   /* AmsIceProtocol mask */
  guint        types;       /* AmsIceType mask */
  const char  *address;
} AmsCandidateFilter;

/* Returns: TRUE when @line parses and passes @filter (NULL filter: any
 * well-formed candidate passes). Malformed lines never pass. */
gboolean ams_candidate_filter_accepts (const AmsCandidateFilter *filter, const char *line);

G_END_DECLS
