/* ams-ws-server.c: libwebsockets (libuv event lib) server on a GMainContext. */
#include "transport/ams-ws-server.h"
#include "transport/ams-uv-source.h"

#include <amsclient/ams-error.h>
#include <libwebsockets.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* How long free() waits for close frames to go out. */
#define CLOSE_PASS_US (1 * G_USEC_PER_SEC)
/* How long a closing connection may take to let its close frame out: a
 * peer that stopped reading never does, and is cut then. */
#define CLOSE_SEND_TIMEOUT_S 5

typedef struct {
  gsize  len;
  guchar data[];  /* LWS_PRE bytes of head-room, then the payload */
} OutBuf;

/* Per-connection state; lws allocates it (zeroed) for every wsi. */
typedef struct {
  struct lws *wsi;
  guint64     id;
  gboolean    established;
  gboolean    closing;
  gboolean    lws_closing;   /* a callback returned -1: lws runs the close */
  guint16     close_code;
  gboolean    oversize;      /* rest of an oversize message is being skipped */
  GQueue     *out;           /* OutBuf* */
  gsize       queued_bytes;
  GString    *rx;
  gint64      rate_window_us;
  guint       rate_count;
} Pss;

struct _AmsWsServer {
  GMainContext        *context;
  AmsWsServerConfig    config;
  char                *bind_address;
  AmsWsServerCallbacks callbacks;
  gpointer             user_data;

  uv_loop_t            uv_loop;
  gboolean             uv_initialised;
  void                *foreign_loops[1];
  GSource             *uv_source;
  struct lws_context  *lws;
  struct lws_vhost    *vhost;
  lws_retry_bo_t       retry;
  struct lws_protocols protocols[2];
  guint                port;

  GHashTable          *conns;   /* &id -> Pss* */
  guint64              next_id;
  gboolean             destroying;
  GSource             *trim_source;
  guint                in_callback;  /* depth of ws_callback() */
};

void
ams_ws_server_config_init (AmsWsServerConfig *config)
{
  memset (config, 0, sizeof *config);
  config->bind_address = "127.0.0.1";
  config->port = 0;
  config->max_message_size = 81920;
  config->max_connections = 10000;
  config->max_messages_per_second = 500;
  config->max_queued_bytes = 4 * 1024 * 1024;
  config->max_queued_messages = 4096;
  config->idle_ping_s = 30;
}

static void
pss_clear (Pss *pss)
{
  if (pss->out)
    {
      g_queue_free_full (pss->out, g_free);
      pss->out = NULL;
    }
  if (pss->rx)
    {
      g_string_free (pss->rx, TRUE);
      pss->rx = NULL;
    }
  pss->queued_bytes = 0;
}

static void
request_write (AmsWsServer *srv, Pss *pss)
{
  lws_callback_on_writable (pss->wsi);
  /* The uv loop must run again to apply the new POLLOUT watch. */
  if (srv->uv_source)
    ams_uv_source_wakeup (srv->uv_source);
}

#ifdef __GLIBC__
static gboolean
trim_heap (gpointer user_data)
{
  AmsWsServer *srv = user_data;
  if (g_hash_table_size (srv->conns) == 0)
    malloc_trim (0);
  g_clear_pointer (&srv->trim_source, g_source_unref);
  return G_SOURCE_REMOVE;
}
#endif

/* The last connection is gone: a second later, give the heap of the peak
 * back to the system.  glibc keeps freed memory otherwise (measured: 13 MB
 * held after 2,000 connections closed, 1.6 MB after a trim). */
static void
schedule_trim (AmsWsServer *srv)
{
#ifdef __GLIBC__
  if (srv->trim_source || srv->destroying)
    return;
  srv->trim_source = g_timeout_source_new (1000);
  g_source_set_callback (srv->trim_source, trim_heap, srv, NULL);
  g_source_attach (srv->trim_source, srv->context);
#endif
}

