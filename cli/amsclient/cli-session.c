/* cli-session.c: see cli-session.h. */
#include "cli-session.h"
#include "cli-output.h"
#include "cli-signals.h"

/* How long a clean close (1000) may take before we stop waiting. */
#define CLOSE_GRACE_MS 3000

struct _CliSession {
  CliOptions  *options;
  AmsClient   *client;
  GMainLoop   *loop;
  CliSessionReadyFunc ready;
  gpointer     ready_data;
  gboolean     finishing;
  GError      *error;          /* the outcome; NULL for success */
  guint        timeout_id;
  char        *timeout_what;
  guint        grace_id;
  gint64       connect_start;
  gboolean     was_connected;
  CliStopFunc  stop;           /* media commands: a clean stop of their own */
  gpointer     stop_data;
};

CliSession *
cli_session_new (CliOptions *options, gboolean long_lived, GError **error)
{
  g_autoptr (CliSession) session = g_new0 (CliSession, 1);
  const char *ca_file = cli_options_get_string (options, CLI_OPT_CA_FILE);

  session->options = options;
  session->client = ams_client_new (cli_options_get_url (options), NULL, error);
  if (session->client == NULL)
    return NULL;

  g_object_set (session->client,
                "connect-timeout",
                (guint) (cli_options_get_double (options, CLI_OPT_CONNECT_TIMEOUT) * 1000),
                "allow-self-signed", cli_options_get_bool (options, CLI_OPT_INSECURE),
                NULL);
  if (ca_file)
    g_object_set (session->client, "ca-file", ca_file, NULL);

  if (!long_lived) {
    /* A query is one request and one answer: no keepalive to mix with the
     * user's ping, and a refused connection must fail at once, not retry. */
    g_object_set (session->client, "reconnect", FALSE, "ping-interval", 0u, NULL);
  } else {
    g_object_set (session->client, "reconnect",
                  cli_options_get_bool (options, CLI_OPT_RECONNECT), NULL);
    if (cli_options_is_set (options, CLI_OPT_PING_INTERVAL))
      g_object_set (session->client, "ping-interval",
                    (guint) (cli_options_get_double (options, CLI_OPT_PING_INTERVAL) * 1000), NULL);
    if (cli_options_is_set (options, CLI_OPT_RECONNECT_ATTEMPTS))
      g_object_set (session->client, "reconnect-max-attempts",
                    (guint) cli_options_get_int (options, CLI_OPT_RECONNECT_ATTEMPTS), NULL);
    if (cli_options_is_set (options, CLI_OPT_RECONNECT_DELAY))
      g_object_set (session->client, "reconnect-base",
                    (guint) (cli_options_get_double (options, CLI_OPT_RECONNECT_DELAY) * 1000), NULL);
    if (cli_options_is_set (options, CLI_OPT_RECONNECT_MAX_DELAY))
      g_object_set (session->client, "reconnect-cap",
                    (guint) (cli_options_get_double (options, CLI_OPT_RECONNECT_MAX_DELAY) * 1000),
                    NULL);
  }

  session->loop = g_main_loop_new (NULL, FALSE);
  return g_steal_pointer (&session);
}

void
cli_session_free (CliSession *session)
{
  if (session == NULL)
    return;
  cli_session_disarm_timeout (session);
  g_clear_handle_id (&session->grace_id, g_source_remove);
  if (session->client)
    g_signal_handlers_disconnect_by_data (session->client, session);
  g_clear_object (&session->client);
  g_clear_pointer (&session->loop, g_main_loop_unref);
  g_clear_error (&session->error);
  g_free (session->timeout_what);
  g_free (session);
}

AmsClient *
cli_session_get_client (CliSession *session)
{
  return session->client;
}

CliOptions *
cli_session_get_options (CliSession *session)
{
  return session->options;
}

static gboolean
on_close_grace_expired (gpointer data)
{
  CliSession *session = data;

  session->grace_id = 0;
  cli_output_progress ("the server did not complete the close handshake");
  g_main_loop_quit (session->loop);
  return G_SOURCE_REMOVE;
}

void
cli_session_finish (CliSession *session, const GError *error)
{
  if (session->finishing)
    return;
  session->finishing = TRUE;
  cli_session_disarm_timeout (session);
  if (error)
    session->error = g_error_copy (error);

  if (ams_client_get_state (session->client) == AMS_CLIENT_STATE_DISCONNECTED) {
    g_main_loop_quit (session->loop);
    return;
  }
  session->grace_id = g_timeout_add (CLOSE_GRACE_MS, on_close_grace_expired, session);
  ams_client_disconnect (session->client);
}

