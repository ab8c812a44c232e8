/* ams-relay.c: publisher webrtcbin -> tee -> a few sending groups (leaky
 * queue -> tee, one thread per core) -> player webrtcbins, per published
 * stream, in one pipeline, RTP forwarded as it arrives.
 *
 * Facts this relies on (measured, see the stack notes): request the player's
 * webrtcbin sink pad first and then set its transceiver (else 1.22 makes a
 * second m-line); take codec-preferences from the publisher's negotiated SDP
 * (the relay's input caps only exist once RTP flows); each player's tee pad
 * drops buffers until the player is connected, because webrtcbin blocks its
 * sink pads until its DTLS is up (a queue per player would also do, at the
 * cost of one thread and one wake-up per packet and player); a keyframe
 * request when a player connects, coalesced on the trailing edge. */
#define GST_USE_UNSTABLE_API
#include "media/ams-relay.h"

#include <gst/app/gstappsink.h>
#include <gst/webrtc/webrtc.h>
#include <gst/video/video.h>
#include <string.h>

#define DEFAULT_KEYFRAME_WINDOW_MS 400
#define TICK_MS 1000
#define VIDEO 0
#define AUDIO 1
/* A player's media passes once both are set. */
#define GATE_CONNECTED 1   /* the peer connection is connected (keyframe asked then) */
#define GATE_KEYED     2   /* its DTLS-SRTP encoder has its key: webrtcbin's block is gone */
#define GATE_OPEN      (GATE_CONNECTED | GATE_KEYED)
#define GATE_DATA      "ams-relay-gate"
/* Players are spread over this many sending threads at most (one per core):
 * one thread sending to every player saturates a core near 100 players at
 * 30 fps, one thread per player costs a wake-up per packet and player. */
#define MAX_GROUPS     4
#define RELAY_LOG_DOMAIN "ams-relay"

typedef struct _Stream Stream;

typedef struct {
  guint           id;
  Stream         *stream;
  GstElement     *queue, *appsink;
  GstPad         *tee_pad;
  int             kind;
  AmsRelayTapFunc func;
  gpointer        user_data;
  GDestroyNotify  notify;
} Tap;

typedef struct {
  AmsRelay   *relay;
  Stream     *stream;
  char       *key;
  AmsPeer    *peer;
  GstElement *tees[2];        /* its group's tees */
  GstPad     *tee_pads[2];
  gint       *gate;           /* atomic rc box shared with the branch probes: GATE_* bits */
  gboolean    connected;
} Player;

struct _Stream {
  gatomicrefcount ref;
  gboolean     dead;          /* torn down: pending events are dropped */
  AmsRelay    *relay;
  char        *id;
  char        *key;           /* the publisher's */
  GstElement  *pipeline;
  GSource     *bus_source;
  AmsPeer     *publisher;
  GstElement  *tees[2];
  /* Sending groups: tees[k] -> leaky queue (one thread) -> group tee -> players. */
  GstElement  *group_tees[2][MAX_GROUPS];
  GstCaps     *prefs[2];      /* codec-preferences for players, from the answer */
  char        *codecs[2];     /* encoding names */
  gboolean     answered;
  GPtrArray   *players;       /* Player*, attached or waiting for the answer */
  GPtrArray   *taps;          /* Tap* */
  GSource     *keyframe_timer;
  guint        keyframe_requests;
  guint        players_joined;
  gint         upstream_keyframes;   /* atomic: requests that went to the publisher */
  gint         player_keyframes;     /* atomic: players' own requests, coalesced */
  gint64       last_keyframe_us;

  /* Written on streaming threads. */
  GMutex       lock;
  guint64      bytes[2];
  gint64       last_rtp_us;
  gboolean     started;
  gboolean     analysing;
  guint        width, height;

  /* Context thread only. */
  guint64      prev_bytes[2];
  gint64       prev_tick_us;
  guint        bitrate[2];
  gboolean     started_reported;
};

struct _AmsRelay {
  GMainContext     *context;
  AmsRelayOptions   opts;
  char            **ice_servers;
  char             *filter_address;
  char             *local_address;
  AmsRelayCallbacks cb;
  gpointer          user_data;
  GHashTable       *streams;     /* id -> Stream* (owned) */
  GHashTable       *publishers;  /* key -> Stream* */
  GHashTable       *players;     /* key -> Player* (owned by stream->players) */
  GHashTable       *taps;        /* id -> Tap* (owned by stream->taps) */
  guint             next_tap;
  GSource          *tick;
};

static void stream_teardown (Stream *stream, gboolean report);
static void watch_existing_encoders (GstElement *webrtc, gint *gate, gboolean keyed_now);
static void report_started (Stream *stream);

/* ------------------------------------------------------------ small helpers */

static Stream *
stream_ref (Stream *s)
{
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

static void
stream_unref (Stream *s)
{
  if (!g_atomic_ref_count_dec (&s->ref))
    return;
  for (int k = 0; k < 2; k++) {
    g_clear_pointer (&s->prefs[k], gst_caps_unref);
    g_free (s->codecs[k]);
  }
  g_clear_object (&s->pipeline);
  g_ptr_array_unref (s->players);
  g_ptr_array_unref (s->taps);
  g_mutex_clear (&s->lock);
  g_free (s->id);
  g_free (s->key);
  g_free (s);
}

static GSource *
attach_timeout (AmsRelay *relay, guint ms, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_timeout_source_new (ms);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, relay->context);
  return source;
}

/* Runs @func(@stream) on the relay's context, unless the stream died meanwhile. */
typedef struct {
  Stream *stream;
  void (*func) (Stream *stream);
} StreamCall;

static gboolean
stream_call_dispatch (gpointer data)
{
  StreamCall *call = data;
  if (!call->stream->dead)
    call->func (call->stream);
  return G_SOURCE_REMOVE;
}

static void
stream_call_free (StreamCall *call)
{
  stream_unref (call->stream);
  g_free (call);
}

static void
stream_call (Stream *stream, void (*func) (Stream *))
{
  StreamCall *call = g_new0 (StreamCall, 1);
  call->stream = stream_ref (stream);
  call->func = func;
  GSource *source = g_idle_source_new ();
  g_source_set_callback (source, stream_call_dispatch, call, (GDestroyNotify) stream_call_free);
  g_source_attach (source, stream->relay->context);
  g_source_unref (source);
}