static void
begin_close (AmsWsServer *srv, Pss *pss, guint16 code)
{
  if (pss->closing)
    return;
  pss->closing = TRUE;
  pss->close_code = code;
  lws_set_timeout (pss->wsi, PENDING_TIMEOUT_CLOSE_SEND, CLOSE_SEND_TIMEOUT_S);
  /* lws re-arms its timer only after servicing a socket: from outside its
   * callbacks (a GLib timer), wake it so the timeout is armed now. */
  if (srv->in_callback == 0)
    lws_cancel_service (srv->lws);
  request_write (srv, pss);
}

/* "/<App>/websocket" with a non-empty App without '/'. */
static gboolean
path_is_websocket (const char *path)
{
  if (path[0] != '/')
    return FALSE;
  const char *slash = strchr (path + 1, '/');
  return slash != NULL && slash > path + 1 && strcmp (slash, "/websocket") == 0;
}

static int ws_dispatch (AmsWsServer *srv, struct lws *wsi, enum lws_callback_reasons reason,
                        Pss *pss, void *in, size_t len);

static int
ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct lws_context *ctx = lws_get_context (wsi);
  AmsWsServer *srv = ctx ? lws_context_user (ctx) : NULL;
  if (srv == NULL)
    return 0;
  srv->in_callback++;
  int r = ws_dispatch (srv, wsi, reason, user, in, len);
  srv->in_callback--;
  return r;
}

