/* conference-bot.c: join a conference room and answer every data-channel
 * message with "echo: <message>", until Ctrl-C (or for a number of seconds).
 *
 *   cc -o conference-bot conference-bot.c $(pkg-config --cflags --libs amsclient)
 *   ./conference-bot ws://127.0.0.1:5080/WebRTCAppEE/websocket room1 [legacy|multitrack] [SECONDS]
 *
 * Uses only the public API of libamsclient. */
#include <amsclient/amsclient.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GMainLoop     *loop;
  AmsClient     *client;
  AmsConference *conference;
  int            status;
} Bot;

static void
on_connected (AmsClient *client, gpointer data)
{
  Bot *bot = data;
  g_autoptr (GError) error = NULL;
  if (!ams_conference_join (bot->conference, &error)) {
    fprintf (stderr, "conference-bot: %s\n", error->message);
    bot->status = 1;
    ams_client_disconnect (bot->client);
  }
}

static void
on_disconnected (AmsClient *client, const GError *error, gpointer data)
{
  Bot *bot = data;
  if (error) {
    fprintf (stderr, "conference-bot: %s\n", error->message);
    bot->status = 1;
  }
  g_main_loop_quit (bot->loop);
}

static void
on_state_changed (AmsConference *conference, int old_state, int new_state, gpointer data)
{
  Bot *bot = data;
  printf ("state %s\n", ams_conference_state_to_string (new_state));
  fflush (stdout);
  if (new_state == AMS_CONFERENCE_STATE_LEFT || new_state == AMS_CONFERENCE_STATE_FAILED)
    ams_client_disconnect (bot->client);
}

static void
on_joined (AmsConference *conference, const char *id, const char *name, gpointer data)
{
  printf ("joined %s\n", id);
  fflush (stdout);
}

static void
on_left (AmsConference *conference, const char *id, gpointer data)
{
  printf ("left %s\n", id);
  fflush (stdout);
}

static void
on_data (AmsConference *conference, const char *from, GBytes *bytes, gboolean is_binary,
         gpointer data)
{
  Bot *bot = data;
  const char *text = g_bytes_get_data (bytes, NULL);
  if (is_binary || text == NULL || g_str_has_prefix (text, "echo: "))
    return;   /* never answer an answer */
  printf ("message from %s: %s\n", from ? from : "the room", text);
  fflush (stdout);
  g_autofree char *answer = g_strdup_printf ("echo: %s", text);
  g_autoptr (GError) error = NULL;
  if (!ams_conference_send_text (conference, answer, &error))
    fprintf (stderr, "conference-bot: %s\n", error->message);
  (void) bot;
}

static void
on_error (AmsConference *conference, const GError *error, gpointer data)
{
  Bot *bot = data;
  fprintf (stderr, "conference-bot: %s\n", error->message);
  bot->status = 1;
}

static gboolean
on_stop (gpointer data)
{
  Bot *bot = data;
  /* leaveFromRoom / stop; "state-changed" to LEFT closes the connection. */
  ams_conference_leave (bot->conference);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Bot bot = { 0 };

  if (argc < 3) {
    fprintf (stderr, "usage: %s WS-URL ROOM [legacy|multitrack] [SECONDS]\n", argv[0]);
    return 2;
  }
  bot.client = ams_client_new (argv[1], NULL, &error);
  if (bot.client == NULL) {
    fprintf (stderr, "conference-bot: %s\n", error->message);
    return 2;
  }
  AmsConferenceMode mode = argc > 3 && strcmp (argv[3], "multitrack") == 0
                               ? AMS_CONFERENCE_MULTITRACK : AMS_CONFERENCE_LEGACY;
  AmsMediaOptions media;
  ams_media_options_init (&media);
  media.ice_filter = g_getenv ("AMS_ICE_FILTER");
  bot.conference = ams_conference_new (bot.client, argv[2], mode, &media);
  ams_conference_set_stream_id (bot.conference, g_getenv ("AMS_BOT_STREAM_ID"));
  bot.loop = g_main_loop_new (NULL, FALSE);

  g_signal_connect (bot.client, "connected", G_CALLBACK (on_connected), &bot);
  g_signal_connect (bot.client, "disconnected", G_CALLBACK (on_disconnected), &bot);
  g_signal_connect (bot.conference, "state-changed", G_CALLBACK (on_state_changed), &bot);
  g_signal_connect (bot.conference, "participant-joined", G_CALLBACK (on_joined), &bot);
  g_signal_connect (bot.conference, "participant-left", G_CALLBACK (on_left), &bot);
  g_signal_connect (bot.conference, "data", G_CALLBACK (on_data), &bot);
  g_signal_connect (bot.conference, "error", G_CALLBACK (on_error), &bot);
  g_unix_signal_add (SIGINT, on_stop, &bot);
  g_unix_signal_add (SIGTERM, on_stop, &bot);
  if (argc > 4)
    g_timeout_add_seconds ((guint) atoi (argv[4]), on_stop, &bot);

  if (!ams_client_connect (bot.client, &error)) {
    fprintf (stderr, "conference-bot: %s\n", error->message);
    return 1;
  }
  g_main_loop_run (bot.loop);

  g_object_unref (bot.conference);
  g_object_unref (bot.client);
  g_main_loop_unref (bot.loop);
  return bot.status;
}
