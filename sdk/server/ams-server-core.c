/* ams-server-core.c: the mini-server's signalling state machine.
 *
 * Model: connections; publish sessions (streams) owned by one connection;
 * play sessions per (stream, connection); P2P pairs; legacy rooms; main
 * tracks with their subtracks. Every handler validates, updates the model
 * and emits (connection, message) actions. */
#include "server/ams-server-core.h"
#include "server/ams-tokens.h"

#include <string.h>

/* How long a takeConfiguration is held when candidates must go first and no
 * candidate comes. */
#define SDP_HOLD_US (500 * G_TIME_SPAN_MILLISECOND)

typedef struct {
  AmsConnId   id;
  GHashTable *publishing;  /* stream id -> Stream* (borrowed from core->streams) */
  GHashTable *p2p;         /* set of P2P stream ids joined */
  GHashTable *rooms;       /* room -> own stream id (owned strings) */
  guint       delayed;     /* held actions that keep this connection's order */
  gint64      last_delayed_due;
} Conn;

typedef struct {
  char      *id;
  AmsConnId  conn;
  char      *subscriber_id;
  char      *stream_name;
  char      *meta_data;
  char      *role;
  char      *main_track;
  gboolean   started;
  gint64     deadline_us;   /* start timeout; -1 once started or disabled */
  gint       width, height, video_bitrate, audio_bitrate;
  char      *video_codec;
} Stream;

typedef struct {
  char      *stream_id;
  AmsConnId  conn;
  char      *subscriber_id;
  char      *user_publish_id;  /* multitrack: own subtrack, not played back */
  gboolean   started;
} Play;

typedef struct {
  AmsConnId peers[2];
  guint     n;
} P2pPair;

typedef struct {
  char  *token;
  char  *stream_id;
  char  *type;
} OneTimeToken;

typedef struct {
  gint64           due_us;
  gboolean         keeps_order;   /* a DELAY hold (counts in Conn.delayed) */
  char            *sdp_stream;    /* a candidates-before-sdp hold, else NULL */
  AmsServerAction *action;
} Held;

struct _AmsServerCore {
  AmsServerConfig      *config;
  AmsServerMediaBackend backend;
  gpointer              backend_data;
  gint64              (*wall_now_s) (void);
  double                cpu_percent;
  gint64                free_ram_mb;   /* -1 until measured */

  GHashTable *conns;           /* &id -> Conn* */
  GHashTable *streams;         /* id -> Stream* */
  GHashTable *players;         /* stream id -> (GHashTable &conn -> Play*) */
  GHashTable *p2p;             /* stream id -> P2pPair* */
  GHashTable *rooms;           /* room -> (GHashTable stream id -> conn id boxed) */
  GHashTable *main_tracks;     /* main track id -> GPtrArray of subtrack ids */
  GPtrArray  *one_time;        /* OneTimeToken* */
  GList      *held;            /* Held*, sorted by due time */
  gint64      start_deadline;  /* earliest start timeout, maybe early; -1 none */
  AmsMessage *pong;            /* every pong is this message, never changed */
};

/* The effects of fault directives on the command being handled. */
typedef struct {
  const char *command;
  gint64      now_us;
  gint64      delay_us;
  gboolean    drop;
} Ctx;

/* ================================================================ helpers */

void
ams_server_action_free (AmsServerAction *action)
{
  if (action == NULL)
    return;
  if (action->msg)
    ams_message_unref (action->msg);
  g_free (action);
}

GPtrArray *
ams_server_actions_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ams_server_action_free);
}

static void
stream_free (Stream *s)
{
  g_free (s->id);
  g_free (s->subscriber_id);
  g_free (s->stream_name);
  g_free (s->meta_data);
  g_free (s->role);
  g_free (s->main_track);
  g_free (s->video_codec);
  g_free (s);
}

static void
play_free (Play *p)
{
  g_free (p->stream_id);
  g_free (p->subscriber_id);
  g_free (p->user_publish_id);
  g_free (p);
}

static void
conn_free (Conn *c)
{
  g_hash_table_unref (c->publishing);
  g_hash_table_unref (c->p2p);
  g_hash_table_unref (c->rooms);
  g_free (c);
}

static void
one_time_free (OneTimeToken *t)
{
  g_free (t->token);
  g_free (t->stream_id);
  g_free (t->type);
  g_free (t);
}

static void
held_free (Held *h)
{
  ams_server_action_free (h->action);
  g_free (h->sdp_stream);
  g_free (h);
}

static gint64
real_wall_now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
strv_has (char **strv, const char *s)
{
  return strv != NULL && s != NULL && g_strv_contains ((const char *const *) strv, s);
}

static const char *
empty_to_null (const char *s)
{
  return s != NULL && *s != '\0' ? s : NULL;
}

/* ================================================================ faults */

static AmsFault *
fault_parse_error (const char *directive, GError **error)
{
  g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
               "bad fault directive '%s' (expected delay:CMD:MS, drop:CMD, close-after:CMD, "
               "refuse:CMD:DEFINITION, no-pong or candidates-before-sdp)",
               directive ? directive : "(null)");
  return NULL;
}

AmsFault *
ams_fault_parse (const char *directive, GError **error)
{
  if (directive == NULL)
    return fault_parse_error (directive, error);
  g_auto (GStrv) parts = g_strsplit (directive, ":", 3);
  guint n = g_strv_length (parts);
  if (n == 0)
    return fault_parse_error (directive, error);
  for (guint i = 0; i < n; i++)
    g_strstrip (parts[i]);
  AmsFault *f = g_new0 (AmsFault, 1);
  if (n == 1 && strcmp (parts[0], "no-pong") == 0)
    {
      f->kind = AMS_FAULT_NO_PONG;
      f->command = g_strdup ("ping");
      return f;
    }
  if (n == 1 && strcmp (parts[0], "candidates-before-sdp") == 0)
    {
      f->kind = AMS_FAULT_CANDIDATES_BEFORE_SDP;
      f->command = g_strdup ("*");
      return f;
    }
  if (n >= 2 && *parts[1] != '\0')
    {
      f->command = g_strdup (parts[1]);
      if (n == 3 && strcmp (parts[0], "delay") == 0)
        {
          guint64 ms;
          if (g_ascii_string_to_unsigned (parts[2], 10, 0, 600000, &ms, NULL))
            {
              f->kind = AMS_FAULT_DELAY;
              f->delay_ms = (guint) ms;
              return f;
            }
        }
      else if (n == 2 && strcmp (parts[0], "drop") == 0)
        {
          f->kind = AMS_FAULT_DROP;
          return f;
        }
      else if (n == 2 && strcmp (parts[0], "close-after") == 0)
        {
          f->kind = AMS_FAULT_CLOSE_AFTER;
          return f;
        }
      else if (n == 3 && strcmp (parts[0], "refuse") == 0 && *parts[2] != '\0')
        {
          f->kind = AMS_FAULT_REFUSE;
          f->definition = g_strdup (parts[2]);
          return f;
        }
    }
  ams_fault_free (f);
  return fault_parse_error (directive, error);
}

void
ams_fault_free (AmsFault *fault)
{
  if (fault == NULL)
    return;
  g_free (fault->command);
  g_free (fault->definition);
  g_free (fault);
}

static const AmsFault *
find_fault (AmsServerCore *core, AmsFaultKind kind, const char *command)
{
  for (guint i = 0; i < core->config->faults->len; i++)
    {
      const AmsFault *f = g_ptr_array_index (core->config->faults, i);
      if (f->kind == kind
          && (strcmp (f->command, "*") == 0 || (command && strcmp (f->command, command) == 0)))
        return f;
    }
  return NULL;
}

/* ================================================================ config */

AmsServerConfig *
ams_server_config_new (void)
{
  AmsServerConfig *c = g_new0 (AmsServerConfig, 1);
  c->start_timeout_ms = 10000;
  c->totp_period_s = 60;
  /* AMS ships 75 %; off here, because the mini-server shares busy CI
   * machines with the tests it serves. */
  c->cpu_limit_percent = 0;
  c->min_free_ram_mb = 10;
  c->max_viewers_per_stream = -1;
  c->max_subtracks_per_main_track = -1;
  c->max_track_count = -1;
  c->play_once_per_session = TRUE;
  c->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) ams_fault_free);
  return c;
}

void
ams_server_config_free (AmsServerConfig *c)
{
  if (c == NULL)
    return;
  g_strfreev (c->registered_streams);
  g_strfreev (c->registered_rooms);
  g_strfreev (c->one_time_tokens);
  g_strfreev (c->blocked_subscribers);
  /* Secrets are wiped before the memory goes back. */
  char *secrets[] = { c->jwt_secret, c->hash_secret, c->totp_secret, c->turn_credential,
                      c->subscriber_auth_key };
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    if (secrets[i])
      {
        memset (secrets[i], 0, strlen (secrets[i]));
        g_free (secrets[i]);
      }
  g_free (c->stun_server_uri);
  g_free (c->turn_username);
  g_ptr_array_unref (c->faults);
  g_free (c);
}

/* ================================================================ core */

