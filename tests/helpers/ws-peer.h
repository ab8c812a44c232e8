/* ws-peer.h: a scripted WebSocket server for tests, on 127.0.0.1.
 *
 * Runs libwebsockets (GLib event library) on the given GMainContext, on a
 * free port. It records every text message it receives (with the index of
 * the connection it came on), answers {"command":"ping"} with
 * {"command":"pong"} unless told not to, and lets the test send text,
 * fragmented, binary or oversize messages, close with a code, or drop the
 * TCP connection with no close frame. One client connection at a time is
 * driven (the latest one). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _WsPeer WsPeer;

typedef struct {
  guint  connection;  /* 1 for the first accepted connection, 2 for the next... */
  char  *text;
} WsPeerMessage;

/* @cert_file/@key_file: PEM files for wss, or NULL for ws. */
WsPeer     *ws_peer_new (GMainContext *context, const char *cert_file, const char *key_file);
void        ws_peer_free (WsPeer *peer);
guint16     ws_peer_get_port (WsPeer *peer);
/* "ws://127.0.0.1:PORT/App/websocket" (or wss://). Free with g_free. */
char       *ws_peer_dup_url (WsPeer *peer, const char *host);

void        ws_peer_set_answer_pings (WsPeer *peer, gboolean answer);
/* Connections accepted so far, and whether one is open now. */
guint       ws_peer_get_connections (WsPeer *peer);
gboolean    ws_peer_is_connected (WsPeer *peer);
/* Close code received from the client on the last connection (0: none). */
int         ws_peer_get_last_close_code (WsPeer *peer);

/* Received text messages, oldest first (WsPeerMessage *). */
GPtrArray  *ws_peer_get_messages (WsPeer *peer);
/* Received messages that are not pings, as text, from connection @conn
 * (0 = all). */
GPtrArray  *ws_peer_dup_non_ping (WsPeer *peer, guint conn);
void        ws_peer_clear_messages (WsPeer *peer);

/* Queue frames to the current connection (no-op when none). */
void        ws_peer_send_text (WsPeer *peer, const char *text);
void        ws_peer_send_fragmented (WsPeer *peer, const char *text, guint n_fragments);
void        ws_peer_send_binary (WsPeer *peer, const void *data, gsize len);
void        ws_peer_close (WsPeer *peer, int code);
/* Shut the TCP connection down with no close frame. */
void        ws_peer_drop (WsPeer *peer);

/* Iterates @context until @cond(@data) or @timeout_ms passes; TRUE when met. */
gboolean    ws_peer_wait (GMainContext *context, gboolean (*cond) (gpointer), gpointer data,
                          guint timeout_ms);

G_END_DECLS
