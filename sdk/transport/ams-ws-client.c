/* ams-ws-client.c: a libwebsockets client connection on a GMainContext.
 *
 * Each object has a private lws context on lws's GLib event library, with a
 * GMainLoop wrapping the caller's context as the foreign loop, so every lws
 * callback is dispatched by the caller's main loop. A private context per
 * connection keeps teardown simple: freeing destroys it, which kills the
 * socket whatever state it is in. See reference/stack-notes.md for the lws
 * 4.1.6 behaviours relied on here. */
#include "transport/ams-ws-client.h"
#include "protocol/ams-message.h"

#include <libwebsockets.h>
#include <string.h>

typedef enum {
  WS_CONNECTING,
  WS_OPEN,
  WS_CLOSING,   /* close 1000 requested: flush the queue, then close */
  WS_CLOSED,    /* on_close is scheduled or delivered */
} WsState;

struct _AmsWsClient {
  AmsWsClientCallbacks callbacks;
  gpointer             user_data;

  GMainContext        *context;
  GMainLoop           *loop;        /* not run: only lws's handle on the context */
  struct lws_context  *lws_context;
  struct lws          *wsi;

  AmsUrl              *url;
  char                *request_path;
  char                *host_header;
  gboolean             allow_self_signed;
  char                *ca_file;
  gsize                max_message_size;

  WsState              state;
  GQueue               send_queue;  /* GBytes, each with LWS_PRE head-room */
  GByteArray          *rx;
  gboolean             rx_binary;
  int                  peer_close_code;
  char                *peer_close_reason;
  gboolean             too_big;

  GError              *close_error;   /* what on_close will report */
  GSource             *close_source;
  GSource             *timeout_source;
  GSource             *destroy_source;

  guint                in_callback;   /* depth of lws callbacks on the stack */
  gboolean             freed;         /* ams_ws_client_free() while in a callback */
};

/* lws logs through one process-wide function. Keep errors and warnings at
 * debug level in our own log domain, and remember the last one: lws's
 * callback arguments do not say why TLS verification failed, its log does. */
static GPrivate last_error_key = G_PRIVATE_INIT (g_free);  /* per thread: clients on
                                                           * several threads */
#define last_lws_error ((const char *) g_private_get (&last_error_key))

static void
log_emit (int level, const char *line)
{
  g_autofree char *text = g_strstrip (g_strdup (line));
  if (level & LLL_ERR) {
    g_private_replace (&last_error_key, g_strdup (text));
  }
  g_log ("amsclient-lws", G_LOG_LEVEL_DEBUG, "%s", text);
}

static void
setup_logging_once (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    lws_set_log_level (LLL_ERR | LLL_WARN, log_emit);
    g_once_init_leave (&done, 1);
  }
}

static void free_now (AmsWsClient *ws);

static gboolean
deliver_close (gpointer data)
{
  AmsWsClient *ws = data;
  g_source_unref (ws->close_source);
  ws->close_source = NULL;
  GError *error = g_steal_pointer (&ws->close_error);
  if (ws->callbacks.on_close)
    ws->callbacks.on_close (ws, error, ws->user_data);  /* may free ws */
  g_clear_error (&error);
  return G_SOURCE_REMOVE;
}

/* Reports the end once, from an idle source, so that the owner may free the
 * object in on_close. @error is taken. */
