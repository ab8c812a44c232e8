/* ams-peer.c: one webrtcbin peer connection, its sources, sinks and recording.
 *
 * webrtcbin raises its signals and promise replies on streaming threads.
 * Those handlers only copy what they need into a PeerEvent and post it to
 * the peer's GMainContext; callbacks run from there. Pads are linked on the
 * streaming thread (that is how GStreamer expects dynamic pads to be linked). */
#define GST_USE_UNSTABLE_API
#include "media/ams-peer.h"
#include "media/ams-dtls-key.h"
#include "media/ams-file-loop.h"

#include <gst/webrtc/webrtc.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/pbutils/pbutils.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LATENCY_MS 100
#define DEFAULT_STUN_PACING_MS 5
/* Jitterbuffer fast start: release the first packets once this many
 * consecutive ones are in, instead of holding the first for the latency. A
 * keyframe is several packets arriving together, so it starts at once; the
 * latency still covers reordering afterwards. */
#define DEFAULT_FAST_START_PACKETS 3
#define RECORD_EOS_TIMEOUT_US (3 * G_TIME_SPAN_SECOND)

#define VP8_PT 96
#define H264_PT 102
#define OPUS_PT 111

typedef struct {
  int   label;
  char *mid;
  char *candidate;
} PendingCandidate;

struct _AmsPeer {
  gatomicrefcount   ref;
  gboolean          disposed;       /* set by ams_peer_free: events are dropped */
  GMainContext     *context;
  AmsPeerCallbacks  cb;
  gpointer          user_data;

  /* Options, with their strings owned here. */
  AmsPeerOptions    opts;
  GPtrArray        *owned_strings;
  char            **ice_servers;
  char             *filter_address;

  GstElement       *pipeline;       /* private pipeline, or NULL in relay mode */
  GstBin           *bin;            /* where webrtcbin lives */
  GstElement       *webrtc;
  GSource          *bus_source;
  gboolean          media_built;
  GstElement       *held_media;     /* a clip's bin kept stopped until the pipeline plays */
  gboolean          transport_error; /* the last error came from inside webrtcbin */
  char             *video_codec;    /* chosen: "vp8" / "h264" */

  GMutex            lock;           /* guards the fields below */
  char             *local_sdp;
  char             *remote_sdp;
  gboolean          remote_set;
  GQueue            pending;        /* PendingCandidate */
  GstWebRTCDataChannel *channel;
  gboolean          channel_open;
  GstElement       *mux, *filesink;
  GstPad           *record_pads[2]; /* mux sink pads: 0 video, 1 audio */
  GstPad           *record_inputs[2]; /* sink pads of the depay chains linked to them */
  gboolean          record_eos;
  GCond             record_cond;
  gboolean          stopped;
  GstWebRTCDTLSTransport *dtls;

  guint64           frames_decoded;   /* atomics */
  guint64           audio_buffers;
  guint64           frames_sent;
  guint             width, height;    /* decoded (or sent) resolution */
  int               connection_state;

  /* For bitrate and fps between stats calls (context thread only). */
  gint64            prev_stats_time;
  guint64           prev_bytes_in, prev_bytes_out, prev_frames;
};

/* ------------------------------------------------------------ lifetime */

static AmsPeer *
peer_ref (AmsPeer *peer)
{
  g_atomic_ref_count_inc (&peer->ref);
  return peer;
}

static void
pending_candidate_free (PendingCandidate *c)
{
  g_free (c->mid);
  g_free (c->candidate);
  g_free (c);
}

static void
peer_unref (AmsPeer *peer)
{
  if (!g_atomic_ref_count_dec (&peer->ref))
    return;
  g_queue_clear_full (&peer->pending, (GDestroyNotify) pending_candidate_free);
  g_clear_object (&peer->channel);
  g_clear_object (&peer->dtls);
  g_clear_object (&peer->webrtc);
  g_clear_object (&peer->pipeline);
  g_clear_object (&peer->bin);
  g_free (peer->local_sdp);
  g_free (peer->remote_sdp);
  g_free (peer->video_codec);
  g_strfreev (peer->ice_servers);
  g_free (peer->filter_address);
  g_ptr_array_unref (peer->owned_strings);
  g_main_context_unref (peer->context);
  g_mutex_clear (&peer->lock);
  g_cond_clear (&peer->record_cond);
  g_free (peer);
}

/* ------------------------------------------------------------ events */

typedef enum {
  EV_LOCAL_DESCRIPTION,
  EV_CANDIDATE,
  EV_STATE,
  EV_ERROR,
  EV_VIDEO_FRAME,
  EV_AUDIO_BUFFER,
  EV_VIDEO_SAMPLE,
  EV_CHANNEL_OPEN,
  EV_CHANNEL_CLOSED,
  EV_CHANNEL_MESSAGE,
  EV_REMOTE_SET,
  EV_STATS,
  EV_RECORDING_DONE,
  EV_HOOK_DTLS,
  EV_RELEASE,          /* nothing to do: frees the event (its peer ref) on the context */
} EventKind;

typedef struct {
  AmsPeer    *peer;
  EventKind   kind;
  guint       a, b;
  guint64     n;
  char       *s1, *s2;
  GBytes     *bytes;
  GstSample  *sample;
  GError     *error;
  AmsPeerStats stats;
  AmsPeerStatsFunc stats_func;
  gpointer    stats_data;
  gboolean    counters_only;   /* stats without the rates */
} PeerEvent;

static void
peer_event_free (PeerEvent *ev)
{
  g_free (ev->s1);
  g_free (ev->s2);
  g_clear_pointer (&ev->bytes, g_bytes_unref);
  g_clear_pointer (&ev->sample, gst_sample_unref);
  g_clear_error (&ev->error);
  peer_unref (ev->peer);
  g_free (ev);
}

static gboolean dispatch_event (gpointer data);

static PeerEvent *
event_new (AmsPeer *peer, EventKind kind)
{
  PeerEvent *ev = g_new0 (PeerEvent, 1);
  ev->peer = peer_ref (peer);
  ev->kind = kind;
  return ev;
}

/* Posts @ev to the peer's context; callable from any thread. */
static void
event_post (PeerEvent *ev)
{
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, dispatch_event, ev, (GDestroyNotify) peer_event_free);
  g_source_attach (source, ev->peer->context);
  g_source_unref (source);
}

static void
post_error (AmsPeer *peer, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
post_error (AmsPeer *peer, int code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  PeerEvent *ev = event_new (peer, EV_ERROR);
  ev->error = g_error_new_valist (AMS_ERROR, code, format, args);
  va_end (args);
  event_post (ev);
}

static void flush_pending_candidates (AmsPeer *peer);
static void create_answer (AmsPeer *peer);
static void hook_dtls_transport (AmsPeer *peer);
static void finish_stats (PeerEvent *ev);

static gboolean
dispatch_event (gpointer data)
{
  PeerEvent *ev = data;
  AmsPeer *peer = ev->peer;
  gpointer ud = peer->user_data;

  if (peer->disposed)
    return G_SOURCE_REMOVE;

  switch (ev->kind) {
    case EV_LOCAL_DESCRIPTION:
      hook_dtls_transport (peer);
      if (peer->cb.local_description)
        peer->cb.local_description (peer, ev->s1, ev->s2, ud);
      break;
    case EV_CANDIDATE: {
      g_mutex_lock (&peer->lock);
      char *mid = ams_sdp_index_to_mid (peer->local_sdp, ev->a);
      g_mutex_unlock (&peer->lock);
      if (peer->cb.local_candidate)
        peer->cb.local_candidate (peer, ev->a, mid, ev->s1, ud);
      g_free (mid);
      break;
    }
    case EV_STATE:
      /* The DTLS transport exists once a description is applied; look for it
       * on every state change until found. */
      hook_dtls_transport (peer);
      if (ev->a == AMS_PEER_STATE_CONNECTION)
        peer->connection_state = ev->b;
      if (peer->cb.state_changed)
        peer->cb.state_changed (peer, ev->a, ev->b, ud);
      break;
    case EV_ERROR:
      if (peer->cb.error)
        peer->cb.error (peer, ev->error, ud);
      else
        g_warning ("media: %s", ev->error->message);
      break;
    case EV_VIDEO_FRAME:
      if (peer->cb.video_frame)
        peer->cb.video_frame (peer, ev->n, ev->a, ev->b, ud);
      break;
    case EV_AUDIO_BUFFER:
      if (peer->cb.audio_buffer)
        peer->cb.audio_buffer (peer, ev->n, ud);
      break;
    case EV_VIDEO_SAMPLE:
      if (peer->cb.video_sample)
        peer->cb.video_sample (peer, ev->sample, ud);
      break;
    case EV_CHANNEL_OPEN:
      if (peer->cb.data_channel_open)
        peer->cb.data_channel_open (peer, ev->s1, ud);
      break;
    case EV_CHANNEL_CLOSED:
      if (peer->cb.data_channel_closed)
        peer->cb.data_channel_closed (peer, ud);
      break;
    case EV_CHANNEL_MESSAGE:
      if (peer->cb.data_message)
        peer->cb.data_message (peer, ev->bytes, ev->a, ud);
      break;
    case EV_REMOTE_SET:
      if (ev->error) {
        if (peer->cb.error)
          peer->cb.error (peer, ev->error, ud);
        break;
      }
      g_mutex_lock (&peer->lock);
      peer->remote_set = TRUE;
      g_mutex_unlock (&peer->lock);
      hook_dtls_transport (peer);
      flush_pending_candidates (peer);
      if (g_strcmp0 (ev->s1, "offer") == 0)
        create_answer (peer);
      break;
    case EV_STATS:
      finish_stats (ev);
      break;
    case EV_RECORDING_DONE:
      if (peer->cb.recording_done)
        peer->cb.recording_done (peer, ev->s1, ud);
      break;
    case EV_HOOK_DTLS:
      hook_dtls_transport (peer);
      break;
    case EV_RELEASE:
      break;
  }
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------ errors */

/* A parse error from gst_parse_*: names the missing element when that is the cause. */
static void
set_parse_error (GError **error, GError *parse_error, const char *what)
{
  if (g_error_matches (parse_error, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT))
    g_set_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN,
                 "missing GStreamer plugin for %s: %s", what, parse_error->message);
  else
    g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "bad %s: %s", what,
                 parse_error ? parse_error->message : "unknown");
}

