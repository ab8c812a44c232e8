/* ams-mini-server.c: AmsMiniServer, the server core on the WebSocket server.
 *
 * Glue only: configuration (GKeyFile) -> AmsServerConfig and
 * AmsWsServerConfig; socket events -> core; core actions -> sockets; one
 * GSource whose ready time is the core's next deadline; a periodic
 * resource sample for the highResourceUsage guard. */
#include "server/ams-mini-server-private.h"
#include "server/ams-resource.h"
#include "server/ams-server-media.h"
#include "server/ams-tokens.h"
#include "transport/ams-ws-server.h"

#include <string.h>

struct _AmsMiniServer {
  GObject       parent_instance;
  GMainContext *context;
  GKeyFile     *key_file;       /* merged configuration */
  char         *bind_address;   /* NULL: from the key file or default */
  gint          port;           /* -1: from the key file or default */
  GPtrArray    *extra_faults;   /* directive strings */

  AmsServerMediaBackend backend;
  gpointer              backend_data;
  gboolean              has_backend;
  AmsServerMedia       *media;   /* the relay backend, when [media] enabled */

  AmsServerCore *core;
  AmsWsServer   *ws;
  GPtrArray     *message_actions; /* reused for every message; NULL while in use */
  GSource       *timer;          /* ready time = core's next deadline */
  GSource       *resource_timer;
  AmsCpuSampler  cpu;
};

G_DEFINE_FINAL_TYPE (AmsMiniServer, ams_mini_server, G_TYPE_OBJECT)

enum { PROP_0, PROP_BIND_ADDRESS, PROP_PORT, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---------------------------------------------------------- configuration */

static gboolean
key_uint (GKeyFile *kf, const char *group, const char *key, guint64 max, guint64 *value,
          GError **error)
{
  g_autofree char *text = g_key_file_get_value (kf, group, key, NULL);
  if (text == NULL)
    return TRUE;
  g_strstrip (text);
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                   "[%s] %s: expected a whole number from 0 to %" G_GUINT64_FORMAT, group, key,
                   max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
key_int (GKeyFile *kf, const char *group, const char *key, gint *value, GError **error)
{
  g_autofree char *text = g_key_file_get_value (kf, group, key, NULL);
  gint64 v;
  if (text == NULL)
    return TRUE;
  g_strstrip (text);
  if (!g_ascii_string_to_signed (text, 10, -1, G_MAXINT, &v, NULL))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                   "[%s] %s: expected -1 or a whole number", group, key);
      return FALSE;
    }
  *value = (gint) v;
  return TRUE;
}

