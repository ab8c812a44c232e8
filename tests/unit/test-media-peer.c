/* test-media-peer.c: two AmsPeers in one process, signalling passed
 * in-process, media over loopback ICE only. Frames are really decoded and
 * counted; the recording is checked with GstDiscoverer. */
#define GST_USE_UNSTABLE_API
#include "media/ams-peer.h"

#include <gst/pbutils/pbutils.h>
#include <gst/webrtc/webrtc.h>
#include <glib/gstdio.h>
#include <string.h>

/* Under valgrind (make valgrind sets AMS_VALGRIND) everything runs ~30x slower.
 * SLOW divides the rate floors; the waits get twice that (a pair took over
 * 160 s to 60 frames under valgrind at load average 40), sanitisers 4x. */
#define SLOW (g_getenv ("AMS_VALGRIND") ? 8 : 1)
#define WAIT_SLOW (g_getenv ("AMS_VALGRIND") ? 16 : g_getenv ("SANITIZE") && *g_getenv ("SANITIZE") ? 4 : 1)
#define TIMEOUT_S (20 * WAIT_SLOW)

typedef struct {
  AmsPeer  *sender, *receiver;
  guint64   frames;
  guint     width, height;
  gint64    created_us, first_frame_us;
  GPtrArray *errors;            /* GError messages seen */
  GPtrArray *sender_msgs, *receiver_msgs;  /* "t:text" / "b:hex" */
  gboolean  sender_open, receiver_open;
  gboolean  recording_done;
  guint64   sender_frames;        /* p2p: what the offerer decodes */
  guint     sender_width, sender_height;
  int       receiver_states[4];   /* last state per AmsPeerStateKind */
  guint     dtls_connected;       /* DTLS "connected" reports, both peers */
} Pair;

static void
on_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  Pair *p = data;
  AmsPeer *other = peer == p->sender ? p->receiver : p->sender;
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_peer_set_remote_description (other, type, sdp, &error));
  g_assert_no_error (error);
}

static void
on_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                    gpointer data)
{
  Pair *p = data;
  AmsPeer *other = peer == p->sender ? p->receiver : p->sender;
  /* Loopback only, as the filter demands. */
  g_assert_nonnull (strstr (candidate, " 127.0.0.1 "));
  g_assert_nonnull (mid);
  g_autoptr (GError) error = NULL;
  /* Exercise the mid fallback on odd labels. */
  g_assert_true (ams_peer_add_ice_candidate (other, label % 2 ? -1 : (int) label, mid, candidate,
                                             &error));
  g_assert_no_error (error);
}

static void
on_state (AmsPeer *peer, AmsPeerStateKind kind, int state, gpointer data)
{
  Pair *p = data;
  if (kind == AMS_PEER_STATE_DTLS && state == GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED)
    p->dtls_connected++;
  if (peer == p->receiver)
    p->receiver_states[kind] = state;
}

static void
on_error (AmsPeer *peer, const GError *error, gpointer data)
{
  Pair *p = data;
  g_test_message ("peer error: %s", error->message);
  g_ptr_array_add (p->errors, g_strdup (error->message));
}

static void
on_video_frame (AmsPeer *peer, guint64 frames, guint width, guint height, gpointer data)
{
  Pair *p = data;
  if (peer != p->receiver) {
    p->sender_frames = frames;
    p->sender_width = width;
    p->sender_height = height;
    return;
  }
  if (!p->first_frame_us)
    p->first_frame_us = g_get_monotonic_time ();
  p->frames = frames;
  p->width = width;
  p->height = height;
}

static void
on_channel_open (AmsPeer *peer, const char *label, gpointer data)
{
  Pair *p = data;
  g_assert_cmpstr (label, ==, "stream1");
  if (peer == p->sender)
    p->sender_open = TRUE;
  else
    p->receiver_open = TRUE;
}

static void
on_message (AmsPeer *peer, GBytes *bytes, gboolean binary, gpointer data)
{
  Pair *p = data;
  gsize size;
  const guint8 *d = g_bytes_get_data (bytes, &size);
  char *entry;
  if (binary) {
    GString *hex = g_string_new ("b:");
    for (gsize i = 0; i < size; i++)
      g_string_append_printf (hex, "%02x", d[i]);
    entry = g_string_free (hex, FALSE);
  } else {
    entry = g_strdup_printf ("t:%s", (const char *) d);
  }
  g_ptr_array_add (peer == p->sender ? p->sender_msgs : p->receiver_msgs, entry);
}

