/* ams-conference-taps.c: frames decoded per m-line of a receiving
 * webrtcbin. A multitrack room arrives on one connection, and the peer
 * counts all its video together; the conference needs the count of each
 * participant. So each received RTP pad is followed (by its transceiver's
 * mid) to the decodebin the peer linked it to, and the decoded video pad
 * gets a buffer probe that counts into that mid's counter.
 *
 * Probes run on streaming threads: counters sit behind a mutex, and the
 * conference reads them from its own context (_ams_track_taps_collect). */
#define GST_USE_UNSTABLE_API
#include "client/ams-conference-private.h"

#include <gst/webrtc/webrtc.h>

#define TAPPED_KEY "ams-conference-tapped"

typedef struct {
  guint64 frames;      /* counted */
  guint64 reported;    /* given to the last collect */
  guint   width, height;
} Counter;

struct _AmsTrackTaps {
  gint        ref_count;
  GMutex      lock;
  GHashTable *counters;   /* mid -> Counter */
};

/* What a probe or a decodebin handler needs: the taps and the mid. */
typedef struct {
  AmsTrackTaps *taps;
  char         *mid;
} TapRef;

AmsTrackTaps *
_ams_track_taps_new (void)
{
  AmsTrackTaps *taps = g_new0 (AmsTrackTaps, 1);
  taps->ref_count = 1;
  g_mutex_init (&taps->lock);
  taps->counters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return taps;
}

static AmsTrackTaps *
taps_ref (AmsTrackTaps *taps)
{
  g_atomic_int_inc (&taps->ref_count);
  return taps;
}

void
_ams_track_taps_unref (AmsTrackTaps *taps)
{
  if (taps == NULL || !g_atomic_int_dec_and_test (&taps->ref_count))
    return;
  g_hash_table_unref (taps->counters);
  g_mutex_clear (&taps->lock);
  g_free (taps);
}

static TapRef *
tap_ref_new (AmsTrackTaps *taps, const char *mid)
{
  TapRef *ref = g_new0 (TapRef, 1);
  ref->taps = taps_ref (taps);
  ref->mid = g_strdup (mid);
  return ref;
}

static void
tap_ref_free (gpointer data, GClosure *closure)
{
  TapRef *ref = data;
  _ams_track_taps_unref (ref->taps);
  g_free (ref->mid);
  g_free (ref);
}

static void
tap_ref_destroy (gpointer data)
{
  tap_ref_free (data, NULL);
}

/* Under the lock. */
static Counter *
counter_of (AmsTrackTaps *taps, const char *mid)
{
  Counter *c = g_hash_table_lookup (taps->counters, mid);
  if (c == NULL && g_hash_table_size (taps->counters) < 1024) {
    c = g_new0 (Counter, 1);
    g_hash_table_insert (taps->counters, g_strdup (mid), c);
  }
  return c;
}

/* Streaming thread. */
static GstPadProbeReturn
count_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TapRef *ref = data;
  int width = 0, height = 0;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    GstCaps *caps;
    gst_event_parse_caps (event, &caps);
    const GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
    if (!s || !gst_structure_get_int (s, "width", &width) ||
        !gst_structure_get_int (s, "height", &height))
      return GST_PAD_PROBE_OK;
  }
  g_mutex_lock (&ref->taps->lock);
  Counter *c = counter_of (ref->taps, ref->mid);
  if (c && width > 0) {
    c->width = width;
    c->height = height;
  } else if (c) {
    c->frames++;
  }
  g_mutex_unlock (&ref->taps->lock);
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: a decoded pad of the decodebin of one m-line. */
static void
on_decoded_pad (GstElement *decodebin, GstPad *pad, gpointer data)
{
  TapRef *ref = data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  if (!caps || gst_caps_is_empty (caps) ||
      !g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "video/"))
    return;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     count_probe, tap_ref_new (ref->taps, ref->mid), tap_ref_destroy);
  /* The first caps may already have passed. */
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  int width, height;
  if (gst_structure_get_int (s, "width", &width) && gst_structure_get_int (s, "height", &height)) {
    g_mutex_lock (&ref->taps->lock);
    Counter *c = counter_of (ref->taps, ref->mid);
    if (c) {
      c->width = width;
      c->height = height;
    }
    g_mutex_unlock (&ref->taps->lock);
  }
}

/* Streaming thread: a received RTP pad. The peer's own handler ran first
 * (it was connected first) and linked the pad to a decodebin. */
static void
on_rtp_pad (GstElement *webrtc, GstPad *pad, gpointer data)
{
  AmsTrackTaps *taps = data;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  const GstStructure *s = caps && !gst_caps_is_empty (caps) ? gst_caps_get_structure (caps, 0)
                                                             : NULL;
  if (!s || g_strcmp0 (gst_structure_get_string (s, "media"), "video") != 0)
    return;

  GstWebRTCRTPTransceiver *transceiver = NULL;
  g_autofree char *mid = NULL;
  g_object_get (pad, "transceiver", &transceiver, NULL);
  if (transceiver) {
    g_object_get (transceiver, "mid", &mid, NULL);
    gst_object_unref (transceiver);
  }
  if (mid == NULL)
    return;

  g_autoptr (GstPad) peer = gst_pad_get_peer (pad);
  g_autoptr (GstElement) decodebin = peer ? gst_pad_get_parent_element (peer) : NULL;
  if (decodebin == NULL || !GST_IS_BIN (decodebin))
    return;   /* recording, or not received: nothing is decoded */
  g_signal_connect_data (decodebin, "pad-added", G_CALLBACK (on_decoded_pad),
                         tap_ref_new (taps, mid), tap_ref_free, 0);
}

static void
taps_closure_free (gpointer data, GClosure *closure)
{
  _ams_track_taps_unref (data);
}

void
_ams_track_taps_attach (AmsTrackTaps *taps, GstElement *webrtcbin)
{
  g_return_if_fail (taps != NULL && GST_IS_ELEMENT (webrtcbin));
  if (g_object_get_data (G_OBJECT (webrtcbin), TAPPED_KEY))
    return;
  g_object_set_data (G_OBJECT (webrtcbin), TAPPED_KEY, GINT_TO_POINTER (1));
  g_signal_connect_data (webrtcbin, "pad-added", G_CALLBACK (on_rtp_pad), taps_ref (taps),
                         taps_closure_free, 0);
}

typedef struct {
  char   *mid;
  guint64 frames;
  guint   width, height;
} Report;

void
_ams_track_taps_collect (AmsTrackTaps *taps, AmsTrackTapsFunc func, gpointer user_data)
{
  g_autoptr (GArray) reports = g_array_new (FALSE, FALSE, sizeof (Report));
  GHashTableIter it;
  gpointer key, value;

  g_mutex_lock (&taps->lock);
  g_hash_table_iter_init (&it, taps->counters);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    Counter *c = value;
    if (c->frames == c->reported)
      continue;
    Report r = { g_strdup (key), c->frames - c->reported, c->width, c->height };
    c->reported = c->frames;
    g_array_append_val (reports, r);
  }
  g_mutex_unlock (&taps->lock);

  for (guint i = 0; i < reports->len; i++) {
    Report *r = &g_array_index (reports, Report, i);
    func (r->mid, r->frames, r->width, r->height, user_data);
    g_free (r->mid);
  }
}
