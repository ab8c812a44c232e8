/* ws-peer.c: the scripted WebSocket server used by the client tests. */
#include "ws-peer.h"

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>

typedef enum {
  OUT_TEXT,
  OUT_FRAGMENT_FIRST,
  OUT_FRAGMENT_MIDDLE,
  OUT_FRAGMENT_LAST,
  OUT_BINARY,
  OUT_CLOSE,
  OUT_DROP,
} OutKind;

typedef struct {
  OutKind  kind;
  int      close_code;
  gsize    len;
  guchar  *buf;   /* LWS_PRE head-room, then the payload */
} OutFrame;

struct _WsPeer {
  GMainContext       *context;
  GMainLoop          *loop;
  struct lws_context *lws_context;
  struct lws         *wsi;          /* the current connection */
  guint16             port;
  gboolean            tls;
  gboolean            answer_pings;
  guint               connections;
  int                 last_close_code;
  GPtrArray          *messages;     /* WsPeerMessage * */
  GByteArray         *rx;
  GQueue              out;          /* OutFrame * */
  SSL_CTX            *client_ctx;   /* ours, so lws does not make (and leak) one */
};

static void
out_frame_free (gpointer data)
{
  OutFrame *frame = data;
  g_free (frame->buf);
  g_free (frame);
}

static void
message_free (gpointer data)
{
  WsPeerMessage *message = data;
  g_free (message->text);
  g_free (message);
}

static void
queue_frame (WsPeer *peer, OutKind kind, const void *data, gsize len, int code)
{
  if (!peer->wsi)
    return;
  OutFrame *frame = g_new0 (OutFrame, 1);
  frame->kind = kind;
  frame->close_code = code;
  frame->len = len;
  frame->buf = g_malloc (LWS_PRE + len + 1);
  if (len)
    memcpy (frame->buf + LWS_PRE, data, len);
  g_queue_push_tail (&peer->out, frame);
  lws_callback_on_writable (peer->wsi);
  lws_cancel_service (peer->lws_context);
}

static int
peer_writable (WsPeer *peer, struct lws *wsi)
{
  OutFrame *frame = g_queue_pop_head (&peer->out);
  if (!frame)
    return 0;
  int ret = 0;
  enum lws_write_protocol mode = LWS_WRITE_TEXT;
  switch (frame->kind) {
  case OUT_TEXT: mode = LWS_WRITE_TEXT; break;
  case OUT_FRAGMENT_FIRST: mode = LWS_WRITE_TEXT | LWS_WRITE_NO_FIN; break;
  case OUT_FRAGMENT_MIDDLE: mode = LWS_WRITE_CONTINUATION | LWS_WRITE_NO_FIN; break;
  case OUT_FRAGMENT_LAST: mode = LWS_WRITE_CONTINUATION; break;
  case OUT_BINARY: mode = LWS_WRITE_BINARY; break;
  case OUT_CLOSE:
    lws_close_reason (wsi, (enum lws_close_status) frame->close_code, (unsigned char *) "test", 4);
    ret = -1;
    break;
  case OUT_DROP:
    shutdown (lws_get_socket_fd (wsi), SHUT_RDWR);
    ret = -1;
    break;
  }
  if (ret == 0) {
    int written = lws_write (wsi, frame->buf + LWS_PRE, frame->len, mode);
    if (written < (int) frame->len)
      ret = -1;
  }
  out_frame_free (frame);
  if (ret == 0 && !g_queue_is_empty (&peer->out))
    lws_callback_on_writable (wsi);
  return ret;
}

static int
peer_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  WsPeer *peer = lws_context_user (lws_get_context (wsi));
  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    peer->connections++;
    peer->wsi = wsi;
    peer->last_close_code = 0;
    g_queue_clear_full (&peer->out, out_frame_free);
    g_byte_array_set_size (peer->rx, 0);
    break;

  case LWS_CALLBACK_RECEIVE:
    if (wsi != peer->wsi)
      break;
    g_byte_array_append (peer->rx, in, (guint) len);
    if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0) {
      WsPeerMessage *message = g_new0 (WsPeerMessage, 1);
      message->connection = peer->connections;
      message->text = g_strndup ((const char *) peer->rx->data, peer->rx->len);
      g_byte_array_set_size (peer->rx, 0);
      g_ptr_array_add (peer->messages, message);
      if (peer->answer_pings && strcmp (message->text, "{\"command\":\"ping\"}") == 0)
        queue_frame (peer, OUT_TEXT, "{\"command\":\"pong\"}", 18, 0);
    }
    break;

  case LWS_CALLBACK_SERVER_WRITEABLE:
    if (wsi != peer->wsi)
      return 0;
    return peer_writable (peer, wsi);

  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    if (wsi == peer->wsi && len >= 2)
      peer->last_close_code = (((const guchar *) in)[0] << 8) | ((const guchar *) in)[1];
    break;

  case LWS_CALLBACK_CLOSED:
    if (wsi == peer->wsi) {
      peer->wsi = NULL;
      g_queue_clear_full (&peer->out, out_frame_free);
    }
    break;

  default:
    break;
  }
  return lws_callback_http_dummy (wsi, reason, user, in, len);
}

static const struct lws_protocols peer_protocols[] = {
  { "ws-peer", peer_callback, 0, 0, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 }
};

