/* cli-media.c: the media session; see cli-media.h. */
#include "cli-media.h"
#include "cli-output.h"

static const char *
kind_name (CliMediaKind kind)
{
  switch (kind) {
    case CLI_MEDIA_PUBLISH:    return "publish";
    case CLI_MEDIA_PLAY:       return "play";
    case CLI_MEDIA_P2P:        return "p2p";
    case CLI_MEDIA_CONFERENCE: return "conference";
  }
  return "?";
}

void
cli_media_publish_params_init (AmsPublishParams *params, CliOptions *options,
                               const char *stream_id)
{
  ams_publish_params_init (params, stream_id);
  params->token = cli_options_get_token (options);
  params->subscriber_id = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_ID);
  params->subscriber_code = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_CODE);
  params->stream_name = cli_options_get_string (options, CLI_OPT_STREAM_NAME);
  params->video = !cli_options_get_bool (options, CLI_OPT_NO_VIDEO);
  params->audio = !cli_options_get_bool (options, CLI_OPT_NO_AUDIO);
}

int
cli_media_session_run (const CliMediaRequest *request)
{
  g_autoptr (GError) error = NULL;

  /* libamsclient has no public media session (AmsStream, AmsConference)
   * yet. Say so plainly rather than pretend: exit status 1. */
  error = g_error_new (AMS_ERROR, AMS_ERROR_FAILED,
                       "'%s' is not available yet: this libamsclient has no media sessions",
                       kind_name (request->kind));
  return cli_output_fail (error);
}