AmsServerCore *
ams_server_core_new (AmsServerConfig *config)
{
  AmsServerCore *core = g_new0 (AmsServerCore, 1);
  core->config = config ? config : ams_server_config_new ();
  core->wall_now_s = real_wall_now_s;
  core->free_ram_mb = -1;
  core->start_deadline = -1;
  core->conns = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) conn_free);
  core->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) stream_free);
  core->players = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_hash_table_unref);
  core->p2p = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  core->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_hash_table_unref);
  core->main_tracks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_ptr_array_unref);
  core->one_time = g_ptr_array_new_with_free_func ((GDestroyNotify) one_time_free);
  core->pong = ams_message_new (AMS_CMD_PONG);
  for (char **t = core->config->one_time_tokens; t && *t; t++)
    {
      g_auto (GStrv) parts = g_strsplit (*t, ":", 3);
      if (g_strv_length (parts) != 3)
        continue;
      OneTimeToken *ott = g_new0 (OneTimeToken, 1);
      ott->token = g_strdup (parts[0]);
      ott->stream_id = g_strdup (parts[1]);
      ott->type = g_strdup (parts[2]);
      g_ptr_array_add (core->one_time, ott);
    }
  return core;
}

void
ams_server_core_free (AmsServerCore *core)
{
  if (core == NULL)
    return;
  g_list_free_full (core->held, (GDestroyNotify) held_free);
  g_hash_table_unref (core->players);
  g_hash_table_unref (core->p2p);
  g_hash_table_unref (core->rooms);
  g_hash_table_unref (core->main_tracks);
  g_hash_table_unref (core->conns);
  g_hash_table_unref (core->streams);
  g_ptr_array_unref (core->one_time);
  ams_message_unref (core->pong);
  ams_server_config_free (core->config);
  g_free (core);
}

const AmsServerConfig *
ams_server_core_get_config (AmsServerCore *core)
{
  return core->config;
}

void
ams_server_core_set_media_backend (AmsServerCore *core, const AmsServerMediaBackend *backend,
                                   gpointer user_data)
{
  if (backend)
    core->backend = *backend;
  else
    memset (&core->backend, 0, sizeof core->backend);
  core->backend_data = user_data;
}

void
ams_server_core_set_resource_usage (AmsServerCore *core, double cpu_percent, gint64 free_ram_mb)
{
  core->cpu_percent = cpu_percent;
  core->free_ram_mb = free_ram_mb;
}

void
ams_server_core_set_wall_clock (AmsServerCore *core, gint64 (*now_s) (void))
{
  core->wall_now_s = now_s ? now_s : real_wall_now_s;
}

static Conn *
conn_get (AmsServerCore *core, AmsConnId id)
{
  return g_hash_table_lookup (core->conns, &id);
}

/* ================================================================ output */

static gint
held_cmp (gconstpointer a, gconstpointer b)
{
  const Held *ha = a, *hb = b;
  /* Never 0: g_list_insert_sorted() puts a new element before equal ones,
   * and equal due times must keep their order. */
  return ha->due_us < hb->due_us ? -1 : 1;
}

static void
hold (AmsServerCore *core, AmsServerAction *action, gint64 due_us, gboolean keeps_order,
      const char *sdp_stream)
{
  Held *h = g_new0 (Held, 1);
  h->action = action;
  h->due_us = due_us;
  h->keeps_order = keeps_order;
  h->sdp_stream = g_strdup (sdp_stream);
  core->held = g_list_insert_sorted (core->held, h, held_cmp);
}

static void
held_release (AmsServerCore *core, GList *link, GPtrArray *out)
{
  Held *h = link->data;
  core->held = g_list_delete_link (core->held, link);
  if (h->keeps_order)
    {
      Conn *c = conn_get (core, h->action->conn);
      if (c && c->delayed > 0)
        c->delayed--;
    }
  g_ptr_array_add (out, h->action);
  h->action = NULL;
  held_free (h);
}

/* Emits @action now, or holds it as the fault directives of @ctx say. */
static void
push_action (AmsServerCore *core, const Ctx *ctx, AmsServerAction *action, GPtrArray *out)
{
  Conn *c = conn_get (core, action->conn);
  if (c == NULL || ctx->drop)
    {
      ams_server_action_free (action);
      return;
    }
  gboolean is_sdp = action->msg && ams_message_get_command (action->msg) == AMS_CMD_TAKE_CONFIGURATION;
  gboolean is_cand = action->msg && ams_message_get_command (action->msg) == AMS_CMD_TAKE_CANDIDATE;

  if (ctx->delay_us > 0 || c->delayed > 0)
    {
      gint64 due = MAX (ctx->now_us + ctx->delay_us, c->last_delayed_due);
      c->delayed++;
      c->last_delayed_due = due;
      hold (core, action, due, TRUE, NULL);
      return;
    }
  if (is_sdp && find_fault (core, AMS_FAULT_CANDIDATES_BEFORE_SDP, NULL))
    {
      hold (core, action, ctx->now_us + SDP_HOLD_US, FALSE,
            ams_message_get_string (action->msg, "streamId"));
      return;
    }
  g_ptr_array_add (out, action);
  if (is_cand)
    {
      /* A candidate went first: release the SDP held for the same session. */
      const char *sid = ams_message_get_string (action->msg, "streamId");
      for (GList *l = core->held; l != NULL;)
        {
          GList *next = l->next;
          Held *h = l->data;
          if (h->sdp_stream && h->action->conn == action->conn && g_strcmp0 (h->sdp_stream, sid) == 0)
            held_release (core, l, out);
          l = next;
        }
    }
}

/* Takes ownership of @msg. */
static void
send_msg (AmsServerCore *core, const Ctx *ctx, AmsConnId conn, AmsMessage *msg, GPtrArray *out)
{
  AmsServerAction *a = g_new0 (AmsServerAction, 1);
  a->kind = AMS_SERVER_ACTION_SEND;
  a->conn = conn;
  a->msg = msg;
  push_action (core, ctx, a, out);
}

static void
send_close (AmsServerCore *core, const Ctx *ctx, AmsConnId conn, guint16 code, GPtrArray *out)
{
  AmsServerAction *a = g_new0 (AmsServerAction, 1);
  a->kind = AMS_SERVER_ACTION_CLOSE;
  a->conn = conn;
  a->close_code = code;
  Ctx c = *ctx;
  c.drop = FALSE;  /* a close is not a reply: drop does not cancel it */
  push_action (core, &c, a, out);
}

static AmsMessage *
error_msg (AmsError code, const char *stream_id)
{
  AmsMessage *m = ams_message_new_error (code);
  if (stream_id)
    ams_message_set_string (m, "streamId", stream_id);
  return m;
}

static void
send_error (AmsServerCore *core, const Ctx *ctx, AmsConnId conn, AmsError code,
            const char *stream_id, GPtrArray *out)
{
  send_msg (core, ctx, conn, error_msg (code, stream_id), out);
}

static AmsMessage *
notification_msg (AmsNotification def, const char *stream_id)
{
  AmsMessage *m = ams_message_new_notification (def);
  if (stream_id)
    ams_message_set_string (m, "streamId", stream_id);
  return m;
}

/* ================================================================ model */

static GHashTable *
players_of (AmsServerCore *core, const char *stream_id, gboolean create)
{
  GHashTable *t = g_hash_table_lookup (core->players, stream_id);
  if (t == NULL && create)
    {
      t = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) play_free);
      g_hash_table_insert (core->players, g_strdup (stream_id), t);
    }
  return t;
}

static Play *
play_lookup (AmsServerCore *core, const char *stream_id, AmsConnId conn)
{
  GHashTable *t = players_of (core, stream_id, FALSE);
  return t ? g_hash_table_lookup (t, &conn) : NULL;
}

static void
play_remove (AmsServerCore *core, const char *stream_id, AmsConnId conn)
{
  GHashTable *t = players_of (core, stream_id, FALSE);
  if (t == NULL)
    return;
  g_hash_table_remove (t, &conn);
  if (g_hash_table_size (t) == 0)
    g_hash_table_remove (core->players, stream_id);
}

/* Ends every play session of @stream_id with play_finished. */
static void
finish_players (AmsServerCore *core, const Ctx *ctx, const char *stream_id, GPtrArray *out)
{
  GHashTable *t = players_of (core, stream_id, FALSE);
  if (t == NULL)
    return;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, t);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Play *p = v;
      AmsMessage *m = notification_msg (AMS_NOTIFY_PLAY_FINISHED, stream_id);
      ams_message_set_string (m, "subscriberId", p->subscriber_id);
      send_msg (core, ctx, p->conn, m, out);
      if (core->backend.session_stop)
        core->backend.session_stop (core->backend_data, stream_id, p->conn, FALSE);
    }
  g_hash_table_remove (core->players, stream_id);
}

static void
notify_main_track_players (AmsServerCore *core, const Ctx *ctx, const char *main_track,
                           const char *track_id, AmsNotification def, GPtrArray *out)
{
  GHashTable *t = players_of (core, main_track, FALSE);
  if (t == NULL)
    return;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, t);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Play *p = v;
      AmsMessage *m = ams_message_new_notification (def);
      ams_message_set_string (m, "trackId", track_id);
      ams_message_set_string (m, "mainTrack", main_track);
      send_msg (core, ctx, p->conn, m, out);
    }
}

static gboolean
main_track_has (GPtrArray *subs, const char *id)
{
  for (guint i = 0; subs && i < subs->len; i++)
    if (strcmp (g_ptr_array_index (subs, i), id) == 0)
      return TRUE;
  return FALSE;
}

/* A stream or a main track with at least one subtrack can be played. */
static gboolean
playable (AmsServerCore *core, const char *id)
{
  return g_hash_table_contains (core->streams, id) || g_hash_table_contains (core->main_tracks, id);
}

