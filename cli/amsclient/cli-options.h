/* cli-options.h: every amsclient option in one table, parsed per command
 * with GOptionContext and completed from the environment, the config file
 * and the defaults, in that order of precedence:
 *   command line > environment > config file > defaults. */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "cli-command.h"

typedef enum {
  /* connection */
  CLI_OPT_URL, CLI_OPT_HOST, CLI_OPT_PORT, CLI_OPT_APP, CLI_OPT_TLS,
  CLI_OPT_TOKEN, CLI_OPT_TOKEN_FILE, CLI_OPT_INSECURE, CLI_OPT_CA_FILE,
  CLI_OPT_CONNECT_TIMEOUT, CLI_OPT_TIMEOUT, CLI_OPT_PING_INTERVAL,
  /* reconnect */
  CLI_OPT_RECONNECT, CLI_OPT_RECONNECT_ATTEMPTS, CLI_OPT_RECONNECT_DELAY,
  CLI_OPT_RECONNECT_MAX_DELAY,
  /* stream */
  CLI_OPT_STREAM, CLI_OPT_ROOM, CLI_OPT_STREAM_NAME, CLI_OPT_SUBSCRIBER_ID,
  CLI_OPT_SUBSCRIBER_CODE, CLI_OPT_P2P_MODE, CLI_OPT_WAIT_PEER, CLI_OPT_ROOM_MODE,
  CLI_OPT_POLL_INTERVAL, CLI_OPT_COUNT, CLI_OPT_RETRY_INTERVAL, CLI_OPT_RETRY_TIMEOUT,
  CLI_OPT_STALL_TIMEOUT, CLI_OPT_REPUBLISH_INTERVAL, CLI_OPT_REPUBLISH_TIMEOUT,
  /* media */
  CLI_OPT_VIDEO_SOURCE, CLI_OPT_AUDIO_SOURCE, CLI_OPT_FILE, CLI_OPT_CODEC,
  CLI_OPT_VIDEO_SINK, CLI_OPT_AUDIO_SINK, CLI_OPT_RECORD, CLI_OPT_NO_VIDEO,
  CLI_OPT_NO_AUDIO, CLI_OPT_BITRATE, CLI_OPT_WIDTH, CLI_OPT_HEIGHT, CLI_OPT_FPS,
  CLI_OPT_LATENCY, CLI_OPT_SEND_DATA, CLI_OPT_NO_DECODE,
  CLI_OPT_FAST_START, CLI_OPT_DTLS_KEY_CACHE, CLI_OPT_NO_DTLS_KEY_CACHE,
  CLI_OPT_PASSTHROUGH,
  /* ICE */
  CLI_OPT_ICE_SERVER, CLI_OPT_ICE_FILTER,
  /* output */
  CLI_OPT_JSON, CLI_OPT_QUIET, CLI_OPT_STATS_INTERVAL, CLI_OPT_DURATION,
  CLI_OPT_FRAMES,
  /* configuration */
  CLI_OPT_PROFILE, CLI_OPT_CONFIG, CLI_OPT_NO_CONFIG, CLI_OPT_PRINT_CONFIG,
  CLI_OPT_LAST
} CliOptionId;

/* Where a value came from; a higher value wins. */
typedef enum {
  CLI_SOURCE_UNSET = 0,
  CLI_SOURCE_DEFAULT,
  CLI_SOURCE_CONFIG,
  CLI_SOURCE_ENVIRONMENT,
  CLI_SOURCE_COMMAND_LINE,
} CliSource;

/* Parses argv (argv[0] is the command name) for @command, then completes
 * the options from the environment, the config file and the defaults, and
 * checks them together. Returns NULL with @error set (G_OPTION_ERROR,
 * G_KEY_FILE_ERROR or G_FILE_ERROR: a usage error) on failure.
 * If `--help` was asked, prints the help and sets *help_shown. */
CliOptions *cli_options_parse (const CliCommand *command, int argc, char **argv,
                               gboolean *help_shown, GError **error);
void cli_options_free (CliOptions *options);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliOptions, cli_options_free)

const CliCommand *cli_options_get_command (CliOptions *options);

/* Accessors; (transfer none). A string or strv that is not set is NULL. */
const char *cli_options_get_string (CliOptions *options, CliOptionId id);
const char * const *cli_options_get_strv (CliOptions *options, CliOptionId id);
gboolean cli_options_get_bool (CliOptions *options, CliOptionId id);
gint64 cli_options_get_int (CliOptions *options, CliOptionId id);
double cli_options_get_double (CliOptions *options, CliOptionId id);
gboolean cli_options_is_set (CliOptions *options, CliOptionId id);
CliSource cli_options_get_source (CliOptions *options, CliOptionId id);

/* The WebSocket URL built from --url and --host/--port/--app/--tls. */
const char *cli_options_get_url (CliOptions *options);
/* The token from --token or --token-file (whichever has precedence). */
const char *cli_options_get_token (CliOptions *options);

/* --print-config: every option of the command with its value and source. */
void cli_options_print (CliOptions *options, FILE *out);