static gboolean
require_element (const char *factory, GError **error)
{
  GstElementFactory *f = gst_element_factory_find (factory);
  if (!f) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN,
                 "missing GStreamer element \"%s\"", factory);
    return FALSE;
  }
  gst_object_unref (f);
  return TRUE;
}

static gboolean
bus_watch (GstBus *bus, GstMessage *msg, gpointer data)
{
  AmsPeer *peer = data;
  if (peer->disposed)
    return G_SOURCE_CONTINUE;

  g_autoptr (GError) error = NULL;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) gerr = NULL;
      g_autofree char *debug = NULL;
      gst_message_parse_error (msg, &gerr, &debug);
      gboolean missing = g_error_matches (gerr, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN) ||
                         g_error_matches (gerr, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND);
      /* libnice, DTLS, SRTP, the RTP session: the connection broke, not
       * the media we send or receive (webrtcbin's own errors are
       * negotiation). */
      GstObject *src = GST_MESSAGE_SRC (msg);
      peer->transport_error = src != GST_OBJECT (peer->webrtc) &&
                              gst_object_has_as_ancestor (src, GST_OBJECT (peer->webrtc));
      error = g_error_new (AMS_ERROR, missing ? AMS_ERROR_MISSING_PLUGIN : AMS_ERROR_MEDIA,
                           "%s: %s", GST_OBJECT_NAME (src), gerr->message);
      break;
    }
    case GST_MESSAGE_ELEMENT:
      if (gst_is_missing_plugin_message (msg)) {
        g_autofree char *desc = gst_missing_plugin_message_get_description (msg);
        error = g_error_new (AMS_ERROR, AMS_ERROR_MISSING_PLUGIN, "missing GStreamer plugin: %s",
                             desc);
      }
      break;
    default:
      break;
  }
  if (error) {
    if (peer->cb.error)
      peer->cb.error (peer, error, peer->user_data);
    else
      g_warning ("media: %s", error->message);
  }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ counting probes */

static void
update_resolution (AmsPeer *peer, GstCaps *caps)
{
  const GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  int w = 0, h = 0;
  if (s && gst_structure_get_int (s, "width", &w) && gst_structure_get_int (s, "height", &h)) {
    g_mutex_lock (&peer->lock);
    peer->width = w;
    peer->height = h;
    g_mutex_unlock (&peer->lock);
  }
}

static GstPadProbeReturn
video_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  AmsPeer *peer = data;
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      update_resolution (peer, caps);
    }
    return GST_PAD_PROBE_OK;
  }
  guint64 n = __atomic_add_fetch (&peer->frames_decoded, 1, __ATOMIC_RELAXED);
  PeerEvent *ev = event_new (peer, EV_VIDEO_FRAME);
  ev->n = n;
  g_mutex_lock (&peer->lock);
  ev->a = peer->width;
  ev->b = peer->height;
  g_mutex_unlock (&peer->lock);
  event_post (ev);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
audio_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  AmsPeer *peer = data;
  guint64 n = __atomic_add_fetch (&peer->audio_buffers, 1, __ATOMIC_RELAXED);
  /* Audio comes at 50 buffers/s: report the first and then one in 25. */
  if (n == 1 || n % 25 == 0) {
    PeerEvent *ev = event_new (peer, EV_AUDIO_BUFFER);
    ev->n = n;
    event_post (ev);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
sent_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  AmsPeer *peer = data;
  __atomic_add_fetch (&peer->frames_sent, 1, __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* ------------------------------------------------------------ sending */

static const char *
opt_or (const char *value, const char *fallback)
{
  return value && *value ? value : fallback;
}

static char *
video_encoder_description (AmsPeer *peer, GError **error)
{
  const AmsPeerOptions *o = &peer->opts;
  guint kbps = o->video_bitrate_kbps ? o->video_bitrate_kbps : 1000;
  if (g_ascii_strcasecmp (peer->video_codec, "h264") == 0) {
    const char *enc = gst_element_factory_find ("openh264enc") ? "openh264enc" : "x264enc";
    GstElementFactory *f = gst_element_factory_find (enc);
    if (!f) {
      g_set_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN,
                   "missing GStreamer element \"openh264enc\" (or \"x264enc\") for H.264");
      return NULL;
    }
    gst_object_unref (f);
    if (!require_element ("rtph264pay", error) || !require_element ("h264parse", error))
      return NULL;
    /* Baseline, no B-frames: what every WebRTC decoder takes. config-interval=-1
     * repeats SPS/PPS before each IDR so late joiners can start. */
    const char *encoder = g_str_equal (enc, "openh264enc")
        ? "openh264enc name=venc complexity=low rate-control=bitrate usage-type=camera bitrate=%u000"
        : "x264enc name=venc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=%u";
    g_autofree char *e = g_strdup_printf (encoder, kbps);
    return g_strdup_printf ("%s ! video/x-h264,profile=constrained-baseline ! h264parse ! "
                            "rtph264pay config-interval=-1 aggregate-mode=zero-latency pt=%d ! "
                            "capsfilter name=vout caps=\"application/x-rtp,media=video,"
                            "encoding-name=H264,payload=%d,clock-rate=90000\"",
                            e, H264_PT, H264_PT);
  }
  if (g_ascii_strcasecmp (peer->video_codec, "vp8") != 0) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "unknown video codec \"%s\" (vp8 or h264)", peer->video_codec);
    return NULL;
  }
  if (!require_element ("vp8enc", error) || !require_element ("rtpvp8pay", error))
    return NULL;
  return g_strdup_printf ("vp8enc name=venc deadline=1 cpu-used=8 threads=2 "
                          "target-bitrate=%u000 end-usage=cbr error-resilient=partitions ! "
                          "rtpvp8pay pt=%d picture-id-mode=15-bit ! "
                          "capsfilter name=vout caps=\"application/x-rtp,media=video,"
                          "encoding-name=VP8,payload=%d,clock-rate=90000\"",
                          kbps, VP8_PT, VP8_PT);
}

static char *
send_description (AmsPeer *peer, GError **error)
{
  const AmsPeerOptions *o = &peer->opts;
  GString *d = g_string_new (NULL);
  gboolean from_file = o->file_uri && *o->file_uri;

  if (from_file && o->file_passthrough) {
    /* Frames from the file as they are (build_send_media feeds vfile),
     * paced to real time by clocksync: no decoder, no encoder. */
    g_string_append_printf (d, "appsrc name=vfile ! clocksync name=venc sync-to-first=true ! "
                            "rtpvp8pay pt=%d picture-id-mode=15-bit ! "
                            "capsfilter name=vout caps=\"application/x-rtp,media=video,"
                            "encoding-name=VP8,payload=%d,clock-rate=90000\"",
                            VP8_PT, VP8_PT);
    return g_string_free (d, FALSE);
  }
  if (from_file) {
    g_autofree char *uri = gst_uri_is_valid (o->file_uri) ? g_strdup (o->file_uri)
                                                          : gst_filename_to_uri (o->file_uri, NULL);
    if (!uri) {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "bad media file \"%s\"",
                   o->file_uri);
      g_string_free (d, TRUE);
      return NULL;
    }
    g_string_append_printf (d, "uridecodebin uri=\"%s\" name=filesrc ", uri);
  }
  if (o->video) {
    g_autofree char *enc = video_encoder_description (peer, error);
    if (!enc) {
      g_string_free (d, TRUE);
      return NULL;
    }
    /* Files are decoded faster than real time: clocksync paces them. */
    g_string_append_printf (d, "%s ! %svideoconvert ! videoscale ! videorate ! "
                            "capsfilter name=vraw caps=\"video/x-raw,width=%u,height=%u,"
                            "framerate=%u/1\" ! queue max-size-buffers=2 ! %s ",
                            from_file ? "filesrc. ! queue" : opt_or (o->video_source,
                                                                     "videotestsrc is-live=true"),
                            from_file ? "clocksync ! " : "",
                            o->width ? o->width : 640, o->height ? o->height : 480,
                            o->framerate ? o->framerate : 30, enc);
  }
  if (o->audio) {
    if (!require_element ("opusenc", error) || !require_element ("rtpopuspay", error)) {
      g_string_free (d, TRUE);
      return NULL;
    }
    g_string_append_printf (d, "%s ! %saudioconvert ! audioresample ! "
                            "audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=%u000 ! "
                            "rtpopuspay pt=%d ! capsfilter name=aout caps=\"application/x-rtp,"
                            "media=audio,encoding-name=OPUS,payload=%d,clock-rate=48000\" ",
                            from_file ? "filesrc. ! queue" : opt_or (o->audio_source,
                                                                     "audiotestsrc is-live=true"),
                            from_file ? "clocksync ! " : "",
                            o->audio_bitrate_kbps ? o->audio_bitrate_kbps : 64, OPUS_PT, OPUS_PT);
  }
  return g_string_free (d, FALSE);
}

