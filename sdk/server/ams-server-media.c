/* ams-server-media.c: the core's media backend, on top of AmsRelay.
 *
 * A session is one publish or play of one connection; its relay key is
 * "pub-N" or "play-N" with N unique for the server's life, so a report that
 * arrives after its session ended can never touch a newer one. Sessions the
 * relay cannot take yet (a play before the publisher's offer, candidates
 * before the offer) wait here.
 *
 * Multitrack: a play of a main track (a room) is a room session, one
 * AmsRoomPlayer fed by relay taps of every other participant's stream; a
 * participant whose media starts is added to the room's players (a re-offer
 * on their connection), one who goes is removed (another re-offer). */
#include "server/ams-server-media.h"
#include "server/ams-mini-server-private.h"
#include "media/ams-relay.h"
#include "media/ams-room-player.h"
#include "media/ams-sdp.h"

#include <nice/interfaces.h>
#include <string.h>

#define MAX_PENDING_CANDIDATES 64
#define DEFAULT_PUBLISHER_TIMEOUT_MS 5000

typedef struct {
  gint64  label;
  char   *mid;
  char   *candidate;
} Candidate;

typedef struct _AmsServerMedia AmsServerMedia;

typedef struct {
  char          *key;
  char          *stream_id;    /* a stream, or the room of a room session */
  AmsConnId      conn;
  gboolean       publisher;
  gboolean       in_relay;
  GPtrArray     *pending;      /* Candidate*, until in_relay */
  /* Room sessions only. */
  AmsServerMedia *media;
  AmsRoomPlayer *room;
  char          *exclude;      /* userPublishId: never played back */
  GHashTable    *taps;         /* participant -> guint[2] relay tap ids (video, audio) */
} Session;

/* What a relay tap needs on the streaming thread. */
typedef struct {
  AmsRoomPlayer *room;
  char          *participant;
  const char    *media;
} TapTarget;

typedef enum {
  EV_LOCAL_SDP,
  EV_LOCAL_CANDIDATE,
  EV_PUBLISHER_STARTED,
  EV_PLAYER_CONNECTED,
  EV_PUBLISHER_GONE,
  EV_STREAM_INFO,
  EV_FAILED,
} EventKind;

/* A relay report or a failure, handled later from the idle source. */
typedef struct {
  EventKind  kind;
  char      *key;        /* session key, or NULL */
  char      *stream_id;
  AmsConnId  conn;       /* EV_FAILED */
  char      *type;       /* EV_LOCAL_SDP */
  char      *text;       /* sdp or candidate */
  char      *mid;
  char     **mapping;    /* EV_LOCAL_SDP of a room session: mid, track id pairs */
  gint64     label;
  AmsError   code;       /* EV_FAILED */
  AmsRelayStreamInfo info;
} Event;

struct _AmsServerMedia {
  AmsPeerOptions ice;         /* for room players: ICE settings only */
  AmsRelayOptions ice_relay_options;
  GPtrArray     *ice_strings; /* what ice points into */
  AmsMiniServer *server;
  GMainContext  *context;
  AmsRelay      *relay;
  GHashTable    *by_key;      /* key -> Session* (owned) */
  GHashTable    *by_session;  /* "P|p<conn>:<stream>" -> Session* */
  guint64        next_id;
  GQueue         events;      /* Event* */
  GSource       *idle;
  gboolean       removing;    /* inside ams_relay_remove(): its reports are ours */
};

/* ------------------------------------------------------------ configuration */

static gboolean
key_uint (GKeyFile *kf, const char *key, guint64 max, guint64 *value, GError **error)
{
  g_autofree char *text = g_key_file_get_value (kf, "media", key, NULL);
  if (text == NULL)
    return TRUE;
  g_strstrip (text);
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                   "[media] %s: expected a whole number from 0 to %" G_GUINT64_FORMAT, key, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
ams_server_media_read_enabled (GKeyFile *kf, gboolean *enabled, GError **error)
{
  *enabled = TRUE;
  if (!g_key_file_has_key (kf, "media", "enabled", NULL))
    return TRUE;
  GError *e = NULL;
  gboolean v = g_key_file_get_boolean (kf, "media", "enabled", &e);
  if (e)
    {
      g_error_free (e);
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                           "[media] enabled: expected true or false");
      return FALSE;
    }
  *enabled = v;
  return TRUE;
}