/* The legacy room a stream belongs to through joinRoom, or NULL. */
static const char *
legacy_room_of (AmsServerCore *core, Conn *c, const char *stream_id)
{
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, c->rooms);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (strcmp (v, stream_id) == 0)
      return k;
  return NULL;
}

static void
recompute_start_deadline (AmsServerCore *core)
{
  GHashTableIter it;
  gpointer v;
  core->start_deadline = -1;
  g_hash_table_iter_init (&it, core->streams);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Stream *s = v;
      if (!s->started && s->deadline_us >= 0
          && (core->start_deadline < 0 || s->deadline_us < core->start_deadline))
        core->start_deadline = s->deadline_us;
    }
}

/* @s no longer waits for its start: keep the earliest deadline exact when
 * it was @s's (one scan, only then). */
static void
start_wait_over (AmsServerCore *core, Stream *s)
{
  gboolean was_earliest = !s->started && s->deadline_us >= 0 && s->deadline_us == core->start_deadline;
  s->deadline_us = -1;
  if (was_earliest)
    recompute_start_deadline (core);
}

/* Ends a publish session: publish_finished (when @notify), players told,
 * the main track updated, the backend stopped. */
static void
end_publish (AmsServerCore *core, const Ctx *ctx, Stream *s, gboolean notify, GPtrArray *out)
{
  Conn *c = conn_get (core, s->conn);
  char *id = g_strdup (s->id);
  if (notify)
    {
      AmsMessage *m = notification_msg (AMS_NOTIFY_PUBLISH_FINISHED, id);
      ams_message_set_string (m, "subscriberId", s->subscriber_id);
      send_msg (core, ctx, s->conn, m, out);
    }
  if (core->backend.session_stop)
    core->backend.session_stop (core->backend_data, id, s->conn, TRUE);
  finish_players (core, ctx, id, out);
  if (s->main_track)
    {
      GPtrArray *subs = g_hash_table_lookup (core->main_tracks, s->main_track);
      for (guint i = 0; subs && i < subs->len; i++)
        if (strcmp (g_ptr_array_index (subs, i), id) == 0)
          {
            g_ptr_array_remove_index (subs, i);
            break;
          }
      notify_main_track_players (core, ctx, s->main_track, id, AMS_NOTIFY_SUBTRACK_REMOVED, out);
      if (subs && subs->len == 0)
        {
          /* The room is gone: its players are done too. */
          if (!g_hash_table_contains (core->streams, s->main_track))
            finish_players (core, ctx, s->main_track, out);
          g_hash_table_remove (core->main_tracks, s->main_track);
        }
    }
  if (c)
    g_hash_table_remove (c->publishing, id);
  g_hash_table_steal (core->streams, id);
  start_wait_over (core, s);
  stream_free (s);
  g_free (id);
}

/* ============================================================ checks */

static gboolean
resources_exceeded (AmsServerCore *core)
{
  const AmsServerConfig *cfg = core->config;
  if (core->free_ram_mb < 0)
    return FALSE;  /* never measured */
  if (cfg->cpu_limit_percent > 0 && core->cpu_percent > cfg->cpu_limit_percent)
    return TRUE;
  if (cfg->min_free_ram_mb > 0 && core->free_ram_mb < (gint64) cfg->min_free_ram_mb)
    return TRUE;
  return FALSE;
}

/* Returns 0 when every enabled check for @role passes, else the error. */
static AmsError
check_security (AmsServerCore *core, AmsMessage *msg, const char *stream_id, const char *role)
{
  const AmsServerConfig *cfg = core->config;
  gboolean publish = strcmp (role, "publish") == 0;
  const char *token = empty_to_null (ams_message_get_string (msg, "token"));
  const char *subscriber = empty_to_null (ams_message_get_string (msg, "subscriberId"));
  gint64 now_s = core->wall_now_s ();

  if (subscriber && strv_has (cfg->blocked_subscribers, subscriber))
    return AMS_ERROR_USER_BLOCKED;

  if (publish ? cfg->one_time_token_publish : cfg->one_time_token_play)
    {
      /* Compare against every token, no early exit: constant time in the
       * position of a match. */
      gint found = -1;
      for (guint i = 0; i < core->one_time->len; i++)
        {
          OneTimeToken *t = g_ptr_array_index (core->one_time, i);
          gboolean same = ams_token_equal (t->token, token);
          if (same && found < 0 && strcmp (t->stream_id, stream_id) == 0
              && strcmp (t->type, role) == 0)
            found = (gint) i;
        }
      if (found < 0)
        return AMS_ERROR_UNAUTHORIZED_ACCESS;
      g_ptr_array_remove_index (core->one_time, (guint) found);  /* one time */
    }
  if ((publish ? cfg->jwt_publish : cfg->jwt_play)
      && !ams_token_jwt_verify (token, cfg->jwt_secret, stream_id, role, now_s, NULL))
    return AMS_ERROR_UNAUTHORIZED_ACCESS;
  if ((publish ? cfg->hash_publish : cfg->hash_play)
      && !ams_token_hash_verify (token, stream_id, role, cfg->hash_secret))
    return AMS_ERROR_UNAUTHORIZED_ACCESS;
  if ((publish ? cfg->totp_publish : cfg->totp_play)
      && (subscriber == NULL
          || !ams_totp_verify (cfg->totp_secret, ams_message_get_string (msg, "subscriberCode"),
                               now_s, cfg->totp_period_s ? cfg->totp_period_s : 60, 6)))
    return AMS_ERROR_UNAUTHORIZED_ACCESS;
  return 0;
}

/* ============================================================ handlers */

static void
handle_publish (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg, const char *sid,
                GPtrArray *out)
{
  const AmsServerConfig *cfg = core->config;
  const char *main_track = empty_to_null (ams_message_get_string (msg, "mainTrack"));
  AmsError err;

  if (resources_exceeded (core))
    {
      send_error (core, ctx, c->id, AMS_ERROR_HIGH_RESOURCE_USAGE, NULL, out);
      return;
    }
  if ((err = check_security (core, msg, sid, "publish")) != 0)
    {
      send_error (core, ctx, c->id, err, sid, out);
      return;
    }
  if (cfg->accept_only_registered_streams && !strv_has (cfg->registered_streams, sid))
    {
      send_error (core, ctx, c->id, AMS_ERROR_NOT_ALLOWED_UNREGISTERED_STREAMS, sid, out);
      return;
    }
  if (g_hash_table_contains (c->publishing, sid))
    {
      send_error (core, ctx, c->id, AMS_ERROR_ALREADY_PUBLISHING, sid, out);
      return;
    }
  if (g_hash_table_contains (core->streams, sid))
    {
      send_error (core, ctx, c->id, AMS_ERROR_STREAM_ID_IN_USE, sid, out);
      return;
    }
  if (cfg->require_encoder_settings)
    {
      send_error (core, ctx, c->id, AMS_ERROR_NO_ENCODER_SETTINGS, NULL, out);
      return;
    }
  if (main_track)
    {
      if (strcmp (main_track, sid) == 0)
        {
          send_error (core, ctx, c->id, AMS_ERROR_MAIN_TRACK_DB_OPERATION_FAILED, sid, out);
          return;
        }
      GPtrArray *subs = g_hash_table_lookup (core->main_tracks, main_track);
      if (cfg->max_subtracks_per_main_track >= 0 && subs
          && subs->len >= (guint) cfg->max_subtracks_per_main_track)
        {
          send_error (core, ctx, c->id, AMS_ERROR_MAIN_TRACK_HAS_MAX_SUBTRACK_COUNT, sid, out);
          return;
        }
    }

  Stream *s = g_new0 (Stream, 1);
  s->id = g_strdup (sid);
  s->conn = c->id;
  s->subscriber_id = g_strdup (ams_message_get_string (msg, "subscriberId"));
  s->stream_name = g_strdup (ams_message_get_string (msg, "streamName"));
  s->meta_data = g_strdup (ams_message_get_string (msg, "metaData"));
  s->role = g_strdup (ams_message_get_string (msg, "role"));
  s->main_track = g_strdup (main_track);
  s->deadline_us = cfg->start_timeout_ms > 0
                       ? ctx->now_us + (gint64) cfg->start_timeout_ms * G_TIME_SPAN_MILLISECOND
                       : -1;
  g_hash_table_insert (core->streams, s->id, s);
  g_hash_table_insert (c->publishing, s->id, s);
  if (s->deadline_us >= 0 && (core->start_deadline < 0 || s->deadline_us < core->start_deadline))
    core->start_deadline = s->deadline_us;

  AmsMessage *start = ams_message_new (AMS_CMD_START);
  ams_message_set_string (start, "streamId", sid);
  ams_message_set_string (start, "subscriberId", s->subscriber_id);
  send_msg (core, ctx, c->id, start, out);

  if (main_track)
    {
      GPtrArray *subs = g_hash_table_lookup (core->main_tracks, main_track);
      if (subs == NULL)
        {
          subs = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (core->main_tracks, g_strdup (main_track), subs);
        }
      if (!main_track_has (subs, sid))
        g_ptr_array_add (subs, g_strdup (sid));
      notify_main_track_players (core, ctx, main_track, sid, AMS_NOTIFY_SUBTRACK_ADDED, out);
    }
}