static void
finish (AmsWsClient *ws, GError *error)
{
  if (ws->state == WS_CLOSED) {
    g_clear_error (&error);
    return;
  }
  ws->state = WS_CLOSED;
  ws->wsi = NULL;
  if (ws->timeout_source) {
    g_source_destroy (ws->timeout_source);
    g_clear_pointer (&ws->timeout_source, g_source_unref);
  }
  ws->close_error = error;
  ws->close_source = g_idle_source_new ();
  g_source_set_priority (ws->close_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (ws->close_source, deliver_close, ws, NULL);
  g_source_attach (ws->close_source, ws->context);
}

static GError *
closed_error (AmsWsClient *ws)
{
  if (ws->too_big)
    return g_error_new (AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG,
                        "a message from the server exceeded %" G_GSIZE_FORMAT
                        " bytes; closed with code 1009", ws->max_message_size);
  if (ws->peer_close_code)
    return g_error_new (AMS_ERROR, AMS_ERROR_CLOSED, "the server closed the connection (code %d%s%s)",
                        ws->peer_close_code, ws->peer_close_reason ? ": " : "",
                        ws->peer_close_reason ? ws->peer_close_reason : "");
  return g_error_new (AMS_ERROR, AMS_ERROR_CLOSED,
                      "the connection to %s:%u was lost (no close frame)", ws->url->host, ws->url->port);
}

static GError *
connect_error (AmsWsClient *ws, const char *why)
{
  const char *detail = why && *why ? why : "connection failed";
  gboolean tls = ws->url->tls &&
      (strstr (detail, "SSL") || strstr (detail, "ssl") || strstr (detail, "tls") ||
       strstr (detail, "TLS") || strstr (detail, "cert") ||
       (last_lws_error && (strstr (last_lws_error, "SSL") || strstr (last_lws_error, "tls") ||
                           strstr (last_lws_error, "cert"))));
  if (tls)
    return g_error_new (AMS_ERROR, AMS_ERROR_TLS, "TLS handshake with %s:%u failed: %s%s%s%s",
                        ws->url->host, ws->url->port, detail,
                        last_lws_error ? " (" : "", last_lws_error ? last_lws_error : "",
                        last_lws_error ? ")" : "");
  return g_error_new (AMS_ERROR, AMS_ERROR_CONNECT, "cannot connect to %s:%u: %s",
                      ws->url->host, ws->url->port, detail);
}

static void
request_writable (AmsWsClient *ws)
{
  if (!ws->wsi)
    return;
  lws_callback_on_writable (ws->wsi);
  /* Outside an lws dispatch the GLib plugin does not notice the change until
   * it is woken (stack-notes.md). */
  if (ws->in_callback == 0)
    lws_cancel_service (ws->lws_context);
}

static int
handle_writable (AmsWsClient *ws, struct lws *wsi)
{
  if (ws->too_big) {
    static const char reason[] = "message too big";
    lws_close_reason (wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *) reason,
                      sizeof reason - 1);
    return -1;
  }
  GBytes *bytes = g_queue_pop_head (&ws->send_queue);
  if (!bytes) {
    if (ws->state == WS_CLOSING) {
      static const char reason[] = "bye";
      lws_close_reason (wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *) reason, sizeof reason - 1);
      return -1;
    }
    return 0;
  }
  gsize size = 0;
  guchar *buf = (guchar *) g_bytes_get_data (bytes, &size);
  size_t len = size - LWS_PRE;
  int written = lws_write (wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
  g_bytes_unref (bytes);
  if (written < (int) len)
    return -1;   /* lws closed or failed the socket; CLOSED follows */
  if (!g_queue_is_empty (&ws->send_queue) || ws->state == WS_CLOSING)
    lws_callback_on_writable (wsi);
  return 0;
}

static int
handle_receive (AmsWsClient *ws, struct lws *wsi, const void *in, size_t len)
{
  if (ws->too_big)
    return 0;   /* closing with 1009: ignore the rest */
  if (ws->rx->len == 0)
    ws->rx_binary = lws_frame_is_binary (wsi) ? TRUE : FALSE;
  if (ws->rx->len + len > ws->max_message_size) {
    /* Close from WRITEABLE, not by returning -1 here: lws 4.1.6 keeps
     * parsing the chunk it has buffered after a -1 from CLIENT_RECEIVE and
     * writes past its rx buffer (seen with valgrind). */
    ws->too_big = TRUE;
    g_byte_array_set_size (ws->rx, 0);
    lws_callback_on_writable (wsi);
    return 0;
  }
  g_byte_array_append (ws->rx, in, (guint) len);
  if (!lws_is_final_fragment (wsi) || lws_remaining_packet_payload (wsi) != 0)
    return 0;
  guint8 nul = 0;
  g_byte_array_append (ws->rx, &nul, 1);
  gsize size = ws->rx->len - 1;
  /* Take the buffer first: the callback may send, close or free. */
  GByteArray *message = ws->rx;
  ws->rx = g_byte_array_new ();
  if (ws->callbacks.on_message && ws->state != WS_CLOSED)
    ws->callbacks.on_message (ws, (const char *) message->data, size, ws->rx_binary, ws->user_data);
  g_byte_array_unref (message);
  return 0;
}