static gboolean
parse_distribution (const char *text, AmsRelayDistribution *out)
{
  if (g_strcmp0 (text, "none") == 0)
    *out = AMS_RELAY_DISTRIBUTION_NONE;
  else if (g_strcmp0 (text, "publisher") == 0)
    *out = AMS_RELAY_DISTRIBUTION_PUBLISHER;
  else if (g_strcmp0 (text, "all") == 0)
    *out = AMS_RELAY_DISTRIBUTION_ALL;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_protocols (const char *text, guint *mask)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  *mask = 0;
  for (char **p = parts; *p; p++)
    {
      g_strstrip (*p);
      if (g_ascii_strcasecmp (*p, "udp") == 0)
        *mask |= AMS_ICE_PROTOCOL_UDP;
      else if (g_ascii_strcasecmp (*p, "tcp") == 0)
        *mask |= AMS_ICE_PROTOCOL_TCP;
      else if (**p)
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_loopback_or_any (const char *address)
{
  return g_str_has_prefix (address, "127.") || strcmp (address, "::1") == 0
         || strcmp (address, "0.0.0.0") == 0 || strcmp (address, "::") == 0;
}

/* Where ICE gathers by default: a server on one public address uses that
 * one; a server on loopback (or everywhere) serves clients of this machine,
 * which gather on loopback only when told to and on the other interfaces
 * otherwise (libnice skips loopback when there are others), so every local
 * address, loopback included. */
static char *
default_ice_addresses (const char *bind_address)
{
  if (!is_loopback_or_any (bind_address))
    return g_strdup (bind_address);
  GList *ips = nice_interfaces_get_local_ips (TRUE);
  GString *list = g_string_new (NULL);
  for (GList *l = ips; l; l = l->next)
    {
      const char *ip = l->data;
      if (g_str_has_prefix (ip, "fe80:"))
        continue;   /* link-local needs a scope id */
      g_string_append_printf (list, "%s%s", list->len ? "," : "", ip);
    }
  g_list_free_full (ips, g_free);
  if (list->len == 0)
    g_string_append (list, "127.0.0.1");
  return g_string_free (list, FALSE);
}

/* Relay options from [media]; strings point into @strings (kept alive by the caller). */
static gboolean
read_options (GKeyFile *kf, const char *bind_address, AmsRelayOptions *o, GPtrArray *strings,
              GError **error)
{
  guint64 u;
  ams_relay_options_init (o);
  /* AMS's dataChannelPlayerDistribution defaults to all. */
  o->distribution = AMS_RELAY_DISTRIBUTION_ALL;

  char *local = g_key_file_get_string (kf, "media", "ice-address", NULL);
  if (local == NULL && bind_address && *bind_address)
    local = default_ice_addresses (bind_address);
  if (local)
    {
      g_strstrip (local);
      g_ptr_array_add (strings, local);
      o->local_address = *local ? local : NULL;
    }
  char *filter = g_key_file_get_string (kf, "media", "candidate-address", NULL);
  if (filter)
    {
      g_strstrip (filter);
      g_ptr_array_add (strings, filter);
      o->filter.address = *filter ? filter : NULL;
    }
  g_autofree char *protocols = g_key_file_get_string (kf, "media", "candidate-protocols", NULL);
  if (protocols && !parse_protocols (protocols, &o->filter.protocols))
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                           "[media] candidate-protocols: expected udp, tcp or udp,tcp");
      return FALSE;
    }
  gsize n = 0;
  char **servers = g_key_file_get_string_list (kf, "media", "ice-servers", &n, NULL);
  if (servers)
    {
      for (gsize i = 0; i < n; i++)
        g_strstrip (servers[i]);
      g_ptr_array_add (strings, servers);   /* freed with g_strfreev by the caller's rule */
      o->ice_servers = (const char * const *) servers;
    }

  g_autofree char *latency = g_key_file_get_value (kf, "media", "latency-ms", NULL);
  if (latency)
    {
      gint64 v;
      g_strstrip (latency);
      if (!g_ascii_string_to_signed (latency, 10, -1, 10000, &v, NULL))
        {
          g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                               "[media] latency-ms: expected -1 or 0 to 10000");
          return FALSE;
        }
      o->latency_ms = (gint) v;
    }
  u = o->keyframe_window_ms;
  if (!key_uint (kf, "keyframe-window-ms", 60000, &u, error))
    return FALSE;
  o->keyframe_window_ms = (guint) u;
  u = DEFAULT_PUBLISHER_TIMEOUT_MS;
  if (!key_uint (kf, "publisher-timeout-ms", 3600000, &u, error))
    return FALSE;
  o->publisher_timeout_ms = (guint) u;
  g_autofree char *dist = g_key_file_get_string (kf, "media", "data-channel-player-distribution",
                                                 NULL);
  if (dist && !parse_distribution (g_strstrip (dist), &o->distribution))
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                           "[media] data-channel-player-distribution: expected none, publisher "
                           "or all");
      return FALSE;
    }
  return TRUE;
}

