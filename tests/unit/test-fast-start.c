/* test-fast-start.c: the receiving jitterbuffers' fast start (AmsPeerOptions
 * fast_start_packets). Two AmsPeers in one process over loopback ICE: the
 * receiver's jitterbuffers get the configured faststart-min-packets, and
 * with a jitterbuffer latency of a minute, a frame is still decoded at once
 * with the fast start on and not at all while the first packet is held
 * with it off. */
#define GST_USE_UNSTABLE_API
#include "helpers/find-elements.h"
#include "media/ams-peer.h"

#include <gst/webrtc/webrtc.h>
#include <string.h>

#define SLOW (g_getenv ("AMS_VALGRIND") ? 8 : 1)
/* Far below HOLD_MS: a frame decoded within this bound was not held. Both
 * scale (under valgrind a held frame came out after the minute, within the
 * scaled wait). */
#define WAIT_S (25 * SLOW)
#define HOLD_MS (60000 * SLOW)

typedef struct {
  AmsPeer *sender, *receiver;
  guint64  frames;
  gboolean connected;
  GPtrArray *errors;
} Pair;

static void
on_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  Pair *p = data;
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_peer_set_remote_description (peer == p->sender ? p->receiver : p->sender,
                                                  type, sdp, &error));
}

static void
on_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                    gpointer data)
{
  Pair *p = data;
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_peer_add_ice_candidate (peer == p->sender ? p->receiver : p->sender,
                                             (int) label, mid, candidate, &error));
}

static void
on_state (AmsPeer *peer, AmsPeerStateKind kind, int state, gpointer data)
{
  Pair *p = data;
  if (peer == p->receiver && kind == AMS_PEER_STATE_CONNECTION &&
      state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    p->connected = TRUE;
}

static void
on_error (AmsPeer *peer, const GError *error, gpointer data)
{
  g_ptr_array_add (((Pair *) data)->errors, g_strdup (error->message));
}

static void
on_video_frame (AmsPeer *peer, guint64 frames, guint width, guint height, gpointer data)
{
  Pair *p = data;
  if (peer == p->receiver)
    p->frames = frames;
}

static const AmsPeerCallbacks callbacks = {
  .local_description = on_local_description,
  .local_candidate = on_local_candidate,
  .state_changed = on_state,
  .error = on_error,
  .video_frame = on_video_frame,
};

static void
loopback_options (AmsPeerOptions *o, AmsPeerRole role)
{
  ams_peer_options_init (o);
  o->role = role;
  o->audio = FALSE;
  o->video_codec = "vp8";
  o->local_address = "127.0.0.1";
  o->filter.address = "127.0.0.1";
  o->video_sink = "fakesink";
}

/* Iterates the default context until @p has a frame, or the bound. */
static void
run_for_frame (Pair *p, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  while (p->frames == 0 && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
}

/* Every rtpjitterbuffer inside the receiver's webrtcbin. */
static GPtrArray *
jitterbuffers (AmsPeer *peer)
{
  return find_elements (ams_peer_get_webrtcbin (peer), "rtpjitterbuffer");
}

/* Plays VP8 from one peer to the other with the receiver's jitterbuffer at
 * HOLD_MS; returns the frames decoded within WAIT_S and checks each
 * receiving jitterbuffer's faststart-min-packets. */
static guint64
play (gint fast_start, guint expect_packets)
{
  Pair p = { 0 };
  p.errors = g_ptr_array_new_with_free_func (g_free);
  AmsPeerOptions send, recv;
  loopback_options (&send, AMS_PEER_SEND);
  loopback_options (&recv, AMS_PEER_RECEIVE);
  recv.latency_ms = HOLD_MS;
  recv.fast_start_packets = fast_start;
  g_autoptr (GError) error = NULL;
  p.sender = ams_peer_new (&send, NULL, &callbacks, &p, &error);
  g_assert_no_error (error);
  p.receiver = ams_peer_new (&recv, NULL, &callbacks, &p, &error);
  g_assert_no_error (error);
  g_assert_true (ams_peer_create_offer (p.sender, &error));

  run_for_frame (&p, WAIT_S);
  for (guint i = 0; i < p.errors->len; i++)
    g_test_message ("peer error: %s", (char *) p.errors->pdata[i]);
  g_assert_cmpuint (p.errors->len, ==, 0);
  g_assert_true (p.connected);

  GPtrArray *jbs = jitterbuffers (p.receiver);
  g_assert_cmpuint (jbs->len, >=, 1);
  for (guint i = 0; i < jbs->len; i++) {
    guint packets = G_MAXUINT, latency = 0;
    g_object_get (jbs->pdata[i], "faststart-min-packets", &packets, "latency", &latency, NULL);
    g_assert_cmpuint (packets, ==, expect_packets);
    /* The latency stays for reordering. */
    g_assert_cmpuint (latency, ==, HOLD_MS);
  }
  g_ptr_array_unref (jbs);

  guint64 frames = p.frames;
  g_clear_pointer (&p.sender, ams_peer_free);
  g_clear_pointer (&p.receiver, ams_peer_free);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (p.errors);
  return frames;
}

static void
test_default (void)
{
  g_assert_cmpuint (play (0, 3), >=, 1);
}

static void
test_explicit (void)
{
  g_assert_cmpuint (play (7, 7), >=, 1);
}

/* Off: the first packet waits for the latency (a minute), so nothing is
 * decoded while the bound runs, though the peers are connected and the
 * jitterbuffer exists (media reached it). */
static void
test_off (void)
{
  g_assert_cmpuint (play (-1, 0), ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/fast-start/default", test_default);
  g_test_add_func ("/media/fast-start/explicit", test_explicit);
  g_test_add_func ("/media/fast-start/off", test_off);
  return g_test_run ();
}
