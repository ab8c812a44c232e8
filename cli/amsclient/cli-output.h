/* cli-output.h: what amsclient prints.
 *
 * Standard output carries only --json lines: one JSON object per event,
 * made by ams_event_to_json(), each with "event" first and "time" second
 * (UTC, ISO 8601 with microseconds). Standard error carries the human
 * progress messages, errors, and a live status line that is refreshed in
 * place when standard error is a terminal. */
#pragma once

#include <amsclient/amsclient.h>
#include <glib.h>

void cli_output_init (gboolean json, gboolean quiet);

/* Prints @event as one JSON line when --json is on. @event is not modified
 * (it may belong to the library); the printed copy gets the "time" key. */
void cli_output_event (const AmsEvent *event);

/* A human progress line on stderr (unless --quiet). */
void cli_output_progress (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* The live status line: rewritten in place on a terminal, printed as a
 * plain line otherwise (unless --quiet). */
void cli_output_status (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Reports the error that ends the run: a line on stderr (always) and an
 * "error" event on stdout with --json, carrying the exit status, which is
 * returned (see cli-exit.h). */
int cli_output_fail (const GError *error);

/* A usage error: "amsclient CMD: MESSAGE" and a hint line on stderr. */
void cli_output_usage_error (const char *command, const char *message);

/* The last --json line: {"event":"exit","time":…,"status":N,"reason":…}. */
void cli_output_exit (int exit_status);