static void
report_error (AmsRelay *relay, const char *key, const GError *error)
{
  if (relay->cb.error)
    relay->cb.error (relay, key, error, relay->user_data);
  else
    g_warning ("relay %s: %s", key, error->message);
}

/* ------------------------------------------------------------ codec preferences */

/* fmtp keys become caps fields: keep only names GstStructure accepts. */
static gboolean
is_field_name (const char *name)
{
  if (!g_ascii_isalpha (name[0]))
    return FALSE;
  for (const char *c = name; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      return FALSE;
  return TRUE;
}

/* Caps for a player's transceiver: the publisher's codec with the same
 * payload type, its fmtp verbatim (profile-level-id matters for H.264) and
 * its SSRC, so packets pass untouched. */
static GstCaps *
preference_caps (const AmsSdpCodec *codec, guint32 ssrc)
{
  g_autofree char *name = g_ascii_strup (codec->encoding_name, -1);
  GstStructure *s = gst_structure_new ("application/x-rtp",
                                       "media", G_TYPE_STRING, codec->media,
                                       "encoding-name", G_TYPE_STRING, name,
                                       "payload", G_TYPE_INT, (int) codec->payload_type,
                                       "clock-rate", G_TYPE_INT, (int) codec->clock_rate, NULL);
  if (codec->channels)
    gst_structure_set (s, "encoding-params", G_TYPE_STRING,
                       codec->channels == 2 ? "2" : "1", NULL);
  if (codec->fmtp) {
    g_auto (GStrv) params = g_strsplit (codec->fmtp, ";", -1);
    for (char **p = params; *p; p++) {
      char *eq = strchr (*p, '=');
      if (!eq)
        continue;
      *eq = '\0';
      g_autofree char *k = g_strstrip (g_strdup (*p));
      g_autofree char *v = g_strstrip (g_strdup (eq + 1));
      if (is_field_name (k))
        gst_structure_set (s, k, G_TYPE_STRING, v, NULL);
    }
  }
  if (g_str_equal (codec->media, "video"))
    gst_structure_set (s, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                       "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
  if (ssrc)
    gst_structure_set (s, "ssrc", G_TYPE_UINT, ssrc, NULL);
  GstCaps *caps = gst_caps_new_empty ();
  gst_caps_append_structure (caps, s);
  return caps;
}

static gboolean
is_fec_or_rtx (const char *name)
{
  return !g_ascii_strcasecmp (name, "rtx") || !g_ascii_strcasecmp (name, "red") ||
         !g_ascii_strcasecmp (name, "ulpfec") || !g_ascii_strcasecmp (name, "flexfec-03");
}

/* From the relay's answer (what the publisher will send) and the publisher's
 * offer (its SSRCs). */
static void
compute_preferences (Stream *stream, const char *answer)
{
  g_autoptr (GPtrArray) local = ams_sdp_get_codecs (answer, NULL);
  g_autoptr (GPtrArray) remote = ams_sdp_get_codecs (ams_peer_get_remote_sdp (stream->publisher),
                                                     NULL);
  for (guint i = 0; local && i < local->len; i++) {
    AmsSdpCodec *c = local->pdata[i];
    int kind = g_strcmp0 (c->media, "video") == 0 ? VIDEO
             : g_strcmp0 (c->media, "audio") == 0 ? AUDIO : -1;
    if (kind < 0 || stream->prefs[kind] || !c->encoding_name || !c->clock_rate ||
        is_fec_or_rtx (c->encoding_name))
      continue;
    guint32 ssrc = 0;
    for (guint j = 0; remote && j < remote->len; j++) {
      AmsSdpCodec *r = remote->pdata[j];
      if (r->mline == c->mline && r->ssrc) {
        ssrc = r->ssrc;
        break;
      }
    }
    stream->prefs[kind] = preference_caps (c, ssrc);
    stream->codecs[kind] = g_ascii_strup (c->encoding_name, -1);
  }
}

/* ------------------------------------------------------------ keyframes */

static void
push_keyframe_request (Stream *stream)
{
  if (!stream->tees[VIDEO])
    return;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (stream->tees[VIDEO], "sink");
  /* Upstream through the publisher's webrtcbin, which turns it into a PLI/FIR;
   * marked so that keyframe_probe lets it pass. */
  GstEvent *event = gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0);
  gst_structure_set (gst_event_writable_structure (event), "ams-relay", G_TYPE_BOOLEAN, TRUE, NULL);
  gst_pad_push_event (sink, event);
  stream->keyframe_requests++;
  stream->last_keyframe_us = g_get_monotonic_time ();
}

static gboolean
keyframe_fire (gpointer data)
{
  Stream *stream = data;
  g_clear_pointer (&stream->keyframe_timer, g_source_unref);
  if (!stream->dead)
    push_keyframe_request (stream);
  return G_SOURCE_REMOVE;
}

/* At most one request per window: the first at once (a lone joiner starts
 * fast), the rest coalesced into one at the window's end, since every
 * keyframe reaches every player. */
static void
request_keyframe (Stream *stream)
{
  if (stream->keyframe_timer)
    return;
  gint64 window = (stream->relay->opts.keyframe_window_ms ? stream->relay->opts.keyframe_window_ms
                                                          : DEFAULT_KEYFRAME_WINDOW_MS) * 1000;
  gint64 since = g_get_monotonic_time () - stream->last_keyframe_us;
  if (!stream->last_keyframe_us || since >= window) {
    push_keyframe_request (stream);
    return;
  }
  stream->keyframe_timer = attach_timeout (stream->relay, (guint) ((window - since) / 1000) + 1,
                                           keyframe_fire, stream_ref (stream),
                                           (GDestroyNotify) stream_unref);
}

/* Streaming thread (a player's, or ours from push_keyframe_request):
 * keyframe requests on their way to the publisher. A player's own PLI/FIR
 * joins the relay's coalesced request instead: every keyframe reaches every
 * player, so 100 players joining cost the publisher a few keyframes, not 100. */
static GstPadProbeReturn
keyframe_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Stream *stream = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  const GstStructure *s = gst_event_get_structure (event);
  if (s && gst_structure_has_field (s, "ams-relay")) {
    g_atomic_int_inc (&stream->upstream_keyframes);
    return GST_PAD_PROBE_OK;
  }
  g_atomic_int_inc (&stream->player_keyframes);
  stream_call (stream, request_keyframe);
  return GST_PAD_PROBE_DROP;
}

/* ------------------------------------------------------------ players */