/* Frees what read_options() collected: strings and one string vector. */
static void
free_option_strings (GPtrArray *strings, const AmsRelayOptions *o)
{
  for (guint i = 0; i < strings->len; i++)
    {
      gpointer p = g_ptr_array_index (strings, i);
      if (p == (gpointer) o->ice_servers)
        g_strfreev (p);
      else
        g_free (p);
    }
  g_ptr_array_unref (strings);
}

gboolean
ams_server_media_validate (GKeyFile *kf, GError **error)
{
  gboolean enabled;
  if (!ams_server_media_read_enabled (kf, &enabled, error))
    return FALSE;
  AmsRelayOptions o;
  GPtrArray *strings = g_ptr_array_new ();
  gboolean ok = read_options (kf, NULL, &o, strings, error);
  free_option_strings (strings, &o);
  return ok;
}

/* ------------------------------------------------------------ sessions */

static void
candidate_free (Candidate *c)
{
  g_free (c->mid);
  g_free (c->candidate);
  g_free (c);
}

static void room_teardown (Session *s);

static void
session_free (Session *s)
{
  room_teardown (s);
  g_free (s->exclude);
  g_free (s->key);
  g_free (s->stream_id);
  g_ptr_array_unref (s->pending);
  g_free (s);
}

static char *
session_name (const char *stream_id, AmsConnId conn, gboolean publisher)
{
  return g_strdup_printf ("%c%" G_GUINT64_FORMAT ":%s", publisher ? 'P' : 'p', conn, stream_id);
}

static Session *
session_lookup (AmsServerMedia *m, const char *stream_id, AmsConnId conn, gboolean publisher)
{
  g_autofree char *name = session_name (stream_id, conn, publisher);
  return g_hash_table_lookup (m->by_session, name);
}

static Session *
session_new (AmsServerMedia *m, const char *stream_id, AmsConnId conn, gboolean publisher)
{
  Session *s = g_new0 (Session, 1);
  s->key = g_strdup_printf ("%s-%" G_GUINT64_FORMAT, publisher ? "pub" : "play", ++m->next_id);
  s->stream_id = g_strdup (stream_id);
  s->conn = conn;
  s->publisher = publisher;
  s->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) candidate_free);
  g_hash_table_insert (m->by_key, s->key, s);
  g_hash_table_insert (m->by_session, session_name (stream_id, conn, publisher), s);
  return s;
}

static void
session_drop (AmsServerMedia *m, Session *s)
{
  g_autofree char *name = session_name (s->stream_id, s->conn, s->publisher);
  g_hash_table_remove (m->by_session, name);
  g_hash_table_remove (m->by_key, s->key);   /* frees */
}

/* ------------------------------------------------------------ events */

static void
event_free (Event *e)
{
  g_free (e->key);
  g_free (e->stream_id);
  g_free (e->type);
  g_free (e->text);
  g_free (e->mid);
  g_strfreev (e->mapping);
  g_free (e);
}

static void handle_event (AmsServerMedia *m, Event *e);
static void rooms_add_participant (AmsServerMedia *m, const char *room, const char *participant);
static void rooms_remove_participant (AmsServerMedia *m, const char *participant);

static gboolean
drain_events (gpointer data)
{
  AmsServerMedia *m = data;
  g_clear_pointer (&m->idle, g_source_unref);
  Event *e;
  while ((e = g_queue_pop_head (&m->events)))
    {
      handle_event (m, e);
      event_free (e);
    }
  return G_SOURCE_REMOVE;
}

static Event *
post (AmsServerMedia *m, EventKind kind, const char *key, const char *stream_id)
{
  Event *e = g_new0 (Event, 1);
  e->kind = kind;
  e->key = g_strdup (key);
  e->stream_id = g_strdup (stream_id);
  g_queue_push_tail (&m->events, e);
  if (!m->idle)
    {
      m->idle = g_idle_source_new ();
      g_source_set_callback (m->idle, drain_events, m, NULL);
      g_source_attach (m->idle, m->context);
    }
  return e;
}

static void
post_failed (AmsServerMedia *m, const char *stream_id, AmsConnId conn, AmsError code)
{
  Event *e = post (m, EV_FAILED, NULL, stream_id);
  e->conn = conn;
  e->code = code;
}

/* The error a session failure is reported with (it must be a server
 * definition). */
static AmsError
failure_code (const GError *error, gboolean publisher)
{
  if (error && error->domain == AMS_ERROR && ams_error_to_definition (error->code))
    return error->code;
  if (error && error->domain == AMS_ERROR && error->code == AMS_ERROR_NEGOTIATION)
    return AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION;
  if (publisher && error && error->domain == AMS_ERROR
      && (error->code == AMS_ERROR_ICE || error->code == AMS_ERROR_DTLS))
    return AMS_ERROR_NO_PACKET_RECEIVED_FOR_TIMEOUT_DURATION;
  return AMS_ERROR_SERVER_ERROR_CHECK_LOGS;
}

