/* cli-media.h: the media session behind publish, play, p2p and conference.
 *
 * The commands turn their options into a CliMediaRequest; running it is
 * the job of cli_media_session_run(), which drives AmsStream/AmsConference
 * objects of libamsclient once the library has them. */
#pragma once

#include <amsclient/amsclient.h>

#include "cli-options.h"

typedef enum {
  CLI_MEDIA_PUBLISH,
  CLI_MEDIA_PLAY,
  CLI_MEDIA_P2P,
  CLI_MEDIA_CONFERENCE,
} CliMediaKind;

typedef struct {
  CliMediaKind      kind;
  CliOptions       *options;  /* sources, sinks, codec, ICE, duration, … */
  AmsPublishParams  publish;  /* PUBLISH, CONFERENCE (own stream) */
  AmsPlayParams     play;     /* PLAY, multitrack CONFERENCE (the room); a legacy
                               * conference builds one per participant */
  const char       *p2p_id;   /* P2P */
  const char       *p2p_mode; /* P2P: "both" or "play" */
  const char       *room;     /* CONFERENCE */
  gboolean          multitrack; /* CONFERENCE: main-track room, else legacy joinRoom */
} CliMediaRequest;

/* Fills @params for publishing @stream_id (may be NULL: the server picks
 * one in a legacy room) with the token, subscriber, name and media options. */
void cli_media_publish_params_init (AmsPublishParams *params, CliOptions *options,
                                    const char *stream_id);

/* Fills @media with the media options every media command shares (sources,
 * sinks, codec, size, rate, latency, ICE, statistics); strings are borrowed
 * from @options. */
void cli_media_options_init (AmsMediaOptions *media, CliOptions *options);

/* Runs @request until it ends, --duration or --frames is reached, or a
 * signal stops it; returns the exit status. */
int cli_media_session_run (const CliMediaRequest *request);