static void
player_on_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  Player *p = data;
  if (p->relay->cb.local_description)
    p->relay->cb.local_description (p->relay, p->key, type, sdp, p->relay->user_data);
}

static void
player_on_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                           gpointer data)
{
  Player *p = data;
  if (p->relay->cb.local_candidate)
    p->relay->cb.local_candidate (p->relay, p->key, label, mid, candidate, p->relay->user_data);
}

static void
player_on_state (AmsPeer *peer, AmsPeerStateKind kind, int state, gpointer data)
{
  Player *p = data;
  if (kind == AMS_PEER_STATE_CONNECTION && state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_ICE,
                                            "the connection to player %s failed", p->key);
    report_error (p->relay, p->key, error);
    return;
  }
  if (kind != AMS_PEER_STATE_CONNECTION || state != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED ||
      p->connected)
    return;
  p->connected = TRUE;
  /* Media flows from now on; the keyframe asked below is the first thing it
   * gets. Asking when the player is created is too early: the keyframe is
   * lost before its DTLS is up. */
  watch_existing_encoders (ams_peer_get_webrtcbin (p->peer), p->gate, TRUE);
  g_atomic_int_or ((guint *) p->gate, GATE_CONNECTED);
  request_keyframe (p->stream);
  if (p->relay->cb.player_connected)
    p->relay->cb.player_connected (p->relay, p->stream->id, p->key, p->relay->user_data);
}

static void
player_on_error (AmsPeer *peer, const GError *error, gpointer data)
{
  Player *p = data;
  report_error (p->relay, p->key, error);
}

static void
send_to (AmsPeer *peer, GBytes *data, gboolean binary)
{
  if (!peer || !ams_peer_data_channel_is_open (peer))
    return;
  if (binary) {
    ams_peer_send_data (peer, data, NULL);
  } else {
    gsize size;
    const char *text = g_bytes_get_data (data, &size);
    /* Text arrives NUL-terminated from AmsPeer; guard anyway. */
    g_autofree char *copy = g_strndup (text, size);
    ams_peer_send_text (peer, copy, NULL);
  }
}

static void
player_on_data (AmsPeer *peer, GBytes *data, gboolean binary, gpointer user_data)
{
  Player *p = user_data;
  AmsRelay *relay = p->relay;
  if (relay->cb.data_message)
    relay->cb.data_message (relay, p->stream->id, p->key, data, binary, relay->user_data);
  if (relay->opts.distribution == AMS_RELAY_DISTRIBUTION_NONE)
    return;
  send_to (p->stream->publisher, data, binary);
  if (relay->opts.distribution == AMS_RELAY_DISTRIBUTION_ALL) {
    for (guint i = 0; i < p->stream->players->len; i++) {
      Player *other = p->stream->players->pdata[i];
      if (other != p)
        send_to (other->peer, data, binary);
    }
  }
}

static const AmsPeerCallbacks player_callbacks = {
  .local_description = player_on_local_description,
  .local_candidate = player_on_local_candidate,
  .state_changed = player_on_state,
  .error = player_on_error,
  .data_message = player_on_data,
};

static void
fill_peer_options (AmsRelay *relay, AmsPeerOptions *o, AmsPeerRole role, Stream *stream)
{
  ams_peer_options_init (o);
  o->role = role;
  o->external_bin = GST_BIN (stream->pipeline);
  o->ice_servers = (const char * const *) relay->ice_servers;
  o->filter = relay->opts.filter;
  o->local_address = relay->local_address;
  o->latency_ms = relay->opts.latency_ms;
}

/* Streaming thread (the player's sending group). A player's branch is its
 * group tee's src pad linked straight into its webrtcbin: no queue and no
 * thread per player. webrtcbin blocks buffers until its DTLS is up, so
 * nothing passes before that: one player that never connects cannot stall
 * the others of its group. */
static GstPadProbeReturn
gate_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return g_atomic_int_get ((gint *) data) == GATE_OPEN ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* DTLS thread: webrtcbin unblocks its RTP path on the same signal, in a
 * handler connected before this one. "Connected" alone is not enough: it is
 * reported from another thread and could come first, and a push into the
 * still-blocked path would hold the group's thread, every one of its
 * players' media. */
static void
on_key_set (GstElement *dtlssrtpenc, gpointer gate)
{
  g_atomic_int_or ((guint *) gate, GATE_KEYED);
}

static void
watch_encoder (GstElement *element, gint *gate)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  if (!factory || g_strcmp0 (GST_OBJECT_NAME (factory), "dtlssrtpenc") != 0)
    return;
  if (g_object_get_data (G_OBJECT (element), GATE_DATA))
    return;   /* seen already */
  g_object_set_data (G_OBJECT (element), GATE_DATA, gate);
  g_signal_connect_data (element, "on-key-set", G_CALLBACK (on_key_set),
                         g_atomic_rc_box_acquire (gate),
                         (GClosureNotify) (void (*) (void)) g_atomic_rc_box_release, 0);
}

/* Any thread: an element was added somewhere in the stream's pipeline; a
 * DTLS-SRTP encoder inside a player's webrtcbin gets watched. */
static void
on_deep_element_added (GstBin *pipeline, GstBin *sub_bin, GstElement *element, gpointer data)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (element));
  while (parent) {
    gint *gate = g_object_get_data (G_OBJECT (parent), GATE_DATA);
    if (gate && GST_IS_BIN (parent)) {
      watch_encoder (element, gate);
      gst_object_unref (parent);
      return;
    }
    GstObject *up = gst_object_get_parent (parent);
    gst_object_unref (parent);
    parent = up;
  }
}

/* The encoders webrtcbin made before the gate was attached (the data
 * channel's transport is made with the peer). With @keyed_now, one whose
 * DTLS is already connected opens the gate at once: its key was set before
 * we could watch it (an encoder added while the gate was being attached is
 * seen by neither path until the player connects). */
