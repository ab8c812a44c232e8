/* cli-output.c: JSON lines on stdout, human progress on stderr. */
#include "cli-output.h"
#include "cli-exit.h"

#include <stdio.h>
#include <unistd.h>

static struct {
  gboolean json;
  gboolean quiet;
  gboolean tty;
  gboolean status_shown;   /* a status line is on screen, unterminated */
} output;

void
cli_output_init (gboolean json, gboolean quiet)
{
  output.json = json;
  output.quiet = quiet;
  output.tty = isatty (STDERR_FILENO);
}

static char *
now_iso8601 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

void
cli_output_event (const AmsEvent *event)
{
  g_autoptr (AmsEvent) stamped = NULL;
  g_auto (GStrv) keys = NULL;
  g_autofree char *time = NULL, *line = NULL;

  if (!output.json)
    return;

  /* A copy, so that "time" comes right after "event" and the library's
   * event stays as it is. */
  stamped = ams_event_new (ams_event_get_name (event));
  time = now_iso8601 ();
  ams_event_set_string (stamped, "time", time);
  keys = ams_event_get_keys (event);
  for (char **k = keys; *k; k++) {
    g_autofree char *value = NULL;
    if (g_str_equal (*k, "time"))
      continue;
    value = ams_event_dup_json (event, *k);
    if (value)
      ams_event_set_json (stamped, *k, value);
  }

  line = ams_event_to_json (stamped);
  fprintf (stdout, "%s\n", line);
  /* Scripts read events as they happen, even through a pipe. */
  fflush (stdout);
}

static void
end_status_line (void)
{
  if (output.status_shown) {
    fputs ("\n", stderr);
    output.status_shown = FALSE;
  }
}

void
cli_output_progress (const char *format, ...)
{
  va_list args;

  if (output.quiet)
    return;
  end_status_line ();
  va_start (args, format);
  fputs ("amsclient: ", stderr);
  vfprintf (stderr, format, args);
  fputs ("\n", stderr);
  va_end (args);
}

void
cli_output_status (const char *format, ...)
{
  va_list args;

  if (output.quiet)
    return;
  va_start (args, format);
  if (output.tty) {
    /* Carriage return and erase-to-end-of-line: one line, updated in place. */
    fputs ("\r\033[K", stderr);
    vfprintf (stderr, format, args);
    output.status_shown = TRUE;
  } else {
    vfprintf (stderr, format, args);
    fputs ("\n", stderr);
  }
  va_end (args);
  fflush (stderr);
}

int
cli_output_fail (const GError *error)
{
  int exit_status = cli_exit_for_error (error);

  end_status_line ();
  g_printerr ("amsclient: error: %s\n", error->message);

  if (output.json) {
    g_autoptr (AmsEvent) event = ams_event_new ("error");
    ams_event_set_error (event, error);
    ams_event_set_int (event, "exitStatus", exit_status);
    cli_output_event (event);
  }
  return exit_status;
}

void
cli_output_usage_error (const char *command, const char *message)
{
  end_status_line ();
  if (command) {
    g_printerr ("amsclient %s: %s\n", command, message);
    g_printerr ("Try 'amsclient %s --help' for the options.\n", command);
  } else {
    g_printerr ("amsclient: %s\n", message);
    g_printerr ("Try 'amsclient --help' for the commands.\n");
  }
}

void
cli_output_exit (int exit_status)
{
  end_status_line ();
  if (output.json) {
    g_autoptr (AmsEvent) event = ams_event_new ("exit");
    ams_event_set_int (event, "status", exit_status);
    ams_event_set_string (event, "reason", cli_exit_describe ((CliExit) exit_status));
    cli_output_event (event);
  }
}