/* Links the src of element @name in @bin to a new webrtcbin sink pad. */
static gboolean
link_to_webrtc (AmsPeer *peer, GstBin *bin, const char *name, GError **error)
{
  g_autoptr (GstElement) out = gst_bin_get_by_name (bin, name);
  g_autoptr (GstPad) src = out ? gst_element_get_static_pad (out, "src") : NULL;
  if (!src) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "no %s in the send pipeline", name);
    return FALSE;
  }
  GstPad *ghost = gst_ghost_pad_new (name, src);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (GST_ELEMENT (bin), ghost);

  /* Request the pad first, then configure its transceiver: add-transceiver
   * followed by a pad request makes a second m-line in 1.22. */
  GstPad *sink = gst_element_request_pad_simple (peer->webrtc, "sink_%u");
  if (!sink || gst_pad_link (ghost, sink) != GST_PAD_LINK_OK) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "cannot link %s to webrtcbin", name);
    g_clear_object (&sink);
    return FALSE;
  }
  GstWebRTCRTPTransceiver *trans = NULL;
  g_object_get (sink, "transceiver", &trans, NULL);
  if (trans) {
    g_object_set (trans, "direction",
                  (peer->opts.role & AMS_PEER_RECEIVE) ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                                                       : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  NULL);
    gst_object_unref (trans);
  }
  gst_object_unref (sink);
  return TRUE;
}

/* Picks the video codec from a remote offer: its first one we can send. */
static char *
codec_from_offer (const char *sdp)
{
  g_autoptr (GPtrArray) codecs = ams_sdp_get_codecs (sdp, NULL);
  for (guint i = 0; codecs && i < codecs->len; i++) {
    AmsSdpCodec *c = codecs->pdata[i];
    if (g_strcmp0 (c->media, "video") != 0 || !c->encoding_name)
      continue;
    if (g_ascii_strcasecmp (c->encoding_name, "VP8") == 0)
      return g_strdup ("vp8");
    if (g_ascii_strcasecmp (c->encoding_name, "H264") == 0)
      return g_strdup ("h264");
  }
  return g_strdup ("vp8");
}

static gboolean
build_send_media (AmsPeer *peer, GError **error)
{
  if (peer->media_built || !(peer->opts.role & AMS_PEER_SEND) || peer->opts.external_bin)
    return TRUE;
  if (!peer->opts.video && !peer->opts.audio) {
    peer->media_built = TRUE;   /* data channel only */
    return TRUE;
  }
  if (!peer->video_codec)
    peer->video_codec = g_strdup ("vp8");

  /* Read before building anything: a bad file is the caller's error. */
  AmsFileLoop *file_loop = NULL;
  if (peer->opts.file_passthrough) {
    if (g_ascii_strcasecmp (peer->video_codec, "vp8") != 0) {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                   "a file is sent as it is only with VP8, not %s", peer->video_codec);
      return FALSE;
    }
    if (!require_element ("rtpvp8pay", error) || !require_element ("clocksync", error) ||
        !require_element ("appsrc", error))
      return FALSE;
    file_loop = ams_file_loop_load (peer->opts.file_uri, error);
    if (!file_loop)
      return FALSE;
  }
  g_autofree char *desc = send_description (peer, error);
  if (!desc) {
    ams_file_loop_unref (file_loop);
    return FALSE;
  }
  g_autoptr (GError) parse_error = NULL;
  GstElement *bin = gst_parse_bin_from_description_full (desc, FALSE, NULL,
                                                         GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (!bin) {
    set_parse_error (error, parse_error, "the media source");
    ams_file_loop_unref (file_loop);
    return FALSE;
  }
  if (file_loop) {
    g_autoptr (GstElement) vfile = gst_bin_get_by_name (GST_BIN (bin), "vfile");
    ams_file_loop_attach (file_loop, vfile);
    if (!(peer->opts.role & AMS_PEER_RECEIVE))
      ams_file_loop_get_size (file_loop, &peer->width, &peer->height);
    ams_file_loop_unref (file_loop);
  }
  gst_bin_add (GST_BIN (peer->pipeline), bin);
  if ((peer->opts.video && !link_to_webrtc (peer, GST_BIN (bin), "vout", error)) ||
      (peer->opts.audio && !link_to_webrtc (peer, GST_BIN (bin), "aout", error))) {
    gst_element_set_state (bin, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (peer->pipeline), bin);
    return FALSE;
  }
  if (peer->opts.video) {
    g_autoptr (GstElement) enc = gst_bin_get_by_name (GST_BIN (bin), "venc");
    g_autoptr (GstPad) pad = enc ? gst_element_get_static_pad (enc, "src") : NULL;
    if (pad)
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sent_probe, peer, NULL);
    if (!(peer->opts.role & AMS_PEER_RECEIVE) && !peer->opts.file_passthrough) {
      peer->width = peer->opts.width ? peer->opts.width : 640;
      peer->height = peer->opts.height ? peer->opts.height : 480;
    }
  }
  if (peer->opts.file_passthrough && peer->pipeline &&
      GST_STATE (peer->pipeline) != GST_STATE_PLAYING) {
    /* clocksync's sync-to-first takes its offset from its first frame.  A
     * frame that came while the pipeline first went to PLAYING (the clock
     * given out, the base time not yet) got the clock's whole age as offset
     * (hours) and the clip was never sent (seen in the relay bench).  The
     * bin starts once the pipeline plays (start_held_media). */
    gst_element_set_locked_state (bin, TRUE);
    peer->held_media = gst_object_ref (bin);
  } else {
    gst_element_sync_state_with_parent (bin);
  }
  peer->media_built = TRUE;
  return TRUE;
}

/* The pipeline plays: the held clip's bin starts with the pipeline's clock
 * and base time already in place. */
static void
start_held_media (AmsPeer *peer)
{
  GstElement *bin = g_steal_pointer (&peer->held_media);
  if (!bin)
    return;
  gst_element_set_locked_state (bin, FALSE);
  gst_element_set_base_time (bin, gst_element_get_base_time (peer->pipeline));
  gst_element_sync_state_with_parent (bin);
  gst_object_unref (bin);
}

/* ------------------------------------------------------------ receiving */

static GstFlowReturn
on_new_sample (GstElement *appsink, gpointer data)
{
  AmsPeer *peer = data;
  GstSample *sample = NULL;
  g_signal_emit_by_name (appsink, "pull-sample", &sample);
  if (!sample)
    return GST_FLOW_OK;
  PeerEvent *ev = event_new (peer, EV_VIDEO_SAMPLE);
  ev->sample = sample;
  event_post (ev);
  return GST_FLOW_OK;
}

/* Adds a "queue ! convert ! sink" bin for a decoded pad. Streaming thread. */
static void
on_decoded_pad (GstElement *decodebin, GstPad *pad, gpointer data)
{
  AmsPeer *peer = data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  gboolean video = g_str_has_prefix (name, "video/");
  if (!video && !g_str_has_prefix (name, "audio/"))
    return;

  g_autofree char *desc = NULL;
  if (video && peer->cb.video_sample)
    desc = g_strdup ("queue ! videoconvert ! video/x-raw,format=RGB ! "
                     "appsink name=appsink emit-signals=true sync=false max-buffers=2 drop=true");
  else if (video)
    desc = g_strdup_printf ("queue ! videoconvert ! %s", opt_or (peer->opts.video_sink,
                                                                   "autovideosink"));
  else
    desc = g_strdup_printf ("queue ! audioconvert ! audioresample ! %s",
                            opt_or (peer->opts.audio_sink, "autoaudiosink"));

  g_autoptr (GError) parse_error = NULL;
  GstElement *bin = gst_parse_bin_from_description_full (desc, TRUE, NULL,
                                                         GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (!bin) {
    GError *e = NULL;
    set_parse_error (&e, parse_error, video ? "the video sink" : "the audio sink");
    PeerEvent *ev = event_new (peer, EV_ERROR);
    ev->error = e;
    event_post (ev);
    return;
  }
  if (video && peer->cb.video_sample) {
    g_autoptr (GstElement) appsink = gst_bin_get_by_name (GST_BIN (bin), "appsink");
    g_signal_connect (appsink, "new-sample", G_CALLBACK (on_new_sample), peer);
  }
  gst_bin_add (GST_BIN (peer->pipeline), bin);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (bin, "sink");
  if (video)
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       video_probe, peer, NULL);
  else
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, audio_probe, peer, NULL);
  gst_element_sync_state_with_parent (bin);
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    post_error (peer, AMS_ERROR_MEDIA, "cannot link the decoded %s", video ? "video" : "audio");
}