WsPeer *
ws_peer_new (GMainContext *context, const char *cert_file, const char *key_file)
{
  WsPeer *peer = g_new0 (WsPeer, 1);
  peer->context = g_main_context_ref (context);
  peer->loop = g_main_loop_new (context, FALSE);
  peer->answer_pings = TRUE;
  peer->messages = g_ptr_array_new_with_free_func (message_free);
  peer->rx = g_byte_array_new ();
  peer->tls = cert_file != NULL;
  g_queue_init (&peer->out);

  struct lws_context_creation_info info;
  memset (&info, 0, sizeof info);
  void *foreign_loops[1] = { peer->loop };
  info.port = 0;               /* the kernel picks a free port */
  info.iface = "127.0.0.1";
  info.protocols = peer_protocols;
  info.options = LWS_SERVER_OPTION_GLIB;
  info.foreign_loops = foreign_loops;
  info.user = peer;
  info.gid = -1;
  info.uid = -1;
  if (cert_file) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cert_file;
    info.ssl_private_key_filepath = key_file;
    /* lws 4.1.6 also builds a client SSL_CTX (loading the whole system CA
     * store) for a TLS server vhost and never frees it once a connection was
     * accepted. The peer makes no client connections: hand it an empty one
     * that we own and free. */
    peer->client_ctx = SSL_CTX_new (TLS_client_method ());
    info.provided_client_ssl_ctx = peer->client_ctx;
  }
  peer->lws_context = lws_create_context (&info);
  if (!peer->lws_context)
    g_error ("ws-peer: cannot create the lws server context");
  struct lws_vhost *vhost = lws_get_vhost_by_name (peer->lws_context, "default");
  peer->port = (guint16) lws_get_vhost_listen_port (vhost);
  return peer;
}

void
ws_peer_free (WsPeer *peer)
{
  if (!peer)
    return;
  lws_context_destroy (peer->lws_context);
  if (peer->client_ctx)
    SSL_CTX_free (peer->client_ctx);
  g_queue_clear_full (&peer->out, out_frame_free);
  g_ptr_array_unref (peer->messages);
  g_byte_array_unref (peer->rx);
  g_main_loop_unref (peer->loop);
  g_main_context_unref (peer->context);
  g_free (peer);
}

guint16
ws_peer_get_port (WsPeer *peer)
{
  return peer->port;
}

char *
ws_peer_dup_url (WsPeer *peer, const char *host)
{
  return g_strdup_printf ("%s://%s:%u/TestApp/websocket", peer->tls ? "wss" : "ws",
                          host ? host : "127.0.0.1", peer->port);
}

void
ws_peer_set_answer_pings (WsPeer *peer, gboolean answer)
{
  peer->answer_pings = answer;
}

guint
ws_peer_get_connections (WsPeer *peer)
{
  return peer->connections;
}

gboolean
ws_peer_is_connected (WsPeer *peer)
{
  return peer->wsi != NULL;
}

int
ws_peer_get_last_close_code (WsPeer *peer)
{
  return peer->last_close_code;
}

GPtrArray *
ws_peer_get_messages (WsPeer *peer)
{
  return peer->messages;
}

GPtrArray *
ws_peer_dup_non_ping (WsPeer *peer, guint conn)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < peer->messages->len; i++) {
    WsPeerMessage *message = g_ptr_array_index (peer->messages, i);
    if (conn && message->connection != conn)
      continue;
    if (strcmp (message->text, "{\"command\":\"ping\"}") == 0)
      continue;
    g_ptr_array_add (out, g_strdup (message->text));
  }
  return out;
}

void
ws_peer_clear_messages (WsPeer *peer)
{
  g_ptr_array_set_size (peer->messages, 0);
}

void
ws_peer_send_text (WsPeer *peer, const char *text)
{
  queue_frame (peer, OUT_TEXT, text, strlen (text), 0);
}

void
ws_peer_send_fragmented (WsPeer *peer, const char *text, guint n_fragments)
{
  gsize len = strlen (text);
  g_return_if_fail (n_fragments >= 2 && len >= n_fragments);
  gsize chunk = len / n_fragments;
  for (guint i = 0; i < n_fragments; i++) {
    gsize start = i * chunk;
    gsize size = i == n_fragments - 1 ? len - start : chunk;
    OutKind kind = i == 0 ? OUT_FRAGMENT_FIRST
                 : i == n_fragments - 1 ? OUT_FRAGMENT_LAST : OUT_FRAGMENT_MIDDLE;
    queue_frame (peer, kind, text + start, size, 0);
  }
}

void
ws_peer_send_binary (WsPeer *peer, const void *data, gsize len)
{
  queue_frame (peer, OUT_BINARY, data, len, 0);
}

void
ws_peer_close (WsPeer *peer, int code)
{
  queue_frame (peer, OUT_CLOSE, NULL, 0, code);
}

void
ws_peer_drop (WsPeer *peer)
{
  queue_frame (peer, OUT_DROP, NULL, 0, 0);
}

gboolean
ws_peer_wait (GMainContext *context, gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (!cond (data)) {
    if (g_get_monotonic_time () >= deadline)
      return FALSE;
    /* Non-blocking with a short sleep: bounded even if nothing is due. */
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (500);
  }
  return TRUE;
}
