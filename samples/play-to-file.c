/* play-to-file.c: play a stream and record it, without decoding, to a file
 * (.mkv, .webm or .mp4) for a number of seconds or until Ctrl-C.
 *
 *   cc -o play-to-file play-to-file.c $(pkg-config --cflags --libs amsclient)
 *   ./play-to-file ws://127.0.0.1:5080/WebRTCAppEE/websocket stream1 out.mkv [SECONDS]
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
    fprintf (stderr, "play-to-file: %s\n", error->message);
    app->status = 1;
    g_main_loop_quit (app->loop);
  }
}

static void
on_disconnected (AmsClient *client, const GError *error, gpointer data)
{
  App *app = data;
  if (error) {
    fprintf (stderr, "play-to-file: %s\n", error->message);
    app->status = 1;
  }
  g_main_loop_quit (app->loop);
}

static void
on_error (AmsStream *stream, const GError *error, gpointer data)
{
  App *app = data;
  fprintf (stderr, "play-to-file: %s\n", error->message);
  app->status = 1;
  ams_client_disconnect (app->client);
}

static void
on_recording_done (AmsStream *stream, const char *path, gpointer data)
{
  printf ("recorded %s\n", path);
}

static void
on_finished (AmsStream *stream, gpointer data)
{
  /* The publisher stopped (or we did): the file is complete. */
  ams_client_disconnect (((App *) data)->client);
}

static gboolean
on_stop (gpointer data)
{
  App *app = data;
  /* Sends `stop` and finalises the file (EOS to the muxer). */
  ams_stream_stop (app->stream);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  App app = { 0 };

  if (argc < 4) {
    fprintf (stderr, "usage: %s WS-URL STREAM-ID FILE [SECONDS]\n", argv[0]);
    return 2;
  }
  app.client = ams_client_new (argv[1], NULL, &error);
  if (app.client == NULL) {
    fprintf (stderr, "play-to-file: %s\n", error->message);
    return 2;
  }
  AmsMediaOptions media;
  ams_media_options_init (&media);
  media.record_path = argv[3];
  media.ice_filter = g_getenv ("AMS_ICE_FILTER");
  app.stream = ams_stream_new (app.client, AMS_STREAM_PLAY, argv[2], &media);
  app.loop = g_main_loop_new (NULL, FALSE);

  g_signal_connect (app.client, "connected", G_CALLBACK (on_connected), &app);
  g_signal_connect (app.client, "disconnected", G_CALLBACK (on_disconnected), &app);
  g_signal_connect (app.stream, "error", G_CALLBACK (on_error), &app);
  g_signal_connect (app.stream, "recording-done", G_CALLBACK (on_recording_done), &app);
  g_signal_connect (app.stream, "finished", G_CALLBACK (on_finished), &app);
  g_unix_signal_add (SIGINT, on_stop, &app);
  if (argc > 4)
    g_timeout_add_seconds ((guint) atoi (argv[4]), on_stop, &app);

  if (!ams_client_connect (app.client, &error)) {
    fprintf (stderr, "play-to-file: %s\n", error->message);
    return 1;
  }
  g_main_loop_run (app.loop);

  g_object_unref (app.stream);
  g_object_unref (app.client);
  g_main_loop_unref (app.loop);
  return app.status;
}