static GstPadProbeReturn
record_eos_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  AmsPeer *peer = data;
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    g_mutex_lock (&peer->lock);
    peer->record_eos = TRUE;
    g_cond_broadcast (&peer->record_cond);
    g_mutex_unlock (&peer->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* Creates the muxer and file sink with one pad per remote media kind, all at
 * once: muxers refuse pads added after they started writing. Called with the
 * lock held, on the first received pad. */
static gboolean
ensure_recorder (AmsPeer *peer, GError **error)
{
  if (peer->mux)
    return TRUE;
  const char *path = peer->opts.record_path;
  const char *mux;
  if (g_str_has_suffix (path, ".mkv"))
    mux = "matroskamux";
  else if (g_str_has_suffix (path, ".webm"))
    mux = "webmmux";
  else if (g_str_has_suffix (path, ".mp4"))
    mux = "mp4mux";
  else {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "cannot record to \"%s\": use .mkv, .webm or .mp4", path);
    return FALSE;
  }
  if (!require_element (mux, error) || !require_element ("filesink", error))
    return FALSE;
  peer->mux = gst_element_factory_make (mux, NULL);
  peer->filesink = gst_element_factory_make ("filesink", NULL);
  g_object_set (peer->filesink, "location", path, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (peer->pipeline), peer->mux, peer->filesink, NULL);
  gst_element_link (peer->mux, peer->filesink);
  g_autoptr (GstPad) fsink = gst_element_get_static_pad (peer->filesink, "sink");
  gst_pad_add_probe (fsink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_eos_probe, peer, NULL);

  for (int kind = 0; kind < 2; kind++) {
    const char *media = kind == 0 ? "video" : "audio";
    gboolean wanted = kind == 0 ? peer->opts.video : peer->opts.audio;
    gboolean present = FALSE;
    guint n = ams_sdp_count_media (peer->remote_sdp);
    for (guint i = 0; i < n; i++) {
      g_autofree char *m = ams_sdp_index_to_media (peer->remote_sdp, i);
      if (g_strcmp0 (m, media) == 0)
        present = TRUE;
    }
    if (wanted && present)
      peer->record_pads[kind] = gst_element_request_pad_simple (peer->mux, kind == 0 ? "video_%u"
                                                                                     : "audio_%u");
  }
  gst_element_sync_state_with_parent (peer->filesink);
  gst_element_sync_state_with_parent (peer->mux);
  return TRUE;
}

/* Depayloaders sometimes emit a buffer with no timestamp (seen with
 * rtph264depay after a burst); mp4mux stops the whole recording on one.
 * Such a buffer gets the previous timestamp plus one nanosecond. */
static GstPadProbeReturn
timestamp_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstClockTime *last = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (GST_BUFFER_PTS_IS_VALID (buffer)) {
    *last = GST_BUFFER_PTS (buffer);
    return GST_PAD_PROBE_OK;
  }
  if (!GST_CLOCK_TIME_IS_VALID (*last))
    return GST_PAD_PROBE_DROP;   /* nothing to anchor it on: before the first frame */
  buffer = gst_buffer_make_writable (buffer);
  *last += 1;
  GST_BUFFER_PTS (buffer) = *last;
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

static void
record_pad (AmsPeer *peer, GstPad *pad, const char *media, const char *encoding)
{
  GError *error = NULL;
  int kind = g_str_equal (media, "video") ? 0 : 1;
  const char *chain = NULL;
  if (!g_ascii_strcasecmp (encoding, "VP8"))
    chain = "rtpvp8depay ! queue name=q";
  else if (!g_ascii_strcasecmp (encoding, "H264"))
    chain = "rtph264depay ! h264parse ! video/x-h264,alignment=au ! queue name=q";
  else if (!g_ascii_strcasecmp (encoding, "OPUS"))
    chain = "rtpopusdepay ! opusparse ! queue name=q";

  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstPad) sink = NULL;
  GstElement *bin = NULL;
  g_mutex_lock (&peer->lock);
  if (!ensure_recorder (peer, &error))
    goto out;
  if (!chain) {
    g_set_error (&error, AMS_ERROR, AMS_ERROR_MEDIA, "cannot record %s", encoding);
    goto out;
  }
  if (!peer->record_pads[kind] || peer->record_inputs[kind])
    goto out;   /* not wanted, or a second stream of the same kind */
  bin = gst_parse_bin_from_description_full (chain, TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
                                             &parse_error);
  if (!bin) {
    set_parse_error (&error, parse_error, "recording");
    goto out;
  }
  gst_bin_add (GST_BIN (peer->pipeline), bin);
  src = gst_element_get_static_pad (bin, "src");
  sink = gst_element_get_static_pad (bin, "sink");
  GstClockTime *last = g_new (GstClockTime, 1);
  *last = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, timestamp_probe, last, g_free);
  if (kind == 0)
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       video_probe, peer, NULL);
  else
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, audio_probe, peer, NULL);
  if (gst_pad_link (src, peer->record_pads[kind]) != GST_PAD_LINK_OK ||
      gst_pad_link (pad, sink) != GST_PAD_LINK_OK) {
    g_set_error (&error, AMS_ERROR, AMS_ERROR_MEDIA, "cannot link %s into %s", encoding,
                 GST_OBJECT_NAME (peer->mux));
  }
  peer->record_inputs[kind] = gst_object_ref (sink);
  gst_element_sync_state_with_parent (bin);
out:
  g_mutex_unlock (&peer->lock);
  if (error) {
    PeerEvent *ev = event_new (peer, EV_ERROR);
    ev->error = error;
    event_post (ev);
  }
}

/* no_decode: "depayloader ! fakesink", frames counted after the
 * depayloader; costs a fraction of decoding. Streaming thread. */
static void
count_pad (AmsPeer *peer, GstPad *pad, const char *media, const char *encoding)
{
  const char *depay = !g_ascii_strcasecmp (encoding, "VP8") ? "rtpvp8depay"
                    : !g_ascii_strcasecmp (encoding, "VP9") ? "rtpvp9depay"
                    : !g_ascii_strcasecmp (encoding, "H264") ? "rtph264depay"
                    : !g_ascii_strcasecmp (encoding, "OPUS") ? "rtpopusdepay" : NULL;
  if (!depay) {
    post_error (peer, AMS_ERROR_MEDIA, "cannot depayload %s %s", media, encoding);
    return;
  }
  g_autofree char *desc = g_strdup_printf ("%s ! fakesink name=counter sync=false async=false", depay);
  g_autoptr (GError) parse_error = NULL;
  GstElement *bin = gst_parse_bin_from_description_full (desc, TRUE, NULL,
                                                         GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (!bin) {
    GError *e = NULL;
    set_parse_error (&e, parse_error, depay);
    PeerEvent *ev = event_new (peer, EV_ERROR);
    ev->error = e;
    event_post (ev);
    return;
  }
  gst_bin_add (GST_BIN (peer->pipeline), bin);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (bin, "sink");
  g_autoptr (GstElement) counter = gst_bin_get_by_name (GST_BIN (bin), "counter");
  g_autoptr (GstPad) counted = gst_element_get_static_pad (counter, "sink");
  if (g_str_equal (media, "video"))
    gst_pad_add_probe (counted, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       video_probe, peer, NULL);
  else
    gst_pad_add_probe (counted, GST_PAD_PROBE_TYPE_BUFFER, audio_probe, peer, NULL);
  gst_element_sync_state_with_parent (bin);
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    post_error (peer, AMS_ERROR_MEDIA, "cannot link the received %s", media);
}

/* Streaming thread. */
static void
on_pad_added (GstElement *webrtc, GstPad *pad, gpointer data)
{
  AmsPeer *peer = data;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC || peer->disposed)
    return;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *media = gst_structure_get_string (s, "media");
  const char *encoding = gst_structure_get_string (s, "encoding-name");
  if (!media)
    return;

  if (peer->opts.external_bin) {
    if (peer->cb.rtp_pad_added)
      peer->cb.rtp_pad_added (peer, pad, media, peer->user_data);
    return;
  }
  gboolean video = g_str_equal (media, "video");
  if ((video && !peer->opts.video) || (!video && !peer->opts.audio)) {
    /* Not wanted: drain it so webrtcbin does not stall. */
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    gst_bin_add (GST_BIN (peer->pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_link (pad, sinkpad);
    return;
  }
  if (peer->opts.record_path && *peer->opts.record_path) {
    record_pad (peer, pad, media, encoding ? encoding : "");
    return;
  }
  if (peer->opts.no_decode) {
    count_pad (peer, pad, media, encoding ? encoding : "");
    return;
  }
  GstElement *decodebin = gst_element_factory_make ("decodebin", NULL);
  if (!decodebin) {
    post_error (peer, AMS_ERROR_MISSING_PLUGIN, "missing GStreamer element \"decodebin\"");
    return;
  }
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_decoded_pad), peer);
  gst_bin_add (GST_BIN (peer->pipeline), decodebin);
  gst_element_sync_state_with_parent (decodebin);
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (decodebin, "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    post_error (peer, AMS_ERROR_MEDIA, "cannot decode the received %s", media);
}

/* ------------------------------------------------------------ data channel */

static void
on_channel_open (GstWebRTCDataChannel *channel, gpointer data)
{
  AmsPeer *peer = data;
  g_mutex_lock (&peer->lock);
  peer->channel_open = TRUE;
  g_mutex_unlock (&peer->lock);
  PeerEvent *ev = event_new (peer, EV_CHANNEL_OPEN);
  g_object_get (channel, "label", &ev->s1, NULL);
  event_post (ev);
}

static void
on_channel_close (GstWebRTCDataChannel *channel, gpointer data)
{
  AmsPeer *peer = data;
  g_mutex_lock (&peer->lock);
  peer->channel_open = FALSE;
  g_mutex_unlock (&peer->lock);
  event_post (event_new (peer, EV_CHANNEL_CLOSED));
}

static void
on_channel_string (GstWebRTCDataChannel *channel, const char *text, gpointer data)
{
  PeerEvent *ev = event_new (data, EV_CHANNEL_MESSAGE);
  ev->bytes = g_bytes_new (text ? text : "", text ? strlen (text) + 1 : 1);
  ev->a = FALSE;
  event_post (ev);
}

static void
on_channel_data (GstWebRTCDataChannel *channel, GBytes *bytes, gpointer data)
{
  PeerEvent *ev = event_new (data, EV_CHANNEL_MESSAGE);
  ev->bytes = bytes ? g_bytes_ref (bytes) : g_bytes_new (NULL, 0);
  ev->a = TRUE;
  event_post (ev);
}

static void
on_channel_error (GstWebRTCDataChannel *channel, GError *error, gpointer data)
{
  post_error (data, AMS_ERROR_MEDIA, "data channel: %s", error ? error->message : "failed");
}

/* Takes the first channel; later ones (a remote re-creating it) replace it. */
static void
adopt_channel (AmsPeer *peer, GstWebRTCDataChannel *channel)
{
  g_signal_connect (channel, "on-open", G_CALLBACK (on_channel_open), peer);
  g_signal_connect (channel, "on-close", G_CALLBACK (on_channel_close), peer);
  g_signal_connect (channel, "on-message-string", G_CALLBACK (on_channel_string), peer);
  g_signal_connect (channel, "on-message-data", G_CALLBACK (on_channel_data), peer);
  g_signal_connect (channel, "on-error", G_CALLBACK (on_channel_error), peer);
  g_mutex_lock (&peer->lock);
  GstWebRTCDataChannel *old = peer->channel;
  peer->channel = g_object_ref (channel);
  g_mutex_unlock (&peer->lock);
  if (old) {
    g_signal_handlers_disconnect_by_data (old, peer);
    g_object_unref (old);
  }
}

/* Streaming thread: a channel opened by the remote side, already open. */
static void
on_data_channel (GstElement *webrtc, GstWebRTCDataChannel *channel, gpointer data)
{
  AmsPeer *peer = data;
  adopt_channel (peer, channel);
  GstWebRTCDataChannelState state;
  g_object_get (channel, "ready-state", &state, NULL);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    on_channel_open (channel, peer);
}

static gboolean
create_data_channel (AmsPeer *peer, GError **error)
{
  if (!peer->opts.data_channel || peer->channel || !(peer->opts.role & AMS_PEER_SEND))
    return TRUE;
  GstWebRTCDataChannel *channel = NULL;
  GstStructure *init = gst_structure_new ("options", "ordered", G_TYPE_BOOLEAN, TRUE, NULL);
  g_signal_emit_by_name (peer->webrtc, "create-data-channel",
                         opt_or (peer->opts.data_channel_label, "data"), init, &channel);
  gst_structure_free (init);
  if (!channel) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "cannot create the data channel");
    return FALSE;
  }
  adopt_channel (peer, channel);
  g_object_unref (channel);
  return TRUE;
}

