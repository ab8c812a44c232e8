/* cli-conference.h: `amsclient conference`, run as one AmsConference. */
#pragma once

#include "cli-media.h"

/* Runs the conference of @request (kind CLI_MEDIA_CONFERENCE) until it is
 * left: --frames reached from every other participant, --duration, a
 * signal, or a failure. Returns the exit status. */
int cli_conference_run (const CliMediaRequest *request);