static int
ws_dispatch (AmsWsServer *srv, struct lws *wsi, enum lws_callback_reasons reason, Pss *pss,
             void *in, size_t len)
{
  switch (reason)
    {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      {
        char path[512];
        if (lws_hdr_copy (wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0
            || !path_is_websocket (path) || (in && strcmp (in, "websocket") != 0))
          {
            lws_return_http_status (wsi, HTTP_STATUS_NOT_FOUND, NULL);
            return 1;
          }
        if (g_hash_table_size (srv->conns) >= srv->config.max_connections)
          {
            lws_return_http_status (wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, NULL);
            return 1;
          }
        return 0;
      }

    case LWS_CALLBACK_HTTP:
      /* Plain HTTP on the same port: there is nothing to serve. */
      if (lws_return_http_status (wsi, HTTP_STATUS_NOT_FOUND, NULL))
        return -1;
      return lws_http_transaction_completed (wsi) ? -1 : 0;

    case LWS_CALLBACK_ESTABLISHED:
      {
        if (srv->destroying)
          return -1;
        pss->wsi = wsi;
        pss->id = ++srv->next_id;
        pss->established = TRUE;
        pss->out = g_queue_new ();
        pss->rx = g_string_new (NULL);
        g_hash_table_insert (srv->conns, &pss->id, pss);
        char path[512] = "";
        lws_hdr_copy (wsi, path, sizeof path, WSI_TOKEN_GET_URI);
        g_autofree char *app = g_strndup (path + 1, strcspn (path + 1, "/"));
        if (srv->callbacks.opened)
          srv->callbacks.opened (srv, pss->id, app, srv->user_data);
        return 0;
      }

    case LWS_CALLBACK_RECEIVE:
      {
        if (!pss->established || pss->closing)
          return 0;
        gboolean final = lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0;
        /* The usual case, a message in one piece: no copy is needed. */
        gboolean whole = final && pss->rx->len == 0 && !pss->oversize;
        if (!pss->oversize)
          {
            if (pss->rx->len + len > srv->config.max_message_size)
              {
                /* Too big: close 1009, as the size cap says. */
                g_string_truncate (pss->rx, 0);
                pss->oversize = TRUE;
                lws_close_reason (wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                                  (unsigned char *) "message too big", 15);
                pss->closing = pss->lws_closing = TRUE;
                return -1;
              }
            if (!whole)
              g_string_append_len (pss->rx, in, (gssize) len);
          }
        if (!final)
          return 0;
        gboolean binary = lws_frame_is_binary (wsi);
        pss->oversize = FALSE;
        /* Rate limit: messages per one-second window. */
        gint64 now = g_get_monotonic_time ();
        if (now - pss->rate_window_us >= G_USEC_PER_SEC)
          {
            pss->rate_window_us = now;
            pss->rate_count = 0;
          }
        if (srv->config.max_messages_per_second > 0
            && ++pss->rate_count > srv->config.max_messages_per_second)
          {
            lws_close_reason (wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                              (unsigned char *) "message rate", 12);
            pss->closing = pss->lws_closing = TRUE;
            return -1;
          }
        if (!binary && srv->callbacks.message && whole)
          {
            /* lws's receive buffer stays untouched while the callback
             * sends (writes go straight to sockets or lws's own lists). */
            srv->callbacks.message (srv, pss->id, in ? in : "", len, srv->user_data);
          }
        else if (!binary && srv->callbacks.message)
          {
            /* The callback may close or send; keep the buffer ours. */
            GString *msg = pss->rx;
            pss->rx = g_string_new (NULL);
            srv->callbacks.message (srv, pss->id, msg->str, msg->len, srv->user_data);
            g_string_free (msg, TRUE);
          }
        else
          g_string_truncate (pss->rx, 0);
        return 0;
      }

    case LWS_CALLBACK_SERVER_WRITEABLE:
      {
        /* After a close begun in RECEIVE, lws sends the close frame and
         * waits for the peer's: returning -1 here would drop the socket
         * with the peer's unread data, a reset that loses our last
         * messages and the close frame on the peer's side. */
        if (!pss->established || pss->lws_closing)
          return 0;
        OutBuf *buf = pss->out ? g_queue_peek_head (pss->out) : NULL;
        if (buf == NULL && pss->closing)
          {
            lws_close_reason (wsi, (enum lws_close_status) pss->close_code, NULL, 0);
            return -1;
          }
        if (buf == NULL)
          return 0;
        g_queue_pop_head (pss->out);
        pss->queued_bytes -= buf->len;
        int n = lws_write (wsi, buf->data + LWS_PRE, buf->len, LWS_WRITE_TEXT);
        g_free (buf);
        if (n < 0)
          return -1;
        if (!g_queue_is_empty (pss->out) || pss->closing)
          lws_callback_on_writable (wsi);
        return 0;
      }

    case LWS_CALLBACK_CLOSED:
      {
        /* Also called for sockets rejected before ESTABLISHED. */
        if (!pss || !pss->established)
          return 0;
        pss->established = FALSE;
        guint64 id = pss->id;
        g_hash_table_remove (srv->conns, &id);
        pss_clear (pss);
        if (g_hash_table_size (srv->conns) == 0)
          schedule_trim (srv);
        if (!srv->destroying && srv->callbacks.closed)
          srv->callbacks.closed (srv, id, srv->user_data);
        return 0;
      }

    default:
      return 0;
    }
}

AmsWsServer *
ams_ws_server_new (GMainContext *context, const AmsWsServerConfig *config,
                   const AmsWsServerCallbacks *callbacks, gpointer user_data)
{
  AmsWsServer *srv = g_new0 (AmsWsServer, 1);
  srv->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  if (config)
    srv->config = *config;
  else
    ams_ws_server_config_init (&srv->config);
  srv->bind_address = g_strdup (srv->config.bind_address ? srv->config.bind_address : "127.0.0.1");
  srv->config.bind_address = srv->bind_address;
  if (srv->config.max_message_size == 0)
    srv->config.max_message_size = 81920;
  if (srv->config.max_connections == 0)
    srv->config.max_connections = 10000;
  if (srv->config.max_queued_bytes == 0)
    srv->config.max_queued_bytes = 4 * 1024 * 1024;
  if (srv->config.max_queued_messages == 0)
    srv->config.max_queued_messages = 4096;
  if (callbacks)
    srv->callbacks = *callbacks;
  srv->user_data = user_data;
  srv->conns = g_hash_table_new (g_int64_hash, g_int64_equal);
  return srv;
}

/* lws sizes its descriptor table from RLIMIT_NOFILE when the context is
 * created, and sockets past it are never accepted: clients just hang.  Many
 * systems give processes a soft limit of 1,024, so raise the soft limit (up
 * to the hard one) to what max-connections needs, plus room for the rest of
 * the process (media, files). */
static void
raise_fd_limit (guint max_connections)
{
  struct rlimit rl;
  rlim_t want = (rlim_t) max_connections + 256;
  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
    return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
    g_message ("descriptor limit %lu: fewer than %u connections can be held",
               (unsigned long) rl.rlim_cur, max_connections);
}

gboolean
ams_ws_server_start (AmsWsServer *srv, GError **error)
{
  g_return_val_if_fail (srv->lws == NULL, FALSE);

  lws_set_log_level (LLL_ERR, NULL);
  raise_fd_limit (srv->config.max_connections);
  if (uv_loop_init (&srv->uv_loop) != 0)
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_FAILED, "cannot create a libuv loop");
      return FALSE;
    }
  srv->uv_initialised = TRUE;
  srv->foreign_loops[0] = &srv->uv_loop;

  srv->protocols[0] = (struct lws_protocols) {
    .name = "ams",
    .callback = ws_callback,
    .per_session_data_size = sizeof (Pss),
    .rx_buffer_size = 4096,
  };
  srv->retry = (lws_retry_bo_t) {
    .secs_since_valid_ping = (uint16_t) MIN (srv->config.idle_ping_s, 60000),
    /* Hang up when the ping is not answered within min(ping time, 10 s). */
    .secs_since_valid_hangup = (uint16_t) MIN (srv->config.idle_ping_s
                                                   + MIN (srv->config.idle_ping_s, 10), 65000),
  };

  struct lws_context_creation_info info;
  memset (&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS
                 | LWS_SERVER_OPTION_VALIDATE_UTF8;
  info.foreign_loops = srv->foreign_loops;
  info.user = srv;
  info.port = CONTEXT_PORT_NO_LISTEN;
  srv->lws = lws_create_context (&info);
  if (srv->lws == NULL)
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_FAILED,
                           "cannot create the WebSocket context (is the libuv event library "
                           "of libwebsockets installed?)");
      goto fail;
    }

  memset (&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
  /* With IPv6 on, lws 4.1 binds an IPv4 address given in iface as the IPv6
   * wildcard: "127.0.0.1" listened on every interface (ss showed *:PORT).
   * An IPv4 address needs an IPv4 socket. */
  if (strchr (srv->bind_address, ':') == NULL)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.port = (int) srv->config.port;
  info.iface = srv->bind_address;
  info.protocols = srv->protocols;
  info.vhost_name = "ams";
  info.timeout_secs = 10;
  info.retry_and_idle_policy = srv->config.idle_ping_s ? &srv->retry : NULL;
  srv->vhost = lws_create_vhost (srv->lws, &info);
  if (srv->vhost == NULL)
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_CONNECT, "cannot listen on %s:%u",
                   srv->bind_address, srv->config.port);
      goto fail;
    }
  srv->port = (guint) lws_get_vhost_listen_port (srv->vhost);

  srv->uv_source = ams_uv_source_new (&srv->uv_loop);
  g_source_attach (srv->uv_source, srv->context);
  return TRUE;