static gboolean
key_bool (GKeyFile *kf, const char *group, const char *key, gboolean *value, GError **error)
{
  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;
  GError *e = NULL;
  gboolean v = g_key_file_get_boolean (kf, group, key, &e);
  if (e)
    {
      g_error_free (e);
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                   "[%s] %s: expected true or false", group, key);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

static void
key_string (GKeyFile *kf, const char *group, const char *key, char **value)
{
  char *v = g_key_file_get_string (kf, group, key, NULL);
  if (v == NULL)
    return;
  g_free (*value);
  *value = v;
}

static void
key_list (GKeyFile *kf, const char *group, const char *key, char ***value)
{
  gsize n = 0;
  char **v = g_key_file_get_string_list (kf, group, key, &n, NULL);
  if (v == NULL)
    return;
  for (gsize i = 0; i < n; i++)
    g_strstrip (v[i]);
  g_strfreev (*value);
  *value = v;
}

/* Builds both configurations from the key file and the setters. */
static gboolean
build_config (AmsMiniServer *self, AmsServerConfig **out_core, AmsWsServerConfig *ws,
              char **bind, guint *resource_ms, GError **error)
{
  GKeyFile *kf = self->key_file;
  g_autoptr (AmsServerConfig) c = ams_server_config_new ();
  guint64 u;

  ams_ws_server_config_init (ws);
  *bind = g_key_file_get_string (kf, "server", "bind", NULL);
  if (*bind == NULL)
    *bind = g_strdup ("127.0.0.1");
  if (self->bind_address)
    {
      g_free (*bind);
      *bind = g_strdup (self->bind_address);
    }
  g_strstrip (*bind);
  u = 5080;
  if (!key_uint (kf, "server", "port", 65535, &u, error))
    return FALSE;
  ws->port = self->port >= 0 ? (guint) self->port : (guint) u;
  u = ws->max_message_size;
  if (!key_uint (kf, "server", "max-message-size", G_MAXINT32, &u, error))
    return FALSE;
  ws->max_message_size = u ? u : 81920;
  u = ws->max_connections;
  if (!key_uint (kf, "server", "max-connections", 1000000, &u, error))
    return FALSE;
  ws->max_connections = (guint) u;
  u = ws->max_messages_per_second;
  if (!key_uint (kf, "server", "max-message-rate", 1000000, &u, error))
    return FALSE;
  ws->max_messages_per_second = (guint) u;
  u = ws->max_queued_bytes;
  if (!key_uint (kf, "server", "max-queued-bytes", G_MAXINT32, &u, error))
    return FALSE;
  ws->max_queued_bytes = u;
  u = ws->max_queued_messages;
  if (!key_uint (kf, "server", "max-queued-messages", 1000000, &u, error))
    return FALSE;
  ws->max_queued_messages = (guint) u;
  u = ws->idle_ping_s;
  if (!key_uint (kf, "server", "idle-ping-seconds", 60000, &u, error))
    return FALSE;
  ws->idle_ping_s = (guint) u;

  u = c->start_timeout_ms;
  if (!key_uint (kf, "server", "start-timeout-ms", 3600000, &u, error))
    return FALSE;
  c->start_timeout_ms = (guint) u;
  u = c->cpu_limit_percent;
  if (!key_uint (kf, "server", "cpu-limit", 100, &u, error))
    return FALSE;
  c->cpu_limit_percent = (guint) u;
  u = c->min_free_ram_mb;
  if (!key_uint (kf, "server", "min-free-ram-mb", G_MAXINT32, &u, error))
    return FALSE;
  c->min_free_ram_mb = (guint) u;
  u = 1000;
  if (!key_uint (kf, "server", "resource-sample-ms", 3600000, &u, error))
    return FALSE;
  *resource_ms = u ? (guint) u : 1000;
  if (!key_int (kf, "server", "max-viewers", &c->max_viewers_per_stream, error)
      || !key_int (kf, "server", "max-subtracks", &c->max_subtracks_per_main_track, error)
      || !key_int (kf, "server", "max-track-count", &c->max_track_count, error)
      || !key_bool (kf, "server", "play-once-per-session", &c->play_once_per_session, error)
      || !key_bool (kf, "server", "require-encoder-settings", &c->require_encoder_settings, error))
    return FALSE;

  if (!key_bool (kf, "streams", "accept-only-registered", &c->accept_only_registered_streams, error)
      || !key_bool (kf, "streams", "accept-only-registered-rooms",
                    &c->accept_only_registered_rooms, error))
    return FALSE;
  key_list (kf, "streams", "registered", &c->registered_streams);
  key_list (kf, "streams", "registered-rooms", &c->registered_rooms);

  if (!key_bool (kf, "tokens", "one-time-publish", &c->one_time_token_publish, error)
      || !key_bool (kf, "tokens", "one-time-play", &c->one_time_token_play, error)
      || !key_bool (kf, "tokens", "jwt-publish", &c->jwt_publish, error)
      || !key_bool (kf, "tokens", "jwt-play", &c->jwt_play, error)
      || !key_bool (kf, "tokens", "hash-publish", &c->hash_publish, error)
      || !key_bool (kf, "tokens", "hash-play", &c->hash_play, error)
      || !key_bool (kf, "tokens", "totp-publish", &c->totp_publish, error)
      || !key_bool (kf, "tokens", "totp-play", &c->totp_play, error))
    return FALSE;
  key_list (kf, "tokens", "one-time", &c->one_time_tokens);
  key_string (kf, "tokens", "jwt-secret", &c->jwt_secret);
  key_string (kf, "tokens", "hash-secret", &c->hash_secret);
  key_string (kf, "tokens", "totp-secret", &c->totp_secret);
  key_string (kf, "tokens", "subscriber-auth-key", &c->subscriber_auth_key);
  key_list (kf, "tokens", "blocked-subscribers", &c->blocked_subscribers);
  u = c->totp_period_s;
  if (!key_uint (kf, "tokens", "totp-period", 86400, &u, error))
    return FALSE;
  c->totp_period_s = u ? (guint) u : 60;
  if ((c->jwt_publish || c->jwt_play) && !(c->jwt_secret && *c->jwt_secret))
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                           "[tokens] jwt-secret is required when a JWT check is on");
      return FALSE;
    }
  if ((c->hash_publish || c->hash_play) && !(c->hash_secret && *c->hash_secret))
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                           "[tokens] hash-secret is required when a hash check is on");
      return FALSE;
    }
  if (c->totp_publish || c->totp_play)
    {
      g_autoptr (GBytes) raw = ams_base32_decode (c->totp_secret);
      if (raw == NULL || g_bytes_get_size (raw) == 0)
        {
          g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                               "[tokens] totp-secret must be a non-empty base32 string");
          return FALSE;
        }
    }
  for (char **t = c->one_time_tokens; t && *t; t++)
    {
      g_auto (GStrv) parts = g_strsplit (*t, ":", 3);
      if (g_strv_length (parts) != 3 || !*parts[0]
          || (strcmp (parts[2], "publish") != 0 && strcmp (parts[2], "play") != 0))
        {
          g_set_error_literal (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                               "[tokens] one-time: entries are TOKEN:STREAM:publish|play");
          return FALSE;
        }
    }

  if (!ams_server_media_validate (kf, error))
    return FALSE;

  key_string (kf, "ice", "stun-server", &c->stun_server_uri);
  key_string (kf, "ice", "turn-username", &c->turn_username);
  key_string (kf, "ice", "turn-credential", &c->turn_credential);

  g_auto (GStrv) directives = NULL;
  key_list (kf, "faults", "directives", &directives);
  for (char **d = directives; d && *d; d++)
    {
      if (**d == '\0')
        continue;
      AmsFault *f = ams_fault_parse (*d, error);
      if (f == NULL)
        return FALSE;
      g_ptr_array_add (c->faults, f);
    }
  for (guint i = 0; i < self->extra_faults->len; i++)
    {
      AmsFault *f = ams_fault_parse (g_ptr_array_index (self->extra_faults, i), error);
      if (f == NULL)
        return FALSE;
      g_ptr_array_add (c->faults, f);
    }
  *out_core = g_steal_pointer (&c);
  return TRUE;
}

