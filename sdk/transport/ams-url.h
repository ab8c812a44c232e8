/* ams-url.h: the WebSocket URL of an AMS application.
 *
 * Accepted form: ws[s]://host[:port][/prefix...]/App/websocket[?query]
 * (scheme case-insensitive; IPv6 hosts in brackets; default port 5080 for
 * ws and 5443 for wss, the AMS defaults). A path prefix before App is allowed
 * for servers behind a reverse proxy. Fragments and user info are refused. */
#pragma once

#include <glib.h>
#include <amsclient/ams-error.h>

G_BEGIN_DECLS

typedef struct {
  gboolean  tls;     /* wss */
  char     *host;    /* without brackets */
  guint16   port;
  char     *app;     /* the segment before "websocket" */
  char     *path;    /* from the first '/' up to the query, e.g. "/App/websocket" */
  char     *query;   /* after '?', without it; NULL when absent */
} AmsUrl;

#define AMS_URL_DEFAULT_WS_PORT  5080
#define AMS_URL_DEFAULT_WSS_PORT 5443

/* Returns: (transfer full) a parsed URL, or NULL with AMS_ERROR_INVALID_URL. */
AmsUrl *ams_url_parse (const char *url, GError **error);
void    ams_url_free (AmsUrl *url);
/* Returns: (transfer full) the request target: path plus "?query" if any. */
char   *ams_url_dup_request_path (const AmsUrl *url);
/* Returns: (transfer full) the Host header value: host, bracketed for IPv6,
 * with ":port" when not the scheme's usual port (80/443). */
char   *ams_url_dup_host_header (const AmsUrl *url);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsUrl, ams_url_free)

G_END_DECLS