static int
ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  AmsWsClient *ws = wsi ? lws_get_opaque_user_data (wsi) : NULL;
  if (!ws || ws->freed)
    return lws_callback_http_dummy (wsi, reason, user, in, len);

  int ret = 0;
  ws->in_callback++;
  switch (reason) {
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    if (ws->state == WS_CONNECTING)
      finish (ws, connect_error (ws, in ? (const char *) in : NULL));
    else
      finish (ws, closed_error (ws));
    break;

  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    if (ws->state != WS_CONNECTING)
      break;
    ws->state = WS_OPEN;
    if (ws->timeout_source) {
      g_source_destroy (ws->timeout_source);
      g_clear_pointer (&ws->timeout_source, g_source_unref);
    }
    if (ws->callbacks.on_open)
      ws->callbacks.on_open (ws, ws->user_data);
    if (!ws->freed && ws->state != WS_CLOSED &&
        (!g_queue_is_empty (&ws->send_queue) || ws->state == WS_CLOSING))
      lws_callback_on_writable (wsi);
    break;

  case LWS_CALLBACK_CLIENT_RECEIVE:
    if (ws->state == WS_OPEN || ws->state == WS_CLOSING)
      ret = handle_receive (ws, wsi, in, len);
    break;

  case LWS_CALLBACK_CLIENT_WRITEABLE:
    if (ws->state == WS_CLOSED)
      ret = -1;
    else
      ret = handle_writable (ws, wsi);
    break;

  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    if (len >= 2) {
      const guchar *bytes = in;
      ws->peer_close_code = (bytes[0] << 8) | bytes[1];
      g_free (ws->peer_close_reason);
      ws->peer_close_reason = len > 2 ? g_utf8_make_valid ((const char *) bytes + 2, (gssize) len - 2)
                                      : NULL;
    } else {
      ws->peer_close_code = 1005;  /* a close frame with no status */
    }
    break;

  case LWS_CALLBACK_CLIENT_CLOSED:
    if (ws->state == WS_CLOSING && !ws->too_big)
      finish (ws, NULL);
    else if (ws->state == WS_CONNECTING)
      finish (ws, connect_error (ws, "closed during the handshake"));
    else
      finish (ws, closed_error (ws));
    break;

  case LWS_CALLBACK_WSI_DESTROY:
    if (ws->wsi == wsi)
      ws->wsi = NULL;
    if (ws->state != WS_CLOSED)
      finish (ws, ws->state == WS_CONNECTING ? connect_error (ws, NULL) : closed_error (ws));
    break;

  default:
    break;
  }
  ws->in_callback--;
  /* If the owner freed us inside this callback, destroy_source finishes the
   * job from a clean stack; ws stays valid until then. */
  if (ret == 0 && reason != LWS_CALLBACK_CLIENT_RECEIVE && reason != LWS_CALLBACK_CLIENT_WRITEABLE)
    return lws_callback_http_dummy (wsi, reason, user, in, len);
  return ret;
}

static const struct lws_protocols protocols[] = {
  { "amsclient-ws", ws_callback, 0, 0, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 }  /* terminator (LWS_PROTOCOL_LIST_TERM is newer than 4.1) */
};

/* Application pings do the liveness checking; no lws-level ping/hangup. */
static const lws_retry_bo_t no_ws_keepalive = {
  .secs_since_valid_ping = 0,
  .secs_since_valid_hangup = 0,
};

static gboolean
on_connect_timeout (gpointer data)
{
  AmsWsClient *ws = data;
  g_clear_pointer (&ws->timeout_source, g_source_unref);
  if (ws->state == WS_CONNECTING) {
    finish (ws, g_error_new (AMS_ERROR, AMS_ERROR_TIMEOUT,
                             "no WebSocket connection to %s:%u within the connect timeout",
                             ws->url->host, ws->url->port));
  }
  return G_SOURCE_REMOVE;
}

