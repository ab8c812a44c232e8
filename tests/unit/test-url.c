/* test-url.c: parsing of AMS WebSocket URLs. */
#include "transport/ams-url.h"

#include <string.h>

typedef struct {
  const char *url;
  gboolean    tls;
  const char *host;
  guint16     port;
  const char *app;
  const char *request_path;
  const char *host_header;
} GoodCase;

static const GoodCase good[] = {
  { "ws://127.0.0.1:5080/WebRTCAppEE/websocket", FALSE, "127.0.0.1", 5080, "WebRTCAppEE",
    "/WebRTCAppEE/websocket", "127.0.0.1:5080" },
  { "ws://localhost/LiveApp/websocket", FALSE, "localhost", 5080, "LiveApp",
    "/LiveApp/websocket", "localhost:5080" },
  { "wss://ams.example.org/live/websocket", TRUE, "ams.example.org", 5443, "live",
    "/live/websocket", "ams.example.org:5443" },
  { "WSS://Host:443/App/websocket?target=origin", TRUE, "Host", 443, "App",
    "/App/websocket?target=origin", "Host" },
  { "ws://[::1]:9000/App/websocket", FALSE, "::1", 9000, "App", "/App/websocket", "[::1]:9000" },
  { "wss://[::1]/App/websocket?a=1&b=2", TRUE, "::1", 5443, "App", "/App/websocket?a=1&b=2",
    "[::1]:5443" },
  { "ws://proxy:80/ams/LiveApp/websocket", FALSE, "proxy", 80, "LiveApp",
    "/ams/LiveApp/websocket", "proxy" },
  { "ws://h:5080/App/websocket?", FALSE, "h", 5080, "App", "/App/websocket", "h:5080" },
};

static void
test_good (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (AmsUrl) url = ams_url_parse (good[i].url, &error);
    g_assert_no_error (error);
    g_assert_nonnull (url);
    g_assert_cmpint (url->tls, ==, good[i].tls);
    g_assert_cmpstr (url->host, ==, good[i].host);
    g_assert_cmpuint (url->port, ==, good[i].port);
    g_assert_cmpstr (url->app, ==, good[i].app);
    g_autofree char *request_path = ams_url_dup_request_path (url);
    g_assert_cmpstr (request_path, ==, good[i].request_path);
    g_autofree char *host_header = ams_url_dup_host_header (url);
    g_assert_cmpstr (host_header, ==, good[i].host_header);
  }
}

static const char *const bad[] = {
  "", "http://h/App/websocket", "ws:/h/App/websocket", "ws://", "ws:///App/websocket",
  "ws://h", "ws://h/", "ws://h/App", "ws://h/websocket", "ws://h/App/ws",
  "ws://h//websocket", "ws://h:0/App/websocket", "ws://h:65536/App/websocket",
  "ws://h:80x/App/websocket", "ws://h:/App/websocket", "ws://[::1/App/websocket",
  "ws://[::1]x/App/websocket", "ws://[]/App/websocket", "ws://[zz]/App/websocket",
  "ws://user@h/App/websocket", "ws://h/App/websocket#frag", "ws://h /App/websocket",
  "ws://h/App/websocket\n", "ws://h?x=1", "ws://h\xc3\xa9/App/websocket",
  "ws://h:123456/App/websocket", "ws://h/App/websocket/extra",
};

static void
test_bad (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    AmsUrl *url = ams_url_parse (bad[i], &error);
    if (url)
      g_error ("accepted bad URL \"%s\"", bad[i]);
    g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_URL);
    g_assert_nonnull (strstr (error->message, "invalid URL"));
  }
  g_autoptr (GError) error = NULL;
  g_assert_null (ams_url_parse (NULL, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_URL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/url/good", test_good);
  g_test_add_func ("/url/bad", test_bad);
  return g_test_run ();
}
