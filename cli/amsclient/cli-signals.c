/* cli-signals.c: a clean stop on the first signal, 130 on the second. */
#include "cli-signals.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli-exit.h"

static struct {
  CliStopFunc stop;
  gpointer    user_data;
  guint       sources[2];
  gboolean    stop_requested;
} signals;

static gboolean
on_signal (gpointer data)
{
  int signum = GPOINTER_TO_INT (data);

  if (signals.stop_requested) {
    /* The user insists: no more clean-up, no buffered output. */
    static const char message[] = "\namsclient: interrupted again, exiting now\n";
    if (write (STDERR_FILENO, message, sizeof message - 1) < 0) {
      /* Nothing more can be done about a failing stderr. */
    }
    _exit (CLI_EXIT_INTERRUPTED);
  }
  signals.stop_requested = TRUE;
  g_printerr ("\namsclient: %s, stopping (press Ctrl-C again to exit at once)\n",
              signum == SIGINT ? "interrupted" : "terminated");
  if (signals.stop)
    signals.stop (signals.user_data);
  return G_SOURCE_CONTINUE;
}

void
cli_signals_install (CliStopFunc stop, gpointer user_data)
{
  cli_signals_uninstall ();
  signals.stop = stop;
  signals.user_data = user_data;
  signals.sources[0] = g_unix_signal_add (SIGINT, on_signal, GINT_TO_POINTER (SIGINT));
  signals.sources[1] = g_unix_signal_add (SIGTERM, on_signal, GINT_TO_POINTER (SIGTERM));
}

void
cli_signals_uninstall (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (signals.sources); i++)
    if (signals.sources[i])
      g_source_remove (signals.sources[i]);
  signals.sources[0] = signals.sources[1] = 0;
  signals.stop = NULL;
  signals.user_data = NULL;
}

gboolean
cli_signals_stop_requested (void)
{
  return signals.stop_requested;
}
