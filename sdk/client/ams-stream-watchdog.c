/* ams-stream-watchdog.c: notices that the media of a started publish or
 * play stopped while the signalling stays up, and has it re-established.
 *
 * webrtcbin (1.22) creates its libnice agent without consent freshness
 * (RFC 7675; the agent property is construct-only) and libnice's plain
 * keepalives are one-way indications sent every 25 s, so when only the
 * media path breaks ICE stays "connected" and nobody notices. The
 * statistics do: a player's received RTP packets stop growing, and a
 * publisher stops getting RTCP receiver reports about what it sends.
 * Sampled about once a second from the peer's statistics pass
 * (ams_peer_request_counters(): its reply comes on the stream's context,
 * never once the peer is gone). */
#define GST_USE_UNSTABLE_API
#include "client/ams-stream-private.h"

#include <gst/webrtc/webrtc.h>

static void stall (AmsStream *self, const char *reason, const char *message, gint64 since_us,
                   AmsError code);
static void judge (AmsStream *self, const AmsPeerStats *stats);

/* The stream's context. The stream outlives its peer, and the peer reports
 * nothing once freed, so @data is alive. A reply asked before the watch
 * restarted on the same peer is judged by the new one: the counters are
 * the same peer's, cumulative. */
static void
on_counters (AmsPeer *peer, const AmsPeerStats *stats, gpointer data)
{
  AmsStream *self = data;
  if (self->watch_source == NULL || peer != self->peer ||
      self->state != AMS_STREAM_STATE_STARTED)
    return;
  g_object_ref (self);
  judge (self, stats);
  g_object_unref (self);
}

static gboolean
on_tick (gpointer data)
{
  AmsStream *self = data;
  if (self->state != AMS_STREAM_STATE_STARTED || self->peer == NULL) {
    /* Not watching anything any more (the next start begins again). */
    g_clear_pointer (&self->watch_source, g_source_unref);
    return G_SOURCE_REMOVE;
  }
  gint64 now = g_get_monotonic_time ();
  gint64 timeout_us = (gint64) self->opts.stall_timeout_ms * 1000;
  if (self->ice_down_us && now - self->ice_down_us >= timeout_us) {
    stall (self, "ice-disconnected", NULL, self->ice_down_us, AMS_ERROR_ICE);
    return G_SOURCE_REMOVE;   /* stall() stopped the watchdog */
  }
  ams_peer_request_counters (self->peer, on_counters, self);
  return G_SOURCE_CONTINUE;
}

/* A publisher's receiver may report only every 5 s (RFC 3550's minimum
 * interval, randomised to 2.5-7.5 s: measured up to 7.2 s behind
 * ams-mini-server), so it is stalled only after twice the longest gap
 * seen between two reports, this much before a gap was measured. */
#define ASSUMED_REPORT_GAP_US (5 * G_USEC_PER_SEC)

/* Player: inbound RTP packets. Publisher: a mark of the latest receiver
 * reports about our RTP, which changes with every report that arrives. */
static void
judge (AmsStream *self, const AmsPeerStats *stats)
{
  /* The figures' own time, not the time they are judged: a loop held up
   * (a loaded machine) judges an old reply, whose figures are old too. */
  gint64 now = stats->taken_us;
  gboolean have_reports = stats->have_receiver_reports;
  guint64 value = self->kind == AMS_STREAM_PUBLISH
                      ? stats->rb_exthighestseq + stats->rb_lsr + stats->rb_dlsr
                      : stats->packets_received;
  gint64 timeout_us = (gint64) self->opts.stall_timeout_ms * 1000;

  if (self->kind == AMS_STREAM_PUBLISH) {
    /* Watched from the start: every receiver reports (RFC 3550 6.4), so a
     * publisher with no report at all within the window is stalled too. */
    gboolean sampled = self->watch_sampled;
    self->watch_sampled = TRUE;
    /* webrtcbin drops the stats of a source it timed out: no report then. */
    if (have_reports && value != self->watch_value) {
      /* Two reports seen arriving: the time between them is an interval. */
      if (self->watch_armed)
        self->watch_gap_us = MAX (self->watch_gap_us, now - self->watch_moved_us);
      /* Changed since the previous sample: it arrived about now. */
      self->watch_armed = sampled;
      self->watch_value = value;
      self->watch_moved_us = now;
      return;
    }
    gint64 gap = self->watch_gap_us ? self->watch_gap_us : ASSUMED_REPORT_GAP_US;
    if (now - self->watch_moved_us >= MAX (timeout_us, 2 * gap))
      stall (self, have_reports ? "no-receiver-reports" : "no-receiver-report-yet", NULL,
             self->watch_moved_us, AMS_ERROR_TIMEOUT);
    return;
  }

  /* A room's play: its packets stop whenever nobody else in the room
   * publishes (the last other participant left), which is no stall; a
   * broken path still shows in ICE (on_tick). */
  if (self->watch_ice_only)
    return;
  /* A player: from the first packet on (a play whose media never came is
   * left to ICE and to the server). */
  if (value > self->watch_value) {
    self->watch_armed = TRUE;
    self->watch_value = value;
    self->watch_moved_us = now;
    return;
  }
  /* Fewer: a source timed out (its stats go) or a track went; not media. */
  self->watch_value = value;
  if (self->watch_armed && now - self->watch_moved_us >= timeout_us)
    stall (self, "no-media", NULL, self->watch_moved_us, AMS_ERROR_TIMEOUT);
}

