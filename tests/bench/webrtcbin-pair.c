/* webrtcbin-pair: the time-to-first-frame reference.
 *
 * Two webrtcbins with GStreamer's defaults negotiate inside one process:
 * videotestsrc (live, 640x480, 30 fps) ! vp8enc ! rtpvp8pay ! webrtcbin "send"
 * offers to webrtcbin "recv", which decodes with rtpvp8depay ! vp8dec into a
 * fakesink.  Only what the reference must not do is changed: UPnP is off on
 * both ICE agents and candidates are restricted to 127.0.0.1, so no traffic
 * leaves the machine.
 *
 * Prints the milliseconds from pipeline creation to the first decoded frame,
 * with the phases on the way (offer made, ICE connected, first RTP packet into
 * the receiver's depayloader), as one JSON line:
 *   {"first_frame_ms":512.3,"offer_ms":...,"ice_connected_ms":...,...}
 *
 * Run it as a fresh process per measurement: the DTLS key GStreamer generates
 * once per process is part of the cold cost.
 *
 *   webrtcbin-pair [--timeout S] [--verbose]
 *
 * Exits 0 after the first decoded frame, 1 on error or after --timeout
 * seconds (default 10).
 */
#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GMainLoop *loop;
  GstElement *pipeline, *send, *recv;
  gint64 t0;
  double offer_ms, answer_ms, ice_connected_ms, first_rtp_ms, first_frame_ms;
  gboolean failed, verbose;
  const char *error;
} Pair;

static double
elapsed_ms (Pair *p)
{
  return (g_get_monotonic_time () - p->t0) / 1000.0;
}

static void
fail (Pair *p, const char *why)
{
  if (!p->error)
    p->error = why;
  p->failed = TRUE;
  g_main_loop_quit (p->loop);
}

/* Must run before negotiation starts: turns UPnP discovery off (it sends SSDP
 * multicast and holds gathering for its 200 ms timeout) and pins candidates
 * to loopback. */
static gboolean
restrict_ice (GstElement *webrtc)
{
  GObject *ice = NULL, *agent = NULL;
  gboolean added = FALSE;
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (!ice)
    return FALSE;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (!agent) {
    g_object_unref (ice);
    return FALSE;
  }
  g_object_set (agent, "upnp", FALSE, NULL);
  g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &added);
  g_object_unref (agent);
  g_object_unref (ice);
  return added;
}

/* ---------------------------------------------------------------- negotiation
 * Promise callbacks run on webrtcbin's threads; the calls made from them
 * (set-*-description, create-answer) are themselves asynchronous and
 * thread-safe, the way GStreamer's own webrtcbin tests drive a pair. */

static void
on_answer_set (GstPromise *promise, gpointer user_data)
{
  gst_promise_unref (promise);
}

static void
on_answer_created (GstPromise *promise, gpointer user_data)
{
  Pair *p = user_data;
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  gst_promise_unref (promise);
  if (!answer) {
    fail (p, "create-answer failed");
    return;
  }
  p->answer_ms = elapsed_ms (p);
  g_signal_emit_by_name (p->recv, "set-local-description", answer, NULL);
  g_signal_emit_by_name (p->send, "set-remote-description", answer,
      gst_promise_new_with_change_func (on_answer_set, p, NULL));
  gst_webrtc_session_description_free (answer);
}

static void
on_offer_created (GstPromise *promise, gpointer user_data)
{
  Pair *p = user_data;
  GstWebRTCSessionDescription *offer = NULL;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref (promise);
  if (!offer) {
    fail (p, "create-offer failed");
    return;
  }
  p->offer_ms = elapsed_ms (p);
  g_signal_emit_by_name (p->send, "set-local-description", offer, NULL);
  g_signal_emit_by_name (p->recv, "set-remote-description", offer, NULL);
  g_signal_emit_by_name (p->recv, "create-answer", NULL,
      gst_promise_new_with_change_func (on_answer_created, p, NULL));
  gst_webrtc_session_description_free (offer);
}

static void
on_negotiation_needed (GstElement *webrtc, gpointer user_data)
{
  Pair *p = user_data;
  g_signal_emit_by_name (webrtc, "create-offer", NULL,
      gst_promise_new_with_change_func (on_offer_created, p, NULL));
}

static void
on_ice_candidate (GstElement *webrtc, guint mline, gchar *candidate, gpointer user_data)
{
  Pair *p = user_data;
  GstElement *other = webrtc == p->send ? p->recv : p->send;
  if (p->verbose)
    g_printerr ("%.1f ms %s candidate %u %s\n", elapsed_ms (p),
        webrtc == p->send ? "send" : "recv", mline, candidate);
  g_signal_emit_by_name (other, "add-ice-candidate", mline, candidate);
}

static void
on_ice_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  Pair *p = user_data;
  GstWebRTCICEConnectionState state;
  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if ((state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
       state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) &&
      GST_ELEMENT (webrtc) == p->recv && p->ice_connected_ms == 0)
    p->ice_connected_ms = elapsed_ms (p);
  else if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    fail (p, "ICE failed");
}

/* ---------------------------------------------------------------- receiving */

static GstPadProbeReturn
on_first_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Pair *p = user_data;
  if (p->first_rtp_ms == 0)
    p->first_rtp_ms = elapsed_ms (p);
  return GST_PAD_PROBE_REMOVE;
}