/* The official JavaScript SDK names every incoming track through the
 * offer's idMapping (mid -> track id) and fails without one. A relayed play
 * carries one stream: every media m-line maps to its id. */
static char **
single_stream_mapping (const char *sdp, const char *stream_id)
{
  GPtrArray *map = g_ptr_array_new ();
  guint n = ams_sdp_count_media (sdp);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *media = ams_sdp_index_to_media (sdp, i);
      if (g_strcmp0 (media, "video") != 0 && g_strcmp0 (media, "audio") != 0)
        continue;
      char *mid = ams_sdp_index_to_mid (sdp, i);
      if (!mid)
        continue;
      g_ptr_array_add (map, mid);
      g_ptr_array_add (map, g_strdup (stream_id));
    }
  g_ptr_array_add (map, NULL);
  return (char **) g_ptr_array_free (map, FALSE);
}

static void
handle_event (AmsServerMedia *m, Event *e)
{
  AmsServerCore *core = ams_mini_server_get_core (m->server);
  if (core == NULL)
    return;
  Session *s = e->key ? g_hash_table_lookup (m->by_key, e->key) : NULL;
  if (e->key && s == NULL)
    return;   /* the session ended meanwhile */
  g_autoptr (GPtrArray) out = ams_server_actions_new ();
  gint64 now = g_get_monotonic_time ();

  switch (e->kind)
    {
    case EV_LOCAL_SDP:
      if (!e->mapping && !s->publisher && !s->room && g_strcmp0 (e->type, "offer") == 0 && e->text)
        e->mapping = single_stream_mapping (e->text, s->stream_id);
      ams_server_core_media_local_sdp_mapped (core, s->stream_id, s->conn, e->type, e->text,
                                              (const char *const *) e->mapping, now, out);
      break;
    case EV_LOCAL_CANDIDATE:
      ams_server_core_media_local_candidate (core, s->stream_id, s->conn, e->label, e->mid,
                                             e->text, now, out);
      break;
    case EV_PUBLISHER_STARTED:
      ams_server_core_media_publisher_started (core, e->stream_id, now, out);
      rooms_add_participant (m, ams_server_core_get_main_track (core, e->stream_id),
                             e->stream_id);
      break;
    case EV_PLAYER_CONNECTED:
      ams_server_core_media_player_started (core, s->stream_id, s->conn, now, out);
      break;
    case EV_PUBLISHER_GONE:
      {
        /* The relay lost the publisher on its own (ICE failed, media
         * stopped): the publish ends, its players get play_finished. */
        Session *pub = NULL;
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init (&it, m->by_key);
        while (g_hash_table_iter_next (&it, NULL, &v))
          {
            Session *c = v;
            if (c->publisher && c->in_relay && strcmp (c->stream_id, e->stream_id) == 0)
              pub = c;
          }
        if (pub == NULL)
          break;
        g_autofree char *sid = g_strdup (pub->stream_id);
        AmsConnId conn = pub->conn;
        rooms_remove_participant (m, sid);
        session_drop (m, pub);
        ams_server_core_media_failed (core, sid, conn,
                                      AMS_ERROR_NO_PACKET_RECEIVED_FOR_TIMEOUT_DURATION, now, out);
      }
      break;
    case EV_STREAM_INFO:
      ams_server_core_media_stream_info (core, e->stream_id, (gint) e->info.width,
                                         (gint) e->info.height, (gint) e->info.video_bitrate,
                                         (gint) e->info.audio_bitrate,
                                         e->info.video_codec[0] ? e->info.video_codec : NULL);
      /* Once a second while media flows: a participant whose every medium
       * was not flowing yet when its media started joins the rooms now. */
      rooms_add_participant (m, ams_server_core_get_main_track (core, e->stream_id),
                             e->stream_id);
      break;
    case EV_FAILED:
      ams_server_core_media_failed (core, e->stream_id, e->conn, e->code, now, out);
      break;
    }
  ams_mini_server_dispatch (m->server, out);
}

/* ------------------------------------------------------------ relay reports */

static void
relay_local_description (AmsRelay *relay, const char *key, const char *type, const char *sdp,
                         gpointer data)
{
  Event *e = post (data, EV_LOCAL_SDP, key, NULL);
  e->type = g_strdup (type);
  e->text = g_strdup (sdp);
}

static void
relay_local_candidate (AmsRelay *relay, const char *key, guint label, const char *mid,
                       const char *candidate, gpointer data)
{
  Event *e = post (data, EV_LOCAL_CANDIDATE, key, NULL);
  e->label = label;
  e->mid = g_strdup (mid);
  e->text = g_strdup (candidate);
}