static void
on_recording_done (AmsPeer *peer, const char *path, gpointer data)
{
  ((Pair *) data)->recording_done = TRUE;
}

static const AmsPeerCallbacks callbacks = {
  .local_description = on_local_description,
  .local_candidate = on_local_candidate,
  .state_changed = on_state,
  .error = on_error,
  .video_frame = on_video_frame,
  .data_channel_open = on_channel_open,
  .data_message = on_message,
  .recording_done = on_recording_done,
};

static void
loopback_options (AmsPeerOptions *o, AmsPeerRole role)
{
  ams_peer_options_init (o);
  o->role = role;
  o->local_address = "127.0.0.1";
  o->filter.address = "127.0.0.1";
  o->video_sink = "fakesink";
  o->audio_sink = "fakesink";
}

static void
pair_init (Pair *p)
{
  memset (p, 0, sizeof *p);
  p->errors = g_ptr_array_new_with_free_func (g_free);
  p->sender_msgs = g_ptr_array_new_with_free_func (g_free);
  p->receiver_msgs = g_ptr_array_new_with_free_func (g_free);
}

static void
pair_clear (Pair *p)
{
  g_clear_pointer (&p->sender, ams_peer_free);
  g_clear_pointer (&p->receiver, ams_peer_free);
  /* Drop events posted while stopping. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (p->errors);
  g_ptr_array_unref (p->sender_msgs);
  g_ptr_array_unref (p->receiver_msgs);
}

typedef gboolean (*Condition) (Pair *p);

/* Iterates the default context until @done or the timeout. */
static gboolean
run_until (Pair *p, Condition done, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  while (!done (p) && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
  return done (p);
}

static gboolean
enough_media (Pair *p)
{
  return p->frames >= 60 && ams_peer_get_audio_buffers (p->receiver) > 0;
}

static void
start_pair (Pair *p, const AmsPeerOptions *send, const AmsPeerOptions *recv)
{
  g_autoptr (GError) error = NULL;
  p->created_us = g_get_monotonic_time ();
  p->sender = ams_peer_new (send, NULL, &callbacks, p, &error);
  g_assert_no_error (error);
  p->receiver = ams_peer_new (recv, NULL, &callbacks, p, &error);
  g_assert_no_error (error);
  g_assert_true (ams_peer_create_offer (p->sender, &error));
  g_assert_no_error (error);
}

static void
check_codec (const char *codec, guint width, guint height)
{
  Pair p;
  pair_init (&p);
  AmsPeerOptions send, recv;
  loopback_options (&send, AMS_PEER_SEND);
  send.video_codec = codec;
  send.width = width;
  send.height = height;
  loopback_options (&recv, AMS_PEER_RECEIVE);
  start_pair (&p, &send, &recv);

  g_assert_true (run_until (&p, enough_media, TIMEOUT_S));
  g_assert_cmpuint (p.errors->len, ==, 0);
  g_assert_cmpuint (p.width, ==, width);
  g_assert_cmpuint (p.height, ==, height);
  g_assert_cmpint (ams_peer_get_connection_state (p.receiver), ==,
                   GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED);
  g_assert_cmpint (p.receiver_states[AMS_PEER_STATE_CONNECTION], ==,
                   GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED);
  g_assert_true (p.receiver_states[AMS_PEER_STATE_ICE] == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
                 p.receiver_states[AMS_PEER_STATE_ICE] == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED);
  g_assert_cmpint (p.receiver_states[AMS_PEER_STATE_GATHERING], ==,
                   GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE);
  g_assert_cmpuint (p.dtls_connected, ==, 2);   /* one bundled transport per peer */
  g_test_message ("%s: %" G_GUINT64_FORMAT " frames %ux%u, first frame %.0f ms after creation",
                  codec, p.frames, p.width, p.height, (p.first_frame_us - p.created_us) / 1000.0);

  /* The remote SDP the receiver got names the codec we chose. */
  const char *sdp = ams_peer_get_remote_sdp (p.receiver);
  g_assert_nonnull (strstr (sdp, g_str_equal (codec, "h264") ? "H264/90000" : "VP8/90000"));
  pair_clear (&p);
}

static void
test_vp8 (void)
{
  check_codec ("vp8", 320, 240);
}

static void
test_h264 (void)
{
  check_codec ("h264", 352, 288);
}

static void
collect_stats (AmsPeer *peer, const AmsPeerStats *stats, gpointer data)
{
  *(AmsPeerStats *) data = *stats;
}

static gboolean
stats_ready (Pair *p)
{
  return FALSE;
}

static void
test_stats (void)
{
  Pair p;
  pair_init (&p);
  AmsPeerOptions send, recv;
  loopback_options (&send, AMS_PEER_SEND);
  send.width = 320;
  send.height = 240;
  loopback_options (&recv, AMS_PEER_RECEIVE);
  start_pair (&p, &send, &recv);
  g_assert_true (run_until (&p, enough_media, TIMEOUT_S));

  AmsPeerStats in = { 0 }, out = { 0 };
  ams_peer_request_stats (p.receiver, collect_stats, &in);
  ams_peer_request_stats (p.sender, collect_stats, &out);
  run_until (&p, stats_ready, 1);
  /* A second sample a second later; under valgrind the receiver's counters
   * may not have moved yet then: sampled again, a second apart, for at most
   * TIMEOUT_S.  The bytes must grow. */
  AmsPeerStats in2 = { 0 }, out2 = { 0 };
  for (guint i = 0; i < TIMEOUT_S && in2.bytes_received <= in.bytes_received; i++) {
    ams_peer_request_stats (p.receiver, collect_stats, &in2);
    ams_peer_request_stats (p.sender, collect_stats, &out2);
    run_until (&p, stats_ready, 1);
  }
  g_test_message ("receiver: %.0f kbit/s in, %" G_GUINT64_FORMAT " packets, lost %" G_GINT64_FORMAT
                  ", jitter %.1f ms, %.1f fps, %ux%u; sender: %.0f kbit/s out, rtt %.1f ms, "
                  "%" G_GUINT64_FORMAT " frames sent",
                  in2.bitrate_in_kbps, in2.packets_received, in2.packets_lost, in2.jitter_ms,
                  in2.fps, in2.width, in2.height, out2.bitrate_out_kbps, out2.rtt_ms,
                  out2.frames_sent);
  g_test_message ("frames %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT ", bytes %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, in.frames_decoded, in2.frames_decoded, in.bytes_received, in2.bytes_received);
  g_assert_cmpuint (in.bytes_received, >, 0);
  g_assert_cmpuint (in2.bytes_received, >, in.bytes_received);
  g_assert_cmpfloat (in2.bitrate_in_kbps, >, 50.0 / SLOW);
  g_assert_cmpfloat (out2.bitrate_out_kbps, >, 50.0 / SLOW);
  g_assert_cmpuint (in2.frames_decoded, >=, 60);
  g_assert_cmpfloat (in2.fps, >, 5.0 / SLOW);   /* 30 fps sent; low floor: shared CI cores */
  g_assert_cmpuint (out2.frames_sent, >=, 60);
  g_assert_cmpuint (in2.width, ==, 320);
  pair_clear (&p);
}

/* One counters reply, and whether it came. */
typedef struct {
  AmsPeerStats stats;
  gboolean     got;
} Counters;

static void
collect_counters (AmsPeer *peer, const AmsPeerStats *stats, gpointer data)
{
  Counters *c = data;
  c->stats = *stats;
  c->got = TRUE;
}

/* The sender's counters until @done says so or @seconds pass (a reply
 * every 200 ms): the last reply. */
static AmsPeerStats
sender_counters_until (Pair *p, gboolean (*done) (const AmsPeerStats *s, gconstpointer data),
                       gconstpointer data, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  Counters c = { 0 };
  do {
    c.got = FALSE;
    ams_peer_request_counters (p->sender, collect_counters, &c);
    gint64 next = g_get_monotonic_time () + 200 * 1000;
    while ((!c.got || g_get_monotonic_time () < next) && g_get_monotonic_time () < deadline)
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
  } while (c.got && !done (&c.stats, data) && g_get_monotonic_time () < deadline);
  return c.stats;
}

static gboolean
has_report (const AmsPeerStats *s, gconstpointer data)
{
  return s->have_receiver_reports;
}

static gboolean
report_changed (const AmsPeerStats *s, gconstpointer data)
{
  const AmsPeerStats *first = data;
  return s->rb_exthighestseq + s->rb_lsr + s->rb_dlsr !=
         first->rb_exthighestseq + first->rb_lsr + first->rb_dlsr;
}

/* The sender's stats carry the receiver's RTCP reports about its RTP (what
 * the stall watchdog reads), and a new report changes them. */
static void
test_receiver_reports (void)
{
  Pair p;
  pair_init (&p);
  AmsPeerOptions send, recv;
  loopback_options (&send, AMS_PEER_SEND);
  send.width = 320;
  send.height = 240;
  loopback_options (&recv, AMS_PEER_RECEIVE);
  start_pair (&p, &send, &recv);
  g_assert_true (run_until (&p, enough_media, TIMEOUT_S));

  /* RTCP every 5 s, randomised to 2.5-7.5 s (RFC 3550): bounded at 20 s. */
  AmsPeerStats first = sender_counters_until (&p, has_report, NULL, 20 * WAIT_SLOW);
  g_assert_true (first.have_receiver_reports);
  g_assert_cmpuint (first.rb_exthighestseq, >, 0);
  g_assert_cmpuint (first.packets_sent, >, 0);
  /* Counters only: no rates. */
  g_assert_cmpfloat (first.bitrate_out_kbps, ==, 0.0);
  g_assert_cmpfloat (first.fps, ==, 0.0);
  AmsPeerStats next = sender_counters_until (&p, report_changed, &first, 20 * WAIT_SLOW);
  g_test_message ("reports: extended highest seq %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                  ", lsr %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT,
                  first.rb_exthighestseq, next.rb_exthighestseq, first.rb_lsr, next.rb_lsr);
  g_assert_true (report_changed (&next, &first));
  /* Later packets were received: the sequence number only grows. */
  g_assert_cmpuint (next.rb_exthighestseq, >, first.rb_exthighestseq);

  /* The receiver sends nothing: nobody reports to it. */
  Counters in = { 0 };
  ams_peer_request_counters (p.receiver, collect_counters, &in);
  gint64 deadline = g_get_monotonic_time () + 5 * SLOW * G_TIME_SPAN_SECOND;
  while (!in.got && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_true (in.got);
  g_assert_false (in.stats.have_receiver_reports);
  g_assert_cmpuint (in.stats.packets_received, >, 0);
  pair_clear (&p);
}

static gboolean
channels_open (Pair *p)
{
  return p->sender_open && p->receiver_open;
}

static gboolean
messages_one_each (Pair *p)
{
  return p->sender_msgs->len >= 1 && p->receiver_msgs->len >= 1;
}

static gboolean
messages_in (Pair *p)
{
  return p->sender_msgs->len >= 2 && p->receiver_msgs->len >= 2;
}

static void
test_data_channel (void)
{
  Pair p;
  pair_init (&p);
  AmsPeerOptions send, recv;
  loopback_options (&send, AMS_PEER_SEND);
  send.video = send.audio = FALSE;
  send.data_channel = TRUE;
  send.data_channel_label = "stream1";
  loopback_options (&recv, AMS_PEER_RECEIVE);
  recv.video = recv.audio = FALSE;

  g_autoptr (GError) error = NULL;
  p.sender = ams_peer_new (&send, NULL, &callbacks, &p, &error);
  g_assert_no_error (error);
  /* Not open yet: a clear error, no crash. */
  g_assert_false (ams_peer_send_text (p.sender, "early", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  p.receiver = ams_peer_new (&recv, NULL, &callbacks, &p, &error);
  g_assert_no_error (error);
  g_assert_true (ams_peer_create_offer (p.sender, &error));
  g_assert_true (run_until (&p, channels_open, TIMEOUT_S));

  static const guint8 bin1[] = { 0x00, 0xff, 0x10 };
  static const guint8 bin2[] = { 0xde, 0xad };
  g_autoptr (GBytes) b1 = g_bytes_new_static (bin1, sizeof bin1);
  g_autoptr (GBytes) b2 = g_bytes_new_static (bin2, sizeof bin2);
  g_assert_true (ams_peer_send_text (p.sender, "hello player", &error));
  g_assert_true (ams_peer_send_data (p.sender, b1, &error));
  g_assert_true (ams_peer_send_text (p.receiver, "hello publisher", &error));
  g_assert_true (ams_peer_send_data (p.receiver, b2, &error));
  g_assert_no_error (error);
  g_assert_true (run_until (&p, messages_in, TIMEOUT_S));
  g_assert_cmpuint (p.receiver_msgs->len, ==, 2);
  g_assert_cmpstr (p.receiver_msgs->pdata[0], ==, "t:hello player");
  g_assert_cmpstr (p.receiver_msgs->pdata[1], ==, "b:00ff10");
  g_assert_cmpuint (p.sender_msgs->len, ==, 2);
  g_assert_cmpstr (p.sender_msgs->pdata[0], ==, "t:hello publisher");
  g_assert_cmpstr (p.sender_msgs->pdata[1], ==, "b:dead");
  pair_clear (&p);
}

static gboolean
recording_done (Pair *p)
{
  return p->recording_done;
}

/* Records what arrives, checks the file with GstDiscoverer: duration,
 * codecs (no re-encoding happened) and the video width. */
static void
check_record (const char *file, const char *codec, const char *video_caps)
{
  Pair p;
  pair_init (&p);
  g_autofree char *dir = g_dir_make_tmp ("ams-record-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  AmsPeerOptions send, recv;
  loopback_options (&send, AMS_PEER_SEND);
  send.video_codec = codec;
  send.width = 320;
  send.height = 240;
  loopback_options (&recv, AMS_PEER_RECEIVE);
  recv.record_path = path;
  start_pair (&p, &send, &recv);
  /* When recording, frames are counted after depayloading. */
  g_assert_true (run_until (&p, enough_media, TIMEOUT_S));
  ams_peer_stop (p.receiver);
  g_assert_true (run_until (&p, recording_done, 5 * SLOW));
  g_assert_cmpuint (p.errors->len, ==, 0);

  g_autoptr (GError) error = NULL;
  g_autoptr (GstDiscoverer) disc = gst_discoverer_new (5 * GST_SECOND * SLOW, &error);
  g_assert_no_error (error);
  g_autofree char *uri = gst_filename_to_uri (path, NULL);
  g_autoptr (GstDiscovererInfo) info = gst_discoverer_discover_uri (disc, uri, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gst_discoverer_info_get_result (info), ==, GST_DISCOVERER_OK);
  GstClockTime duration = gst_discoverer_info_get_duration (info);
  g_test_message ("recorded %s: %.2f s", file, (double) duration / GST_SECOND);
  g_assert_cmpuint (duration, >=, GST_SECOND);

  GList *video = gst_discoverer_info_get_video_streams (info);
  GList *audio = gst_discoverer_info_get_audio_streams (info);
  g_assert_cmpuint (g_list_length (video), ==, 1);
  g_assert_cmpuint (g_list_length (audio), ==, 1);
  g_autoptr (GstCaps) vcaps = gst_discoverer_stream_info_get_caps (video->data);
  g_autoptr (GstCaps) acaps = gst_discoverer_stream_info_get_caps (audio->data);
  g_assert_cmpstr (gst_structure_get_name (gst_caps_get_structure (vcaps, 0)), ==, video_caps);
  g_assert_cmpstr (gst_structure_get_name (gst_caps_get_structure (acaps, 0)), ==, "audio/x-opus");
  g_assert_cmpuint (gst_discoverer_video_info_get_width (video->data), ==, 320);
  g_assert_cmpuint (gst_discoverer_video_info_get_height (video->data), ==, 240);
  gst_discoverer_stream_info_list_free (video);
  gst_discoverer_stream_info_list_free (audio);

  pair_clear (&p);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_record_mkv (void)
{
  check_record ("out.mkv", "vp8", "video/x-vp8");
}

static void
test_record_webm (void)
{
  check_record ("out.webm", "vp8", "video/x-vp8");
}

static void
test_record_mp4 (void)
{
  check_record ("out.mp4", "h264", "video/x-h264");
}

/* Under valgrind the 4 s file is over before 60 frames get through. */
static gboolean
half_media (Pair *p)
{
  return p->frames >= 60 / SLOW;
}

/* A media file as the source: decoded, paced to real time, re-encoded. */
static void
test_file_source (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ams-file-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "in.webm", NULL);
  g_autofree char *desc = g_strdup_printf (
      "videotestsrc num-buffers=120 ! video/x-raw,width=176,height=144,framerate=30/1 ! "
      "vp8enc deadline=1 ! webmmux name=mux ! filesink location=\"%s\" "
      "audiotestsrc num-buffers=200 ! opusenc ! mux.", path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) writer = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  gst_element_set_state (writer, GST_STATE_PLAYING);
  g_autoptr (GstBus) bus = gst_element_get_bus (writer);
  g_autoptr (GstMessage) msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND * SLOW,
                                                           GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_element_set_state (writer, GST_STATE_NULL);

  Pair p;
  pair_init (&p);
  AmsPeerOptions send, recv;
  loopback_options (&send, AMS_PEER_SEND);
  send.file_uri = path;        /* a plain path is accepted too */
  send.video_codec = "vp8";
  send.width = 320;            /* scaled up from the file's 176x144 */
  send.height = 240;
  loopback_options (&recv, AMS_PEER_RECEIVE);
  start_pair (&p, &send, &recv);
  g_assert_true (run_until (&p, half_media, TIMEOUT_S));
  g_assert_cmpuint (p.width, ==, 320);
  g_assert_cmpuint (p.height, ==, 240);
  g_assert_cmpuint (p.errors->len, ==, 0);
  pair_clear (&p);
  g_unlink (path);
  g_rmdir (dir);
}

static gboolean
both_decoded (Pair *p)
{
  return p->frames >= 60 && p->sender_frames >= 60 &&
         ams_peer_get_audio_buffers (p->receiver) > 0 && ams_peer_get_audio_buffers (p->sender) > 0 &&
         p->sender_open && p->receiver_open;
}

/* p2p: both send and receive; the answerer has no codec set and takes the
 * offer's (H.264); each decodes the other's resolution; data both ways. */
static void
test_p2p_negotiated (void)
{
  Pair p;
  pair_init (&p);
  AmsPeerOptions a, b;
  loopback_options (&a, AMS_PEER_BOTH);
  a.video_codec = "h264";
  a.width = 320;
  a.height = 240;
  a.data_channel = TRUE;
  a.data_channel_label = "stream1";
  loopback_options (&b, AMS_PEER_BOTH);
  b.width = 240;
  b.height = 176;
  b.data_channel = TRUE;        /* the answerer must not make a second channel */
  b.data_channel_label = "stream1";
  start_pair (&p, &a, &b);
  g_assert_true (run_until (&p, both_decoded, TIMEOUT_S));
  g_assert_cmpuint (p.errors->len, ==, 0);
  g_assert_cmpuint (p.width, ==, 320);
  g_assert_cmpuint (p.height, ==, 240);
  g_assert_cmpuint (p.sender_width, ==, 240);
  g_assert_cmpuint (p.sender_height, ==, 176);
  /* The answer carries H.264 only: the answerer followed the offer. */
  const char *answer = ams_peer_get_local_sdp (p.receiver);
  g_assert_nonnull (strstr (answer, "H264/90000"));
  g_assert_null (strstr (answer, "VP8/90000"));
  g_assert_cmpuint (ams_sdp_count_media (answer), ==, 3);   /* video, audio, data */

  g_autoptr (GError) error = NULL;
  g_assert_true (ams_peer_send_text (p.sender, "to b", &error));
  g_assert_true (ams_peer_send_text (p.receiver, "to a", &error));
  g_assert_no_error (error);
  g_assert_true (run_until (&p, messages_one_each, TIMEOUT_S));
  g_assert_cmpstr (p.receiver_msgs->pdata[0], ==, "t:to b");
  g_assert_cmpstr (p.sender_msgs->pdata[0], ==, "t:to a");
  pair_clear (&p);
}

static void
test_missing_plugin (void)
{
  AmsPeerOptions o;
  loopback_options (&o, AMS_PEER_SEND);
  o.video_codec = "vp8";
  o.video_source = "nosuchcamerasrc device=/dev/video9";
  g_autoptr (GError) error = NULL;
  AmsPeer *peer = ams_peer_new (&o, NULL, &callbacks, NULL, &error);
  g_assert_null (peer);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN);
  g_assert_nonnull (strstr (error->message, "nosuchcamerasrc"));
  g_clear_error (&error);

  o.video_source = NULL;
  o.video_codec = "theora";
  g_assert_null (ams_peer_new (&o, NULL, &callbacks, NULL, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  loopback_options (&o, AMS_PEER_RECEIVE);
  o.record_path = "/tmp/out.avi";
  g_assert_null (ams_peer_new (&o, NULL, &callbacks, NULL, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

static void
test_bad_input (void)
{
  Pair p;
  pair_init (&p);
  AmsPeerOptions o;
  loopback_options (&o, AMS_PEER_RECEIVE);
  g_autoptr (GError) error = NULL;
  p.receiver = ams_peer_new (&o, NULL, &callbacks, &p, &error);
  g_assert_no_error (error);
  g_assert_false (ams_peer_set_remote_description (p.receiver, "offer", "not sdp", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION);
  g_clear_error (&error);
  g_assert_false (ams_peer_set_remote_description (p.receiver, "rollback", "v=0\r\n", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_peer_set_remote_description (p.receiver, "offer", NULL, &error));
  g_clear_error (&error);
  g_assert_false (ams_peer_add_ice_candidate (p.receiver, 0, NULL, "candidate:garbage", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
  g_clear_error (&error);
  /* Filtered (not loopback) candidates are dropped without error. */
  g_assert_true (ams_peer_add_ice_candidate (p.receiver, 0, "0",
                 "candidate:1 1 UDP 2122252543 10.1.2.3 5000 typ host", &error));
  g_assert_no_error (error);
  g_assert_false (ams_peer_send_text (p.receiver, "x", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  pair_clear (&p);

  /* Candidates naming m-lines or mids the remote SDP does not have. */
  pair_init (&p);
  AmsPeerOptions send;
  loopback_options (&send, AMS_PEER_SEND);
  loopback_options (&o, AMS_PEER_RECEIVE);
  start_pair (&p, &send, &o);
  g_assert_true (run_until (&p, enough_media, TIMEOUT_S));
  const char *lo = "candidate:1 1 UDP 2122252543 127.0.0.1 5000 typ host";
  g_assert_false (ams_peer_add_ice_candidate (p.receiver, 7, NULL, lo, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_peer_add_ice_candidate (p.receiver, -1, "nosuchmid", lo, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ams_peer_add_ice_candidate (p.receiver, -1, NULL, lo, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
  pair_clear (&p);
}

/* For SANITIZE=address builds. GLib's quark table drops its first block
 * when it grows (allocated in a library constructor, on purpose, since
 * readers may still hold it); GStreamer makes it grow. Not ours. */
__attribute__ ((visibility ("default"))) const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  /* OpenSSL 3 keeps per-thread error and DRBG state until
   * OPENSSL_thread_stop(), which GStreamer's DTLS element never calls on
   * the streaming threads that end when a peer is freed. */
  return "leak:_dl_init\n"
         "leak:libgstdtls.so\n";
}

/* Full stacks on malloc: GLib has no frame pointers, and without them every
 * leak stops at g_malloc and cannot be told apart. */
__attribute__ ((visibility ("default"))) const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  ams_media_prewarm ();
  g_test_add_func ("/media/peer/vp8", test_vp8);
  g_test_add_func ("/media/peer/h264", test_h264);
  g_test_add_func ("/media/peer/stats", test_stats);
  g_test_add_func ("/media/peer/receiver-reports", test_receiver_reports);
  g_test_add_func ("/media/peer/data-channel", test_data_channel);
  g_test_add_func ("/media/peer/record-mkv", test_record_mkv);
  g_test_add_func ("/media/peer/record-webm", test_record_webm);
  g_test_add_func ("/media/peer/record-mp4", test_record_mp4);
  g_test_add_func ("/media/peer/file-source", test_file_source);
  g_test_add_func ("/media/peer/p2p-negotiated", test_p2p_negotiated);
  g_test_add_func ("/media/peer/missing-plugin", test_missing_plugin);
  g_test_add_func ("/media/peer/bad-input", test_bad_input);
  return g_test_run ();
}