AmsWsClient *
ams_ws_client_new (const AmsUrl *url, const AmsWsClientOptions *options, GMainContext *context,
                   const AmsWsClientCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail (url != NULL && callbacks != NULL, NULL);
  setup_logging_once ();

  AmsWsClient *ws = g_new0 (AmsWsClient, 1);
  ws->callbacks = *callbacks;
  ws->user_data = user_data;
  ws->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  ws->loop = g_main_loop_new (ws->context, FALSE);
  ws->url = g_new0 (AmsUrl, 1);
  ws->url->tls = url->tls;
  ws->url->host = g_strdup (url->host);
  ws->url->port = url->port;
  ws->url->app = g_strdup (url->app);
  ws->url->path = g_strdup (url->path);
  ws->url->query = g_strdup (url->query);
  ws->request_path = ams_url_dup_request_path (url);
  ws->host_header = ams_url_dup_host_header (url);
  ws->allow_self_signed = options && options->allow_self_signed;
  ws->ca_file = g_strdup (options ? options->ca_file : NULL);
  ws->max_message_size = options && options->max_message_size ? options->max_message_size
                                                              : AMS_MESSAGE_DEFAULT_MAX_SIZE;
  ws->rx = g_byte_array_new ();
  g_queue_init (&ws->send_queue);
  ws->state = WS_CONNECTING;

  struct lws_context_creation_info info;
  memset (&info, 0, sizeof info);
  void *foreign_loops[1] = { ws->loop };
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_GLIB;
  if (url->tls) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = ws->ca_file;
  }
  info.foreign_loops = foreign_loops;
  info.gid = -1;
  info.uid = -1;
  info.retry_and_idle_policy = &no_ws_keepalive;
  /* One connection per context: lws would otherwise size its fd tables
   * from the process's descriptor limit (up to 2 x 8 bytes per possible fd,
   * 16 MB at a limit of 1048576) and start one service thread per core. */
  info.fd_limit_per_thread = 16;
  info.count_threads = 1;

  /* The lws context is created inside our context's thread-default scope:
   * nothing in lws should attach to any other context. */
  ws->lws_context = lws_create_context (&info);
  if (!ws->lws_context) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_CONNECT,
                 "cannot create a libwebsockets context on the GLib main loop "
                 "(is the libwebsockets GLib event library installed?)");
    free_now (ws);
    return NULL;
  }

  struct lws_client_connect_info ci;
  memset (&ci, 0, sizeof ci);
  ci.context = ws->lws_context;
  ci.address = ws->url->host;
  ci.port = ws->url->port;
  ci.path = ws->request_path;
  ci.host = ws->host_header;
  ci.origin = ws->host_header;
  ci.ietf_version_or_minus_one = -1;
  ci.local_protocol_name = protocols[0].name;
  ci.opaque_user_data = ws;
  ci.retry_and_idle_policy = &no_ws_keepalive;
  ci.pwsi = &ws->wsi;
  if (url->tls)
    ci.ssl_connection = LCCSCF_USE_SSL | (ws->allow_self_signed ? LCCSCF_ALLOW_SELFSIGNED : 0);

  g_private_replace (&last_error_key, NULL);
  ws->in_callback++;   /* connect may call back synchronously (e.g. DNS failure) */
  struct lws *wsi = lws_client_connect_via_info (&ci);
  ws->in_callback--;
  if (!wsi && ws->state != WS_CLOSED)
    finish (ws, connect_error (ws, last_lws_error ? last_lws_error : "cannot start the connection"));
  lws_cancel_service (ws->lws_context);

  if (options && options->connect_timeout_ms && ws->state == WS_CONNECTING) {
    ws->timeout_source = g_timeout_source_new (options->connect_timeout_ms);
    g_source_set_callback (ws->timeout_source, on_connect_timeout, ws, NULL);
    g_source_attach (ws->timeout_source, ws->context);
  }
  return ws;
}