static GstWebRTCDataChannel *
open_channel (AmsPeer *peer, GError **error)
{
  g_mutex_lock (&peer->lock);
  GstWebRTCDataChannel *channel = peer->channel_open && peer->channel
                                      ? g_object_ref (peer->channel) : NULL;
  g_mutex_unlock (&peer->lock);
  if (!channel)
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "the data channel is not open");
  return channel;
}

gboolean
ams_peer_send_text (AmsPeer *peer, const char *text, GError **error)
{
  g_return_val_if_fail (peer && text, FALSE);
  g_autoptr (GstWebRTCDataChannel) channel = open_channel (peer, error);
  if (!channel)
    return FALSE;
  g_autoptr (GError) e = NULL;
  if (!gst_webrtc_data_channel_send_string_full (channel, text, &e)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "data channel: %s", e ? e->message : "failed");
    return FALSE;
  }
  return TRUE;
}

gboolean
ams_peer_send_data (AmsPeer *peer, GBytes *data, GError **error)
{
  g_return_val_if_fail (peer && data, FALSE);
  g_autoptr (GstWebRTCDataChannel) channel = open_channel (peer, error);
  if (!channel)
    return FALSE;
  g_autoptr (GError) e = NULL;
  if (!gst_webrtc_data_channel_send_data_full (channel, data, &e)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "data channel: %s", e ? e->message : "failed");
    return FALSE;
  }
  return TRUE;
}

gboolean
ams_peer_data_channel_is_open (AmsPeer *peer)
{
  g_mutex_lock (&peer->lock);
  gboolean open = peer->channel_open;
  g_mutex_unlock (&peer->lock);
  return open;
}

/* ------------------------------------------------------------ ICE and state */

static void
on_ice_candidate (GstElement *webrtc, guint mline, const char *candidate, gpointer data)
{
  AmsPeer *peer = data;
  if (!candidate || !*candidate)
    return;
  if (!ams_candidate_filter_accepts (&peer->opts.filter, candidate))
    return;
  PeerEvent *ev = event_new (peer, EV_CANDIDATE);
  ev->a = mline;
  ev->s1 = g_strdup (candidate);
  event_post (ev);
}

static void
post_state (AmsPeer *peer, AmsPeerStateKind kind, int state)
{
  PeerEvent *ev = event_new (peer, EV_STATE);
  ev->a = kind;
  ev->b = state;
  event_post (ev);
}

static void
on_state_notify (GObject *object, GParamSpec *pspec, gpointer data)
{
  AmsPeer *peer = data;
  int state = 0;
  g_object_get (object, pspec->name, &state, NULL);
  if (g_str_equal (pspec->name, "ice-connection-state"))
    post_state (peer, AMS_PEER_STATE_ICE, state);
  else if (g_str_equal (pspec->name, "connection-state"))
    post_state (peer, AMS_PEER_STATE_CONNECTION, state);
  else if (g_str_equal (pspec->name, "ice-gathering-state"))
    post_state (peer, AMS_PEER_STATE_GATHERING, state);
  else if (g_str_equal (pspec->name, "state"))
    post_state (peer, AMS_PEER_STATE_DTLS, state);
}

/* DTLS state lives on the transport of the (bundled) first transceiver. */
static void
hook_dtls_transport (AmsPeer *peer)
{
  if (peer->dtls)
    return;
  GArray *transceivers = NULL;
  g_signal_emit_by_name (peer->webrtc, "get-transceivers", &transceivers);
  if (!transceivers)
    return;
  for (guint i = 0; i < transceivers->len && !peer->dtls; i++) {
    GstWebRTCRTPTransceiver *t = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
    GstWebRTCRTPSender *sender = NULL;
    GstWebRTCRTPReceiver *receiver = NULL;
    GstWebRTCDTLSTransport *dtls = NULL;
    g_object_get (t, "sender", &sender, "receiver", &receiver, NULL);
    if (sender)
      g_object_get (sender, "transport", &dtls, NULL);
    if (!dtls && receiver)
      g_object_get (receiver, "transport", &dtls, NULL);
    if (dtls) {
      peer->dtls = dtls;
      g_signal_connect (dtls, "notify::state", G_CALLBACK (on_state_notify), peer);
    }
    g_clear_object (&sender);
    g_clear_object (&receiver);
  }
  g_array_unref (transceivers);
}

static void apply_ice_servers (AmsPeer *peer);

static void
configure_ice (AmsPeer *peer)
{
  GstWebRTCICE *ice = NULL;
  g_object_get (peer->webrtc, "ice-agent", &ice, NULL);
  if (!ice)
    return;
  GObject *agent = NULL;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent) {
    /* UPnP sends SSDP multicast on every interface and delays gathering by
     * its 200 ms timeout: never wanted. */
    g_object_set (agent, "upnp", FALSE, "stun-pacing-timer",
                  peer->opts.stun_pacing_ms ? peer->opts.stun_pacing_ms : DEFAULT_STUN_PACING_MS,
                  NULL);
    g_object_unref (agent);
  }
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp"))
    g_object_set (ice, "ice-tcp", peer->opts.ice_tcp, NULL);
  if (peer->opts.local_address && *peer->opts.local_address) {
    g_auto (GStrv) addrs = g_strsplit (peer->opts.local_address, ",", -1);
    for (char **a = addrs; *a; a++) {
      gboolean ok = FALSE;
      g_signal_emit_by_name (ice, "add-local-ip-address", g_strstrip (*a), &ok);
    }
  }
  gst_object_unref (ice);
  apply_ice_servers (peer);
}

static void
apply_ice_servers (AmsPeer *peer)
{
  for (char **s = peer->ice_servers; s && *s; s++) {
    /* webrtcbin wants "stun://host:port"; WebRTC configs say "stun:host:port". */
    const char *uri = *s;
    g_autofree char *fixed = NULL;
    if (!strstr (uri, "://")) {
      const char *colon = strchr (uri, ':');
      if (!colon)
        continue;
      fixed = g_strdup_printf ("%.*s://%s", (int) (colon - uri), uri, colon + 1);
      uri = fixed;
    }
    if (g_str_has_prefix (uri, "stun")) {
      g_object_set (peer->webrtc, "stun-server", uri, NULL);
    } else if (g_str_has_prefix (uri, "turn")) {
      gboolean ok = FALSE;
      g_signal_emit_by_name (peer->webrtc, "add-turn-server", uri, &ok);
    }
  }
}

/* ------------------------------------------------------------ negotiation */

static void
on_local_description_set (GstPromise *promise, gpointer data)
{
  (void) data;
  gst_promise_unref (promise);
}