fail:
  if (srv->lws)
    {
      lws_context_destroy (srv->lws);
      for (int i = 0; i < 100 && uv_run (&srv->uv_loop, UV_RUN_NOWAIT); i++)
        ;
      lws_context_destroy (srv->lws);
      srv->lws = NULL;
    }
  for (int i = 0; i < 100 && uv_run (&srv->uv_loop, UV_RUN_NOWAIT); i++)
    ;
  uv_loop_close (&srv->uv_loop);
  srv->uv_initialised = FALSE;
  return FALSE;
}

guint
ams_ws_server_get_port (AmsWsServer *srv)
{
  return srv->port;
}

guint
ams_ws_server_get_n_connections (AmsWsServer *srv)
{
  return g_hash_table_size (srv->conns);
}

/* Messages up to this size are framed on the stack when written at once. */
#define STACK_WRITE_MAX 2048

static gboolean
write_now (AmsWsServer *srv, Pss *pss, const char *data, gsize len)
{
  guchar stack_buf[LWS_PRE + STACK_WRITE_MAX];
  guchar *frame = len <= STACK_WRITE_MAX ? stack_buf : g_malloc (LWS_PRE + len);
  memcpy (frame + LWS_PRE, data, len);
  int n = lws_write (pss->wsi, frame + LWS_PRE, len, LWS_WRITE_TEXT);
  if (frame != stack_buf)
    g_free (frame);
  if (n < 0)
    {
      /* The socket is broken: the close pass ends the connection. */
      begin_close (srv, pss, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION);
      return FALSE;
    }
  /* A partial write made lws watch POLLOUT: run the uv loop to apply it. */
  if (lws_partial_buffered (pss->wsi) && srv->uv_source)
    ams_uv_source_wakeup (srv->uv_source);
  return TRUE;
}

