/* cmd-publish.c: `amsclient publish`. */
#include "cli-command.h"
#include "cli-media.h"

int
cli_cmd_publish_run (CliOptions *options)
{
  CliMediaRequest request = { .kind = CLI_MEDIA_PUBLISH, .options = options };

  cli_media_publish_params_init (&request.publish, options,
                                 cli_options_get_string (options, CLI_OPT_STREAM));
  /* With --room the stream joins that room as a subtrack. */
  request.publish.main_track = cli_options_get_string (options, CLI_OPT_ROOM);
  return cli_media_session_run (&request);
}