static void
handle_play (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg, const char *sid,
             GPtrArray *out)
{
  const AmsServerConfig *cfg = core->config;
  AmsError err;

  if (resources_exceeded (core))
    {
      send_error (core, ctx, c->id, AMS_ERROR_HIGH_RESOURCE_USAGE, NULL, out);
      return;
    }
  if ((err = check_security (core, msg, sid, "play")) != 0)
    {
      send_error (core, ctx, c->id, err, sid, out);
      return;
    }
  if (!playable (core, sid))
    {
      AmsMessage *m = error_msg (AMS_ERROR_NO_STREAM_EXIST, sid);
      ams_message_set_string (m, "error_code", "404");
      send_msg (core, ctx, c->id, m, out);
      return;
    }
  Play *existing = play_lookup (core, sid, c->id);
  if (existing && cfg->play_once_per_session)
    {
      send_error (core, ctx, c->id, AMS_ERROR_ALREADY_PLAYING, sid, out);
      return;
    }
  GHashTable *t = players_of (core, sid, FALSE);
  if (!existing && cfg->max_viewers_per_stream >= 0 && t
      && g_hash_table_size (t) >= (guint) cfg->max_viewers_per_stream)
    {
      send_error (core, ctx, c->id, AMS_ERROR_VIEWER_LIMIT_REACHED, sid, out);
      return;
    }
  if (cfg->max_viewers_per_stream == 0)
    {
      send_error (core, ctx, c->id, AMS_ERROR_VIEWER_LIMIT_REACHED, sid, out);
      return;
    }
  if (existing)
    {
      /* Playing twice is allowed: restart the session. */
      if (core->backend.session_stop)
        core->backend.session_stop (core->backend_data, sid, c->id, FALSE);
      play_remove (core, sid, c->id);
    }
  Play *p = g_new0 (Play, 1);
  p->stream_id = g_strdup (sid);
  p->conn = c->id;
  p->subscriber_id = g_strdup (ams_message_get_string (msg, "subscriberId"));
  p->user_publish_id = g_strdup (empty_to_null (ams_message_get_string (msg, "userPublishId")));
  g_hash_table_insert (players_of (core, sid, TRUE), &p->conn, p);
  if (core->backend.player_start)
    core->backend.player_start (core->backend_data, sid, c->id);
}

static void
handle_stop (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid, GPtrArray *out);

/* P2P: the pair of @sid if @c is in it. */
static P2pPair *
p2p_pair_of (AmsServerCore *core, Conn *c, const char *sid)
{
  if (!g_hash_table_contains (c->p2p, sid))
    return NULL;
  return g_hash_table_lookup (core->p2p, sid);
}

static AmsConnId
p2p_other (P2pPair *pair, AmsConnId me)
{
  return pair->peers[0] == me ? pair->peers[1] : pair->peers[0];
}

static void
p2p_remove (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid, GPtrArray *out)
{
  P2pPair *pair = g_hash_table_lookup (core->p2p, sid);
  if (pair == NULL)
    return;
  if (pair->n == 2)
    {
      AmsMessage *stop = ams_message_new (AMS_CMD_STOP);
      ams_message_set_string (stop, "streamId", sid);
      send_msg (core, ctx, p2p_other (pair, c->id), stop, out);
    }
  if (pair->peers[0] == c->id)
    pair->peers[0] = pair->peers[1];
  pair->n = pair->n > 0 ? pair->n - 1 : 0;
  if (pair->n == 0)
    g_hash_table_remove (core->p2p, sid);
  g_hash_table_remove (c->p2p, sid);
}

static void
handle_join (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid, GPtrArray *out)
{
  P2pPair *pair = g_hash_table_lookup (core->p2p, sid);
  if (g_hash_table_contains (c->p2p, sid))
    {
      send_msg (core, ctx, c->id, notification_msg (AMS_NOTIFY_JOINED, sid), out);
      return;
    }
  if (pair && pair->n >= 2)
    {
      send_error (core, ctx, c->id, AMS_ERROR_NO_SPACE_FOR_NEW_PEER, NULL, out);
      return;
    }
  if (pair == NULL)
    {
      pair = g_new0 (P2pPair, 1);
      g_hash_table_insert (core->p2p, g_strdup (sid), pair);
    }
  if (pair->n == 1)
    {
      AmsMessage *start = ams_message_new (AMS_CMD_START);
      ams_message_set_string (start, "streamId", sid);
      send_msg (core, ctx, pair->peers[0], start, out);
    }
  pair->peers[pair->n++] = c->id;
  g_hash_table_add (c->p2p, g_strdup (sid));
  send_msg (core, ctx, c->id, notification_msg (AMS_NOTIFY_JOINED, sid), out);
}

static void
handle_leave (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid, GPtrArray *out)
{
  if (!g_hash_table_contains (c->p2p, sid))
    {
      send_error (core, ctx, c->id, AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE, NULL, out);
      return;
    }
  p2p_remove (core, ctx, c, sid, out);
  send_msg (core, ctx, c->id, notification_msg (AMS_NOTIFY_LEAVED, sid), out);
}

/* Relays a P2P message unchanged; TRUE when @sid is a P2P session of @c. */
static gboolean
p2p_relay (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg, const char *sid,
           GPtrArray *out)
{
  if (!g_hash_table_contains (c->p2p, sid))
    return FALSE;
  P2pPair *pair = p2p_pair_of (core, c, sid);
  if (pair == NULL || pair->n < 2)
    send_error (core, ctx, c->id, AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE, NULL, out);
  else
    send_msg (core, ctx, p2p_other (pair, c->id), ams_message_ref (msg), out);
  return TRUE;
}

static void
handle_take_configuration (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg,
                           const char *sid, GPtrArray *out)
{
  if (p2p_relay (core, ctx, c, msg, sid, out))
    return;
  const char *type = ams_message_get_string (msg, "type");
  const char *sdp = ams_message_get_string (msg, "sdp");
  Stream *s = g_hash_table_lookup (c->publishing, sid);
  if (s && g_strcmp0 (type, "offer") == 0)
    {
      if (core->backend.publisher_offer && sdp)
        core->backend.publisher_offer (core->backend_data, sid, c->id, sdp);
      return;
    }
  if (play_lookup (core, sid, c->id) && sdp)
    {
      if (core->backend.player_answer)
        core->backend.player_answer (core->backend_data, sid, c->id, sdp);
      return;
    }
  /* No session for this id: AMS only logs it. */
}

static void
handle_take_candidate (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg,
                       const char *sid, GPtrArray *out)
{
  gint64 label;
  /* label must be a JSON integer; AMS drops the message otherwise. */
  if (!ams_message_get_int (msg, "label", &label)
      || !json_object_is_type (ams_message_get_json (msg, "label"), json_type_int))
    return;
  if (p2p_relay (core, ctx, c, msg, sid, out))
    return;
  const char *mid = ams_message_get_string (msg, "id");
  const char *cand = ams_message_get_string (msg, "candidate");
  if (cand == NULL)
    return;
  if (!mid)
    mid = "0";
  if (g_hash_table_contains (c->publishing, sid))
    {
      if (core->backend.publisher_candidate)
        core->backend.publisher_candidate (core->backend_data, sid, c->id, label, mid, cand);
    }
  else if (play_lookup (core, sid, c->id))
    {
      if (core->backend.player_candidate)
        core->backend.player_candidate (core->backend_data, sid, c->id, label, mid, cand);
    }
}

static void
handle_stop (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid, GPtrArray *out)
{
  Stream *s = g_hash_table_lookup (c->publishing, sid);
  Play *p = play_lookup (core, sid, c->id);
  if (s)
    {
      end_publish (core, ctx, s, TRUE, out);
      const char *room = legacy_room_of (core, c, sid);
      if (room)
        {
          /* A legacy room participant who stops also leaves the room. */
          g_autofree char *r = g_strdup (room);
          GHashTable *members = g_hash_table_lookup (core->rooms, r);
          if (members)
            {
              g_hash_table_remove (members, sid);
              if (g_hash_table_size (members) == 0)
                g_hash_table_remove (core->rooms, r);
            }
          g_hash_table_remove (c->rooms, r);
          AmsMessage *m = ams_message_new_notification (AMS_NOTIFY_LEAVED_FROM_ROOM);
          ams_message_set_string (m, "ATTR_ROOM_NAME", r);
          send_msg (core, ctx, c->id, m, out);
        }
    }
  if (p)
    {
      AmsMessage *m = notification_msg (AMS_NOTIFY_PLAY_FINISHED, sid);
      ams_message_set_string (m, "subscriberId", p->subscriber_id);
      send_msg (core, ctx, c->id, m, out);
      if (core->backend.session_stop)
        core->backend.session_stop (core->backend_data, sid, c->id, FALSE);
      play_remove (core, sid, c->id);
    }
  if (!s && !p && g_hash_table_contains (c->p2p, sid))
    p2p_remove (core, ctx, c, sid, out);
}

/* Active stream ids of a room: legacy members that publish, and the
 * subtracks of the main track of the same id. Returns: (transfer container). */
static GPtrArray *
room_active_streams (AmsServerCore *core, const char *room)
{
  GPtrArray *ids = g_ptr_array_new ();
  GHashTable *members = g_hash_table_lookup (core->rooms, room);
  if (members)
    {
      GHashTableIter it;
      gpointer k;
      g_hash_table_iter_init (&it, members);
      while (g_hash_table_iter_next (&it, &k, NULL))
        if (g_hash_table_contains (core->streams, k))
          g_ptr_array_add (ids, k);
    }
  GPtrArray *subs = g_hash_table_lookup (core->main_tracks, room);
  for (guint i = 0; subs && i < subs->len; i++)
    {
      char *id = g_ptr_array_index (subs, i);
      gboolean dup = FALSE;
      for (guint j = 0; j < ids->len && !dup; j++)
        dup = strcmp (g_ptr_array_index (ids, j), id) == 0;
      if (!dup)
        g_ptr_array_add (ids, id);
    }
  return ids;
}

