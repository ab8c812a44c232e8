/* ams-room-player.c: appsrc per participant track -> one offering webrtcbin.
 *
 * The participants' RTP lives in other pipelines (one per published stream
 * in the relay), so it crosses over by buffer: a tap's appsink callback
 * pushes into this player's appsrc. Buffers are re-timestamped here (their
 * times belong to the other pipeline's clock base); the RTP inside is not
 * touched. Renegotiation is serialised: one offer at a time, the next one
 * made when the answer has brought the signaling state back to stable. */
#define GST_USE_UNSTABLE_API
#include "media/ams-room-player.h"

#include <gst/app/gstappsrc.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

#define VIDEO 0
#define AUDIO 1

typedef struct {
  GstElement              *appsrc;
  GstPad                  *sinkpad;   /* webrtcbin's */
  GstWebRTCRTPTransceiver *trans;
  GstCaps                 *caps;      /* last caps set on the appsrc */
  guint                    line;      /* index in AmsRoomPlayer.lines */
} Track;

typedef struct {
  char     *id;
  Track    *tracks[2];
  gboolean  enabled;
} Participant;

struct _AmsRoomPlayer {
  GMainContext          *context;
  char                  *room_id;
  AmsRoomPlayerCallbacks cb;
  gpointer               user_data;
  GstElement            *pipeline;
  AmsPeer               *peer;
  GHashTable            *participants;  /* id -> Participant* (owned); under lock */
  GMutex                 lock;
  gboolean               disposed;      /* under lock */
  GSList                *sources;       /* signaling-state checks, under lock */
  gulong                 state_handler;

  gboolean               started;
  gboolean               offering;      /* an offer is out, its answer not applied */
  gboolean               saw_local_offer;
  gboolean               pending;       /* renegotiate once the answer is in */
  char                  *held_sdp;      /* our offer, reported once it is applied */
  GPtrArray             *retired;       /* Track* of participants gone: see remove */
  GPtrArray             *lines;         /* track id per media m-line, in creation order
                                           ("ARDAMSv<id>"; NULL once removed) */
  gboolean               connected;
};

static void negotiate (AmsRoomPlayer *rp);
static void report_offer (AmsRoomPlayer *rp);

/* ------------------------------------------------------------ tracks */

static void
track_free (AmsRoomPlayer *rp, Track *t)
{
  if (t == NULL)
    return;
  if (t->appsrc)
    {
      gst_element_set_state (t->appsrc, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (rp->pipeline), t->appsrc);
    }
  g_clear_object (&t->sinkpad);
  g_clear_object (&t->trans);
  g_clear_pointer (&t->caps, gst_caps_unref);
  g_free (t);
}

static void
participant_free (AmsRoomPlayer *rp, Participant *p)
{
  for (int k = 0; k < 2; k++)
    track_free (rp, p->tracks[k]);
  g_free (p->id);
  g_free (p);
}

static Track *
track_new (AmsRoomPlayer *rp, GstCaps *prefs, GError **error)
{
  GstElement *webrtc = ams_peer_get_webrtcbin (rp->peer);
  Track *t = g_new0 (Track, 1);
  t->appsrc = gst_element_factory_make ("appsrc", NULL);
  if (!t->appsrc)
    {
      g_free (t);
      g_set_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN, "missing GStreamer element \"appsrc\"");
      return NULL;
    }
  /* Live, time-stamped here on arrival; a bounded queue that drops the
   * oldest, like the relay's leaky queues (webrtcbin blocks until connected). */
  g_object_set (t->appsrc, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE,
                "max-buffers", (guint64) 300, "leaky-type", 2 /* downstream */, "block", FALSE,
                NULL);
  gst_bin_add (GST_BIN (rp->pipeline), t->appsrc);
  /* Pad first, transceiver second: the other order makes a second m-line in 1.22. */
  t->sinkpad = gst_element_request_pad_simple (webrtc, "sink_%u");
  if (t->sinkpad)
    g_object_get (t->sinkpad, "transceiver", &t->trans, NULL);
  g_autoptr (GstPad) src = gst_element_get_static_pad (t->appsrc, "src");
  if (!t->trans || gst_pad_link (src, t->sinkpad) != GST_PAD_LINK_OK)
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_MEDIA,
                           "cannot add a track to the room player");
      track_free (rp, t);
      return NULL;
    }
  g_object_set (t->trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "codec-preferences", prefs, NULL);
  gst_element_sync_state_with_parent (t->appsrc);
  return t;
}