static void
watch_existing_encoders (GstElement *webrtc, gint *gate, gboolean keyed_now)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (webrtc));
  GValue item = G_VALUE_INIT;
  for (;;) {
    GstIteratorResult r = gst_iterator_next (it, &item);
    if (r == GST_ITERATOR_OK) {
      GstElement *element = g_value_get_object (&item);
      watch_encoder (element, gate);
      GstElementFactory *factory = gst_element_get_factory (element);
      gint state = 0;
      if (keyed_now && factory && g_strcmp0 (GST_OBJECT_NAME (factory), "dtlssrtpenc") == 0) {
        g_object_get (element, "connection-state", &state, NULL);
        if (state == 4 /* GST_DTLS_CONNECTION_STATE_CONNECTED */)
          g_atomic_int_or ((guint *) gate, GATE_KEYED);
      }
      g_value_reset (&item);
    } else if (r == GST_ITERATOR_RESYNC) {
      gst_iterator_resync (it);   /* watching twice is harmless */
    } else {
      break;
    }
  }
  g_value_unset (&item);
}

static guint
group_count (void)
{
  return CLAMP (g_get_num_processors (), 1, MAX_GROUPS);
}

/* The tee of sending group @g for @kind, made on first use: a leaky queue
 * (its thread does the sending, and a stuck group never stalls the input)
 * off the stream's tee. Context thread. */
static GstElement *
group_tee (Stream *stream, int kind, guint g)
{
  if (stream->group_tees[kind][g])
    return stream->group_tees[kind][g];
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstElement *tee = gst_element_factory_make ("tee", NULL);
  if (!queue || !tee) {
    g_clear_object (&queue);
    g_clear_object (&tee);
    return NULL;
  }
  g_object_set (queue, "leaky", 2 /* downstream */, "max-size-buffers", 300,
                "max-size-bytes", 0, "max-size-time", (guint64) 0, NULL);
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add_many (GST_BIN (stream->pipeline), queue, tee, NULL);
  gst_element_link (queue, tee);
  gst_element_sync_state_with_parent (tee);
  gst_element_sync_state_with_parent (queue);
  GstPad *src = gst_element_request_pad_simple (stream->tees[kind], "src_%u");
  g_autoptr (GstPad) sink = gst_element_get_static_pad (queue, "sink");
  gst_pad_link (src, sink);
  gst_object_unref (src);   /* the tee keeps it for the stream's life */
  stream->group_tees[kind][g] = tee;
  return tee;
}

/* Builds the player's webrtcbin and branches and makes the offer. */
static gboolean
player_attach (Player *p, GError **error)
{
  Stream *stream = p->stream;
  AmsPeerOptions o;
  fill_peer_options (p->relay, &o, AMS_PEER_SEND, stream);
  o.video = stream->prefs[VIDEO] != NULL;
  o.audio = stream->prefs[AUDIO] != NULL;
  o.data_channel = TRUE;
  o.data_channel_label = stream->id;
  p->peer = ams_peer_new (&o, p->relay->context, &player_callbacks, p, error);
  if (!p->peer)
    return FALSE;
  GstElement *webrtc = ams_peer_get_webrtcbin (p->peer);

  p->gate = g_atomic_rc_box_new0 (gint);
  g_object_set_data_full (G_OBJECT (webrtc), GATE_DATA, g_atomic_rc_box_acquire (p->gate),
                          (GDestroyNotify) g_atomic_rc_box_release);
  watch_existing_encoders (webrtc, p->gate, FALSE);
  for (int k = 0; k < 2; k++) {
    if (!stream->prefs[k])
      continue;
    GstPad *sink = gst_element_request_pad_simple (webrtc, "sink_%u");
    GstWebRTCRTPTransceiver *trans = NULL;
    if (sink)
      g_object_get (sink, "transceiver", &trans, NULL);
    if (trans) {
      g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                    "codec-preferences", stream->prefs[k], NULL);
      gst_object_unref (trans);
    }
    /* round robin over the sending groups */
    p->tees[k] = group_tee (stream, k, stream->players_joined % group_count ());
    p->tee_pads[k] = p->tees[k] ? gst_element_request_pad_simple (p->tees[k], "src_%u") : NULL;
    if (p->tee_pads[k])
      gst_pad_add_probe (p->tee_pads[k], GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                         gate_probe, g_atomic_rc_box_acquire (p->gate),
                         (GDestroyNotify) g_atomic_rc_box_release);
    gboolean linked = sink && p->tee_pads[k] && gst_pad_link (p->tee_pads[k], sink) == GST_PAD_LINK_OK;
    g_clear_object (&sink);
    if (!linked) {
      g_set_error (error, AMS_ERROR, AMS_ERROR_MEDIA, "cannot link player %s to stream %s",
                   p->key, stream->id);
      return FALSE;
    }
  }
  stream->players_joined++;
  return ams_peer_create_offer (p->peer, error);
}

static void
player_detach_and_free (Player *p)
{
  for (int k = 0; k < 2; k++) {
    if (p->tee_pads[k]) {
      /* tee tolerates releasing a src pad while it streams. */
      gst_element_release_request_pad (p->tees[k], p->tee_pads[k]);
      gst_object_unref (p->tee_pads[k]);
    }
  }
  if (p->gate) {
    /* a push in flight may still pass; webrtcbin going to NULL waits for it */
    g_atomic_int_set (p->gate, 0);
    g_atomic_rc_box_release (p->gate);
  }
  g_clear_pointer (&p->peer, ams_peer_free);
  g_free (p->key);
  g_free (p);
}

/* ------------------------------------------------------------ publisher */

static GstPadProbeReturn
rtp_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Stream *stream = data;
  int kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (pad), "ams-kind"));
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean first = FALSE;
  g_mutex_lock (&stream->lock);
  stream->bytes[kind] += gst_buffer_get_size (buffer);
  stream->last_rtp_us = g_get_monotonic_time ();
  if (!stream->started)
    first = stream->started = TRUE;
  g_mutex_unlock (&stream->lock);
  if (first)
    stream_call (stream, report_started);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
