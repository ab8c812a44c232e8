/* cmd-publish.c: `amsclient publish`. */
#include "cli-command.h"
#include "cli-media.h"

int
cli_cmd_publish_run (CliOptions *options)
{
  CliMediaRequest request = { .kind = CLI_MEDIA_PUBLISH, .options = options };

  ams_publish_params_init (&request.publish, cli_options_get_string (options, CLI_OPT_STREAM));
  request.publish.token = cli_options_get_token (options);
  request.publish.subscriber_id = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_ID);
  request.publish.subscriber_code = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_CODE);
  request.publish.stream_name = cli_options_get_string (options, CLI_OPT_STREAM_NAME);
  request.publish.main_track = cli_options_get_string (options, CLI_OPT_ROOM);
  request.publish.video = !cli_options_get_bool (options, CLI_OPT_NO_VIDEO);
  request.publish.audio = !cli_options_get_bool (options, CLI_OPT_NO_AUDIO);
  return cli_media_session_run (&request);
}