/* ------------------------------------------------------------- plumbing */

static void
rearm_timer (AmsMiniServer *self)
{
  if (self->timer && self->core)
    g_source_set_ready_time (self->timer, ams_server_core_next_deadline (self->core));
}

void
ams_mini_server_dispatch (AmsMiniServer *self, GPtrArray *actions)
{
  for (guint i = 0; i < actions->len; i++)
    {
      AmsServerAction *a = g_ptr_array_index (actions, i);
      if (self->ws == NULL)
        break;
      if (a->kind == AMS_SERVER_ACTION_SEND)
        {
          /* The transport copies what it cannot write at once. */
          gsize len = 0;
          const char *text = ams_message_encode_peek (a->msg, &len);
          if (text)
            ams_ws_server_send (self->ws, a->conn, text, len);
        }
      else
        ams_ws_server_close (self->ws, a->conn, a->close_code);
    }
  g_ptr_array_set_size (actions, 0);
  rearm_timer (self);
}

static void
on_opened (AmsWsServer *ws, guint64 conn, const char *app, gpointer user_data)
{
  AmsMiniServer *self = user_data;
  g_autoptr (GPtrArray) out = ams_server_actions_new ();
  g_debug ("connection %" G_GUINT64_FORMAT " opened on application %s", conn, app);
  ams_server_core_connection_opened (self->core, conn, g_get_monotonic_time (), out);
  ams_mini_server_dispatch (self, out);
}

