/* cli-signals.h: SIGINT and SIGTERM. The first one asks the running command
 * to stop cleanly (stop/leave sent, recordings finalised, socket closed
 * with 1000; the command then exits 0); a second one exits 130 at once. */
#pragma once

#include <glib.h>

typedef void (*CliStopFunc) (gpointer user_data);

/* Installs the handlers on the default main context; @stop runs there on
 * the first signal. */
void cli_signals_install (CliStopFunc stop, gpointer user_data);
void cli_signals_uninstall (void);

/* TRUE once a first signal asked to stop. */
gboolean cli_signals_stop_requested (void);