/* ------------------------------------------------------------ negotiation */

typedef struct {
  AmsRoomPlayer *rp;
  GSource       *source;
} StateCheck;

static gboolean
check_signaling_state (gpointer data)
{
  StateCheck *check = data;
  AmsRoomPlayer *rp = check->rp;
  g_mutex_lock (&rp->lock);
  rp->sources = g_slist_remove (rp->sources, check->source);
  g_mutex_unlock (&rp->lock);
  g_source_unref (check->source);

  GstWebRTCSignalingState state;
  g_object_get (ams_peer_get_webrtcbin (rp->peer), "signaling-state", &state, NULL);
  if (state == GST_WEBRTC_SIGNALING_STATE_HAVE_LOCAL_OFFER)
    {
      rp->saw_local_offer = TRUE;
      report_offer (rp);
    }
  if (state != GST_WEBRTC_SIGNALING_STATE_STABLE || !rp->offering || !rp->saw_local_offer)
    return G_SOURCE_REMOVE;
  /* The answer is applied. */
  rp->offering = FALSE;
  rp->saw_local_offer = FALSE;
  if (rp->connected)
    {
      /* New tracks need a keyframe to start; the others too, in case the
       * remote side reset its receivers while renegotiating (the relay
       * coalesces requests). */
      GList *ps = g_hash_table_get_values (rp->participants);
      for (GList *l = ps; l; l = l->next)
        {
          Participant *p = l->data;
          if (rp->cb.keyframe_needed)
            rp->cb.keyframe_needed (rp, p->id, rp->user_data);
        }
      g_list_free (ps);
    }
  if (rp->pending)
    {
      rp->pending = FALSE;
      negotiate (rp);
    }
  return G_SOURCE_REMOVE;
}

/* webrtcbin's thread (or ours): look at the state from the context. */
static void
on_signaling_state (GObject *webrtc, GParamSpec *pspec, gpointer data)
{
  AmsRoomPlayer *rp = data;
  g_mutex_lock (&rp->lock);
  if (!rp->disposed)
    {
      StateCheck *check = g_new0 (StateCheck, 1);
      check->rp = rp;
      check->source = g_idle_source_new ();
      g_source_set_callback (check->source, check_signaling_state, check, g_free);
      rp->sources = g_slist_prepend (rp->sources, check->source);
      g_source_attach (check->source, rp->context);
    }
  g_mutex_unlock (&rp->lock);
}

static void
negotiate (AmsRoomPlayer *rp)
{
  if (!rp->started)
    return;
  if (rp->offering)
    {
      rp->pending = TRUE;
      return;
    }
  g_autoptr (GError) error = NULL;
  rp->offering = TRUE;
  rp->saw_local_offer = FALSE;
  if (!ams_peer_create_offer (rp->peer, &error))
    {
      rp->offering = FALSE;
      if (rp->cb.error)
        rp->cb.error (rp, error, rp->user_data);
    }
}

/* ------------------------------------------------------------ peer callbacks */

/* The offer goes out once webrtcbin has applied it: only then do the
 * transceivers know their mids, which the id mapping needs. */