static void
on_message (AmsWsServer *ws, guint64 conn, const char *data, gsize len, gpointer user_data)
{
  AmsMiniServer *self = user_data;
  /* One array for all messages saves two allocations per message; a
   * message handled while another is (never seen) gets its own. */
  GPtrArray *out = g_steal_pointer (&self->message_actions);
  if (out == NULL)
    out = ams_server_actions_new ();
  ams_server_core_handle (self->core, conn, data, len, g_get_monotonic_time (), out);
  ams_mini_server_dispatch (self, out);
  if (self->message_actions == NULL)
    self->message_actions = out;
  else
    g_ptr_array_unref (out);
}

static void
on_closed (AmsWsServer *ws, guint64 conn, gpointer user_data)
{
  AmsMiniServer *self = user_data;
  g_autoptr (GPtrArray) out = ams_server_actions_new ();
  g_debug ("connection %" G_GUINT64_FORMAT " closed", conn);
  ams_server_core_connection_closed (self->core, conn, g_get_monotonic_time (), out);
  ams_mini_server_dispatch (self, out);
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };

static gboolean
on_timer (gpointer user_data)
{
  AmsMiniServer *self = user_data;
  g_autoptr (GPtrArray) out = ams_server_actions_new ();
  ams_server_core_tick (self->core, g_get_monotonic_time (), out);
  ams_mini_server_dispatch (self, out);  /* re-arms */
  return G_SOURCE_CONTINUE;
}

static void
sample_resources (AmsMiniServer *self)
{
  double cpu = ams_cpu_sampler_sample (&self->cpu);
  gint64 ram = ams_free_ram_mb ();
  ams_server_core_set_resource_usage (self->core, cpu < 0 ? 0 : cpu, ram);
}

static gboolean
on_resource_timer (gpointer user_data)
{
  sample_resources (user_data);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- API */

AmsMiniServer *
ams_mini_server_new (GMainContext *context)
{
  AmsMiniServer *self = g_object_new (AMS_TYPE_MINI_SERVER, NULL);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  return self;
}

gboolean
ams_mini_server_load_config (AmsMiniServer *self, GKeyFile *key_file, GError **error)
{
  g_return_val_if_fail (AMS_IS_MINI_SERVER (self) && key_file != NULL, FALSE);
  g_auto (GStrv) groups = g_key_file_get_groups (key_file, NULL);
  for (char **g = groups; g && *g; g++)
    {
      g_auto (GStrv) keys = g_key_file_get_keys (key_file, *g, NULL, NULL);
      for (char **k = keys; k && *k; k++)
        {
          g_autofree char *v = g_key_file_get_value (key_file, *g, *k, NULL);
          if (v)
            g_key_file_set_value (self->key_file, *g, *k, v);
        }
    }
  /* Validate now, so errors surface at load time. */
  AmsServerConfig *core_config = NULL;
  AmsWsServerConfig ws;
  g_autofree char *bind = NULL;
  guint resource_ms;
  if (!build_config (self, &core_config, &ws, &bind, &resource_ms, error))
    return FALSE;
  ams_server_config_free (core_config);
  return TRUE;
}

gboolean
ams_mini_server_load_config_file (AmsMiniServer *self, const char *path, GError **error)
{
  g_return_val_if_fail (AMS_IS_MINI_SERVER (self) && path != NULL, FALSE);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_key_file_set_list_separator (kf, ';');
  g_autoptr (GError) e = NULL;
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &e))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "cannot read %s: %s", path,
                   e->message);
      return FALSE;
    }
  return ams_mini_server_load_config (self, kf, error);
}