analysis_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Stream *stream = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  int w = 0, h = 0;
  if (gst_structure_get_int (s, "width", &w) && gst_structure_get_int (s, "height", &h)) {
    g_mutex_lock (&stream->lock);
    stream->width = w;
    stream->height = h;
    g_mutex_unlock (&stream->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* A depayloader and parser off the video tee, no decoding, only to read the
 * resolution from keyframes for getStreamInfo. Streaming thread. */
static void
add_analysis (Stream *stream, const char *encoding)
{
  const char *desc = NULL;
  if (!g_ascii_strcasecmp (encoding, "VP8"))
    desc = "queue leaky=downstream max-size-buffers=50 ! rtpvp8depay ! fakesink name=sink sync=false async=false";
  else if (!g_ascii_strcasecmp (encoding, "H264"))
    desc = "queue leaky=downstream max-size-buffers=50 ! rtph264depay ! h264parse ! "
           "fakesink name=sink sync=false async=false";
  if (!desc)
    return;
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, NULL);
  if (!bin)
    return;
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, analysis_probe, stream, NULL);
  gst_bin_add (GST_BIN (stream->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  GstPad *teesrc = gst_element_request_pad_simple (stream->tees[VIDEO], "src_%u");
  g_autoptr (GstPad) binsink = gst_element_get_static_pad (bin, "sink");
  gst_pad_link (teesrc, binsink);
  gst_object_unref (teesrc);
}

/* Streaming thread: the publisher's received RTP, into its tee. */
static void
publisher_on_rtp_pad (AmsPeer *peer, GstPad *pad, const char *media, gpointer data)
{
  Stream *stream = data;
  int kind = g_str_equal (media, "video") ? VIDEO : g_str_equal (media, "audio") ? AUDIO : -1;
  if (kind < 0 || !stream->tees[kind])
    return;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (stream->tees[kind], "sink");
  if (gst_pad_is_linked (sink))
    return;   /* a second stream of one kind is not relayed */
  g_object_set_data (G_OBJECT (sink), "ams-kind", GINT_TO_POINTER (kind));
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, rtp_probe, stream, NULL);
  gst_pad_link (pad, sink);
  if (kind == VIDEO) {
    g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
    const char *enc = caps ? gst_structure_get_string (gst_caps_get_structure (caps, 0),
                                                       "encoding-name") : NULL;
    g_mutex_lock (&stream->lock);
    gboolean analyse = !stream->analysing;
    stream->analysing = TRUE;
    g_mutex_unlock (&stream->lock);
    if (analyse && enc)
      add_analysis (stream, enc);
  }
}

static void
publisher_on_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  Stream *stream = data;
  AmsRelay *relay = stream->relay;
  if (!stream->answered) {
    stream->answered = TRUE;
    compute_preferences (stream, sdp);
  }
  if (relay->cb.local_description)
    relay->cb.local_description (relay, stream->key, type, sdp, relay->user_data);
  /* Players that came before the answer. */
  for (guint i = 0; i < stream->players->len && !stream->dead; i++) {
    Player *p = stream->players->pdata[i];
    if (p->peer)
      continue;
    g_autoptr (GError) error = NULL;
    if (!player_attach (p, &error))
      report_error (relay, p->key, error);
  }
}

static void
publisher_on_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                              gpointer data)
{
  Stream *stream = data;
  if (stream->relay->cb.local_candidate)
    stream->relay->cb.local_candidate (stream->relay, stream->key, label, mid, candidate,
                                       stream->relay->user_data);
}

static void
publisher_gone_now (Stream *stream)
{
  stream_teardown (stream, TRUE);
}

static void
publisher_on_state (AmsPeer *peer, AmsPeerStateKind kind, int state, gpointer data)
{
  Stream *stream = data;
  if (kind == AMS_PEER_STATE_CONNECTION && (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
                                            state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED))
    stream_call (stream, publisher_gone_now);   /* not from inside the peer's own callback */
}

static void
publisher_on_error (AmsPeer *peer, const GError *error, gpointer data)
{
  Stream *stream = data;
  report_error (stream->relay, stream->key, error);
}

static void
publisher_on_data (AmsPeer *peer, GBytes *data, gboolean binary, gpointer user_data)
{
  Stream *stream = user_data;
  AmsRelay *relay = stream->relay;
  if (relay->cb.data_message)
    relay->cb.data_message (relay, stream->id, stream->key, data, binary, relay->user_data);
  for (guint i = 0; i < stream->players->len; i++) {
    Player *p = stream->players->pdata[i];
    send_to (p->peer, data, binary);
  }
}

static const AmsPeerCallbacks publisher_callbacks = {
  .local_description = publisher_on_local_description,
  .local_candidate = publisher_on_local_candidate,
  .state_changed = publisher_on_state,
  .error = publisher_on_error,
  .data_message = publisher_on_data,
  .rtp_pad_added = publisher_on_rtp_pad,
};

static void
report_started (Stream *stream)
{
  if (stream->started_reported)
    return;
  stream->started_reported = TRUE;
  if (stream->relay->cb.publisher_started)
    stream->relay->cb.publisher_started (stream->relay, stream->id, stream->relay->user_data);
}

static gboolean
stream_bus_watch (GstBus *bus, GstMessage *msg, gpointer data)
{
  Stream *stream = data;
  if (stream->dead || GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  GstObject *src = GST_MESSAGE_SRC (msg);
  g_autoptr (GError) gerr = NULL;
  gst_message_parse_error (msg, &gerr, NULL);
  g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_MEDIA, "%s: %s",
                                          src ? GST_OBJECT_NAME (src) : "?", gerr->message);
  /* Every player's webrtcbin shares the stream's bus: an error from inside
   * one (typically its sctpenc when that browser goes away) ends only that
   * player, never the publisher and the other players. */
  for (guint i = 0; src && i < stream->players->len; i++) {
    Player *p = stream->players->pdata[i];
    GstElement *webrtc = p->peer ? ams_peer_get_webrtcbin (p->peer) : NULL;
    if (webrtc && gst_object_has_as_ancestor (src, GST_OBJECT (webrtc))) {
      report_error (stream->relay, p->key, error);
      return G_SOURCE_CONTINUE;
    }
  }
  /* Posted before its player was removed from the pipeline: that player is
   * already gone, nothing of the stream failed. */
  if (src && !gst_object_has_as_ancestor (src, GST_OBJECT (stream->pipeline))) {
    g_debug ("relay %s: ignoring an error of a removed element: %s", stream->id, error->message);
    return G_SOURCE_CONTINUE;
  }
  report_error (stream->relay, stream->key, error);
  return G_SOURCE_CONTINUE;
}