static void
report_offer (AmsRoomPlayer *rp)
{
  if (!rp->held_sdp || !rp->saw_local_offer)
    return;
  g_autofree char *sdp = g_steal_pointer (&rp->held_sdp);
  /* mid -> ARDAMSv<id> / ARDAMSa<id>: the media m-lines (all but the data
   * channel's) follow the transceivers' creation order. (The transceivers'
   * own mid property is still unset here in 1.22.) */
  GPtrArray *map = g_ptr_array_new_with_free_func (g_free);
  guint n = ams_sdp_count_media (sdp), line = 0;
  for (guint i = 0; i < n && line < rp->lines->len; i++)
    {
      g_autofree char *media = ams_sdp_index_to_media (sdp, i);
      if (g_strcmp0 (media, "video") != 0 && g_strcmp0 (media, "audio") != 0)
        continue;
      const char *track = g_ptr_array_index (rp->lines, line++);
      char *mid = ams_sdp_index_to_mid (sdp, i);
      /* A kind that does not match would be a webrtcbin change: say nothing. */
      if (!track || !mid || track[6] != media[0])
        {
          g_free (mid);
          continue;
        }
      g_ptr_array_add (map, mid);
      g_ptr_array_add (map, g_strdup (track));
    }
  g_ptr_array_add (map, NULL);
  if (rp->cb.local_description)
    rp->cb.local_description (rp, "offer", sdp, (const char *const *) map->pdata, rp->user_data);
  g_ptr_array_unref (map);
}

static void
on_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  AmsRoomPlayer *rp = data;
  g_free (rp->held_sdp);
  rp->held_sdp = g_strdup (sdp);
  report_offer (rp);
}

static void
on_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                    gpointer data)
{
  AmsRoomPlayer *rp = data;
  if (rp->cb.local_candidate)
    rp->cb.local_candidate (rp, label, mid, candidate, rp->user_data);
}

static void
on_state (AmsPeer *peer, AmsPeerStateKind kind, int state, gpointer data)
{
  AmsRoomPlayer *rp = data;
  if (kind != AMS_PEER_STATE_CONNECTION)
    return;
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED && rp->cb.error)
    {
      g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_ICE,
                                              "the connection of the room player of %s failed",
                                              rp->room_id);
      rp->cb.error (rp, error, rp->user_data);
      return;
    }
  if (state != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED || rp->connected)
    return;
  rp->connected = TRUE;
  if (rp->cb.connected)
    rp->cb.connected (rp, rp->user_data);
  /* Asked only now: a keyframe sent before DTLS is up is lost. */
  GList *ps = g_hash_table_get_values (rp->participants);
  for (GList *l = ps; l; l = l->next)
    {
      Participant *p = l->data;
      if (rp->cb.keyframe_needed)
        rp->cb.keyframe_needed (rp, p->id, rp->user_data);
    }
  g_list_free (ps);
}

static void
on_error (AmsPeer *peer, const GError *error, gpointer data)
{
  AmsRoomPlayer *rp = data;
  if (rp->cb.error)
    rp->cb.error (rp, error, rp->user_data);
}

static const AmsPeerCallbacks peer_callbacks = {
  .local_description = on_local_description,
  .local_candidate = on_local_candidate,
  .state_changed = on_state,
  .error = on_error,
};

/* ------------------------------------------------------------ public */

AmsRoomPlayer *
ams_room_player_new (const char *room_id, const AmsPeerOptions *ice, GMainContext *context,
                     const AmsRoomPlayerCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail (room_id && ice, NULL);
  ams_media_init ();
  AmsRoomPlayer *rp = g_new0 (AmsRoomPlayer, 1);
  rp->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  rp->room_id = g_strdup (room_id);
  if (callbacks)
    rp->cb = *callbacks;
  rp->user_data = user_data;
  g_mutex_init (&rp->lock);
  rp->participants = g_hash_table_new (g_str_hash, g_str_equal);
  rp->lines = g_ptr_array_new_with_free_func (g_free);
  rp->retired = g_ptr_array_new ();
  rp->pipeline = gst_pipeline_new (NULL);
  gst_object_ref_sink (rp->pipeline);
  gst_element_set_state (rp->pipeline, GST_STATE_PLAYING);

  AmsPeerOptions o;
  ams_peer_options_init (&o);
  o.role = AMS_PEER_SEND;
  o.external_bin = GST_BIN (rp->pipeline);
  o.ice_servers = ice->ice_servers;
  o.filter = ice->filter;
  o.local_address = ice->local_address;
  o.stun_pacing_ms = ice->stun_pacing_ms;
  o.data_channel = TRUE;
  o.data_channel_label = room_id;
  rp->peer = ams_peer_new (&o, rp->context, &peer_callbacks, rp, error);
  if (!rp->peer)
    {
      ams_room_player_free (rp);
      return NULL;
    }
  rp->state_handler = g_signal_connect (ams_peer_get_webrtcbin (rp->peer), "notify::signaling-state",
                                        G_CALLBACK (on_signaling_state), rp);
  return rp;
}

