/* publish.c: publish a live test pattern and tone to an Ant Media Server
 * compatible server until Ctrl-C (or for a number of seconds).
 *
 *   cc -o publish publish.c $(pkg-config --cflags --libs amsclient)
 *   ./publish ws://127.0.0.1:5080/WebRTCAppEE/websocket stream1 [SECONDS]
 *
 * Uses only the public API of libamsclient. */
#include <amsclient/amsclient.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  AmsClient *client;
  AmsStream *stream;
  int        status;
} App;

static void
on_connected (AmsClient *client, gpointer data)
{
  App *app = data;
  g_autoptr (GError) error = NULL;
  if (!ams_stream_start (app->stream, &error)) {
    fprintf (stderr, "publish: %s\n", error->message);
    app->status = 1;
    g_main_loop_quit (app->loop);
  }
}

static void
on_disconnected (AmsClient *client, const GError *error, gpointer data)
{
  App *app = data;
  if (error) {
    fprintf (stderr, "publish: %s\n", error->message);
    app->status = 1;
  }
  g_main_loop_quit (app->loop);
}

static void
on_started (AmsStream *stream, gpointer data)
{
  printf ("publishing %s\n", ams_stream_get_stream_id (stream));
  fflush (stdout);
}

static void
on_error (AmsStream *stream, const GError *error, gpointer data)
{
  App *app = data;
  fprintf (stderr, "publish: %s\n", error->message);
  app->status = 1;
  ams_client_disconnect (app->client);
}

static gboolean
on_stop (gpointer data)
{
  App *app = data;
  /* Sends `stop`, then closes the connection cleanly. */
  ams_stream_stop (app->stream);
  ams_client_disconnect (app->client);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  App app = { 0 };

  if (argc < 3) {
    fprintf (stderr, "usage: %s WS-URL STREAM-ID [SECONDS]\n", argv[0]);
    return 2;
  }
  app.client = ams_client_new (argv[1], NULL, &error);
  if (app.client == NULL) {
    fprintf (stderr, "publish: %s\n", error->message);
    return 2;
  }
  AmsMediaOptions media;
  ams_media_options_init (&media);
  /* Keep the media on this machine: enough for a local server. */
  media.ice_filter = g_getenv ("AMS_ICE_FILTER");
  app.stream = ams_stream_new (app.client, AMS_STREAM_PUBLISH, argv[2], &media);
  app.loop = g_main_loop_new (NULL, FALSE);

  g_signal_connect (app.client, "connected", G_CALLBACK (on_connected), &app);
  g_signal_connect (app.client, "disconnected", G_CALLBACK (on_disconnected), &app);
  g_signal_connect (app.stream, "started", G_CALLBACK (on_started), &app);
  g_signal_connect (app.stream, "error", G_CALLBACK (on_error), &app);
  g_unix_signal_add (SIGINT, on_stop, &app);
  if (argc > 3)
    g_timeout_add_seconds ((guint) atoi (argv[3]), on_stop, &app);

  if (!ams_client_connect (app.client, &error)) {
    fprintf (stderr, "publish: %s\n", error->message);
    return 1;
  }
  g_main_loop_run (app.loop);

  g_object_unref (app.stream);
  g_object_unref (app.client);
  g_main_loop_unref (app.loop);
  return app.status;
}