/* Reports the stall, then ends the media session and asks again; the
 * stream fails when no more attempts are allowed. */
static void
stall (AmsStream *self, const char *reason, const char *message, gint64 since_us, AmsError code)
{
  g_object_ref (self);
  _ams_stream_watchdog_stop (self);
  double seconds = (g_get_monotonic_time () - since_us) / (double) G_USEC_PER_SEC;
  AmsEvent *event = _ams_stream_new_event (self, "media-stalled");
  ams_event_set_string (event, "reason", reason);
  ams_event_set_double (event, "seconds", (gint64) (seconds * 10 + 0.5) / 10.0);
  if (message)
    ams_event_set_string (event, "message", message);
  _ams_stream_emit_event (self, event);
  if (_ams_stream_is_active (self) && self->state != AMS_STREAM_STATE_STOPPING &&
      !_ams_stream_recover (self, reason, TRUE)) {
    g_autoptr (GError) error = g_error_new (AMS_ERROR, code,
                                            "stream %s: the media stalled (%s) and could not be "
                                            "re-established", self->stream_id, reason);
    _ams_stream_fail (self, error);
  }
  g_object_unref (self);
}

void
_ams_stream_watchdog_start (AmsStream *self)
{
  _ams_stream_watchdog_stop (self);
  if (self->opts.stall_timeout_ms == 0 || self->peer == NULL ||
      (self->kind != AMS_STREAM_PUBLISH && self->kind != AMS_STREAM_PLAY) ||
      (!self->opts.video && !self->opts.audio))
    return;
  self->watch_armed = FALSE;
  self->watch_sampled = FALSE;
  self->watch_value = 0;
  self->watch_moved_us = g_get_monotonic_time ();
  self->watch_gap_us = 0;
  /* Sampled a few times per timeout, at most once a second. */
  guint period_ms = CLAMP (self->opts.stall_timeout_ms / 4, 100, 1000);
  self->watch_source = g_timeout_source_new (period_ms);
  g_source_set_callback (self->watch_source, on_tick, self, NULL);
  g_source_attach (self->watch_source, self->context);
}

void
_ams_stream_watchdog_stop (AmsStream *self)
{
  self->ice_down_us = 0;
  if (self->watch_source) {
    g_source_destroy (self->watch_source);
    g_clear_pointer (&self->watch_source, g_source_unref);
  }
}

/* A broken connection is recovered only for a publish or play that ran
 * once (before that, the failure is the answer) and while stalls are
 * watched for. */
static gboolean
recoverable (AmsStream *self)
{
  return self->opts.stall_timeout_ms != 0 && self->has_started &&
         (self->kind == AMS_STREAM_PUBLISH || self->kind == AMS_STREAM_PLAY) &&
         _ams_stream_is_active (self) && self->state != AMS_STREAM_STATE_STOPPING;
}

gboolean
_ams_stream_watchdog_ice_state (AmsStream *self, int ice_state)
{
  switch (ice_state) {
  case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED:
    /* Often passing: a stall only if it lasts (judged by the tick). */
    if (self->ice_down_us == 0)
      self->ice_down_us = g_get_monotonic_time ();
    return FALSE;
  case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
  case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
    self->ice_down_us = 0;
    return FALSE;
  case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
    if (!recoverable (self))
      return FALSE;
    stall (self, "ice-failed", NULL, g_get_monotonic_time (), AMS_ERROR_ICE);
    return TRUE;
  default:
    return FALSE;
  }
}

gboolean
_ams_stream_watchdog_transport_error (AmsStream *self, const char *message)
{
  if (!recoverable (self))
    return FALSE;
  stall (self, "transport-error", message, g_get_monotonic_time (), AMS_ERROR_MEDIA);
  return TRUE;
}