void
ams_room_player_free (AmsRoomPlayer *rp)
{
  if (rp == NULL)
    return;
  g_mutex_lock (&rp->lock);
  rp->disposed = TRUE;
  for (GSList *l = rp->sources; l; l = l->next)
    {
      g_source_destroy (l->data);
      g_source_unref (l->data);
    }
  g_clear_pointer (&rp->sources, g_slist_free);
  g_mutex_unlock (&rp->lock);
  if (rp->peer && rp->state_handler)
    g_signal_handler_disconnect (ams_peer_get_webrtcbin (rp->peer), rp->state_handler);
  gst_element_set_state (rp->pipeline, GST_STATE_NULL);
  GList *ps = g_hash_table_get_values (rp->participants);
  g_hash_table_remove_all (rp->participants);
  for (GList *l = ps; l; l = l->next)
    participant_free (rp, l->data);
  g_list_free (ps);
  for (guint i = 0; i < rp->retired->len; i++)
    track_free (rp, g_ptr_array_index (rp->retired, i));
  g_ptr_array_unref (rp->retired);
  g_clear_pointer (&rp->peer, ams_peer_free);
  g_clear_object (&rp->pipeline);
  g_hash_table_unref (rp->participants);
  g_mutex_clear (&rp->lock);
  g_main_context_unref (rp->context);
  g_free (rp->held_sdp);
  g_ptr_array_unref (rp->lines);
  g_free (rp->room_id);
  g_free (rp);
}

gboolean
ams_room_player_start (AmsRoomPlayer *rp, GError **error)
{
  g_return_val_if_fail (rp, FALSE);
  if (rp->started)
    return TRUE;
  rp->started = TRUE;
  rp->offering = TRUE;
  if (!ams_peer_create_offer (rp->peer, error))
    {
      rp->offering = FALSE;
      return FALSE;
    }
  return TRUE;
}

gboolean
ams_room_player_add_participant (AmsRoomPlayer *rp, const char *participant, GstCaps *video_prefs,
                                 GstCaps *audio_prefs, GError **error)
{
  g_return_val_if_fail (rp && participant, FALSE);
  if (g_hash_table_contains (rp->participants, participant))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "%s is already in the room player",
                   participant);
      return FALSE;
    }
  Participant *p = g_new0 (Participant, 1);
  p->id = g_strdup (participant);
  p->enabled = TRUE;
  GstCaps *prefs[2] = { video_prefs, audio_prefs };
  for (int k = 0; k < 2; k++)
    {
      if (!prefs[k])
        continue;
      p->tracks[k] = track_new (rp, prefs[k], error);
      if (!p->tracks[k])
        {
          participant_free (rp, p);
          return FALSE;
        }
      /* webrtcbin keeps each transceiver's m-line for good and puts new
       * ones after the existing ones, in creation order. */
      p->tracks[k]->line = rp->lines->len;
      g_ptr_array_add (rp->lines, g_strdup_printf ("ARDAMS%c%s", k == VIDEO ? 'v' : 'a', p->id));
    }
  g_mutex_lock (&rp->lock);
  g_hash_table_insert (rp->participants, p->id, p);
  g_mutex_unlock (&rp->lock);
  negotiate (rp);
  return TRUE;
}

static GstPadProbeReturn
drop_everything (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return GST_PAD_PROBE_DROP;
}