void
ams_mini_server_set_bind_address (AmsMiniServer *self, const char *address)
{
  g_return_if_fail (AMS_IS_MINI_SERVER (self));
  g_free (self->bind_address);
  self->bind_address = g_strdup (address);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BIND_ADDRESS]);
}

void
ams_mini_server_set_port (AmsMiniServer *self, guint port)
{
  g_return_if_fail (AMS_IS_MINI_SERVER (self) && port <= 65535);
  self->port = (gint) port;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PORT]);
}

gboolean
ams_mini_server_add_fault (AmsMiniServer *self, const char *directive, GError **error)
{
  g_return_val_if_fail (AMS_IS_MINI_SERVER (self), FALSE);
  AmsFault *f = ams_fault_parse (directive, error);
  if (f == NULL)
    return FALSE;
  ams_fault_free (f);
  g_ptr_array_add (self->extra_faults, g_strdup (directive));
  return TRUE;
}

gboolean
ams_mini_server_start (AmsMiniServer *self, GError **error)
{
  g_return_val_if_fail (AMS_IS_MINI_SERVER (self), FALSE);
  if (self->ws)
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_FAILED, "the server is already started");
      return FALSE;
    }
  AmsServerConfig *core_config = NULL;
  AmsWsServerConfig ws_config;
  g_autofree char *bind = NULL;
  guint resource_ms = 1000;
  if (!build_config (self, &core_config, &ws_config, &bind, &resource_ms, error))
    return FALSE;
  ws_config.bind_address = bind;
  gboolean guard = core_config->cpu_limit_percent > 0 || core_config->min_free_ram_mb > 0;

  self->core = ams_server_core_new (core_config);
  gboolean media_enabled = TRUE;
  if (!ams_server_media_read_enabled (self->key_file, &media_enabled, error))
    {
      g_clear_pointer (&self->core, ams_server_core_free);
      return FALSE;
    }
  /* A backend installed by the embedder wins over the built-in relay. */
  if (self->has_backend)
    ams_server_core_set_media_backend (self->core, &self->backend, self->backend_data);
  else if (media_enabled)
    {
      self->media = ams_server_media_new (self, bind, error);
      if (self->media == NULL)
        {
          g_clear_pointer (&self->core, ams_server_core_free);
          return FALSE;
        }
    }

  AmsWsServerCallbacks cb = { .opened = on_opened, .message = on_message, .closed = on_closed };
  self->ws = ams_ws_server_new (self->context, &ws_config, &cb, self);
  if (!ams_ws_server_start (self->ws, error))
    {
      ams_ws_server_free (self->ws);
      self->ws = NULL;
      g_clear_pointer (&self->media, ams_server_media_free);
      g_clear_pointer (&self->core, ams_server_core_free);
      return FALSE;
    }
  ams_server_media_prewarm (self->media);

  self->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer, on_timer, self, NULL);
  g_source_set_name (self->timer, "ams-mini-server-timer");
  g_source_set_ready_time (self->timer, -1);
  g_source_attach (self->timer, self->context);

  if (guard)
    {
      sample_resources (self);
      self->resource_timer = g_timeout_source_new (resource_ms);
      g_source_set_callback (self->resource_timer, on_resource_timer, self, NULL);
      g_source_attach (self->resource_timer, self->context);
    }
  g_debug ("listening on %s:%u", bind, ams_ws_server_get_port (self->ws));
  return TRUE;
}

guint
ams_mini_server_get_port (AmsMiniServer *self)
{
  g_return_val_if_fail (AMS_IS_MINI_SERVER (self), 0);
  return self->ws ? ams_ws_server_get_port (self->ws) : 0;
}