static void
apply_local_description (AmsPeer *peer, GstWebRTCSessionDescription *desc)
{
  g_autofree char *text = gst_sdp_message_as_text (desc->sdp);
  g_mutex_lock (&peer->lock);
  g_free (peer->local_sdp);
  peer->local_sdp = g_strdup (text);
  g_mutex_unlock (&peer->lock);
  /* Posted first so that the description reaches the remote side before
   * any of the candidates gathered once it is set. */
  PeerEvent *ev = event_new (peer, EV_LOCAL_DESCRIPTION);
  ev->s1 = g_strdup (gst_webrtc_sdp_type_to_string (desc->type));
  ev->s2 = g_steal_pointer (&text);
  event_post (ev);

  GstPromise *promise = gst_promise_new_with_change_func (on_local_description_set, NULL, NULL);
  g_signal_emit_by_name (peer->webrtc, "set-local-description", desc, promise);
}

/* Streaming thread: the reply of create-offer/create-answer. */
static void
on_description_created (GstPromise *promise, gpointer data)
{
  AmsPeer *peer = data;
  GstWebRTCSessionDescription *desc = NULL;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "offer"))
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  else if (reply && gst_structure_has_field (reply, "answer"))
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  if (!desc) {
    GError *e = NULL;
    if (reply && gst_structure_has_field (reply, "error"))
      gst_structure_get (reply, "error", G_TYPE_ERROR, &e, NULL);
    post_error (peer, AMS_ERROR_NEGOTIATION, "cannot create the SDP: %s",
                e ? e->message : "no description");
    g_clear_error (&e);
  } else if (!peer->disposed) {
    apply_local_description (peer, desc);
  }
  g_clear_pointer (&desc, gst_webrtc_session_description_free);
  gst_promise_unref (promise);
}

gboolean
ams_peer_create_offer (AmsPeer *peer, GError **error)
{
  g_return_val_if_fail (peer, FALSE);
  if (!build_send_media (peer, error) || !create_data_channel (peer, error))
    return FALSE;
  if (peer->opts.role == AMS_PEER_RECEIVE && !peer->opts.external_bin) {
    /* A receive-only offerer declares what it can take. */
    GArray *transceivers = NULL;
    g_signal_emit_by_name (peer->webrtc, "get-transceivers", &transceivers);
    gboolean none = !transceivers || transceivers->len == 0;
    g_clear_pointer (&transceivers, g_array_unref);
    if (none) {
      GstWebRTCRTPTransceiver *t = NULL;
      if (peer->opts.video) {
        g_autoptr (GstCaps) caps = gst_caps_from_string (
            "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000;"
            "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
            "packetization-mode=(string)1,profile-level-id=(string)42e01f");
        g_signal_emit_by_name (peer->webrtc, "add-transceiver",
                               GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &t);
        g_clear_object (&t);
      }
      if (peer->opts.audio) {
        g_autoptr (GstCaps) caps = gst_caps_from_string (
            "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000");
        g_signal_emit_by_name (peer->webrtc, "add-transceiver",
                               GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &t);
        g_clear_object (&t);
      }
    }
  }
  GstPromise *promise = gst_promise_new_with_change_func (on_description_created, peer_ref (peer),
                                                          (GDestroyNotify) peer_unref);
  g_signal_emit_by_name (peer->webrtc, "create-offer", NULL, promise);
  return TRUE;
}

static void
create_answer (AmsPeer *peer)
{
  GstPromise *promise = gst_promise_new_with_change_func (on_description_created, peer_ref (peer),
                                                          (GDestroyNotify) peer_unref);
  g_signal_emit_by_name (peer->webrtc, "create-answer", NULL, promise);
}

typedef struct {
  AmsPeer *peer;
  char    *type;
} RemoteSet;

static void
remote_set_free (RemoteSet *r)
{
  peer_unref (r->peer);
  g_free (r->type);
  g_free (r);
}

static void
on_remote_description_set (GstPromise *promise, gpointer data)
{
  RemoteSet *r = data;
  PeerEvent *ev = event_new (r->peer, EV_REMOTE_SET);
  ev->s1 = g_strdup (r->type);
  const GstStructure *reply = gst_promise_get_reply (promise);
  GError *e = NULL;
  if (reply && gst_structure_has_field (reply, "error"))
    gst_structure_get (reply, "error", G_TYPE_ERROR, &e, NULL);
  if (e) {
    ev->error = g_error_new (AMS_ERROR, AMS_ERROR_NEGOTIATION,
                             "cannot apply the remote %s: %s", r->type, e->message);
    g_error_free (e);
  }
  event_post (ev);
  gst_promise_unref (promise);
}

gboolean
ams_peer_set_remote_description (AmsPeer *peer, const char *type, const char *sdp, GError **error)
{
  g_return_val_if_fail (peer, FALSE);
  GstWebRTCSDPType sdp_type;
  if (g_strcmp0 (type, "offer") == 0)
    sdp_type = GST_WEBRTC_SDP_TYPE_OFFER;
  else if (g_strcmp0 (type, "answer") == 0)
    sdp_type = GST_WEBRTC_SDP_TYPE_ANSWER;
  else {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "unknown SDP type \"%s\"",
                 type ? type : "(null)");
    return FALSE;
  }
  GstSDPMessage *msg = NULL;
  if (!sdp || ams_sdp_count_media (sdp) == 0 ||
      gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK) {
    if (msg)
      gst_sdp_message_free (msg);
    g_set_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION, "the remote %s is not valid SDP", type);
    return FALSE;
  }
  g_mutex_lock (&peer->lock);
  g_free (peer->remote_sdp);
  peer->remote_sdp = g_strdup (sdp);
  g_mutex_unlock (&peer->lock);

  if (sdp_type == GST_WEBRTC_SDP_TYPE_OFFER && (peer->opts.role & AMS_PEER_SEND) &&
      !peer->media_built && !peer->video_codec)
    peer->video_codec = codec_from_offer (sdp);
  if (sdp_type == GST_WEBRTC_SDP_TYPE_OFFER && !build_send_media (peer, error)) {
    gst_sdp_message_free (msg);
    return FALSE;
  }

  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new (sdp_type, msg);
  RemoteSet *r = g_new0 (RemoteSet, 1);
  r->peer = peer_ref (peer);
  r->type = g_strdup (type);
  GstPromise *promise = gst_promise_new_with_change_func (on_remote_description_set, r,
                                                          (GDestroyNotify) remote_set_free);
  g_signal_emit_by_name (peer->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

static gboolean
add_candidate_now (AmsPeer *peer, int label, const char *mid, const char *candidate,
                   GError **error)
{
  g_mutex_lock (&peer->lock);
  if (label < 0)
    label = ams_sdp_mid_to_index (peer->remote_sdp, mid);
  guint media = ams_sdp_count_media (peer->remote_sdp);
  g_mutex_unlock (&peer->lock);
  if (label >= (int) media) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "candidate for m-line %d, but the remote SDP has %u", label, media);
    return FALSE;
  }
  if (label < 0) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "candidate for unknown media (mid \"%s\")", mid ? mid : "(none)");
    return FALSE;
  }
  g_signal_emit_by_name (peer->webrtc, "add-ice-candidate", (guint) label, candidate);
  return TRUE;
}

gboolean
ams_peer_add_ice_candidate (AmsPeer *peer, int label, const char *mid, const char *candidate,
                            GError **error)
{
  g_return_val_if_fail (peer, FALSE);
  if (!candidate || !*candidate)
    return TRUE;   /* end-of-candidates */
  /* Accept "a=candidate:" as well; webrtcbin wants "candidate:". */
  if (g_str_has_prefix (candidate, "a="))
    candidate += 2;
  AmsIceCandidate parsed;
  if (!ams_ice_candidate_parse (candidate, &parsed, error))
    return FALSE;
  ams_ice_candidate_clear (&parsed);
  if (!ams_candidate_filter_accepts (&peer->opts.filter, candidate))
    return TRUE;

  g_mutex_lock (&peer->lock);
  gboolean ready = peer->remote_set;
  if (!ready) {
    PendingCandidate *c = g_new0 (PendingCandidate, 1);
    c->label = label;
    c->mid = g_strdup (mid);
    c->candidate = g_strdup (candidate);
    g_queue_push_tail (&peer->pending, c);
  }
  g_mutex_unlock (&peer->lock);
  return ready ? add_candidate_now (peer, label, mid, candidate, error) : TRUE;
}

static void
flush_pending_candidates (AmsPeer *peer)
{
  for (;;) {
    g_mutex_lock (&peer->lock);
    PendingCandidate *c = g_queue_pop_head (&peer->pending);
    g_mutex_unlock (&peer->lock);
    if (!c)
      break;
    g_autoptr (GError) error = NULL;
    if (!add_candidate_now (peer, c->label, c->mid, c->candidate, &error) && peer->cb.error)
      peer->cb.error (peer, error, peer->user_data);
    pending_candidate_free (c);
  }
}

/* ------------------------------------------------------------ stats */

static guint64
stat_u64 (const GstStructure *s, const char *name)
{
  const GValue *v = gst_structure_get_value (s, name);
  if (!v)
    return 0;
  switch (G_VALUE_TYPE (v)) {
    case G_TYPE_UINT64: return g_value_get_uint64 (v);
    case G_TYPE_INT64: return MAX (g_value_get_int64 (v), 0);
    case G_TYPE_UINT: return g_value_get_uint (v);
    case G_TYPE_INT: return MAX (g_value_get_int (v), 0);
    default: return 0;
  }
}

static gint64
stat_i64 (const GstStructure *s, const char *name)
{
  const GValue *v = gst_structure_get_value (s, name);
  if (!v)
    return 0;
  switch (G_VALUE_TYPE (v)) {
    case G_TYPE_INT64: return g_value_get_int64 (v);
    case G_TYPE_INT: return g_value_get_int (v);
    default: return (gint64) stat_u64 (s, name);
  }
}