void
ams_room_player_remove_participant (AmsRoomPlayer *rp, const char *participant)
{
  g_return_if_fail (rp && participant);
  g_mutex_lock (&rp->lock);
  Participant *p = g_hash_table_lookup (rp->participants, participant);
  if (p)
    g_hash_table_remove (rp->participants, participant);
  g_mutex_unlock (&rp->lock);
  if (p == NULL)
    return;
  for (int k = 0; k < 2; k++)
    if (p->tracks[k])
      {
        /* Nothing more of it reaches webrtcbin, queued buffers included:
         * RTP on an m-line the other side has made inactive disturbs its
         * other streams. */
        g_autoptr (GstPad) src = gst_element_get_static_pad (p->tracks[k]->appsrc, "src");
        gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                           drop_everything, NULL, NULL);
        /* webrtcbin 1.22 cannot drop an m-line: it goes inactive. */
        g_object_set (p->tracks[k]->trans, "direction",
                      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
        g_clear_pointer (&g_ptr_array_index (rp->lines, p->tracks[k]->line), g_free);
        /* Its appsrc stays, idle, until the player ends: taking a linked
         * source out of the running pipeline stops the other tracks of the
         * bundle in webrtcbin 1.22 (measured). */
        g_ptr_array_add (rp->retired, g_steal_pointer (&p->tracks[k]));
      }
  participant_free (rp, p);
  negotiate (rp);
}

void
ams_room_player_set_enabled (AmsRoomPlayer *rp, const char *participant, gboolean enabled)
{
  g_mutex_lock (&rp->lock);
  Participant *p = g_hash_table_lookup (rp->participants, participant);
  gboolean resumed = p && enabled && !p->enabled;
  if (p)
    p->enabled = enabled;
  g_mutex_unlock (&rp->lock);
  /* The decoder missed frames: it needs a keyframe to resume. */
  if (resumed && rp->connected && rp->cb.keyframe_needed)
    rp->cb.keyframe_needed (rp, participant, rp->user_data);
}

gboolean
ams_room_player_has_participant (AmsRoomPlayer *rp, const char *participant)
{
  return participant && g_hash_table_contains (rp->participants, participant);
}

void
ams_room_player_push (AmsRoomPlayer *rp, const char *participant, const char *media,
                      GstBuffer *buffer, GstCaps *caps)
{
  int kind = g_strcmp0 (media, "video") == 0 ? VIDEO : g_strcmp0 (media, "audio") == 0 ? AUDIO : -1;
  if (kind < 0)
    return;
  GstElement *appsrc = NULL;
  GstCaps *new_caps = NULL;
  g_mutex_lock (&rp->lock);
  Participant *p = rp->disposed ? NULL : g_hash_table_lookup (rp->participants, participant);
  Track *t = p && p->enabled ? p->tracks[kind] : NULL;
  if (t)
    {
      appsrc = gst_object_ref (t->appsrc);
      if (caps && (!t->caps || !gst_caps_is_equal (caps, t->caps)))
        {
          gst_caps_replace (&t->caps, caps);
          new_caps = gst_caps_ref (caps);
        }
    }
  g_mutex_unlock (&rp->lock);
  if (!appsrc)
    return;
  if (new_caps)
    {
      gst_app_src_set_caps (GST_APP_SRC (appsrc), new_caps);
      gst_caps_unref (new_caps);
    }
  /* Its times belong to the other pipeline: appsrc stamps it on arrival. */
  GstBuffer *copy = gst_buffer_copy (buffer);
  GST_BUFFER_PTS (copy) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (appsrc), copy);
  gst_object_unref (appsrc);
}

gboolean
ams_room_player_set_answer (AmsRoomPlayer *rp, const char *sdp, GError **error)
{
  g_return_val_if_fail (rp, FALSE);
  return ams_peer_set_remote_description (rp->peer, "answer", sdp, error);
}

gboolean
ams_room_player_add_candidate (AmsRoomPlayer *rp, int label, const char *mid,
                               const char *candidate, GError **error)
{
  g_return_val_if_fail (rp, FALSE);
  return ams_peer_add_ice_candidate (rp->peer, label, mid, candidate, error);
}

AmsPeer *
ams_room_player_get_peer (AmsRoomPlayer *rp)
{
  return rp->peer;
}
