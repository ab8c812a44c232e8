/* ams-url.c: parsing of ws:// and wss:// AMS application URLs. */
#include "transport/ams-url.h"

#include <string.h>

static gboolean
fail (GError **error, const char *url, const char *why)
{
  g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_URL, "invalid URL \"%s\": %s",
               url ? url : "(null)", why);
  return FALSE;
}

static gboolean
parse_port (const char *text, gsize len, guint16 *out)
{
  guint value = 0;
  if (len == 0 || len > 5)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
    value = value * 10 + (guint) (text[i] - '0');
  }
  if (value == 0 || value > 65535)
    return FALSE;
  *out = (guint16) value;
  return TRUE;
}

static gboolean
host_is_valid (const char *host, gboolean bracketed)
{
  if (*host == '\0')
    return FALSE;
  for (const char *p = host; *p; p++) {
    if (bracketed) {
      if (!(g_ascii_isxdigit (*p) || *p == ':' || *p == '.'))
        return FALSE;
    } else if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '.' || *p == '_')) {
      return FALSE;
    }
  }
  return TRUE;
}

AmsUrl *
ams_url_parse (const char *url, GError **error)
{
  if (!url || !*url) {
    fail (error, url, "empty");
    return NULL;
  }
  for (const char *p = url; *p; p++) {
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f) {
      fail (error, url, "contains spaces, control or non-ASCII characters");
      return NULL;
    }
  }

  gboolean tls;
  const char *rest;
  if (g_ascii_strncasecmp (url, "ws://", 5) == 0) {
    tls = FALSE;
    rest = url + 5;
  } else if (g_ascii_strncasecmp (url, "wss://", 6) == 0) {
    tls = TRUE;
    rest = url + 6;
  } else {
    fail (error, url, "the scheme must be ws:// or wss://");
    return NULL;
  }

  if (strchr (url, '#')) {
    fail (error, url, "fragments (#) are not allowed");
    return NULL;
  }

  const char *path_start = strchr (rest, '/');
  const char *query_mark = strchr (rest, '?');
  if (query_mark && (!path_start || query_mark < path_start))
    path_start = NULL;  /* "ws://host?x": no path at all */
  gsize authority_len = path_start ? (gsize) (path_start - rest)
                                   : (query_mark ? (gsize) (query_mark - rest) : strlen (rest));
  g_autofree char *authority = g_strndup (rest, authority_len);
  if (strchr (authority, '@')) {
    fail (error, url, "user information is not supported");
    return NULL;
  }

  g_autofree char *host = NULL;
  guint16 port = tls ? AMS_URL_DEFAULT_WSS_PORT : AMS_URL_DEFAULT_WS_PORT;
  const char *port_text = NULL;
  gboolean bracketed = authority[0] == '[';
  if (bracketed) {
    char *close = strchr (authority, ']');
    if (!close) {
      fail (error, url, "unterminated IPv6 address");
      return NULL;
    }
    host = g_strndup (authority + 1, (gsize) (close - authority - 1));
    if (close[1] == ':')
      port_text = close + 2;
    else if (close[1] != '\0') {
      fail (error, url, "unexpected text after the IPv6 address");
      return NULL;
    }
  } else {
    char *colon = strchr (authority, ':');
    host = colon ? g_strndup (authority, (gsize) (colon - authority)) : g_strdup (authority);
    if (colon)
      port_text = colon + 1;
  }
  if (!host_is_valid (host, bracketed) || (bracketed && !strchr (host, ':'))) {
    fail (error, url, "missing or invalid host");
    return NULL;
  }
  if (port_text && !parse_port (port_text, strlen (port_text), &port)) {
    fail (error, url, "the port must be a number from 1 to 65535");
    return NULL;
  }

  if (!path_start) {
    fail (error, url, "the path must be /App/websocket");
    return NULL;
  }
  const char *path_end = strchr (path_start, '?');
  g_autofree char *path = path_end ? g_strndup (path_start, (gsize) (path_end - path_start))
                                   : g_strdup (path_start);
  g_auto (GStrv) segments = g_strsplit (path + 1, "/", -1);
  guint n = g_strv_length (segments);
  gboolean empty_segment = FALSE;
  for (guint i = 0; i < n; i++)
    empty_segment |= segments[i][0] == '\0';
  if (n < 2 || empty_segment || strcmp (segments[n - 1], "websocket") != 0) {
    fail (error, url, "the path must be /App/websocket");
    return NULL;
  }

  AmsUrl *parsed = g_new0 (AmsUrl, 1);
  parsed->tls = tls;
  parsed->host = g_steal_pointer (&host);
  parsed->port = port;
  parsed->app = g_strdup (segments[n - 2]);
  parsed->path = g_steal_pointer (&path);
  parsed->query = path_end && path_end[1] ? g_strdup (path_end + 1) : NULL;
  return parsed;
}

void
ams_url_free (AmsUrl *url)
{
  if (!url)
    return;
  g_free (url->host);
  g_free (url->app);
  g_free (url->path);
  g_free (url->query);
  g_free (url);
}

char *
ams_url_dup_request_path (const AmsUrl *url)
{
  if (url->query)
    return g_strdup_printf ("%s?%s", url->path, url->query);
  return g_strdup (url->path);
}

char *
ams_url_dup_host_header (const AmsUrl *url)
{
  gboolean ipv6 = strchr (url->host, ':') != NULL;
  gboolean usual = url->port == (url->tls ? 443 : 80);
  if (usual)
    return ipv6 ? g_strdup_printf ("[%s]", url->host) : g_strdup (url->host);
  return ipv6 ? g_strdup_printf ("[%s]:%u", url->host, url->port)
              : g_strdup_printf ("%s:%u", url->host, url->port);
}
