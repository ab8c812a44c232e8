/* cmd-p2p.c: `amsclient p2p`: a peer-to-peer session (join/leave). */
#include "cli-command.h"
#include "cli-media.h"

int
cli_cmd_p2p_run (CliOptions *options)
{
  CliMediaRequest request = { .kind = CLI_MEDIA_P2P, .options = options };

  request.p2p_id = cli_options_get_string (options, CLI_OPT_STREAM);
  request.p2p_mode = cli_options_get_string (options, CLI_OPT_P2P_MODE);
  return cli_media_session_run (&request);
}