gboolean
ams_relay_add_publisher (AmsRelay *relay, const char *stream_id, const char *key,
                         const char *offer_sdp, GError **error)
{
  g_return_val_if_fail (relay && stream_id && key, FALSE);
  if (g_hash_table_contains (relay->streams, stream_id)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_STREAM_ID_IN_USE, "stream %s is already published",
                 stream_id);
    return FALSE;
  }
  if (g_hash_table_contains (relay->publishers, key) || g_hash_table_contains (relay->players, key)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "key %s is in use", key);
    return FALSE;
  }
  g_autoptr (GPtrArray) codecs = ams_sdp_get_codecs (offer_sdp, error);
  if (!codecs)
    return FALSE;
  gboolean has[2] = { FALSE, FALSE };
  for (guint i = 0; i < codecs->len; i++) {
    AmsSdpCodec *c = codecs->pdata[i];
    if (g_strcmp0 (c->media, "video") == 0)
      has[VIDEO] = TRUE;
    else if (g_strcmp0 (c->media, "audio") == 0)
      has[AUDIO] = TRUE;
  }
  if (!gst_element_factory_find ("tee")) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN, "missing GStreamer element \"tee\"");
    return FALSE;
  }

  Stream *stream = g_new0 (Stream, 1);
  g_atomic_ref_count_init (&stream->ref);
  g_mutex_init (&stream->lock);
  stream->relay = relay;
  stream->id = g_strdup (stream_id);
  stream->key = g_strdup (key);
  stream->players = g_ptr_array_new ();
  stream->taps = g_ptr_array_new ();
  stream->pipeline = gst_pipeline_new (NULL);
  gst_object_ref_sink (stream->pipeline);
  g_signal_connect (stream->pipeline, "deep-element-added", G_CALLBACK (on_deep_element_added),
                    NULL);
  for (int k = 0; k < 2; k++) {
    if (!has[k])
      continue;
    /* allow-not-linked: the input must live while no player is attached. */
    stream->tees[k] = gst_element_factory_make ("tee", NULL);
    g_object_set (stream->tees[k], "allow-not-linked", TRUE, NULL);
    gst_bin_add (GST_BIN (stream->pipeline), stream->tees[k]);
    if (k == VIDEO) {
      g_autoptr (GstPad) sink = gst_element_get_static_pad (stream->tees[k], "sink");
      gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, keyframe_probe, stream, NULL);
    }
  }
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (stream->pipeline));
  stream->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (stream->bus_source, (GSourceFunc) (GCallback) stream_bus_watch,
                         stream_ref (stream), (GDestroyNotify) stream_unref);
  g_source_attach (stream->bus_source, relay->context);
  gst_object_unref (bus);
  gst_element_set_state (stream->pipeline, GST_STATE_PLAYING);

  AmsPeerOptions o;
  fill_peer_options (relay, &o, AMS_PEER_RECEIVE, stream);
  stream->publisher = ams_peer_new (&o, relay->context, &publisher_callbacks, stream, error);
  if (!stream->publisher ||
      !ams_peer_set_remote_description (stream->publisher, "offer", offer_sdp, error)) {
    stream_teardown (stream, FALSE);
    return FALSE;
  }
  g_hash_table_insert (relay->streams, stream->id, stream);
  g_hash_table_insert (relay->publishers, stream->key, stream);
  return TRUE;
}

/* Drops the stream, its players and their peers; reports publisher_gone when @report. */
static void
stream_teardown (Stream *stream, gboolean report)
{
  AmsRelay *relay = stream->relay;
  if (stream->dead)
    return;
  stream->dead = TRUE;
  if (g_hash_table_lookup (relay->streams, stream->id) == stream) {
    g_hash_table_remove (relay->publishers, stream->key);
    g_hash_table_steal (relay->streams, stream->id);
  }
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < stream->players->len; i++) {
    Player *p = stream->players->pdata[i];
    g_ptr_array_add (keys, g_strdup (p->key));
    g_hash_table_remove (relay->players, p->key);
  }
  g_ptr_array_add (keys, NULL);

  if (stream->keyframe_timer) {
    g_source_destroy (stream->keyframe_timer);
    g_clear_pointer (&stream->keyframe_timer, g_source_unref);
  }
  gst_element_set_state (stream->pipeline, GST_STATE_NULL);
  /* Its taps end with it: the pipeline is stopped, no callback runs now. */
  for (guint i = 0; i < stream->taps->len; i++) {
    Tap *tap = stream->taps->pdata[i];
    g_hash_table_remove (relay->taps, GUINT_TO_POINTER (tap->id));
    g_clear_object (&tap->tee_pad);
    if (tap->notify)
      tap->notify (tap->user_data);
    g_free (tap);
  }
  g_ptr_array_set_size (stream->taps, 0);
  for (guint i = 0; i < stream->players->len; i++)
    player_detach_and_free (stream->players->pdata[i]);
  g_ptr_array_set_size (stream->players, 0);
  g_clear_pointer (&stream->publisher, ams_peer_free);
  if (stream->bus_source) {
    g_source_destroy (stream->bus_source);
    g_clear_pointer (&stream->bus_source, g_source_unref);
  }
  /* How well keyframe requests were coalesced. A domain of its own, so that
   * the bench reads it with G_MESSAGES_DEBUG=ams-relay and not "all", which
   * turns on libnice's per-packet debug output and skews the relay's CPU. */
  g_log (RELAY_LOG_DOMAIN, G_LOG_LEVEL_INFO,
         "relay stream %s: %u players joined, %d keyframe requests from players, "
         "%d sent to the publisher", stream->id, stream->players_joined,
         g_atomic_int_get (&stream->player_keyframes),
         g_atomic_int_get (&stream->upstream_keyframes));
  if (report && relay->cb.publisher_gone)
    relay->cb.publisher_gone (relay, stream->id, (const char * const *) keys->pdata,
                              relay->user_data);
  g_ptr_array_unref (keys);
  stream_unref (stream);
}

/* ------------------------------------------------------------ public */

gboolean
ams_relay_add_player (AmsRelay *relay, const char *stream_id, const char *key, GError **error)
{
  g_return_val_if_fail (relay && stream_id && key, FALSE);
  Stream *stream = g_hash_table_lookup (relay->streams, stream_id);
  if (!stream) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST, "stream %s is not published",
                 stream_id);
    return FALSE;
  }
  if (g_hash_table_contains (relay->publishers, key) || g_hash_table_contains (relay->players, key)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "key %s is in use", key);
    return FALSE;
  }
  Player *p = g_new0 (Player, 1);
  p->relay = relay;
  p->stream = stream;
  p->key = g_strdup (key);
  if (stream->answered && !player_attach (p, error)) {
    player_detach_and_free (p);
    return FALSE;
  }
  g_ptr_array_add (stream->players, p);
  g_hash_table_insert (relay->players, p->key, p);
  return TRUE;
}