static gboolean
collect_stat (GQuark field, const GValue *value, gpointer data)
{
  AmsPeerStats *st = data;
  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure (value);
  GstWebRTCStatsType type = 0;
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;
  double d;
  switch (type) {
    case GST_WEBRTC_STATS_INBOUND_RTP: {
      st->bytes_received += stat_u64 (s, "bytes-received");
      st->packets_received += stat_u64 (s, "packets-received");
      st->packets_lost += stat_i64 (s, "packets-lost");
      const char *kind = gst_structure_get_string (s, "kind");
      if (gst_structure_get_double (s, "jitter", &d) &&
          (st->jitter_ms == 0 || g_strcmp0 (kind, "video") == 0))
        st->jitter_ms = d * 1000.0;
      break;
    }
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
      st->bytes_sent += stat_u64 (s, "bytes-sent");
      st->packets_sent += stat_u64 (s, "packets-sent");
      break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP: {
      if (gst_structure_get_double (s, "round-trip-time", &d))
        st->rtt_ms = d * 1000.0;
      /* The receiver report itself, as rtpbin keeps it for the source. */
      const GValue *inner = gst_structure_get_value (s, "gst-rtpsource-stats");
      if (inner == NULL || !GST_VALUE_HOLDS_STRUCTURE (inner))
        break;
      const GstStructure *rb = gst_value_get_structure (inner);
      gboolean have_rb = FALSE;
      if (!gst_structure_get_boolean (rb, "have-rb", &have_rb) || !have_rb)
        break;
      st->have_receiver_reports = TRUE;
      st->rb_exthighestseq += stat_u64 (rb, "rb-exthighestseq");
      st->rb_lsr += stat_u64 (rb, "rb-lsr");
      st->rb_dlsr += stat_u64 (rb, "rb-dlsr");
      break;
    }
    default:
      break;
  }
  return TRUE;
}

/* The promise's change function (webrtcbin's thread): the figures go to
 * the context in an event of their own; the request itself stays with the
 * promise (stats_request_done). */
static void
on_stats (GstPromise *promise, gpointer data)
{
  PeerEvent *request = data;
  PeerEvent *ev = event_new (request->peer, EV_STATS);
  ev->stats_func = request->stats_func;
  ev->stats_data = request->stats_data;
  ev->counters_only = request->counters_only;
  /* Interrupted (webrtcbin going away): no reply to read, empty figures. */
  const GstStructure *reply = gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED
                                  ? gst_promise_get_reply (promise) : NULL;
  ev->stats.rtt_ms = -1;
  ev->stats.taken_us = g_get_monotonic_time ();
  if (reply)
    gst_structure_foreach (reply, collect_stat, &ev->stats);
  event_post (ev);
}

/* The promise is gone (any thread), replied or not: webrtcbin 1.22 drops a
 * request still queued when it shuts down without replying, so the request
 * is freed here, on the context (its peer reference may be the last). */
static void
stats_request_done (gpointer data)
{
  PeerEvent *request = data;
  request->kind = EV_RELEASE;
  event_post (request);
}

static void
finish_stats (PeerEvent *ev)
{
  AmsPeer *peer = ev->peer;
  AmsPeerStats *st = &ev->stats;
  gint64 now = g_get_monotonic_time ();
  st->frames_decoded = ams_peer_get_frames_decoded (peer);
  st->frames_sent = __atomic_load_n (&peer->frames_sent, __ATOMIC_RELAXED);
  st->audio_buffers = ams_peer_get_audio_buffers (peer);
  ams_peer_get_resolution (peer, &st->width, &st->height);
  if (ev->counters_only) {
    if (ev->stats_func)
      ev->stats_func (peer, st, ev->stats_data);
    return;
  }
  guint64 frames = st->frames_decoded ? st->frames_decoded : st->frames_sent;
  if (peer->prev_stats_time) {
    double secs = (now - peer->prev_stats_time) / 1e6;
    if (secs > 0) {
      st->bitrate_in_kbps = (st->bytes_received - MIN (st->bytes_received, peer->prev_bytes_in))
                            * 8.0 / 1000.0 / secs;
      st->bitrate_out_kbps = (st->bytes_sent - MIN (st->bytes_sent, peer->prev_bytes_out))
                             * 8.0 / 1000.0 / secs;
      st->fps = (frames - MIN (frames, peer->prev_frames)) / secs;
    }
  }
  peer->prev_stats_time = now;
  peer->prev_bytes_in = st->bytes_received;
  peer->prev_bytes_out = st->bytes_sent;
  peer->prev_frames = frames;
  if (ev->stats_func)
    ev->stats_func (peer, st, ev->stats_data);
}

static void
request_stats (AmsPeer *peer, gboolean counters_only, AmsPeerStatsFunc func, gpointer user_data)
{
  PeerEvent *ev = event_new (peer, EV_STATS);
  ev->stats_func = func;
  ev->stats_data = user_data;
  ev->counters_only = counters_only;
  GstPromise *promise = gst_promise_new_with_change_func (on_stats, ev, stats_request_done);
  g_signal_emit_by_name (peer->webrtc, "get-stats", NULL, promise);
  /* webrtcbin holds it while the request is pending. */
  gst_promise_unref (promise);
}

void
ams_peer_request_stats (AmsPeer *peer, AmsPeerStatsFunc func, gpointer user_data)
{
  g_return_if_fail (peer);
  request_stats (peer, FALSE, func, user_data);
}

void
ams_peer_request_counters (AmsPeer *peer, AmsPeerStatsFunc func, gpointer user_data)
{
  g_return_if_fail (peer);
  request_stats (peer, TRUE, func, user_data);
}

/* ------------------------------------------------------------ public */

void
ams_media_init (void)
{
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
}

/* rtpbin's "new-jitterbuffer": one per received SSRC, on a streaming thread.
 * @data is the packet count, not the peer: the rtpbin may outlive it. */
static void
on_new_jitterbuffer (GstElement *rtpbin, GstElement *jitterbuffer, guint session, guint ssrc,
                     gpointer data)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (jitterbuffer), "faststart-min-packets"))
    g_object_set (jitterbuffer, "faststart-min-packets", GPOINTER_TO_UINT (data), NULL);
}

static void
configure_fast_start (AmsPeer *peer)
{
  gint packets = peer->opts.fast_start_packets;
  if (packets < 0)
    return;
  GstElement *rtpbin = gst_bin_get_by_name (GST_BIN (peer->webrtc), "rtpbin");
  if (rtpbin == NULL)
    return;
  g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer),
                    GUINT_TO_POINTER (packets ? (guint) packets : DEFAULT_FAST_START_PACKETS));
  gst_object_unref (rtpbin);
}

static gpointer
prewarm_key_thread (gpointer data)
{
  /* The first dtlssrtpdec generates the process's DTLS key and certificate
   * (or takes the key from the cache, ams_media_set_dtls_key_cache()). */
  ams_dtls_key_make_process_key ();
  return NULL;
}

static gpointer
prewarm_plugins_thread (gpointer data)
{
  /* Loading webrtcbin's plugin and libnice (with their libraries) takes
   * 50-250 ms; done here, it is not paid on the main loop between the
   * remote offer and our answer. A thread of its own: behind the key it
   * would come too late. Every process with a peer loads them anyway. */
  static const char *const names[] = { "webrtcbin", "nicesrc", "nicesink" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GstPluginFeature *feature = GST_PLUGIN_FEATURE (gst_element_factory_find (names[i]));
    if (feature == NULL)
      continue;
    GstPluginFeature *loaded = gst_plugin_feature_load (feature);
    if (loaded)
      gst_object_unref (loaded);
    gst_object_unref (feature);
  }
  return NULL;
}

static GThread *prewarm_threads[2];

/* A process that exits while the key is being generated (a play refused at
 * once, a server stopped right after its start) ran OpenSSL's atexit cleanup
 * under the prewarm thread, which then crashed on a freed lock (SIGSEGV,
 * seen with AddressSanitizer and in plain builds).  This handler, registered
 * after OpenSSL's own, runs before it and waits for the threads. */
static void
prewarm_join_at_exit (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (prewarm_threads); i++)
    if (prewarm_threads[i])
      g_thread_join (g_steal_pointer (&prewarm_threads[i]));
}

void
ams_media_prewarm (void)
{
  static gsize once = 0;
  ams_media_init ();
  if (g_once_init_enter (&once)) {
    /* OpenSSL registers its exit cleanup now, before ours (see above). */
    OPENSSL_init_ssl (0, NULL);
    atexit (prewarm_join_at_exit);
    prewarm_threads[0] = g_thread_try_new ("ams-dtls-prewarm", prewarm_key_thread, NULL, NULL);
    prewarm_threads[1] = g_thread_try_new ("ams-plugin-prewarm", prewarm_plugins_thread, NULL,
                                           NULL);
    g_once_init_leave (&once, 1);
  }
}

void
ams_peer_options_init (AmsPeerOptions *options)
{
  memset (options, 0, sizeof *options);
  options->role = AMS_PEER_SEND;
  options->video = TRUE;
  options->audio = TRUE;
  options->latency_ms = -1;
}

static const char *
keep (AmsPeer *peer, const char *s)
{
  if (!s)
    return NULL;
  char *copy = g_strdup (s);
  g_ptr_array_add (peer->owned_strings, copy);
  return copy;
}