static void
relay_publisher_started (AmsRelay *relay, const char *stream_id, gpointer data)
{
  post (data, EV_PUBLISHER_STARTED, NULL, stream_id);
}

static void
relay_player_connected (AmsRelay *relay, const char *stream_id, const char *key, gpointer data)
{
  post (data, EV_PLAYER_CONNECTED, key, stream_id);
}

static void
relay_publisher_gone (AmsRelay *relay, const char *stream_id, const char * const *player_keys,
                      gpointer data)
{
  AmsServerMedia *m = data;
  if (m->removing)
    return;   /* the core ended it: it tells the players itself */
  post (m, EV_PUBLISHER_GONE, NULL, stream_id);
}

static void
relay_stream_info (AmsRelay *relay, const char *stream_id, const AmsRelayStreamInfo *info,
                   gpointer data)
{
  Event *e = post (data, EV_STREAM_INFO, NULL, stream_id);
  e->info = *info;
}

static void
relay_data_message (AmsRelay *relay, const char *stream_id, const char *key, GBytes *bytes,
                    gboolean is_binary, gpointer data)
{
  /* The relay forwards it itself (publisher to players, players per the
   * distribution setting). */
  AmsServerMedia *m = data;
  g_debug ("data channel message on %s from %s (%" G_GSIZE_FORMAT " bytes)", stream_id, key,
           g_bytes_get_size (bytes));
  Session *from = g_hash_table_lookup (m->by_key, key);
  if (!from || !from->publisher)
    return;
  /* A room participant's message also reaches every other participant
   * through their room connection, whose data channel the relay does not
   * know. (Reports come on m->context, the sessions' own thread.) */
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, m->by_key);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Session *s = v;
      if (!s->room || !ams_room_player_has_participant (s->room, stream_id))
        continue;
      AmsPeer *peer = ams_room_player_get_peer (s->room);
      if (!peer || !ams_peer_data_channel_is_open (peer))
        continue;
      g_autoptr (GError) error = NULL;
      gboolean sent;
      if (is_binary)
        {
          sent = ams_peer_send_data (peer, bytes, &error);
        }
      else
        {
          /* Text arrives NUL-terminated from AmsPeer; copy to be sure. */
          gsize size;
          const char *text = g_bytes_get_data (bytes, &size);
          g_autofree char *copy = g_strndup (text, size);
          sent = ams_peer_send_text (peer, copy, &error);
        }
      if (!sent)
        g_debug ("room %s: message of %s not forwarded: %s", s->stream_id, stream_id,
                 error ? error->message : "?");
    }
}

static void
relay_error (AmsRelay *relay, const char *key, const GError *error, gpointer data)
{
  AmsServerMedia *m = data;
  Session *s = g_hash_table_lookup (m->by_key, key);
  g_message ("media session %s: %s", key, error->message);
  if (s)
    post_failed (m, s->stream_id, s->conn, failure_code (error, s->publisher));
}

static const AmsRelayCallbacks relay_callbacks = {
  .local_description = relay_local_description,
  .local_candidate = relay_local_candidate,
  .publisher_started = relay_publisher_started,
  .player_connected = relay_player_connected,
  .publisher_gone = relay_publisher_gone,
  .stream_info = relay_stream_info,
  .data_message = relay_data_message,
  .error = relay_error,
};

/* ------------------------------------------------------------ room sessions */

static void
tap_target_free (TapTarget *t)
{
  g_free (t->participant);
  g_free (t);
}

/* Streaming thread. */
static void
tap_deliver (GstBuffer *buffer, GstCaps *caps, gpointer data)
{
  TapTarget *t = data;
  ams_room_player_push (t->room, t->participant, t->media, buffer, caps);
}

static void
remove_taps (AmsServerMedia *m, guint *ids)
{
  for (int k = 0; k < 2; k++)
    if (ids[k])
      ams_relay_remove_tap (m->relay, ids[k]);
}

/* Taps @participant's stream for the room player of @s; FALSE when its media
 * is not all flowing through the relay yet (tried again later). */
