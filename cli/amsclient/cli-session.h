/* cli-session.h: one AmsClient connection on the main loop, configured from
 * the options, with the outcome (success or the first error) turned into an
 * exit status. Every command that talks to a server runs through it. */
#pragma once

#include <amsclient/amsclient.h>

#include "cli-options.h"
#include "cli-signals.h"

typedef struct _CliSession CliSession;

/* Called once the WebSocket is open: the command sends its requests. */
typedef void (*CliSessionReadyFunc) (CliSession *session, gpointer user_data);

/* Creates the client from the options (URL, TLS, timeouts; reconnection and
 * keepalive only for @long_lived sessions). Does not connect. */
CliSession *cli_session_new (CliOptions *options, gboolean long_lived, GError **error);
void cli_session_free (CliSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliSession, cli_session_free)

AmsClient *cli_session_get_client (CliSession *session);
CliOptions *cli_session_get_options (CliSession *session);

/* Connects, calls @ready once connected, runs the main loop until
 * cli_session_finish(), and returns the exit status. A server `error`, the
 * connection ending by itself, or a failed connect end the session with
 * that error; the first SIGINT/SIGTERM ends it with success. */
int cli_session_run (CliSession *session, CliSessionReadyFunc ready, gpointer user_data);

/* Ends the session: NULL @error means success. The socket is closed with
 * 1000 and the loop quits once it is. Later calls are ignored. */
void cli_session_finish (CliSession *session, const GError *error);

/* (Re)arms a timer that ends the session with AMS_ERROR_TIMEOUT after
 * @seconds; cli_session_disarm_timeout() cancels it. */
void cli_session_arm_timeout (CliSession *session, double seconds, const char *what);
void cli_session_disarm_timeout (CliSession *session);

/* Media commands: the first SIGINT/SIGTERM calls @stop (which stops the
 * stream cleanly, then calls cli_session_finish()) instead of finishing at
 * once, and server `error`s are left to the command: its stream reports
 * those that are its own. */
void cli_session_set_media_handlers (CliSession *session, CliStopFunc stop, gpointer user_data);