gboolean
ams_ws_server_send (AmsWsServer *srv, guint64 conn, const char *data, gsize len)
{
  Pss *pss = g_hash_table_lookup (srv->conns, &conn);
  if (pss == NULL || pss->closing || data == NULL)
    return FALSE;
  if (pss->queued_bytes + len > srv->config.max_queued_bytes
      || g_queue_get_length (pss->out) >= srv->config.max_queued_messages)
    {
      /* A reader this slow would make us hold unbounded memory. */
      begin_close (srv, pss, LWS_CLOSE_STATUS_POLICY_VIOLATION);
      return FALSE;
    }
  /* Nothing ahead of this message: write it now.  Waiting for WRITEABLE
   * costs four epoll_ctl calls per message on libuv (each POLLOUT change
   * is a uv_poll_start, which removes the socket from epoll and scans the
   * pending events) and halved the throughput at 1,000 connections.  A
   * write the kernel does not take whole is kept and finished by lws, which
   * watches POLLOUT itself; later messages queue behind it. */
  if (g_queue_is_empty (pss->out) && !lws_partial_buffered (pss->wsi))
    return write_now (srv, pss, data, len);
  OutBuf *buf = g_malloc (sizeof (OutBuf) + LWS_PRE + len);
  buf->len = len;
  memcpy (buf->data + LWS_PRE, data, len);
  g_queue_push_tail (pss->out, buf);
  pss->queued_bytes += len;
  request_write (srv, pss);
  return TRUE;
}

void
ams_ws_server_close (AmsWsServer *srv, guint64 conn, guint16 code)
{
  Pss *pss = g_hash_table_lookup (srv->conns, &conn);
  if (pss)
    begin_close (srv, pss, code ? code : LWS_CLOSE_STATUS_NORMAL);
}

void
ams_ws_server_free (AmsWsServer *srv)
{
  if (srv == NULL)
    return;
  if (srv->lws)
    {
      /* Close frames first: lws_context_destroy() sends none. */
      GHashTableIter it;
      gpointer v;
      g_hash_table_iter_init (&it, srv->conns);
      while (g_hash_table_iter_next (&it, NULL, &v))
        begin_close (srv, v, LWS_CLOSE_STATUS_GOINGAWAY);
      gint64 end = g_get_monotonic_time () + CLOSE_PASS_US;
      while (g_hash_table_size (srv->conns) > 0 && g_get_monotonic_time () < end)
        if (!g_main_context_iteration (srv->context, FALSE))
          g_usleep (1000);
      srv->destroying = TRUE;
      lws_context_destroy (srv->lws);
      for (int i = 0; i < 1000 && uv_run (&srv->uv_loop, UV_RUN_NOWAIT); i++)
        ;
      lws_context_destroy (srv->lws);
      srv->lws = NULL;
    }
  if (srv->trim_source)
    {
      g_source_destroy (srv->trim_source);
      g_clear_pointer (&srv->trim_source, g_source_unref);
    }
  if (srv->uv_source)
    {
      g_source_destroy (srv->uv_source);
      g_source_unref (srv->uv_source);
      srv->uv_source = NULL;
    }
  if (srv->uv_initialised)
    {
      for (int i = 0; i < 1000 && uv_run (&srv->uv_loop, UV_RUN_NOWAIT); i++)
        ;
      uv_loop_close (&srv->uv_loop);
    }
  g_hash_table_unref (srv->conns);
  g_main_context_unref (srv->context);
  g_free (srv->bind_address);
  g_free (srv);
}