static gboolean
room_add (Session *s, const char *participant)
{
  AmsServerMedia *m = s->media;
  if (g_strcmp0 (participant, s->exclude) == 0 || g_hash_table_contains (s->taps, participant))
    return FALSE;
  guint *ids = g_new0 (guint, 2);
  GstCaps *prefs[2] = { NULL, NULL };
  static const char *const media[2] = { "video", "audio" };
  gboolean later = FALSE;
  for (int k = 0; k < 2 && !later; k++)
    {
      g_autoptr (GError) error = NULL;
      TapTarget *t = g_new0 (TapTarget, 1);
      t->room = s->room;
      t->participant = g_strdup (participant);
      t->media = media[k];
      ids[k] = ams_relay_add_tap (m->relay, participant, media[k], tap_deliver, t,
                                  (GDestroyNotify) tap_target_free, &prefs[k], &error);
      /* A medium the stream lacks is fine; one not flowing yet means later
       * (every second, with the stream's info), all media at once. */
      if (ids[k] == 0 && !g_error_matches (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT))
        later = TRUE;
    }
  gboolean ok = !later && (ids[0] || ids[1]) && (prefs[0] || prefs[1]);
  g_autoptr (GError) error = NULL;
  if (ok && !ams_room_player_add_participant (s->room, participant, prefs[0], prefs[1], &error))
    {
      g_message ("room player %s: %s", s->key, error->message);
      ok = FALSE;
    }
  for (int k = 0; k < 2; k++)
    g_clear_pointer (&prefs[k], gst_caps_unref);
  if (!ok)
    {
      remove_taps (m, ids);
      g_free (ids);
      return FALSE;
    }
  g_hash_table_insert (s->taps, g_strdup (participant), ids);
  return TRUE;
}

static void
room_remove (Session *s, const char *participant)
{
  guint *ids = g_hash_table_lookup (s->taps, participant);
  if (ids == NULL)
    return;
  /* Taps first: once removed no streaming thread pushes any more. */
  remove_taps (s->media, ids);
  g_hash_table_remove (s->taps, participant);
  ams_room_player_remove_participant (s->room, participant);
}

static void
room_teardown (Session *s)
{
  if (s->taps)
    {
      GHashTableIter it;
      gpointer v;
      g_hash_table_iter_init (&it, s->taps);
      while (g_hash_table_iter_next (&it, NULL, &v))
        remove_taps (s->media, v);
      g_clear_pointer (&s->taps, g_hash_table_unref);
    }
  g_clear_pointer (&s->room, ams_room_player_free);
}

static void
rooms_add_participant (AmsServerMedia *m, const char *room, const char *participant)
{
  if (room == NULL)
    return;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, m->by_key);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Session *s = v;
      if (s->room && strcmp (s->stream_id, room) == 0)
        room_add (s, participant);
    }
}

static void
rooms_remove_participant (AmsServerMedia *m, const char *participant)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, m->by_key);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Session *s = v;
      if (s->room)
        room_remove (s, participant);
    }
}

static void
room_local_description (AmsRoomPlayer *room, const char *type, const char *sdp,
                        const char *const *id_mapping, gpointer data)
{
  Session *s = data;
  Event *e = post (s->media, EV_LOCAL_SDP, s->key, NULL);
  e->type = g_strdup (type);
  e->text = g_strdup (sdp);
  e->mapping = g_strdupv ((char **) id_mapping);
}

static void
room_local_candidate (AmsRoomPlayer *room, guint label, const char *mid, const char *candidate,
                      gpointer data)
{
  Session *s = data;
  Event *e = post (s->media, EV_LOCAL_CANDIDATE, s->key, NULL);
  e->label = label;
  e->mid = g_strdup (mid);
  e->text = g_strdup (candidate);
}

static void
room_connected (AmsRoomPlayer *room, gpointer data)
{
  Session *s = data;
  post (s->media, EV_PLAYER_CONNECTED, s->key, s->stream_id);
}

static void
room_keyframe_needed (AmsRoomPlayer *room, const char *participant, gpointer data)
{
  Session *s = data;
  ams_relay_request_keyframe (s->media->relay, participant);
}

static void
room_error (AmsRoomPlayer *room, const GError *error, gpointer data)
{
  Session *s = data;
  g_message ("room player %s: %s", s->key, error->message);
  post_failed (s->media, s->stream_id, s->conn, failure_code (error, FALSE));
}

static const AmsRoomPlayerCallbacks room_callbacks = {
  .local_description = room_local_description,
  .local_candidate = room_local_candidate,
  .connected = room_connected,
  .keyframe_needed = room_keyframe_needed,
  .error = room_error,
};

/* A play of a room: one connection with every other participant's tracks. */
static void
room_start (AmsServerMedia *m, Session *s)
{
  AmsServerCore *core = ams_mini_server_get_core (m->server);
  g_autoptr (GError) error = NULL;
  s->media = m;
  s->exclude = g_strdup (ams_server_core_get_user_publish_id (core, s->stream_id, s->conn));
  s->taps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->room = ams_room_player_new (s->stream_id, &m->ice, m->context, &room_callbacks, s, &error);
  if (s->room == NULL)
    {
      post_failed (m, s->stream_id, s->conn, failure_code (error, FALSE));
      return;
    }
  s->in_relay = TRUE;   /* candidates go straight to the room player */
  g_auto (GStrv) subs = ams_server_core_dup_subtracks (core, s->stream_id);
  for (char **p = subs; *p; p++)
    room_add (s, *p);
  if (!ams_room_player_start (s->room, &error))
    post_failed (m, s->stream_id, s->conn, failure_code (error, FALSE));
}