AmsPeer *
ams_peer_new (const AmsPeerOptions *options, GMainContext *context,
              const AmsPeerCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail (options, NULL);
  ams_media_init ();
  if (!require_element ("webrtcbin", error) || !require_element ("nicesrc", error) ||
      !require_element ("dtlssrtpdec", error))
    return NULL;
  /* With the DTLS key cache on, the prewarm thread must make the process's
   * key (the cache serves that thread only), not our transports below. */
  if (prewarm_threads[0])
    ams_dtls_key_wait_for_prewarm (5 * G_TIME_SPAN_SECOND);
  if (!(options->role & AMS_PEER_BOTH)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no peer role");
    return NULL;
  }
  if ((options->role & AMS_PEER_RECEIVE) && options->record_path && *options->record_path &&
      !g_str_has_suffix (options->record_path, ".mkv") &&
      !g_str_has_suffix (options->record_path, ".webm") &&
      !g_str_has_suffix (options->record_path, ".mp4")) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "cannot record to \"%s\": use .mkv, .webm or .mp4", options->record_path);
    return NULL;
  }

  AmsPeer *peer = g_new0 (AmsPeer, 1);
  g_atomic_ref_count_init (&peer->ref);
  g_mutex_init (&peer->lock);
  g_cond_init (&peer->record_cond);
  g_queue_init (&peer->pending);
  peer->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  if (callbacks)
    peer->cb = *callbacks;
  peer->user_data = user_data;
  peer->owned_strings = g_ptr_array_new_with_free_func (g_free);

  peer->opts = *options;
  AmsPeerOptions *o = &peer->opts;
  o->video_source = keep (peer, o->video_source);
  o->audio_source = keep (peer, o->audio_source);
  o->file_uri = keep (peer, o->file_uri);
  o->video_codec = keep (peer, o->video_codec);
  o->video_sink = keep (peer, o->video_sink);
  o->audio_sink = keep (peer, o->audio_sink);
  o->record_path = keep (peer, o->record_path);
  o->data_channel_label = keep (peer, o->data_channel_label);
  o->local_address = keep (peer, o->local_address);
  peer->ice_servers = g_strdupv ((char **) o->ice_servers);
  o->ice_servers = (const char * const *) peer->ice_servers;
  peer->filter_address = g_strdup (o->filter.address);
  o->filter.address = peer->filter_address;
  if (o->video_codec && *o->video_codec)
    peer->video_codec = g_ascii_strdown (o->video_codec, -1);
  if (!(o->file_uri && *o->file_uri))
    o->file_passthrough = FALSE;
  if (o->file_passthrough)
    o->audio = FALSE;   /* the file's VP8 video only */

  peer->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  gst_object_ref_sink (peer->webrtc);
  g_object_set (peer->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", o->latency_ms >= 0 ? (guint) o->latency_ms : DEFAULT_LATENCY_MS, NULL);
  configure_ice (peer);
  configure_fast_start (peer);
  g_signal_connect (peer->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), peer);
  g_signal_connect (peer->webrtc, "notify::ice-connection-state", G_CALLBACK (on_state_notify), peer);
  g_signal_connect (peer->webrtc, "notify::connection-state", G_CALLBACK (on_state_notify), peer);
  g_signal_connect (peer->webrtc, "notify::ice-gathering-state", G_CALLBACK (on_state_notify), peer);
  g_signal_connect (peer->webrtc, "pad-added", G_CALLBACK (on_pad_added), peer);
  g_signal_connect (peer->webrtc, "on-data-channel", G_CALLBACK (on_data_channel), peer);

  if (o->external_bin) {
    peer->bin = gst_object_ref (o->external_bin);
    gst_bin_add (peer->bin, peer->webrtc);
    gst_element_sync_state_with_parent (peer->webrtc);
    return peer;
  }

  peer->pipeline = gst_pipeline_new (NULL);
  gst_object_ref_sink (peer->pipeline);
  peer->bin = GST_BIN (gst_object_ref (peer->pipeline));
  gst_bin_add (peer->bin, peer->webrtc);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (peer->pipeline));
  peer->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (peer->bus_source, (GSourceFunc) (GCallback) bus_watch, peer, NULL);
  g_source_attach (peer->bus_source, peer->context);
  gst_object_unref (bus);

  /* With a fixed codec (or nothing to negotiate) media is built at once;
   * otherwise the remote offer or create_offer picks it. */
  if (peer->video_codec || !o->video) {
    if (!build_send_media (peer, error)) {
      ams_peer_free (peer);
      return NULL;
    }
  }
  if (gst_element_set_state (peer->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "the pipeline cannot start");
    ams_peer_free (peer);
    return NULL;
  }
  /* webrtcbin's live sources make this change synchronous (no preroll). */
  start_held_media (peer);
  return peer;
}

void
ams_peer_add_ice_servers (AmsPeer *peer, const char *const *servers)
{
  g_return_if_fail (peer);
  if (servers == NULL || servers[0] == NULL)
    return;
  g_strfreev (peer->ice_servers);
  peer->ice_servers = g_strdupv ((char **) servers);
  peer->opts.ice_servers = (const char *const *) peer->ice_servers;
  apply_ice_servers (peer);
}

void
ams_peer_stop (AmsPeer *peer)
{
  if (!peer)
    return;
  g_mutex_lock (&peer->lock);
  if (peer->stopped) {
    g_mutex_unlock (&peer->lock);
    return;
  }
  peer->stopped = TRUE;
  GstPad *inputs[2] = { NULL, NULL };
  gboolean recording = peer->mux != NULL;
  for (int k = 0; k < 2; k++) {
    if (!peer->record_pads[k])
      continue;
    /* Through the depay chain when it exists, so queued data is written. */
    inputs[k] = gst_object_ref (peer->record_inputs[k] ? peer->record_inputs[k]
                                                        : peer->record_pads[k]);
  }
  g_mutex_unlock (&peer->lock);
  if (!recording)
    return;

  for (int k = 0; k < 2; k++) {
    if (inputs[k]) {
      gst_pad_send_event (inputs[k], gst_event_new_eos ());
      gst_object_unref (inputs[k]);
    }
  }
  gint64 deadline = g_get_monotonic_time () + RECORD_EOS_TIMEOUT_US;
  g_mutex_lock (&peer->lock);
  while (!peer->record_eos)
    if (!g_cond_wait_until (&peer->record_cond, &peer->lock, deadline))
      break;
  gboolean done = peer->record_eos;
  g_mutex_unlock (&peer->lock);
  if (done) {
    PeerEvent *ev = event_new (peer, EV_RECORDING_DONE);
    ev->s1 = g_strdup (peer->opts.record_path);
    event_post (ev);
  } else {
    post_error (peer, AMS_ERROR_MEDIA, "the recording %s was not finalised in time",
                peer->opts.record_path);
  }
}

void
ams_peer_free (AmsPeer *peer)
{
  if (!peer)
    return;
  ams_peer_stop (peer);
  peer->disposed = TRUE;
  g_signal_handlers_disconnect_by_data (peer->webrtc, peer);
  g_mutex_lock (&peer->lock);
  GstWebRTCDataChannel *channel = peer->channel ? g_object_ref (peer->channel) : NULL;
  g_mutex_unlock (&peer->lock);
  if (channel) {
    g_signal_handlers_disconnect_by_data (channel, peer);
    g_object_unref (channel);
  }
  if (peer->dtls)
    g_signal_handlers_disconnect_by_data (peer->dtls, peer);
  if (peer->pipeline) {
    gst_element_set_state (peer->pipeline, GST_STATE_NULL);
  } else {
    gst_element_set_state (peer->webrtc, GST_STATE_NULL);
    gst_bin_remove (peer->bin, peer->webrtc);
  }
  if (peer->bus_source) {
    g_source_destroy (peer->bus_source);
    g_source_unref (peer->bus_source);
    peer->bus_source = NULL;
  }
  peer->mux = peer->filesink = NULL;   /* owned by the pipeline */
  g_clear_object (&peer->held_media);   /* never started: already NULL */
  for (int k = 0; k < 2; k++) {
    if (peer->record_pads[k])
      gst_object_unref (peer->record_pads[k]);
    if (peer->record_inputs[k])
      gst_object_unref (peer->record_inputs[k]);
  }
  peer_unref (peer);
}

guint64
ams_peer_get_frames_decoded (AmsPeer *peer)
{
  return __atomic_load_n (&peer->frames_decoded, __ATOMIC_RELAXED);
}

guint64
ams_peer_get_audio_buffers (AmsPeer *peer)
{
  return __atomic_load_n (&peer->audio_buffers, __ATOMIC_RELAXED);
}

void
ams_peer_get_resolution (AmsPeer *peer, guint *width, guint *height)
{
  g_mutex_lock (&peer->lock);
  if (width)
    *width = peer->width;
  if (height)
    *height = peer->height;
  g_mutex_unlock (&peer->lock);
}

int
ams_peer_get_connection_state (AmsPeer *peer)
{
  return peer->connection_state;
}

gboolean
ams_peer_error_in_transport (AmsPeer *peer)
{
  g_return_val_if_fail (peer, FALSE);
  return peer->transport_error;
}

GstElement *
ams_peer_get_webrtcbin (AmsPeer *peer)
{
  return peer->webrtc;
}

const char *
ams_peer_get_remote_sdp (AmsPeer *peer)
{
  return peer->remote_sdp;
}

const char *
ams_peer_get_local_sdp (AmsPeer *peer)
{
  return peer->local_sdp;
}
