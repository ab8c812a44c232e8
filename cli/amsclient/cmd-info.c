/* cmd-info.c: `amsclient info`: getStreamInfo, printed as received. */
#include <stdio.h>

#include "cli-command.h"
#include "cli-options.h"
#include "cli-output.h"
#include "cli-session.h"

static void
on_stream_information (AmsClient *client, AmsEvent *event, const char *stream_id, gpointer data)
{
  CliSession *session = data;
  CliOptions *options = cli_session_get_options (session);
  g_autofree char *renditions = ams_event_dup_json (event, "streamInfo");

  /* Answers for other streams are not ours. */
  if (g_strcmp0 (stream_id, cli_options_get_string (options, CLI_OPT_STREAM)) != 0)
    return;

  /* --json already printed the event; the human form goes to stdout too,
   * since it is the result the user asked for. */
  if (!cli_options_get_bool (options, CLI_OPT_JSON))
    printf ("%s: %s\n", stream_id, renditions ? renditions : "[]");
  cli_session_finish (session, NULL);
}

static void
on_ready (CliSession *session, gpointer data)
{
  CliOptions *options = cli_session_get_options (session);
  g_autoptr (GError) error = NULL;

  if (!ams_client_get_stream_info (cli_session_get_client (session),
                                   cli_options_get_string (options, CLI_OPT_STREAM), &error)) {
    cli_session_finish (session, error);
    return;
  }
  cli_session_arm_timeout (session, cli_options_get_double (options, CLI_OPT_TIMEOUT),
                           "streamInformation");
}

int
cli_cmd_info_run (CliOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CliSession) session = cli_session_new (options, FALSE, &error);

  if (session == NULL)
    return cli_output_fail (error);
  g_signal_connect (cli_session_get_client (session), "stream-information",
                    G_CALLBACK (on_stream_information), session);
  return cli_session_run (session, on_ready, NULL);
}
