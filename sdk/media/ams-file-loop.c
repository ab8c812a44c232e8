/* ams-file-loop.c: an encoded VP8 file played in a loop without decoding.
 *
 * The file is demuxed once (parsebin picks matroskademux or ivfparse) into
 * an array of frames; an appsrc then sends them over and over with
 * timestamps that keep growing, so downstream (clocksync, the payloader,
 * webrtcbin) sees one endless stream. Reading it all first avoids seeking a
 * demuxer inside a running pipeline: a seek from the context thread would
 * wait for a streaming thread that webrtcbin blocks until DTLS is up. */
#include "media/ams-file-loop.h"

#include <amsclient/ams-error.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <string.h>

/* A clip to loop, not a film: refuse what would eat memory. */
#define MAX_BYTES      (256 * 1024 * 1024)
#define MAX_FRAMES     200000
#define READ_TIMEOUT   (30 * GST_SECOND)
#define DEFAULT_FRAME  (GST_SECOND / 30)

struct _AmsFileLoop {
  gatomicrefcount ref;
  GstCaps        *caps;
  GPtrArray      *frames;        /* GstBuffer*, timestamps relative to the first */
  GstClockTime    period;        /* one pass: last timestamp + one frame */
  guint           width, height;

  /* appsrc's streaming thread only. */
  guint           next;
  guint64         passes;
};

AmsFileLoop *
ams_file_loop_ref (AmsFileLoop *loop)
{
  g_atomic_ref_count_inc (&loop->ref);
  return loop;
}

void
ams_file_loop_unref (AmsFileLoop *loop)
{
  if (!loop || !g_atomic_ref_count_dec (&loop->ref))
    return;
  g_clear_pointer (&loop->caps, gst_caps_unref);
  g_ptr_array_unref (loop->frames);
  g_free (loop);
}

void
ams_file_loop_get_size (AmsFileLoop *loop, guint *width, guint *height)
{
  *width = loop->width;
  *height = loop->height;
}

static char *
local_path (const char *file, GError **error)
{
  if (!gst_uri_is_valid (file))
    return g_strdup (file);
  g_autoptr (GError) e = NULL;
  char *path = g_filename_from_uri (file, NULL, &e);
  if (!path)
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "cannot send \"%s\" as it is: only local files (%s)", file, e->message);
  return path;
}

/* The first error on @bus, if any, as an AMS_ERROR_MEDIA. */
static gboolean
bus_failed (GstBus *bus, const char *path, GError **error)
{
  g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (!msg)
    return FALSE;
  g_autoptr (GError) e = NULL;
  gst_message_parse_error (msg, &e, NULL);
  g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "cannot read VP8 video from %s: %s", path,
               e ? e->message : "unknown error");
  return TRUE;
}

/* Streaming thread: parsebin found a stream; the appsink's caps let only
 * VP8 link (audio and other pads stay unlinked, which demuxers tolerate). */
static void
on_parsed_pad (GstElement *parsebin, GstPad *pad, GstElement *sink)
{
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");
  if (!gst_pad_is_linked (sinkpad))
    gst_pad_link (pad, sinkpad);
}

