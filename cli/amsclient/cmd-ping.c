/* cmd-ping.c: `amsclient ping`: the round-trip time of the AMS ping. */
#include "cli-command.h"
#include "cli-options.h"
#include "cli-output.h"
#include "cli-session.h"

typedef struct {
  CliSession *session;
  gint64      remaining;
  gint64      sent;
  guint       next_id;
} PingRun;

static void send_ping (PingRun *run);

static gboolean
on_next (gpointer data)
{
  PingRun *run = data;

  run->next_id = 0;
  send_ping (run);
  return G_SOURCE_REMOVE;
}

static void
send_ping (PingRun *run)
{
  CliOptions *options = cli_session_get_options (run->session);
  g_autoptr (GError) error = NULL;

  if (!ams_client_ping (cli_session_get_client (run->session), &error)) {
    cli_session_finish (run->session, error);
    return;
  }
  run->sent++;
  cli_session_arm_timeout (run->session, cli_options_get_double (options, CLI_OPT_TIMEOUT), "pong");
}

static void
on_pong (AmsClient *client, gint64 rtt_us, gpointer data)
{
  PingRun *run = data;

  cli_session_disarm_timeout (run->session);
  cli_output_progress ("pong %" G_GINT64_FORMAT " from %s: time=%.3f ms", run->sent,
                       ams_client_get_url (client), rtt_us / 1000.0);
  if (--run->remaining > 0)
    run->next_id = g_timeout_add_seconds (1, on_next, run);
  else
    cli_session_finish (run->session, NULL);
}

static void
on_ready (CliSession *session, gpointer data)
{
  send_ping (data);
}

int
cli_cmd_ping_run (CliOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CliSession) session = cli_session_new (options, FALSE, &error);
  PingRun run = { 0 };
  int status;

  if (session == NULL)
    return cli_output_fail (error);
  run.session = session;
  run.remaining = cli_options_get_int (options, CLI_OPT_COUNT);
  g_signal_connect (cli_session_get_client (session), "pong", G_CALLBACK (on_pong), &run);
  status = cli_session_run (session, on_ready, &run);
  g_clear_handle_id (&run.next_id, g_source_remove);
  return status;
}