/* ------------------------------------------------------------ backend vtable */

static void
add_candidate (AmsServerMedia *m, Session *s, gint64 label, const char *mid, const char *cand)
{
  if (!s->in_relay)
    {
      if (s->pending->len >= MAX_PENDING_CANDIDATES)
        return;
      Candidate *c = g_new0 (Candidate, 1);
      c->label = label;
      c->mid = g_strdup (mid);
      c->candidate = g_strdup (cand);
      g_ptr_array_add (s->pending, c);
      return;
    }
  g_autoptr (GError) error = NULL;
  int l = label >= 0 && label <= G_MAXINT ? (int) label : -1;
  gboolean ok = s->room ? ams_room_player_add_candidate (s->room, l, mid, cand, &error)
                        : ams_relay_add_candidate (m->relay, s->key, l, mid, cand, &error);
  if (!ok)
    g_debug ("candidate for %s not taken: %s", s->key, error->message);
}

static void
flush_candidates (AmsServerMedia *m, Session *s)
{
  g_autoptr (GPtrArray) pending = g_steal_pointer (&s->pending);
  s->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) candidate_free);
  for (guint i = 0; i < pending->len; i++)
    {
      Candidate *c = g_ptr_array_index (pending, i);
      add_candidate (m, s, c->label, c->mid, c->candidate);
    }
}

/* Puts a waiting player into the relay; FALSE when its stream is not there yet. */
static gboolean
player_enter_relay (AmsServerMedia *m, Session *s)
{
  g_autoptr (GError) error = NULL;
  if (!ams_relay_add_player (m->relay, s->stream_id, s->key, &error))
    {
      if (!g_error_matches (error, AMS_ERROR, AMS_ERROR_NO_STREAM_EXIST))
        post_failed (m, s->stream_id, s->conn, failure_code (error, FALSE));
      return FALSE;
    }
  s->in_relay = TRUE;
  flush_candidates (m, s);
  return TRUE;
}

static void
be_publisher_offer (gpointer data, const char *stream_id, AmsConnId conn, const char *sdp)
{
  AmsServerMedia *m = data;
  Session *s = session_lookup (m, stream_id, conn, TRUE);
  if (s && s->in_relay)
    {
      /* A renegotiation offer from a publisher is not supported by the relay. */
      g_message ("publisher %s sent a second offer; ignored", stream_id);
      return;
    }
  if (s == NULL)
    s = session_new (m, stream_id, conn, TRUE);
  g_autoptr (GError) error = NULL;
  if (!ams_relay_add_publisher (m->relay, stream_id, s->key, sdp, &error))
    {
      g_message ("publisher %s: %s", stream_id, error->message);
      AmsError code = failure_code (error, TRUE);
      if (g_error_matches (error, AMS_ERROR, AMS_ERROR_NEGOTIATION))
        code = AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION;
      session_drop (m, s);
      post_failed (m, stream_id, conn, code);
      return;
    }
  s->in_relay = TRUE;
  flush_candidates (m, s);
  /* Players that asked before the publisher's offer. */
  GList *sessions = g_hash_table_get_values (m->by_key);
  for (GList *l = sessions; l; l = l->next)
    {
      Session *p = l->data;
      if (!p->publisher && !p->in_relay && strcmp (p->stream_id, stream_id) == 0)
        player_enter_relay (m, p);
    }
  g_list_free (sessions);
}

static void
be_publisher_candidate (gpointer data, const char *stream_id, AmsConnId conn, gint64 label,
                        const char *mid, const char *candidate)
{
  AmsServerMedia *m = data;
  Session *s = session_lookup (m, stream_id, conn, TRUE);
  if (s == NULL)
    s = session_new (m, stream_id, conn, TRUE);   /* trickled before the offer */
  add_candidate (m, s, label, mid, candidate);
}

static void
be_player_start (gpointer data, const char *stream_id, AmsConnId conn)
{
  AmsServerMedia *m = data;
  Session *s = session_lookup (m, stream_id, conn, FALSE);
  if (s)
    {
      /* A restart: the core stopped the old session first, but be safe. */
      if (s->in_relay)
        ams_relay_remove (m->relay, s->key);
      session_drop (m, s);
    }
  s = session_new (m, stream_id, conn, FALSE);
  if (ams_server_core_is_main_track (ams_mini_server_get_core (m->server), stream_id))
    room_start (m, s);
  else
    player_enter_relay (m, s);   /* or it waits for the publisher's offer */
}