/* Sets `streams` and `streamList` on @m: the room's active streams except
 * @self. */
static void
set_room_streams (AmsServerCore *core, AmsMessage *m, const char *room, const char *self)
{
  g_autoptr (GPtrArray) ids = room_active_streams (core, room);
  json_object *streams = json_object_new_array ();
  json_object *list = json_object_new_array ();
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      if (self && strcmp (id, self) == 0)
        continue;
      Stream *s = g_hash_table_lookup (core->streams, id);
      json_object_array_add (streams, json_object_new_string (id));
      json_object *e = json_object_new_object ();
      json_object_object_add (e, "streamId", json_object_new_string (id));
      json_object_object_add (e, "streamName",
                              s && s->stream_name ? json_object_new_string (s->stream_name) : NULL);
      json_object_object_add (e, "metaData",
                              s && s->meta_data ? json_object_new_string (s->meta_data) : NULL);
      json_object_array_add (list, e);
    }
  ams_message_set_json (m, "streams", streams);
  ams_message_set_json (m, "streamList", list);
}

static char *
generate_stream_id (AmsServerCore *core)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (;;)
    {
      char id[13];
      for (guint i = 0; i < 12; i++)
        id[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
      id[12] = '\0';
      if (!g_hash_table_contains (core->streams, id))
        return g_strdup (id);
    }
}

