/* fuzz-url.c: libFuzzer target for the AMS WebSocket URL parser.
 *
 * Any text either fails with AMS_ERROR_INVALID_URL or parses into a URL
 * whose parts rebuild a URL (scheme://host:port + request path) that parses
 * to the same parts again. Anything else aborts. */
#include "transport/ams-url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fail (const char *what, const char *text)
{
  fprintf (stderr, "fuzz-url: %s\n  %s\n", what, text != NULL ? text : "");
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = g_strndup ((const char *) data, size);
  GError *error = NULL;
  AmsUrl *url = ams_url_parse (text, &error), *again;
  char *path, *host_header, *rebuilt;

  if (url == NULL)
    {
      if (error == NULL || error->domain != AMS_ERROR || error->code != AMS_ERROR_INVALID_URL)
        fail ("parse failed without an INVALID_URL error", text);
      g_error_free (error);
      g_free (text);
      return 0;
    }
  if (url->host == NULL || url->path == NULL || url->app == NULL || url->port == 0)
    fail ("parsed URL lacks a part", text);

  path = ams_url_dup_request_path (url);
  host_header = ams_url_dup_host_header (url);
  if (path == NULL || host_header == NULL || path[0] != '/')
    fail ("bad request path or host header", text);

  rebuilt = g_strdup_printf ("%s://%s%s%s:%u%s", url->tls ? "wss" : "ws",
                             strchr (url->host, ':') ? "[" : "", url->host,
                             strchr (url->host, ':') ? "]" : "", url->port, path);
  again = ams_url_parse (rebuilt, &error);
  if (again == NULL)
    fail ("rebuilt URL does not parse", rebuilt);
  if (again->tls != url->tls || again->port != url->port || strcmp (again->host, url->host) != 0 ||
      strcmp (again->app, url->app) != 0 || strcmp (again->path, url->path) != 0 ||
      g_strcmp0 (again->query, url->query) != 0)
    fail ("rebuilt URL parses to other parts", rebuilt);

  ams_url_free (again);
  g_free (rebuilt);
  g_free (path);
  g_free (host_header);
  ams_url_free (url);
  g_free (text);
  return 0;
}