static void
be_player_answer (gpointer data, const char *stream_id, AmsConnId conn, const char *sdp)
{
  AmsServerMedia *m = data;
  Session *s = session_lookup (m, stream_id, conn, FALSE);
  if (s == NULL || !s->in_relay)
    return;
  g_autoptr (GError) error = NULL;
  if (s->room ? !ams_room_player_set_answer (s->room, sdp, &error)
              : !ams_relay_set_answer (m->relay, s->key, sdp, &error))
    {
      g_message ("player %s of %s: %s", s->key, stream_id, error->message);
      post_failed (m, stream_id, conn, AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION);
    }
}

static void
be_player_candidate (gpointer data, const char *stream_id, AmsConnId conn, gint64 label,
                     const char *mid, const char *candidate)
{
  AmsServerMedia *m = data;
  Session *s = session_lookup (m, stream_id, conn, FALSE);
  if (s)
    add_candidate (m, s, label, mid, candidate);
}

static void
be_player_track_enable (gpointer data, const char *stream_id, AmsConnId conn, const char *kind,
                        const char *track_id, gboolean enabled)
{
  AmsServerMedia *m = data;
  Session *s = session_lookup (m, stream_id, conn, FALSE);
  if (s && s->room && g_strcmp0 (kind, "enableTrack") == 0)
    {
      ams_room_player_set_enabled (s->room, track_id, enabled);
      return;
    }
  g_debug ("%s %s on %s: not applied by the relay", kind, enabled ? "on" : "off", track_id);
}

static void
be_session_stop (gpointer data, const char *stream_id, AmsConnId conn, gboolean is_publisher)
{
  AmsServerMedia *m = data;
  Session *s = session_lookup (m, stream_id, conn, is_publisher);
  if (s == NULL)
    return;
  if (is_publisher)
    rooms_remove_participant (m, stream_id);   /* re-offers to the room's players */
  if (s->in_relay && !s->room)
    {
      m->removing = TRUE;
      ams_relay_remove (m->relay, s->key);
      m->removing = FALSE;
    }
  session_drop (m, s);
}

static const AmsServerMediaBackend backend = {
  .publisher_offer = be_publisher_offer,
  .publisher_candidate = be_publisher_candidate,
  .player_start = be_player_start,
  .player_answer = be_player_answer,
  .player_candidate = be_player_candidate,
  .player_track_enable = be_player_track_enable,
  .session_stop = be_session_stop,
};

/* ------------------------------------------------------------ life */

AmsServerMedia *
ams_server_media_new (AmsMiniServer *server, const char *bind_address, GError **error)
{
  GKeyFile *kf = ams_mini_server_get_key_file (server);
  AmsRelayOptions o;
  GPtrArray *strings = g_ptr_array_new ();
  if (!read_options (kf, bind_address, &o, strings, error))
    {
      free_option_strings (strings, &o);
      return NULL;
    }
  AmsServerMedia *m = g_new0 (AmsServerMedia, 1);
  m->server = server;
  m->context = g_main_context_ref (ams_mini_server_get_context (server));
  m->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) session_free);
  m->by_session = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&m->events);
  m->relay = ams_relay_new (&o, m->context, &relay_callbacks, m);   /* copies the options */
  ams_peer_options_init (&m->ice);
  m->ice.ice_servers = o.ice_servers;
  m->ice.filter = o.filter;
  m->ice.local_address = o.local_address;
  m->ice_strings = strings;
  m->ice_relay_options = o;
  ams_mini_server_set_media_backend (server, &backend, m);
  return m;
}

void
ams_server_media_prewarm (AmsServerMedia *media)
{
  if (media)
    ams_media_prewarm ();
}

void
ams_server_media_free (AmsServerMedia *m)
{
  if (m == NULL)
    return;
  ams_mini_server_set_media_backend (m->server, NULL, NULL);
  /* Sessions first: room sessions remove their relay taps. */
  g_hash_table_remove_all (m->by_session);
  g_hash_table_remove_all (m->by_key);
  g_clear_pointer (&m->relay, ams_relay_free);
  if (m->idle)
    {
      g_source_destroy (m->idle);
      g_clear_pointer (&m->idle, g_source_unref);
    }
  g_queue_clear_full (&m->events, (GDestroyNotify) event_free);
  g_hash_table_unref (m->by_session);
  g_hash_table_unref (m->by_key);
  free_option_strings (m->ice_strings, &m->ice_relay_options);
  g_main_context_unref (m->context);
  g_free (m);
}