static gboolean
read_frames (AmsFileLoop *loop, const char *path, GError **error)
{
  for (const char *name = "filesrc\0parsebin\0appsink\0"; *name; name += strlen (name) + 1) {
    GstElementFactory *f = gst_element_factory_find (name);
    if (!f) {
      g_set_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN, "missing GStreamer element \"%s\"",
                   name);
      return FALSE;
    }
    gst_object_unref (f);
  }
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *parse = gst_element_factory_make ("parsebin", NULL);
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  g_object_set (src, "location", path, NULL);
  g_autoptr (GstCaps) vp8 = gst_caps_new_empty_simple ("video/x-vp8");
  g_object_set (sink, "sync", FALSE, "caps", vp8, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, parse, sink, NULL);
  gst_element_link (src, parse);
  g_signal_connect (parse, "pad-added", G_CALLBACK (on_parsed_pad), sink);
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));

  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  gsize bytes = 0;
  GstClockTime first = GST_CLOCK_TIME_NONE, last = 0, last_duration = GST_CLOCK_TIME_NONE;
  gint64 deadline = g_get_monotonic_time () + READ_TIMEOUT / GST_USECOND;
  while (ok) {
    g_autoptr (GstSample) sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
                                                                 100 * GST_MSECOND);
    if (bus_failed (bus, path, error)) {
      ok = FALSE;
      break;
    }
    if (!sample) {
      if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
        break;
      if (g_get_monotonic_time () > deadline) {
        g_set_error (error, AMS_ERROR, AMS_ERROR_TIMEOUT, "reading %s took too long", path);
        ok = FALSE;
      }
      continue;
    }
    GstBuffer *buffer = gst_sample_get_buffer (sample);
    GstClockTime pts = GST_BUFFER_PTS (buffer);
    if (!loop->caps)
      loop->caps = gst_caps_ref (gst_sample_get_caps (sample));
    if (!GST_CLOCK_TIME_IS_VALID (pts)) {
      g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "%s: a VP8 frame without a timestamp", path);
      ok = FALSE;
      break;
    }
    if (!GST_CLOCK_TIME_IS_VALID (first))
      first = pts;
    bytes += gst_buffer_get_size (buffer);
    if (bytes > MAX_BYTES || loop->frames->len >= MAX_FRAMES) {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                   "%s is too long to send in a loop (at most %u frames and %u MB)", path,
                   MAX_FRAMES, MAX_BYTES / (1024 * 1024));
      ok = FALSE;
      break;
    }
    /* Shares the memory: only the timestamps differ. */
    GstBuffer *frame = gst_buffer_copy (buffer);
    GST_BUFFER_PTS (frame) = GST_BUFFER_DTS (frame) = pts > first ? pts - first : 0;
    last = GST_BUFFER_PTS (frame);
    last_duration = GST_BUFFER_DURATION (buffer);
    g_ptr_array_add (loop->frames, frame);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  if (!ok)
    return FALSE;
  if (loop->frames->len == 0) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "%s has no VP8 video", path);
    return FALSE;
  }
  GstStructure *s = gst_caps_get_structure (loop->caps, 0);
  gint w = 0, h = 0, num = 0, den = 0;
  gst_structure_get_int (s, "width", &w);
  gst_structure_get_int (s, "height", &h);
  loop->width = (guint) MAX (w, 0);
  loop->height = (guint) MAX (h, 0);
  GstClockTime frame = GST_CLOCK_TIME_IS_VALID (last_duration) && last_duration > 0 ? last_duration
      : gst_structure_get_fraction (s, "framerate", &num, &den) && num > 0 && den > 0
          ? gst_util_uint64_scale_int (GST_SECOND, den, num) : DEFAULT_FRAME;
  loop->period = last + frame;
  return TRUE;
}

AmsFileLoop *
ams_file_loop_load (const char *file, GError **error)
{
  g_return_val_if_fail (file, NULL);
  g_autofree char *path = local_path (file, error);
  if (!path)
    return NULL;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no such file: %s", path);
    return NULL;
  }
  AmsFileLoop *loop = g_new0 (AmsFileLoop, 1);
  g_atomic_ref_count_init (&loop->ref);
  loop->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  if (!read_frames (loop, path, error)) {
    ams_file_loop_unref (loop);
    return NULL;
  }
  return loop;
}

/* appsrc's streaming thread: one frame per call, appsrc asks again as it
 * drains (clocksync downstream holds it to real time). */
static void
need_data (GstAppSrc *src, guint length, gpointer data)
{
  AmsFileLoop *loop = data;
  GstBuffer *frame = gst_buffer_copy (loop->frames->pdata[loop->next]);
  GstClockTime offset = loop->passes * loop->period;
  GST_BUFFER_PTS (frame) += offset;
  GST_BUFFER_DTS (frame) = GST_BUFFER_PTS (frame);
  if (++loop->next == loop->frames->len) {
    loop->next = 0;
    loop->passes++;
  }
  gst_app_src_push_buffer (src, frame);
}

void
ams_file_loop_attach (AmsFileLoop *loop, GstElement *appsrc)
{
  g_return_if_fail (loop && GST_IS_APP_SRC (appsrc));
  g_object_set (appsrc, "format", GST_FORMAT_TIME, "is-live", FALSE, "caps", loop->caps,
                "max-buffers", (guint64) 2, NULL);
  GstAppSrcCallbacks cb = { .need_data = need_data };
  gst_app_src_set_callbacks (GST_APP_SRC (appsrc), &cb, ams_file_loop_ref (loop),
                             (GDestroyNotify) ams_file_loop_unref);
}
