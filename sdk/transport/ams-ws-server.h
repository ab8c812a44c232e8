/* ams-ws-server.h: the mini-server's WebSocket transport.
 *
 * libwebsockets 4.1 on its libuv event library, with the uv loop nested in
 * the caller's GMainContext as one GSource (ams-uv-source.h). It accepts
 * upgrades on `/<App>/websocket` only (any application name, any query
 * string; 404 otherwise), reassembles fragmented text messages, caps their
 * size (close 1009), limits connections (503 at upgrade) and the message
 * rate per connection (close 1008), bounds each connection's output queue
 * (a slow reader is closed with 1008) and hangs up half-open sockets (a
 * WebSocket ping after idle_ping_s of silence, hang-up if no pong follows).
 *
 * It knows nothing of AMS: connections are numbers, messages are bytes.
 * Threading: every call and callback runs on the GMainContext given at
 * creation; not thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AmsWsServer AmsWsServer;

typedef struct {
  const char *bind_address;       /* default "127.0.0.1" */
  guint       port;               /* 0 picks a free port */
  gsize       max_message_size;   /* default 81920 bytes, as AMS */
  guint       max_connections;    /* default 10000 */
  guint       max_messages_per_second; /* per connection; default 500, 0 = off */
  gsize       max_queued_bytes;   /* per connection; default 4 MiB */
  guint       max_queued_messages;/* per connection; default 4096 */
  guint       idle_ping_s;        /* default 30; hang-up min(idle_ping_s, 10) s later */
} AmsWsServerConfig;

typedef struct {
  /* A WebSocket was opened on /<app>/websocket. */
  void (*opened)  (AmsWsServer *server, guint64 conn, const char *app, gpointer user_data);
  /* One complete text message (not NUL-terminated). */
  void (*message) (AmsWsServer *server, guint64 conn, const char *data, gsize len,
                   gpointer user_data);
  /* The connection is gone; @conn is never used again. */
  void (*closed)  (AmsWsServer *server, guint64 conn, gpointer user_data);
} AmsWsServerCallbacks;

/* Fills @config with the defaults. */
void         ams_ws_server_config_init (AmsWsServerConfig *config);

/* Returns: (transfer full). @context NULL means the thread-default one.
 * @config and @callbacks are copied (strings too). */
AmsWsServer *ams_ws_server_new (GMainContext *context, const AmsWsServerConfig *config,
                                const AmsWsServerCallbacks *callbacks, gpointer user_data);
/* Binds and listens. FALSE with @error (AMS_ERROR_CONNECT) on failure. */
gboolean     ams_ws_server_start (AmsWsServer *server, GError **error);
/* Returns: the bound port (the chosen one after port 0), 0 before start. */
guint        ams_ws_server_get_port (AmsWsServer *server);
guint        ams_ws_server_get_n_connections (AmsWsServer *server);
/* Queues one text message. FALSE when @conn is gone or closing, or when its
 * queue is full (the connection is then closed with 1008). */
gboolean     ams_ws_server_send (AmsWsServer *server, guint64 conn, const char *data, gsize len);
/* Closes @conn with @code after what is queued has been written. */
void         ams_ws_server_close (AmsWsServer *server, guint64 conn, guint16 code);
/* Closes every connection with 1001 (bounded wait, iterating @context),
 * then destroys the lws context. No callback runs after it returns. */
void         ams_ws_server_free (AmsWsServer *server);

G_END_DECLS