static AmsPeer *
peer_for_key (AmsRelay *relay, const char *key, GError **error)
{
  Stream *stream = g_hash_table_lookup (relay->publishers, key);
  if (stream)
    return stream->publisher;
  Player *p = g_hash_table_lookup (relay->players, key);
  if (p && p->peer)
    return p->peer;
  g_set_error (error, AMS_ERROR, p ? AMS_ERROR_NOT_INITIALIZED_YET : AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE,
               "no media session for %s", key);
  return NULL;
}

gboolean
ams_relay_set_answer (AmsRelay *relay, const char *key, const char *sdp, GError **error)
{
  g_return_val_if_fail (relay && key, FALSE);
  if (!g_hash_table_contains (relay->players, key)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE, "no player %s", key);
    return FALSE;
  }
  AmsPeer *peer = peer_for_key (relay, key, error);
  return peer && ams_peer_set_remote_description (peer, "answer", sdp, error);
}

gboolean
ams_relay_add_candidate (AmsRelay *relay, const char *key, int label, const char *mid,
                         const char *candidate, GError **error)
{
  g_return_val_if_fail (relay && key, FALSE);
  AmsPeer *peer = peer_for_key (relay, key, error);
  return peer && ams_peer_add_ice_candidate (peer, label, mid, candidate, error);
}

void
ams_relay_remove (AmsRelay *relay, const char *key)
{
  g_return_if_fail (relay && key);
  Stream *stream = g_hash_table_lookup (relay->publishers, key);
  if (stream) {
    stream_teardown (stream, TRUE);
    return;
  }
  Player *p = g_hash_table_lookup (relay->players, key);
  if (!p)
    return;
  g_hash_table_remove (relay->players, key);
  g_ptr_array_remove (p->stream->players, p);
  player_detach_and_free (p);
}

gboolean
ams_relay_get_stream_info (AmsRelay *relay, const char *stream_id, AmsRelayStreamInfo *info)
{
  Stream *stream = g_hash_table_lookup (relay->streams, stream_id);
  memset (info, 0, sizeof *info);
  if (!stream)
    return FALSE;
  g_mutex_lock (&stream->lock);
  info->width = stream->width;
  info->height = stream->height;
  g_mutex_unlock (&stream->lock);
  info->video_bitrate = stream->bitrate[VIDEO];
  info->audio_bitrate = stream->bitrate[AUDIO];
  if (stream->codecs[VIDEO])
    g_strlcpy (info->video_codec, stream->codecs[VIDEO], sizeof info->video_codec);
  if (stream->codecs[AUDIO])
    g_strlcpy (info->audio_codec, stream->codecs[AUDIO], sizeof info->audio_codec);
  info->players = stream->players->len;
  return TRUE;
}

void
ams_relay_send_to_players (AmsRelay *relay, const char *stream_id, GBytes *data,
                           gboolean is_binary)
{
  Stream *stream = g_hash_table_lookup (relay->streams, stream_id);
  for (guint i = 0; stream && i < stream->players->len; i++)
    send_to (((Player *) stream->players->pdata[i])->peer, data, is_binary);
}

/* ------------------------------------------------------------ taps */

/* The caps of the RTP flowing into a stream's tee, or NULL before any. */
static GstCaps *
tee_caps (Stream *stream, int kind)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (stream->tees[kind], "sink");
  return gst_pad_get_current_caps (sink);
}

/* The SSRC belongs in the preferences: a player with several streams of a
 * kind on one bundle tells them apart by it, and a publisher's offer made
 * before its encoder ran does not name it. */
static GstCaps *
caps_with_ssrc (GstCaps *prefs, GstCaps *flowing)
{
  GstCaps *caps = gst_caps_copy (prefs);
  guint ssrc = 0;
  GstStructure *s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_has_field (s, "ssrc") &&
      gst_structure_get_uint (gst_caps_get_structure (flowing, 0), "ssrc", &ssrc))
    gst_structure_set (s, "ssrc", G_TYPE_UINT, ssrc, NULL);
  return caps;
}

/* Streaming thread (the tap's queue). */
static GstFlowReturn
tap_new_sample (GstAppSink *sink, gpointer data)
{
  Tap *tap = data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  if (sample) {
    tap->func (gst_sample_get_buffer (sample), gst_sample_get_caps (sample), tap->user_data);
    gst_sample_unref (sample);
  }
  return GST_FLOW_OK;
}

guint
ams_relay_add_tap (AmsRelay *relay, const char *stream_id, const char *media,
                   AmsRelayTapFunc func, gpointer user_data, GDestroyNotify notify,
                   GstCaps **prefs, GError **error)
{
  g_return_val_if_fail (relay && stream_id && func && prefs, 0);
  g_autoptr (GstCaps) flowing = NULL;
  *prefs = NULL;
  Stream *stream = g_hash_table_lookup (relay->streams, stream_id);
  int kind = g_strcmp0 (media, "video") == 0 ? VIDEO : g_strcmp0 (media, "audio") == 0 ? AUDIO : -1;
  if (!stream)
    g_set_error (error, AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST, "stream %s is not published",
                 stream_id);
  else if (!stream->answered)
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_INITIALIZED_YET, "stream %s is not negotiated yet",
                 stream_id);
  else if (kind < 0 || !stream->tees[kind] || !stream->prefs[kind])
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "stream %s has no %s", stream_id,
                 media ? media : "(null)");
  else if (!(flowing = tee_caps (stream, kind)))
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_INITIALIZED_YET, "no %s of stream %s yet",
                 media, stream_id);
  else {
    GstElement *queue = gst_element_factory_make ("queue", NULL);
    GstElement *appsink = gst_element_factory_make ("appsink", NULL);
    if (!queue || !appsink) {
      g_clear_object (&queue);
      g_clear_object (&appsink);
      g_set_error (error, AMS_ERROR, AMS_ERROR_MISSING_PLUGIN,
                   "missing GStreamer element \"appsink\"");
    } else {
      Tap *tap = g_new0 (Tap, 1);
      tap->id = ++relay->next_tap ? relay->next_tap : ++relay->next_tap;
      tap->stream = stream;
      tap->kind = kind;
      tap->func = func;
      tap->user_data = user_data;
      tap->notify = notify;
      tap->queue = queue;
      tap->appsink = appsink;
      /* Leaky like a player's branch: a slow consumer never stalls the tee. */
      g_object_set (queue, "leaky", 2 /* downstream */, "max-size-buffers", 300,
                    "max-size-bytes", 0, "max-size-time", (guint64) 0, NULL);
      g_object_set (appsink, "sync", FALSE, "async", FALSE, "max-buffers", 300, "drop", TRUE,
                    NULL);
      GstAppSinkCallbacks cb = { .new_sample = tap_new_sample };
      gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &cb, tap, NULL);
      gst_bin_add_many (GST_BIN (stream->pipeline), queue, appsink, NULL);
      gst_element_link (queue, appsink);
      gst_element_sync_state_with_parent (appsink);
      gst_element_sync_state_with_parent (queue);
      tap->tee_pad = gst_element_request_pad_simple (stream->tees[kind], "src_%u");
      g_autoptr (GstPad) qsink = gst_element_get_static_pad (queue, "sink");
      gst_pad_link (tap->tee_pad, qsink);
      g_ptr_array_add (stream->taps, tap);
      g_hash_table_insert (relay->taps, GUINT_TO_POINTER (tap->id), tap);
      *prefs = caps_with_ssrc (stream->prefs[kind], flowing);
      return tap->id;
    }
  }
  if (notify)
    notify (user_data);
  return 0;
}