gboolean
ams_ws_client_send (AmsWsClient *ws, const char *data, gsize len, GError **error)
{
  g_return_val_if_fail (ws != NULL && data != NULL, FALSE);
  if (ws->state == WS_CLOSING || ws->state == WS_CLOSED) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NOT_CONNECTED, "the WebSocket is closing or closed");
    return FALSE;
  }
  if (len > ws->max_message_size) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG,
                 "message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %" G_GSIZE_FORMAT,
                 len, ws->max_message_size);
    return FALSE;
  }
  guchar *buf = g_malloc (LWS_PRE + len);
  memcpy (buf + LWS_PRE, data, len);
  g_queue_push_tail (&ws->send_queue, g_bytes_new_take (buf, LWS_PRE + len));
  if (ws->state == WS_OPEN)
    request_writable (ws);
  return TRUE;
}

guint
ams_ws_client_get_queued (AmsWsClient *ws)
{
  return ws ? g_queue_get_length (&ws->send_queue) : 0;
}

gboolean
ams_ws_client_is_open (AmsWsClient *ws)
{
  return ws && ws->state == WS_OPEN;
}

void
ams_ws_client_close (AmsWsClient *ws)
{
  g_return_if_fail (ws != NULL);
  if (ws->state == WS_CONNECTING) {
    finish (ws, g_error_new (AMS_ERROR, AMS_ERROR_CANCELLED, "connection attempt cancelled"));
    return;
  }
  if (ws->state != WS_OPEN)
    return;
  ws->state = WS_CLOSING;
  request_writable (ws);
}

static gboolean
destroy_later (gpointer data)
{
  AmsWsClient *ws = data;
  g_clear_pointer (&ws->destroy_source, g_source_unref);
  free_now (ws);
  return G_SOURCE_REMOVE;
}

static void
free_now (AmsWsClient *ws)
{
  ws->freed = TRUE;
  if (ws->close_source) {
    g_source_destroy (ws->close_source);
    g_clear_pointer (&ws->close_source, g_source_unref);
  }
  if (ws->timeout_source) {
    g_source_destroy (ws->timeout_source);
    g_clear_pointer (&ws->timeout_source, g_source_unref);
  }
  if (ws->destroy_source) {
    g_source_destroy (ws->destroy_source);
    g_clear_pointer (&ws->destroy_source, g_source_unref);
  }
  if (ws->lws_context) {
    /* CLOSED callbacks run inside; `freed` makes them no-ops. */
    ws->in_callback++;
    lws_context_destroy (ws->lws_context);
    ws->in_callback--;
    ws->lws_context = NULL;
  }
  g_queue_clear_full (&ws->send_queue, (GDestroyNotify) g_bytes_unref);
  g_byte_array_unref (ws->rx);
  g_clear_error (&ws->close_error);
  g_free (ws->peer_close_reason);
  g_free (ws->request_path);
  g_free (ws->host_header);
  g_free (ws->ca_file);
  ams_url_free (ws->url);
  g_main_loop_unref (ws->loop);
  g_main_context_unref (ws->context);
  g_free (ws);
}

void
ams_ws_client_free (AmsWsClient *ws)
{
  if (!ws || ws->freed)
    return;
  ws->freed = TRUE;
  if (ws->in_callback > 0) {
    /* lws must not be destroyed under its own callback: finish from a clean
     * stack, right after the current dispatch. */
    ws->destroy_source = g_idle_source_new ();
    g_source_set_priority (ws->destroy_source, G_PRIORITY_HIGH);
    g_source_set_callback (ws->destroy_source, destroy_later, ws, NULL);
    g_source_attach (ws->destroy_source, ws->context);
    return;
  }
  free_now (ws);
}

void
ams_ws_client_close_and_free (AmsWsClient *ws, guint timeout_ms)
{
  if (!ws)
    return;
  if (ws->state == WS_OPEN && ws->in_callback == 0 && g_main_context_acquire (ws->context)) {
    ams_ws_client_close (ws);
    /* Keep the owner's on_close out of it: we are tearing down. */
    ws->callbacks.on_close = NULL;
    ws->callbacks.on_message = NULL;
    gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
    while (ws->state != WS_CLOSED && g_get_monotonic_time () < deadline) {
      if (!g_main_context_iteration (ws->context, FALSE))
        g_usleep (1000);
    }
    g_main_context_release (ws->context);
  }
  ams_ws_client_free (ws);
}
