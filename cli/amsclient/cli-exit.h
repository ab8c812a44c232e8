/* cli-exit.h: amsclient's stable exit statuses and the one table that maps
 * every AMS_ERROR code (and the few other error domains the tool meets) to
 * one of them. Scripts depend on these numbers: never renumber. */
#pragma once

#include <glib.h>
#include <stdio.h>

typedef enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_RUNTIME = 1,         /* anything not covered below */
  CLI_EXIT_USAGE = 2,           /* bad command line, config file or value */
  CLI_EXIT_CONNECT = 3,         /* cannot connect, or the connection was lost */
  CLI_EXIT_REFUSED = 4,         /* refused or unauthorized by the server */
  CLI_EXIT_NOT_FOUND = 5,       /* stream, room or peer not found */
  CLI_EXIT_NEGOTIATION = 6,     /* SDP offer/answer failed */
  CLI_EXIT_ICE_DTLS = 7,        /* ICE or DTLS failed */
  CLI_EXIT_TIMEOUT = 8,
  CLI_EXIT_MISSING_PLUGIN = 9,  /* a GStreamer element is not installed */
  CLI_EXIT_INTERRUPTED = 130,   /* a second SIGINT/SIGTERM */
} CliExit;

/* The exit status for @error; 0 when @error is NULL. */
CliExit cli_exit_for_error (const GError *error);

/* A short English description of @status ("cannot connect", …). */
const char *cli_exit_describe (CliExit status);

/* Prints "AMS_ERROR_NAME wire-definition-or-dash status" per AMS_ERROR code,
 * for the hidden `--list-exit-codes` the tests compare with the man page. */
void cli_exit_print_table (FILE *out);
