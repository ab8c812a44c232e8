/* cmd-play.c: `amsclient play`. */
#include "cli-command.h"
#include "cli-media.h"

int
cli_cmd_play_run (CliOptions *options)
{
  CliMediaRequest request = { .kind = CLI_MEDIA_PLAY, .options = options };

  ams_play_params_init (&request.play, cli_options_get_string (options, CLI_OPT_STREAM));
  request.play.token = cli_options_get_token (options);
  request.play.room = cli_options_get_string (options, CLI_OPT_ROOM);
  request.play.subscriber_id = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_ID);
  request.play.subscriber_code = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_CODE);
  return cli_media_session_run (&request);
}
