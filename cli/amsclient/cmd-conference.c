/* cmd-conference.c: `amsclient conference`: a legacy room (joinRoom, then
 * publish and one play per participant) or a multitrack room (publish with
 * the room as main track, play the room as one main track). */
#include "cli-command.h"
#include "cli-media.h"

int
cli_cmd_conference_run (CliOptions *options)
{
  CliMediaRequest request = { .kind = CLI_MEDIA_CONFERENCE, .options = options };
  const char *room = cli_options_get_string (options, CLI_OPT_ROOM);
  const char *own = cli_options_get_string (options, CLI_OPT_STREAM);

  request.room = room;
  request.multitrack = g_strcmp0 (cli_options_get_string (options, CLI_OPT_ROOM_MODE),
                                  "multitrack") == 0;
  /* Legacy rooms learn the own id from joinedTheRoom when none was given. */
  cli_media_publish_params_init (&request.publish, options, own);
  request.publish.main_track = request.multitrack ? room : NULL;

  /* A multitrack room is played as one main track, without one's own
   * stream. */
  ams_play_params_init (&request.play, room);
  request.play.token = cli_options_get_token (options);
  request.play.user_publish_id = own;
  return cli_media_session_run (&request);
}