static void
handle_join_room (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg, GPtrArray *out)
{
  const char *room = empty_to_null (ams_message_get_string (msg, "room"));
  if (room == NULL)
    {
      send_error (core, ctx, c->id, AMS_ERROR_NO_ROOM_SPECIFIED, NULL, out);
      return;
    }
  if (core->config->accept_only_registered_rooms && !strv_has (core->config->registered_rooms, room))
    {
      send_error (core, ctx, c->id, AMS_ERROR_NOT_ALLOWED_UNREGISTERED_STREAMS, room, out);
      return;
    }
  const char *given = empty_to_null (ams_message_get_string (msg, "streamId"));
  g_autofree char *sid = given ? g_strdup (given) : generate_stream_id (core);
  GHashTable *members = g_hash_table_lookup (core->rooms, room);
  if (members == NULL)
    {
      members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (core->rooms, g_strdup (room), members);
    }
  AmsConnId *owner = g_new (AmsConnId, 1);
  *owner = c->id;
  g_hash_table_replace (members, g_strdup (sid), owner);
  g_hash_table_replace (c->rooms, g_strdup (room), g_strdup (sid));

  AmsMessage *m = notification_msg (AMS_NOTIFY_JOINED_THE_ROOM, sid);
  set_room_streams (core, m, room, sid);
  ams_message_set_string (m, "ATTR_ROOM_NAME", room);
  ams_message_set_string (m, "room", room);
  ams_message_set_int (m, "maxTrackCount", core->config->max_track_count);
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_leave_from_room (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg,
                        GPtrArray *out)
{
  const char *room = empty_to_null (ams_message_get_string (msg, "room"));
  if (room == NULL)
    room = empty_to_null (ams_message_get_string (msg, "mainTrack"));
  if (room == NULL)
    {
      send_error (core, ctx, c->id, AMS_ERROR_NO_ROOM_SPECIFIED, NULL, out);
      return;
    }
  g_autofree char *r = g_strdup (room);
  const char *own = g_hash_table_lookup (c->rooms, r);
  GHashTable *members = g_hash_table_lookup (core->rooms, r);
  if (own && members)
    {
      g_hash_table_remove (members, own);
      if (g_hash_table_size (members) == 0)
        g_hash_table_remove (core->rooms, r);
    }
  g_hash_table_remove (c->rooms, r);
  AmsMessage *m = ams_message_new_notification (AMS_NOTIFY_LEAVED_FROM_ROOM);
  ams_message_set_string (m, "ATTR_ROOM_NAME", r);
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_get_room_info (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg,
                      const char *sid, GPtrArray *out)
{
  const char *room = empty_to_null (ams_message_get_string (msg, "room"));
  g_autoptr (GPtrArray) ids = room ? room_active_streams (core, room) : NULL;
  if (room == NULL || ids->len == 0)
    {
      AmsMessage *m = ams_message_new_error (AMS_ERROR_NO_ACTIVE_STREAMS_IN_ROOM);
      ams_message_set_string (m, "room", room);
      send_msg (core, ctx, c->id, m, out);
      return;
    }
  AmsMessage *m = ams_message_new (AMS_CMD_ROOM_INFORMATION);
  ams_message_set_string (m, "room", room);
  ams_message_set_string (m, "ATTR_ROOM_NAME", room);
  set_room_streams (core, m, room, sid);
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_get_stream_info (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid,
                        GPtrArray *out)
{
  Stream *s = g_hash_table_lookup (core->streams, sid);
  if (s == NULL)
    {
      AmsMessage *m = error_msg (AMS_ERROR_NO_STREAM_EXIST, sid);
      ams_message_set_string (m, "error_code", "404");
      send_msg (core, ctx, c->id, m, out);
      return;
    }
  AmsMessage *m = ams_message_new (AMS_CMD_STREAM_INFORMATION);
  ams_message_set_string (m, "streamId", sid);
  json_object *info = json_object_new_object ();
  json_object_object_add (info, "streamWidth", json_object_new_int (s->width));
  json_object_object_add (info, "streamHeight", json_object_new_int (s->height));
  json_object_object_add (info, "videoBitrate", json_object_new_int (s->video_bitrate));
  json_object_object_add (info, "audioBitrate", json_object_new_int (s->audio_bitrate));
  json_object_object_add (info, "videoCodec",
                          json_object_new_string (s->video_codec ? s->video_codec : ""));
  json_object *arr = json_object_new_array ();
  json_object_array_add (arr, info);
  ams_message_set_json (m, "streamInfo", arr);
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_get_ice_server_config (AmsServerCore *core, const Ctx *ctx, Conn *c, GPtrArray *out)
{
  const AmsServerConfig *cfg = core->config;
  AmsMessage *m = ams_message_new (AMS_CMD_ICE_SERVER_CONFIG);
  json_object *servers = json_object_new_array ();
  if (cfg->stun_server_uri && *cfg->stun_server_uri)
    {
      ams_message_set_string (m, "stunServerUri", cfg->stun_server_uri);
      json_object *e = json_object_new_object ();
      json_object_object_add (e, "urls", json_object_new_string (cfg->stun_server_uri));
      if (cfg->turn_username && cfg->turn_credential)
        {
          ams_message_set_string (m, "turnServerUsername", cfg->turn_username);
          ams_message_set_string (m, "turnServerCredential", cfg->turn_credential);
          json_object_object_add (e, "username", json_object_new_string (cfg->turn_username));
          json_object_object_add (e, "credential", json_object_new_string (cfg->turn_credential));
        }
      json_object_array_add (servers, e);
    }
  ams_message_set_json (m, "iceServers", servers);
  send_msg (core, ctx, c->id, m, out);
}

/* The Broadcast object of a stream or main track as AMS serialises it. */
static char *
broadcast_json (AmsServerCore *core, const char *id)
{
  Stream *s = g_hash_table_lookup (core->streams, id);
  GPtrArray *subs = g_hash_table_lookup (core->main_tracks, id);
  json_object *b = json_object_new_object ();
  json_object_object_add (b, "streamId", json_object_new_string (id));
  json_object_object_add (b, "name", s && s->stream_name ? json_object_new_string (s->stream_name) : NULL);
  json_object_object_add (b, "status", json_object_new_string (s && !s->started ? "preparing"
                                                                                 : "broadcasting"));
  json_object_object_add (b, "type", json_object_new_string ("liveStream"));
  json_object_object_add (b, "publishType", json_object_new_string ("WebRTC"));
  json_object_object_add (b, "metaData", s && s->meta_data ? json_object_new_string (s->meta_data) : NULL);
  json_object_object_add (b, "role", json_object_new_string (s && s->role ? s->role : ""));
  json_object_object_add (b, "mainTrackStreamId",
                          s && s->main_track ? json_object_new_string (s->main_track) : NULL);
  json_object *arr = json_object_new_array ();
  for (guint i = 0; subs && i < subs->len; i++)
    json_object_array_add (arr, json_object_new_string (g_ptr_array_index (subs, i)));
  json_object_object_add (b, "subTrackStreamIds", arr);
  json_object_object_add (b, "width", json_object_new_int (s ? s->width : 0));
  json_object_object_add (b, "height", json_object_new_int (s ? s->height : 0));
  GHashTable *pl = players_of (core, id, FALSE);
  json_object_object_add (b, "webRTCViewerCount", json_object_new_int (pl ? (int) g_hash_table_size (pl) : 0));
  char *text = g_strdup (json_object_to_json_string_ext (b, JSON_C_TO_STRING_PLAIN));
  json_object_put (b);
  return text;
}

static void
send_no_stream (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid, GPtrArray *out)
{
  AmsMessage *m = error_msg (AMS_ERROR_NO_STREAM_EXIST, sid);
  ams_message_set_string (m, "error_code", "404");
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_get_broadcast_object (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid,
                             GPtrArray *out)
{
  if (!playable (core, sid))
    {
      send_no_stream (core, ctx, c, sid, out);
      return;
    }
  AmsMessage *m = notification_msg (AMS_NOTIFY_BROADCAST_OBJECT, sid);
  g_autofree char *b = broadcast_json (core, sid);
  ams_message_set_string (m, "broadcast", b);
  send_msg (core, ctx, c->id, m, out);
}

static gboolean
subtrack_matches (AmsServerCore *core, const char *id, const char *role, const char *status)
{
  Stream *s = g_hash_table_lookup (core->streams, id);
  if (role && *role && (s == NULL || g_strcmp0 (s->role, role) != 0))
    return FALSE;
  if (status && *status)
    {
      const char *st = s && s->started ? "broadcasting" : "preparing";
      if (strcmp (st, status) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
handle_get_subtracks (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg,
                      const char *sid, gboolean count_only, GPtrArray *out)
{
  GPtrArray *subs = g_hash_table_lookup (core->main_tracks, sid);
  const char *role = ams_message_get_string (msg, "role");
  const char *status = count_only ? ams_message_get_string (msg, "status") : NULL;
  gint64 offset = 0, size = -1;
  ams_message_get_int (msg, "offset", &offset);
  ams_message_get_int (msg, "size", &size);
  json_object *list = json_object_new_array ();
  gint64 count = 0, index = 0;
  for (guint i = 0; subs && i < subs->len; i++)
    {
      const char *id = g_ptr_array_index (subs, i);
      if (!subtrack_matches (core, id, role, status))
        continue;
      count++;
      if (!count_only && index++ >= offset && (size < 0 || (gint64) json_object_array_length (list) < size))
        {
          g_autofree char *b = broadcast_json (core, id);
          json_object_array_add (list, json_object_new_string (b));
        }
    }
  AmsMessage *m;
  if (count_only)
    {
      json_object_put (list);
      m = notification_msg (AMS_NOTIFY_SUBTRACK_COUNT, sid);
      ams_message_set_int (m, "count", count);
    }
  else
    {
      m = notification_msg (AMS_NOTIFY_SUBTRACK_LIST, sid);
      ams_message_set_json (m, "subtrackList", list);
    }
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_subscribers (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg,
                    const char *sid, gboolean count_only, GPtrArray *out)
{
  GHashTable *t = players_of (core, sid, FALSE);
  AmsMessage *m;
  if (count_only)
    {
      m = notification_msg (AMS_NOTIFY_SUBSCRIBER_COUNT, sid);
      ams_message_set_int (m, "count", t ? g_hash_table_size (t) : 0);
    }
  else
    {
      gint64 offset = 0, size = -1, index = 0;
      ams_message_get_int (msg, "offset", &offset);
      ams_message_get_int (msg, "size", &size);
      json_object *list = json_object_new_array ();
      if (t)
        {
          GHashTableIter it;
          gpointer v;
          g_hash_table_iter_init (&it, t);
          while (g_hash_table_iter_next (&it, NULL, &v))
            {
              Play *p = v;
              if (index++ < offset || (size >= 0 && (gint64) json_object_array_length (list) >= size))
                continue;
              json_object *o = json_object_new_object ();
              json_object_object_add (o, "subscriberId",
                                      p->subscriber_id ? json_object_new_string (p->subscriber_id) : NULL);
              json_object_object_add (o, "streamId", json_object_new_string (sid));
              json_object_object_add (o, "type", json_object_new_string ("play"));
              json_object_object_add (o, "connected", json_object_new_boolean (p->started));
              json_object_array_add (list, json_object_new_string (
                  json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN)));
              json_object_put (o);
            }
        }
      m = notification_msg (AMS_NOTIFY_SUBSCRIBER_LIST, sid);
      ams_message_set_json (m, "subscriberList", list);
    }
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_get_track_list (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid,
                       GPtrArray *out)
{
  GPtrArray *subs = g_hash_table_lookup (core->main_tracks, sid);
  AmsMessage *m = ams_message_new (AMS_CMD_TRACK_LIST);
  ams_message_set_string (m, "streamId", sid);
  json_object *arr = json_object_new_array ();
  for (guint i = 0; subs && i < subs->len; i++)
    json_object_array_add (arr, json_object_new_string (g_ptr_array_index (subs, i)));
  ams_message_set_json (m, "trackList", arr);
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_get_debug_info (AmsServerCore *core, const Ctx *ctx, Conn *c, const char *sid,
                       GPtrArray *out)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "connections", json_object_new_int (g_hash_table_size (core->conns)));
  json_object_object_add (o, "publishers", json_object_new_int (g_hash_table_size (core->streams)));
  json_object_object_add (o, "streamActive", json_object_new_boolean (playable (core, sid)));
  AmsMessage *m = notification_msg (AMS_NOTIFY_DEBUG_INFO, sid);
  ams_message_set_string (m, "debugInfo", json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN));
  json_object_put (o);
  send_msg (core, ctx, c->id, m, out);
}

/* Push notifications: parameters and the subscriber JWT are checked; there
 * is no push service behind, which the `information` text says. */
static void
handle_push (AmsServerCore *core, const Ctx *ctx, Conn *c, AmsMessage *msg, AmsCommand cmd,
             GPtrArray *out)
{
  const char *subscriber = empty_to_null (ams_message_get_string (msg, "subscriberId"));
  const char *token = empty_to_null (ams_message_get_string (msg, "token"));
  gboolean complete = subscriber && token;
  if (cmd == AMS_CMD_REGISTER_PUSH_NOTIFICATION_TOKEN)
    complete = complete && empty_to_null (ams_message_get_string (msg, "pnsRegistrationToken"))
               && empty_to_null (ams_message_get_string (msg, "pnsType"));
  else
    complete = complete && ams_message_has (msg, "pushNotificationContent");
  AmsMessage *m = ams_message_new (AMS_CMD_NOTIFICATION);
  if (!complete)
    {
      ams_message_set_bool (m, "success", FALSE);
      ams_message_set_string (m, "definition", "missingParameter");
      ams_message_set_string (m, "information", "subscriberId, token or a push field is missing");
    }
  else
    {
      g_autofree char *iss = ams_token_jwt_verify_claim (token, core->config->subscriber_auth_key,
                                                        "iss", core->wall_now_s ());
      if (iss == NULL || !ams_token_equal (iss, subscriber))
        {
          ams_message_set_bool (m, "success", FALSE);
          ams_message_set_string (m, "definition", "authenticationTokenNotValid");
          ams_message_set_string (m, "information", "the token is not valid for this subscriber");
        }
      else
        {
          ams_message_set_bool (m, "success", TRUE);
          ams_message_set_string (m, "information", "accepted; this server has no push service");
        }
    }
  send_msg (core, ctx, c->id, m, out);
}

static void
handle_track_control (AmsServerCore *core, Conn *c, AmsMessage *msg, const char *sid,
                      const char *name)
{
  gboolean enabled = TRUE;
  if (!play_lookup (core, sid, c->id) || !ams_message_get_bool (msg, "enabled", &enabled))
    return;
  const char *track = ams_message_get_string (msg, "trackId");
  if (core->backend.player_track_enable)
    core->backend.player_track_enable (core->backend_data, sid, c->id, name, track ? track : sid,
                                       enabled);
}

/* Commands that need no streamId (ams-protocol.md §2.1, EE behaviour). */
static gboolean
needs_no_stream_id (const char *command)
{
  static const char *const names[] = { "ping", "joinRoom", "getIceServerConfig",
                                       "registerPushNotificationToken", "sendPushNotification",
                                       "leaveFromRoom", NULL };
  return g_strv_contains (names, command);
}

void
ams_server_core_handle (AmsServerCore *core, AmsConnId conn, const char *data, gsize len,
                        gint64 now_us, GPtrArray *out)
{
  Conn *c = conn_get (core, conn);
  if (c == NULL || data == NULL)
    return;
  /* WebSocket text is UTF-8; anything else is garbage, dropped (and never
   * echoed back in an error's streamId). */
  if (!g_utf8_validate_len (data, len, NULL))
    return;

  /* Pre-checks of §2.1 on the raw JSON, before any schema check, so that a
   * message missing its streamId is answered and not dropped.
   * The usual message passes the strict decoding: it is decoded once and
   * the pre-checks read the decoded object, which the lenient parse would
   * have built alike (strict JSON means the same in both; ending in '}'
   * means no trailing space, which the lenient parse counts as incomplete).
   * Anything else takes the lenient parse, with the verdicts it had. */
  g_autoptr (AmsMessage) msg = ams_message_decode (data, len, G_MAXSIZE, NULL);
  gboolean strict_ok = msg != NULL && data[len - 1] == '}';
  json_object *parsed = NULL, *root;
  gboolean complete = TRUE;
  if (strict_ok)
    root = ams_message_get_object (msg);
  else
    {
      g_clear_pointer (&msg, ams_message_unref);
      json_tokener *tok = json_tokener_new ();
      parsed = root = json_tokener_parse_ex (tok, data, (int) MIN (len, (gsize) G_MAXINT));
      complete = json_tokener_get_error (tok) == json_tokener_success
                 && json_tokener_get_parse_end (tok) == MIN (len, (gsize) G_MAXINT);
      json_tokener_free (tok);
    }
  json_object *jcmd = NULL, *jsid = NULL;
  if (root == NULL || !complete || !json_object_is_type (root, json_type_object)
      || !json_object_object_get_ex (root, "command", &jcmd)
      || !json_object_is_type (jcmd, json_type_string))
    {
      json_object_put (parsed);
      return;  /* invalid JSON or no command: dropped */
    }
  g_autofree char *command = g_strdup (json_object_get_string (jcmd));
  g_autofree char *sid = NULL;
  if (json_object_object_get_ex (root, "streamId", &jsid) && json_object_is_type (jsid, json_type_string))
    sid = g_strdup (json_object_get_string (jsid));
  gboolean sid_present_not_string = jsid != NULL && !json_object_is_type (jsid, json_type_null)
                                    && !json_object_is_type (jsid, json_type_string);
  json_object *jroom = NULL;
  gboolean room_missing = !json_object_object_get_ex (root, "room", &jroom)
                          || !json_object_is_type (jroom, json_type_string)
                          || *json_object_get_string (jroom) == '\0';
  json_object_put (parsed);

  Ctx ctx = { .command = command, .now_us = now_us };
  const AmsFault *f;
  if ((f = find_fault (core, AMS_FAULT_DELAY, command)))
    ctx.delay_us = (gint64) f->delay_ms * G_TIME_SPAN_MILLISECOND;
  if (find_fault (core, AMS_FAULT_DROP, command))
    ctx.drop = TRUE;

  if (sid_present_not_string)
    return;  /* wrong JSON type: AMS drops it */
  if ((sid == NULL || *sid == '\0') && !needs_no_stream_id (command))
    {
      send_error (core, &ctx, conn, AMS_ERROR_NO_STREAM_NAME_SPECIFIED, NULL, out);
      goto done;
    }
  if (sid && *sid && !ams_stream_id_is_valid (sid))
    {
      send_error (core, &ctx, conn, AMS_ERROR_INVALID_STREAM_NAME, sid, out);
      goto done;
    }
  if ((f = find_fault (core, AMS_FAULT_REFUSE, command)))
    {
      AmsMessage *m = ams_message_new (AMS_CMD_ERROR);
      ams_message_set_string (m, "definition", f->definition);
      if (sid && *sid)
        ams_message_set_string (m, "streamId", sid);
      send_msg (core, &ctx, conn, m, out);
      goto done;
    }

  /* A missing room is answered, not dropped (the schema requires it). */
  if (room_missing && (strcmp (command, "joinRoom") == 0 || strcmp (command, "leaveFromRoom") == 0))
    {
      send_error (core, &ctx, conn, AMS_ERROR_NO_ROOM_SPECIFIED, NULL, out);
      goto done;
    }
  if (room_missing && strcmp (command, "getRoomInfo") == 0)
    {
      AmsMessage *m = ams_message_new_error (AMS_ERROR_NO_ACTIVE_STREAMS_IN_ROOM);
      ams_message_set_string (m, "room", NULL);
      send_msg (core, &ctx, conn, m, out);
      goto done;
    }
  if (!strict_ok)
    goto done;  /* not strict JSON or a field of the wrong type: AMS drops it */

  switch (ams_message_get_command (msg))
    {
    case AMS_CMD_PING:
      if (!find_fault (core, AMS_FAULT_NO_PONG, "ping"))
        send_msg (core, &ctx, conn, ams_message_ref (core->pong), out);
      break;
    case AMS_CMD_PUBLISH:
      handle_publish (core, &ctx, c, msg, sid, out);
      break;
    case AMS_CMD_PLAY:
      handle_play (core, &ctx, c, msg, sid, out);
      break;
    case AMS_CMD_STOP:
      handle_stop (core, &ctx, c, sid, out);
      break;
    case AMS_CMD_TAKE_CONFIGURATION:
      handle_take_configuration (core, &ctx, c, msg, sid, out);
      break;
    case AMS_CMD_TAKE_CANDIDATE:
      handle_take_candidate (core, &ctx, c, msg, sid, out);
      break;
    case AMS_CMD_PEER_MESSAGE_COMMAND:
      p2p_relay (core, &ctx, c, msg, sid, out);
      break;
    case AMS_CMD_JOIN:
      handle_join (core, &ctx, c, sid, out);
      break;
    case AMS_CMD_LEAVE:
      handle_leave (core, &ctx, c, sid, out);
      break;
    case AMS_CMD_JOIN_ROOM:
      handle_join_room (core, &ctx, c, msg, out);
      break;
    case AMS_CMD_LEAVE_FROM_ROOM:
      handle_leave_from_room (core, &ctx, c, msg, out);
      break;
    case AMS_CMD_GET_ROOM_INFO:
      handle_get_room_info (core, &ctx, c, msg, sid, out);
      break;
    case AMS_CMD_GET_STREAM_INFO:
      handle_get_stream_info (core, &ctx, c, sid, out);
      break;
    case AMS_CMD_GET_ICE_SERVER_CONFIG:
      handle_get_ice_server_config (core, &ctx, c, out);
      break;
    case AMS_CMD_GET_TRACK_LIST:
      handle_get_track_list (core, &ctx, c, sid, out);
      break;
    case AMS_CMD_GET_BROADCAST_OBJECT:
      handle_get_broadcast_object (core, &ctx, c, sid, out);
      break;
    case AMS_CMD_GET_SUBTRACKS:
      handle_get_subtracks (core, &ctx, c, msg, sid, FALSE, out);
      break;
    case AMS_CMD_GET_SUBTRACKS_COUNT:
      handle_get_subtracks (core, &ctx, c, msg, sid, TRUE, out);
      break;
    case AMS_CMD_GET_SUBSCRIBER_COUNT:
      handle_subscribers (core, &ctx, c, msg, sid, TRUE, out);
      break;
    case AMS_CMD_GET_SUBSCRIBERS:
      handle_subscribers (core, &ctx, c, msg, sid, FALSE, out);
      break;
    case AMS_CMD_GET_DEBUG_INFO:
      handle_get_debug_info (core, &ctx, c, sid, out);
      break;
    case AMS_CMD_UPDATE_STREAM_META_DATA:
      {
        Stream *s = g_hash_table_lookup (core->streams, sid);
        if (s && ams_message_has (msg, "metaData"))
          {
            g_free (s->meta_data);
            s->meta_data = g_strdup (ams_message_get_string (msg, "metaData"));
          }
      }
      break;
    case AMS_CMD_TOGGLE_VIDEO:
    case AMS_CMD_TOGGLE_AUDIO:
    case AMS_CMD_ENABLE_TRACK:
      handle_track_control (core, c, msg, sid, command);
      break;
    case AMS_CMD_REGISTER_PUSH_NOTIFICATION_TOKEN:
    case AMS_CMD_SEND_PUSH_NOTIFICATION:
      handle_push (core, &ctx, c, msg, ams_message_get_command (msg), out);
      break;
    default:
      /* forceStreamQuality, the video-track assignment commands, cluster
       * commands and unknown commands are accepted with no reply. */
      break;
    }

done:
  if (find_fault (core, AMS_FAULT_CLOSE_AFTER, command))
    send_close (core, &ctx, conn, 1000, out);
}

/* ====================================================== connections, time */

void
ams_server_core_connection_opened (AmsServerCore *core, AmsConnId conn, gint64 now_us,
                                   GPtrArray *out)
{
  if (conn_get (core, conn))
    return;
  Conn *c = g_new0 (Conn, 1);
  c->id = conn;
  c->publishing = g_hash_table_new (g_str_hash, g_str_equal);
  c->p2p = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (core->conns, &c->id, c);
}

void
ams_server_core_connection_closed (AmsServerCore *core, AmsConnId conn, gint64 now_us,
                                   GPtrArray *out)
{
  Conn *c = conn_get (core, conn);
  if (c == NULL)
    return;
  Ctx ctx = { .command = NULL, .now_us = now_us };

  /* Publishes: the publisher is gone, its players are told. */
  GList *ids = g_hash_table_get_keys (c->publishing);
  for (GList *l = ids; l; l = l->next)
    {
      Stream *s = g_hash_table_lookup (core->streams, l->data);
      if (s)
        end_publish (core, &ctx, s, FALSE, out);
    }
  g_list_free (ids);

  /* Plays of this connection. */
  GList *streams = g_hash_table_get_keys (core->players);
  for (GList *l = streams; l; l = l->next)
    if (play_lookup (core, l->data, conn))
      {
        g_autofree char *sid = g_strdup (l->data);
        if (core->backend.session_stop)
          core->backend.session_stop (core->backend_data, sid, conn, FALSE);
        play_remove (core, sid, conn);
      }
  g_list_free (streams);

  /* P2P: the remaining peer gets stop; the slot is freed. */
  GList *pairs = g_hash_table_get_keys (c->p2p);
  for (GList *l = pairs; l; l = l->next)
    {
      g_autofree char *sid = g_strdup (l->data);
      p2p_remove (core, &ctx, c, sid, out);
    }
  g_list_free (pairs);

  /* Legacy rooms. */
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, c->rooms);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GHashTable *members = g_hash_table_lookup (core->rooms, k);
      if (members)
        {
          g_hash_table_remove (members, v);
          if (g_hash_table_size (members) == 0)
            g_hash_table_remove (core->rooms, k);
        }
    }

  /* Nothing held for it will ever be sent. */
  for (GList *l = core->held; l != NULL;)
    {
      GList *next = l->next;
      Held *h = l->data;
      if (h->action->conn == conn)
        {
          core->held = g_list_delete_link (core->held, l);
          held_free (h);
        }
      l = next;
    }
  g_hash_table_remove (core->conns, &conn);
}

void
ams_server_core_tick (AmsServerCore *core, gint64 now_us, GPtrArray *out)
{
  Ctx ctx = { .command = NULL, .now_us = now_us };

  /* Held replies first, in order, so that a timeout error never overtakes
   * them. */
  while (core->held && ((Held *) core->held->data)->due_us <= now_us)
    held_release (core, core->held, out);

  /* Start timeouts: scan only when the earliest one may be due. */
  if (core->start_deadline < 0 || core->start_deadline > now_us)
    return;
  GPtrArray *expired = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, core->streams);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Stream *s = v;
      if (!s->started && s->deadline_us >= 0 && s->deadline_us <= now_us)
        g_ptr_array_add (expired, g_strdup (s->id));
    }
  for (guint i = 0; i < expired->len; i++)
    {
      Stream *s = g_hash_table_lookup (core->streams, g_ptr_array_index (expired, i));
      if (s == NULL)
        continue;
      send_error (core, &ctx, s->conn, AMS_ERROR_PUBLISH_TIMEOUT, s->id, out);
      end_publish (core, &ctx, s, FALSE, out);
    }
  g_ptr_array_unref (expired);
  recompute_start_deadline (core);
}

gint64
ams_server_core_next_deadline (AmsServerCore *core)
{
  /* O(1): start_deadline is kept exact as streams come, start and go. */
  gint64 next = core->start_deadline;
  if (core->held)
    {
      gint64 held = ((Held *) core->held->data)->due_us;
      if (next < 0 || held < next)
        next = held;
    }
  return next;
}

/* ============================================================ media entry */

/* The session (publish or play) of @conn on @stream_id exists. */
static gboolean
session_exists (AmsServerCore *core, const char *stream_id, AmsConnId conn, const char **subscriber)
{
  Stream *s = stream_id ? g_hash_table_lookup (core->streams, stream_id) : NULL;
  if (s && s->conn == conn)
    {
      *subscriber = s->subscriber_id;
      return TRUE;
    }
  Play *p = stream_id ? play_lookup (core, stream_id, conn) : NULL;
  if (p)
    {
      *subscriber = p->subscriber_id;
      return TRUE;
    }
  return FALSE;
}

void
ams_server_core_media_local_sdp (AmsServerCore *core, const char *stream_id, AmsConnId conn,
                                 const char *type, const char *sdp, gint64 now_us, GPtrArray *out)
{
  ams_server_core_media_local_sdp_mapped (core, stream_id, conn, type, sdp, NULL, now_us, out);
}

void
ams_server_core_media_local_sdp_mapped (AmsServerCore *core, const char *stream_id,
                                        AmsConnId conn, const char *type, const char *sdp,
                                        const char *const *id_mapping, gint64 now_us,
                                        GPtrArray *out)
{
  const char *subscriber = NULL;
  if (sdp == NULL || type == NULL || !session_exists (core, stream_id, conn, &subscriber))
    return;
  Ctx ctx = { .now_us = now_us };
  AmsMessage *m = ams_message_new (AMS_CMD_TAKE_CONFIGURATION);
  ams_message_set_string (m, "streamId", stream_id);
  ams_message_set_string (m, "type", type);
  ams_message_set_string (m, "sdp", sdp);
  ams_message_set_string (m, "subscriberId", subscriber);
  if (id_mapping)
    {
      json_object *map = json_object_new_object ();
      for (const char *const *p = id_mapping; p[0] && p[1]; p += 2)
        json_object_object_add (map, p[0], json_object_new_string (p[1]));
      ams_message_set_json (m, "idMapping", map);
    }
  send_msg (core, &ctx, conn, m, out);
}

void
ams_server_core_media_local_candidate (AmsServerCore *core, const char *stream_id,
                                       AmsConnId conn, gint64 label, const char *mid,
                                       const char *candidate, gint64 now_us, GPtrArray *out)
{
  const char *subscriber = NULL;
  if (candidate == NULL || !session_exists (core, stream_id, conn, &subscriber))
    return;
  Ctx ctx = { .now_us = now_us };
  AmsMessage *m = ams_message_new (AMS_CMD_TAKE_CANDIDATE);
  ams_message_set_string (m, "streamId", stream_id);
  ams_message_set_int (m, "label", label);
  ams_message_set_string (m, "id", mid ? mid : "0");
  ams_message_set_string (m, "candidate", candidate);
  ams_message_set_string (m, "subscriberId", subscriber);
  send_msg (core, &ctx, conn, m, out);
}

void
ams_server_core_media_publisher_started (AmsServerCore *core, const char *stream_id,
                                         gint64 now_us, GPtrArray *out)
{
  Stream *s = stream_id ? g_hash_table_lookup (core->streams, stream_id) : NULL;
  if (s == NULL || s->started)
    return;
  Ctx ctx = { .now_us = now_us };
  start_wait_over (core, s);
  s->started = TRUE;
  AmsMessage *m = notification_msg (AMS_NOTIFY_PUBLISH_STARTED, stream_id);
  ams_message_set_string (m, "subscriberId", s->subscriber_id);
  Conn *c = conn_get (core, s->conn);
  const char *room = s->main_track ? s->main_track : c ? legacy_room_of (core, c, stream_id) : NULL;
  if (room)
    {
      ams_message_set_string (m, "ATTR_ROOM_NAME", room);
      ams_message_set_string (m, "room", room);
    }
  send_msg (core, &ctx, s->conn, m, out);
}

void
ams_server_core_media_player_started (AmsServerCore *core, const char *stream_id,
                                      AmsConnId conn, gint64 now_us, GPtrArray *out)
{
  Play *p = stream_id ? play_lookup (core, stream_id, conn) : NULL;
  if (p == NULL || p->started)
    return;
  Ctx ctx = { .now_us = now_us };
  p->started = TRUE;
  AmsMessage *m = notification_msg (AMS_NOTIFY_PLAY_STARTED, stream_id);
  ams_message_set_string (m, "subscriberId", p->subscriber_id);
  send_msg (core, &ctx, conn, m, out);
}

void
ams_server_core_media_stream_info (AmsServerCore *core, const char *stream_id, gint width,
                                   gint height, gint video_bitrate, gint audio_bitrate,
                                   const char *video_codec)
{
  Stream *s = stream_id ? g_hash_table_lookup (core->streams, stream_id) : NULL;
  if (s == NULL)
    return;
  s->width = width;
  s->height = height;
  s->video_bitrate = video_bitrate;
  s->audio_bitrate = audio_bitrate;
  g_free (s->video_codec);
  s->video_codec = g_strdup (video_codec);
}

void
ams_server_core_media_bitrate (AmsServerCore *core, const char *stream_id, AmsConnId conn,
                               gint64 target_bitrate, gint64 video_bitrate, gint64 audio_bitrate,
                               GPtrArray *out)
{
  if (stream_id == NULL || play_lookup (core, stream_id, conn) == NULL)
    return;
  Ctx ctx = { .now_us = 0 };
  AmsMessage *m = notification_msg (AMS_NOTIFY_BITRATE_MEASUREMENT, stream_id);
  ams_message_set_int (m, "targetBitrate", target_bitrate);
  ams_message_set_int (m, "videoBitrate", video_bitrate);
  ams_message_set_int (m, "audioBitrate", audio_bitrate);
  send_msg (core, &ctx, conn, m, out);
}

void
ams_server_core_media_failed (AmsServerCore *core, const char *stream_id, AmsConnId conn,
                              AmsError code, gint64 now_us, GPtrArray *out)
{
  const char *subscriber = NULL;
  if (!session_exists (core, stream_id, conn, &subscriber) || ams_error_to_definition (code) == NULL)
    return;
  Ctx ctx = { .now_us = now_us };
  AmsMessage *m = error_msg (code, stream_id);
  ams_message_set_string (m, "subscriberId", subscriber);
  send_msg (core, &ctx, conn, m, out);
  Stream *s = g_hash_table_lookup (core->streams, stream_id);
  if (s && s->conn == conn)
    end_publish (core, &ctx, s, TRUE, out);
  else
    {
      Conn *c = conn_get (core, conn);
      if (c)
        handle_stop (core, &ctx, c, stream_id, out);
    }
}

/* ============================================================ queries */

guint
ams_server_core_get_n_connections (AmsServerCore *core)
{
  return g_hash_table_size (core->conns);
}

guint
ams_server_core_get_n_publishers (AmsServerCore *core)
{
  return g_hash_table_size (core->streams);
}

gboolean
ams_server_core_stream_is_active (AmsServerCore *core, const char *stream_id)
{
  return stream_id && playable (core, stream_id);
}

const char *
ams_server_core_get_main_track (AmsServerCore *core, const char *stream_id)
{
  Stream *s = stream_id ? g_hash_table_lookup (core->streams, stream_id) : NULL;
  return s ? s->main_track : NULL;
}

gboolean
ams_server_core_is_main_track (AmsServerCore *core, const char *id)
{
  return id && !g_hash_table_contains (core->streams, id)
         && g_hash_table_contains (core->main_tracks, id);
}

char **
ams_server_core_dup_subtracks (AmsServerCore *core, const char *main_track)
{
  GPtrArray *subs = main_track ? g_hash_table_lookup (core->main_tracks, main_track) : NULL;
  GStrvBuilder *b = g_strv_builder_new ();
  for (guint i = 0; subs && i < subs->len; i++)
    g_strv_builder_add (b, g_ptr_array_index (subs, i));
  char **v = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return v;
}

const char *
ams_server_core_get_user_publish_id (AmsServerCore *core, const char *stream_id, AmsConnId conn)
{
  Play *p = stream_id ? play_lookup (core, stream_id, conn) : NULL;
  return p ? p->user_publish_id : NULL;
}