void
ams_relay_remove_tap (AmsRelay *relay, guint tap_id)
{
  g_return_if_fail (relay);
  Tap *tap = g_hash_table_lookup (relay->taps, GUINT_TO_POINTER (tap_id));
  if (!tap)
    return;
  g_hash_table_remove (relay->taps, GUINT_TO_POINTER (tap_id));
  Stream *stream = tap->stream;
  g_ptr_array_remove (stream->taps, tap);
  gst_element_release_request_pad (stream->tees[tap->kind], tap->tee_pad);
  g_clear_object (&tap->tee_pad);
  /* NULL joins the queue's streaming thread: no callback after this. */
  gst_element_set_state (tap->queue, GST_STATE_NULL);
  gst_element_set_state (tap->appsink, GST_STATE_NULL);
  gst_bin_remove_many (GST_BIN (stream->pipeline), tap->queue, tap->appsink, NULL);
  if (tap->notify)
    tap->notify (tap->user_data);
  g_free (tap);
}

void
ams_relay_request_keyframe (AmsRelay *relay, const char *stream_id)
{
  g_return_if_fail (relay);
  Stream *stream = stream_id ? g_hash_table_lookup (relay->streams, stream_id) : NULL;
  if (stream && !stream->dead)
    request_keyframe (stream);
}

/* Once a second: bitrates, stream info, and publishers whose media stopped. */
static gboolean
relay_tick (gpointer data)
{
  AmsRelay *relay = data;
  gint64 now = g_get_monotonic_time ();
  GPtrArray *gone = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, relay->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Stream *s = value;
    g_mutex_lock (&s->lock);
    guint64 bytes[2] = { s->bytes[0], s->bytes[1] };
    gint64 last = s->last_rtp_us;
    gboolean started = s->started;
    g_mutex_unlock (&s->lock);
    if (!started)
      continue;
    if (s->prev_tick_us) {
      double secs = (now - s->prev_tick_us) / 1e6;
      for (int k = 0; k < 2; k++)
        s->bitrate[k] = secs > 0 ? (guint) ((bytes[k] - s->prev_bytes[k]) * 8 / secs) : 0;
    }
    s->prev_tick_us = now;
    s->prev_bytes[0] = bytes[0];
    s->prev_bytes[1] = bytes[1];
    if (relay->opts.publisher_timeout_ms &&
        now - last > (gint64) relay->opts.publisher_timeout_ms * 1000) {
      g_ptr_array_add (gone, s);
      continue;
    }
    if (relay->cb.stream_info) {
      AmsRelayStreamInfo info;
      ams_relay_get_stream_info (relay, s->id, &info);
      relay->cb.stream_info (relay, s->id, &info, relay->user_data);
    }
  }
  for (guint i = 0; i < gone->len; i++)
    stream_teardown (gone->pdata[i], TRUE);
  g_ptr_array_unref (gone);
  return G_SOURCE_CONTINUE;
}

void
ams_relay_options_init (AmsRelayOptions *options)
{
  memset (options, 0, sizeof *options);
  options->latency_ms = -1;
  options->keyframe_window_ms = DEFAULT_KEYFRAME_WINDOW_MS;
  options->distribution = AMS_RELAY_DISTRIBUTION_PUBLISHER;
}

AmsRelay *
ams_relay_new (const AmsRelayOptions *options, GMainContext *context,
               const AmsRelayCallbacks *callbacks, gpointer user_data)
{
  ams_media_init ();
  AmsRelay *relay = g_new0 (AmsRelay, 1);
  if (options)
    relay->opts = *options;
  else
    ams_relay_options_init (&relay->opts);
  relay->ice_servers = g_strdupv ((char **) relay->opts.ice_servers);
  relay->opts.ice_servers = NULL;
  relay->filter_address = g_strdup (relay->opts.filter.address);
  relay->opts.filter.address = relay->filter_address;
  relay->local_address = g_strdup (relay->opts.local_address);
  relay->opts.local_address = NULL;
  relay->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  if (callbacks)
    relay->cb = *callbacks;
  relay->user_data = user_data;
  relay->streams = g_hash_table_new (g_str_hash, g_str_equal);
  relay->publishers = g_hash_table_new (g_str_hash, g_str_equal);
  relay->players = g_hash_table_new (g_str_hash, g_str_equal);
  relay->taps = g_hash_table_new (NULL, NULL);
  relay->tick = attach_timeout (relay, TICK_MS, relay_tick, relay, NULL);
  /* The owner starts the DTLS key's generation (ams_media_prewarm()) once it
   * knows it will serve: the mini-server does so after it listens. */
  return relay;
}

void
ams_relay_free (AmsRelay *relay)
{
  if (!relay)
    return;
  g_source_destroy (relay->tick);
  g_source_unref (relay->tick);
  GList *streams = g_hash_table_get_values (relay->streams);
  for (GList *l = streams; l; l = l->next)
    stream_teardown (l->data, FALSE);
  g_list_free (streams);
  g_hash_table_unref (relay->streams);
  g_hash_table_unref (relay->publishers);
  g_hash_table_unref (relay->players);
  g_hash_table_unref (relay->taps);
  g_strfreev (relay->ice_servers);
  g_free (relay->filter_address);
  g_free (relay->local_address);
  g_main_context_unref (relay->context);
  g_free (relay);
}