static gboolean
on_timeout (gpointer data)
{
  CliSession *session = data;
  g_autoptr (GError) error = NULL;

  session->timeout_id = 0;
  error = g_error_new (AMS_ERROR, AMS_ERROR_TIMEOUT, "no %s within %g s",
                       session->timeout_what ? session->timeout_what : "answer",
                       cli_options_get_double (session->options, CLI_OPT_TIMEOUT));
  cli_session_finish (session, error);
  return G_SOURCE_REMOVE;
}

void
cli_session_arm_timeout (CliSession *session, double seconds, const char *what)
{
  cli_session_disarm_timeout (session);
  g_free (session->timeout_what);
  session->timeout_what = g_strdup (what);
  session->timeout_id = g_timeout_add ((guint) (seconds * 1000), on_timeout, session);
}

void
cli_session_disarm_timeout (CliSession *session)
{
  g_clear_handle_id (&session->timeout_id, g_source_remove);
}

static void
on_event (AmsClient *client, AmsEvent *event, gpointer data)
{
  cli_output_event (event);
}

static void
on_connected (AmsClient *client, gpointer data)
{
  CliSession *session = data;

  session->was_connected = TRUE;
  cli_output_progress ("connected to %s in %.1f ms", ams_client_get_url (client),
                       (g_get_monotonic_time () - session->connect_start) / 1000.0);
  if (session->ready)
    session->ready (session, session->ready_data);
}

static void
on_disconnected (AmsClient *client, const GError *error, gpointer data)
{
  CliSession *session = data;

  g_clear_handle_id (&session->grace_id, g_source_remove);
  if (!session->finishing) {
    /* The connection ended by itself: that is the outcome. */
    session->finishing = TRUE;
    if (error == NULL)
      session->error = g_error_new (AMS_ERROR, AMS_ERROR_CLOSED,
                                    "the server closed the connection");
    else if (!session->was_connected && g_error_matches (error, AMS_ERROR, AMS_ERROR_TIMEOUT))
      /* --connect-timeout: to the user this is "cannot connect" (3), not
       * an unanswered request (8). */
      session->error = g_error_new (AMS_ERROR, AMS_ERROR_CONNECT, "cannot connect to %s: %s",
                                    ams_client_get_url (client), error->message);
    else
      session->error = g_error_copy (error);
  }
  g_main_loop_quit (session->loop);
}

static void
on_reconnecting (AmsClient *client, guint attempt, guint delay_ms, gpointer data)
{
  cli_output_progress ("connection lost; reconnecting in %.1f s (attempt %u)",
                       delay_ms / 1000.0, attempt);
}

static void
on_reconnected (AmsClient *client, gpointer data)
{
  cli_output_progress ("reconnected; sessions resumed");
}

static void
on_protocol_error (AmsClient *client, const GError *error, gpointer data)
{
  cli_output_progress ("warning: ignored a malformed server message: %s", error->message);
}

static void
on_server_error (AmsClient *client, const GError *error, AmsEvent *event, gpointer data)
{
  CliSession *session = data;

  if (session->stop == NULL)
    cli_session_finish (session, error);
}

static void
on_stop_requested (gpointer data)
{
  CliSession *session = data;

  if (session->stop && !session->finishing)
    session->stop (session->stop_data);
  else
    cli_session_finish (session, NULL);
}

void
cli_session_set_media_handlers (CliSession *session, CliStopFunc stop, gpointer user_data)
{
  session->stop = stop;
  session->stop_data = user_data;
}

int
cli_session_run (CliSession *session, CliSessionReadyFunc ready, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  session->ready = ready;
  session->ready_data = user_data;
  g_signal_connect (session->client, "event", G_CALLBACK (on_event), session);
  g_signal_connect (session->client, "connected", G_CALLBACK (on_connected), session);
  g_signal_connect (session->client, "disconnected", G_CALLBACK (on_disconnected), session);
  g_signal_connect (session->client, "reconnecting", G_CALLBACK (on_reconnecting), session);
  g_signal_connect (session->client, "reconnected", G_CALLBACK (on_reconnected), session);
  g_signal_connect (session->client, "protocol-error", G_CALLBACK (on_protocol_error), session);
  g_signal_connect (session->client, "server-error", G_CALLBACK (on_server_error), session);

  cli_output_progress ("connecting to %s", ams_client_get_url (session->client));
  session->connect_start = g_get_monotonic_time ();
  if (!ams_client_connect (session->client, &error))
    return cli_output_fail (error);

  cli_signals_install (on_stop_requested, session);
  g_main_loop_run (session->loop);
  cli_signals_uninstall ();

  return session->error ? cli_output_fail (session->error) : 0;
}