static gboolean
quit_idle (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
on_first_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Pair *p = user_data;
  if (p->first_frame_ms == 0) {
    p->first_frame_ms = elapsed_ms (p);
    g_idle_add (quit_idle, p->loop);
  }
  return GST_PAD_PROBE_REMOVE;
}

static void
on_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  Pair *p = user_data;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GError *error = NULL;
  GstElement *bin = gst_parse_bin_from_description (
      "rtpvp8depay name=depay ! vp8dec name=dec ! fakesink sync=false async=false",
      TRUE, &error);
  if (!bin) {
    g_printerr ("webrtcbin-pair: %s\n", error ? error->message : "parse failed");
    g_clear_error (&error);
    fail (p, "decoder bin");
    return;
  }
  gst_bin_add (GST_BIN (p->pipeline), bin);
  GstElement *depay = gst_bin_get_by_name (GST_BIN (bin), "depay");
  GstElement *dec = gst_bin_get_by_name (GST_BIN (bin), "dec");
  GstPad *depay_sink = gst_element_get_static_pad (depay, "sink");
  GstPad *dec_src = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (depay_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      on_first_rtp, p, NULL);
  gst_pad_add_probe (dec_src, GST_PAD_PROBE_TYPE_BUFFER, on_first_frame, p, NULL);
  gst_object_unref (depay_sink);
  gst_object_unref (dec_src);
  gst_object_unref (depay);
  gst_object_unref (dec);
  gst_element_sync_state_with_parent (bin);
  GstPad *sink = gst_element_get_static_pad (bin, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    fail (p, "linking the decoder failed");
  gst_object_unref (sink);
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Pair *p = user_data;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;
    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("webrtcbin-pair: error from %s: %s (%s)\n", GST_OBJECT_NAME (msg->src),
        err->message, dbg ? dbg : "");
    g_clear_error (&err);
    g_free (dbg);
    fail (p, "pipeline error");
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  fail (user_data, "timeout");
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  double timeout_s = 10;
  gboolean verbose = FALSE;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--timeout") && i + 1 < argc)
      timeout_s = atof (argv[++i]);
    else if (!strcmp (argv[i], "--verbose"))
      verbose = TRUE;
    else {
      fprintf (stderr, "usage: %s [--timeout S] [--verbose]\n", argv[0]);
      return 2;
    }
  }
  if (!(timeout_s > 0 && timeout_s <= 120)) {
    fprintf (stderr, "webrtcbin-pair: --timeout must be in (0, 120]\n");
    return 2;
  }
  gst_init (NULL, NULL);
  Pair p = { 0 };
  p.verbose = verbose;
  p.loop = g_main_loop_new (NULL, FALSE);

  p.t0 = g_get_monotonic_time ();
  GError *error = NULL;
  p.pipeline = gst_parse_launch (
      "videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 ! "
      "queue ! vp8enc ! rtpvp8pay ! "
      "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! webrtcbin name=send "
      "webrtcbin name=recv", &error);
  if (!p.pipeline) {
    g_printerr ("webrtcbin-pair: %s\n", error ? error->message : "cannot build pipeline");
    return 1;
  }
  p.send = gst_bin_get_by_name (GST_BIN (p.pipeline), "send");
  p.recv = gst_bin_get_by_name (GST_BIN (p.pipeline), "recv");
  if (!restrict_ice (p.send) || !restrict_ice (p.recv)) {
    g_printerr ("webrtcbin-pair: cannot turn UPnP off and restrict ICE to loopback\n");
    return 1;
  }
  g_signal_connect (p.send, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed), &p);
  g_signal_connect (p.send, "on-ice-candidate", G_CALLBACK (on_ice_candidate), &p);
  g_signal_connect (p.recv, "on-ice-candidate", G_CALLBACK (on_ice_candidate), &p);
  g_signal_connect (p.recv, "pad-added", G_CALLBACK (on_pad_added), &p);
  g_signal_connect (p.recv, "notify::ice-connection-state", G_CALLBACK (on_ice_state), &p);
  g_signal_connect (p.send, "notify::ice-connection-state", G_CALLBACK (on_ice_state), &p);

  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (p.pipeline));
  gst_bus_add_watch (bus, on_bus, &p);
  gst_object_unref (bus);
  guint timer = g_timeout_add ((guint) (timeout_s * 1000), on_timeout, &p);

  if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    fail (&p, "cannot start the pipeline");
  else
    g_main_loop_run (p.loop);

  g_source_remove (timer);
  int rc = 0;
  if (p.failed || p.first_frame_ms == 0) {
    g_printerr ("webrtcbin-pair: no frame: %s\n", p.error ? p.error : "unknown");
    printf ("{\"first_frame_ms\":null,\"error\":\"%s\"}\n", p.error ? p.error : "unknown");
    rc = 1;
  } else {
    printf ("{\"first_frame_ms\":%.1f,\"offer_ms\":%.1f,\"answer_ms\":%.1f,"
        "\"ice_connected_ms\":%.1f,\"first_rtp_ms\":%.1f}\n", p.first_frame_ms,
        p.offer_ms, p.answer_ms, p.ice_connected_ms, p.first_rtp_ms);
  }
  fflush (stdout);
  gst_element_set_state (p.pipeline, GST_STATE_NULL);
  gst_object_unref (p.send);
  gst_object_unref (p.recv);
  gst_object_unref (p.pipeline);
  g_main_loop_unref (p.loop);
  return rc;
}
