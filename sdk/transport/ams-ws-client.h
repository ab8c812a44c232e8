/* ams-ws-client.h: one client WebSocket on a GMainContext (libwebsockets).
 *
 * Internal API used by AmsClient. One AmsWsClient is one connection attempt
 * and, when it succeeds, one connection: reconnecting means a new object.
 * It owns a private lws context that runs on the GLib event library with the
 * caller's context as a foreign loop; no thread, no loop of its own.
 *
 * Callbacks run on that context. on_open and on_message run inside lws's
 * dispatch: they may call ams_ws_client_send() and ams_ws_client_close(), and
 * ams_ws_client_free() too (the lws context is then destroyed from an idle
 * source). on_close runs from an idle source, exactly once per object unless
 * the object was freed first; after it nothing else is called. */
#pragma once

#include <glib.h>
#include <amsclient/ams-error.h>
#include "transport/ams-url.h"

G_BEGIN_DECLS

typedef struct _AmsWsClient AmsWsClient;

typedef struct {
  void (*on_open)    (AmsWsClient *ws, gpointer user_data);
  /* A complete, reassembled message. @data is NUL-terminated for
   * convenience and owned by the caller of the callback. */
  void (*on_message) (AmsWsClient *ws, const char *data, gsize len, gboolean binary,
                      gpointer user_data);
  /* @error NULL: closed with code 1000 after ams_ws_client_close(). Otherwise
   * AMS_ERROR_CONNECT, _TLS, _TIMEOUT (opening), _CLOSED (closed by the peer
   * or lost) or _MESSAGE_TOO_BIG (a message over the cap; closed with 1009). */
  void (*on_close)   (AmsWsClient *ws, const GError *error, gpointer user_data);
} AmsWsClientCallbacks;

typedef struct {
  gboolean    allow_self_signed;  /* forgive a self-signed certificate (hostname still checked) */
  const char *ca_file;            /* PEM CA bundle to verify the server with; NULL: system store */
  gsize       max_message_size;   /* 0: AMS_MESSAGE_DEFAULT_MAX_SIZE */
  guint       connect_timeout_ms; /* 0: none */
} AmsWsClientOptions;

/* Starts connecting at once. Returns NULL with AMS_ERROR_CONNECT when lws
 * cannot be set up (e.g. its GLib event library is not installed).
 * @callbacks is copied; @url and @options are copied. */
AmsWsClient *ams_ws_client_new (const AmsUrl *url, const AmsWsClientOptions *options,
                                GMainContext *context, const AmsWsClientCallbacks *callbacks,
                                gpointer user_data, GError **error);

/* Queues one text message (copied). FALSE with AMS_ERROR_NOT_CONNECTED once
 * closing or closed, AMS_ERROR_MESSAGE_TOO_BIG over the cap. Messages queued
 * before the socket opens are sent when it opens. */
gboolean ams_ws_client_send (AmsWsClient *ws, const char *data, gsize len, GError **error);

/* Number of queued, not yet written messages. */
guint    ams_ws_client_get_queued (AmsWsClient *ws);

gboolean ams_ws_client_is_open (AmsWsClient *ws);

/* Closes with code 1000 once the messages already queued are written;
 * on_close(NULL) follows. Before the socket opened, aborts instead and
 * on_close gets AMS_ERROR_CANCELLED. */
void     ams_ws_client_close (AmsWsClient *ws);

/* Drops the connection at once (no close frame: the peer sees 1006) and
 * frees everything; no callback runs after this. NULL is ignored. */
void     ams_ws_client_free (AmsWsClient *ws);

/* Frees after a bounded wait for a clean close with code 1000, iterating
 * @ws's context (only when this thread can acquire it). For teardown paths
 * such as finalize. */
void     ams_ws_client_close_and_free (AmsWsClient *ws, guint timeout_ms);

G_END_DECLS
