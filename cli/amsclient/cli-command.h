/* cli-command.h: the table of amsclient commands. Each command lives in its
 * own cmd-*.c file and exposes one run function. */
#pragma once

#include <glib.h>

typedef struct _CliOptions CliOptions;

/* One bit per command, so that each option can say where it applies. */
typedef enum {
  CLI_CMD_PING       = 1 << 0,
  CLI_CMD_INFO       = 1 << 1,
  CLI_CMD_ROOM_INFO  = 1 << 2,
  CLI_CMD_PUBLISH    = 1 << 3,
  CLI_CMD_PLAY       = 1 << 4,
  CLI_CMD_P2P        = 1 << 5,
  CLI_CMD_CONFERENCE = 1 << 6,
} CliCommandFlag;

#define CLI_CMD_QUERIES (CLI_CMD_PING | CLI_CMD_INFO | CLI_CMD_ROOM_INFO)
#define CLI_CMD_SENDERS (CLI_CMD_PUBLISH | CLI_CMD_P2P | CLI_CMD_CONFERENCE)
#define CLI_CMD_RECEIVERS (CLI_CMD_PLAY | CLI_CMD_P2P | CLI_CMD_CONFERENCE)
#define CLI_CMD_MEDIA (CLI_CMD_SENDERS | CLI_CMD_RECEIVERS)
#define CLI_CMD_ALL (CLI_CMD_QUERIES | CLI_CMD_MEDIA)

typedef struct {
  const char     *name;
  CliCommandFlag  flag;
  const char     *summary;      /* one line, for `amsclient --help` */
  const char     *description;  /* shown at the end of `amsclient CMD --help` */
  /* Runs the command with fully resolved options; returns a CliExit. */
  int           (*run) (CliOptions *options);
} CliCommand;

int cli_cmd_ping_run (CliOptions *options);
int cli_cmd_info_run (CliOptions *options);
int cli_cmd_room_info_run (CliOptions *options);
int cli_cmd_publish_run (CliOptions *options);
int cli_cmd_play_run (CliOptions *options);
int cli_cmd_p2p_run (CliOptions *options);
int cli_cmd_conference_run (CliOptions *options);