guint
ams_mini_server_get_n_connections (AmsMiniServer *self)
{
  g_return_val_if_fail (AMS_IS_MINI_SERVER (self), 0);
  return self->ws ? ams_ws_server_get_n_connections (self->ws) : 0;
}

void
ams_mini_server_stop (AmsMiniServer *self)
{
  g_return_if_fail (AMS_IS_MINI_SERVER (self));
  if (self->ws)
    {
      /* Sessions end without notifications: every socket is closing. */
      ams_ws_server_free (self->ws);
      self->ws = NULL;
    }
  if (self->timer)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (self->resource_timer)
    {
      g_source_destroy (self->resource_timer);
      g_clear_pointer (&self->resource_timer, g_source_unref);
    }
  /* Media before the core: its sessions refer to the core's. */
  g_clear_pointer (&self->media, ams_server_media_free);
  g_clear_pointer (&self->core, ams_server_core_free);
  g_clear_pointer (&self->message_actions, g_ptr_array_unref);
}

AmsServerCore *
ams_mini_server_get_core (AmsMiniServer *self)
{
  return self->core;
}

GKeyFile *
ams_mini_server_get_key_file (AmsMiniServer *self)
{
  return self->key_file;
}

GMainContext *
ams_mini_server_get_context (AmsMiniServer *self)
{
  return self->context;
}

void
ams_mini_server_set_media_backend (AmsMiniServer *self, const AmsServerMediaBackend *backend,
                                   gpointer user_data)
{
  self->has_backend = backend != NULL;
  if (backend)
    self->backend = *backend;
  self->backend_data = user_data;
  if (self->core)
    ams_server_core_set_media_backend (self->core, backend, user_data);
}

/* -------------------------------------------------------------- GObject */

static void
ams_mini_server_finalize (GObject *object)
{
  AmsMiniServer *self = AMS_MINI_SERVER (object);
  ams_mini_server_stop (self);
  g_key_file_unref (self->key_file);
  g_ptr_array_unref (self->extra_faults);
  g_free (self->bind_address);
  if (self->context)
    g_main_context_unref (self->context);
  G_OBJECT_CLASS (ams_mini_server_parent_class)->finalize (object);
}

static void
ams_mini_server_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  AmsMiniServer *self = AMS_MINI_SERVER (object);
  switch (id)
    {
    case PROP_BIND_ADDRESS:
      g_value_set_string (value, self->bind_address ? self->bind_address : "127.0.0.1");
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->ws ? ams_ws_server_get_port (self->ws)
                                        : self->port >= 0 ? (guint) self->port : 5080);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
ams_mini_server_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  AmsMiniServer *self = AMS_MINI_SERVER (object);
  switch (id)
    {
    case PROP_BIND_ADDRESS:
      g_free (self->bind_address);
      self->bind_address = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = (gint) g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
ams_mini_server_class_init (AmsMiniServerClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  oc->finalize = ams_mini_server_finalize;
  oc->get_property = ams_mini_server_get_property;
  oc->set_property = ams_mini_server_set_property;
  /**
   * AmsMiniServer:bind-address:
   *
   * The IP address listened on. Default "127.0.0.1".
   */
  props[PROP_BIND_ADDRESS] = g_param_spec_string ("bind-address", NULL, NULL, "127.0.0.1",
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                                      | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * AmsMiniServer:port:
   *
   * The TCP port; 0 picks a free one. Reads back the bound port once started.
   */
  props[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 5080,
                                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                            | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (oc, N_PROPS, props);
}

static void
ams_mini_server_init (AmsMiniServer *self)
{
  self->key_file = g_key_file_new ();
  g_key_file_set_list_separator (self->key_file, ';');
  self->port = -1;
  self->extra_faults = g_ptr_array_new_with_free_func (g_free);
}
