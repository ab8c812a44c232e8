/* cmd-room-info.c: `amsclient room-info`: getRoomInfo, the active streams
 * of a room. */
#include <stdio.h>

#include "cli-command.h"
#include "cli-options.h"
#include "cli-output.h"
#include "cli-session.h"

static void
on_room_information (AmsClient *client, AmsEvent *event, const char *room, gpointer data)
{
  CliSession *session = data;
  CliOptions *options = cli_session_get_options (session);
  g_auto (GStrv) streams = NULL;

  if (g_strcmp0 (room, cli_options_get_string (options, CLI_OPT_ROOM)) != 0)
    return;

  if (!cli_options_get_bool (options, CLI_OPT_JSON)) {
    streams = ams_event_dup_strv (event, "streams");
    printf ("%s: %u stream%s\n", room, streams ? g_strv_length (streams) : 0,
            streams && g_strv_length (streams) == 1 ? "" : "s");
    for (char **s = streams; s && *s; s++)
      printf ("  %s\n", *s);
  }
  cli_session_finish (session, NULL);
}

static void
on_ready (CliSession *session, gpointer data)
{
  CliOptions *options = cli_session_get_options (session);
  const char *room = cli_options_get_string (options, CLI_OPT_ROOM);
  const char *stream = cli_options_get_string (options, CLI_OPT_STREAM);
  g_autoptr (GError) error = NULL;

  /* AMS rejects getRoomInfo without a streamId (noStreamNameSpecified); with
   * no own stream, the room id itself is what its own web pages send. */
  if (!ams_client_get_room_info (cli_session_get_client (session), room,
                                 stream ? stream : room, &error)) {
    cli_session_finish (session, error);
    return;
  }
  cli_session_arm_timeout (session, cli_options_get_double (options, CLI_OPT_TIMEOUT),
                           "roomInformation");
}

int
cli_cmd_room_info_run (CliOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CliSession) session = cli_session_new (options, FALSE, &error);

  if (session == NULL)
    return cli_output_fail (error);
  g_signal_connect (cli_session_get_client (session), "room-information",
                    G_CALLBACK (on_room_information), session);
  return cli_session_run (session, on_ready, NULL);
}
