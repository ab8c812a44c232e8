/* amsclient.h: the one header applications include.
 *
 * Threading contract for the whole library: every object is bound to the
 * GMainContext it was created on (the thread-default context when none is
 * given); all its callbacks and signals run on that context, and its methods
 * must be called from the thread that runs it. The library never starts a
 * main loop of its own. */
#pragma once

#define AMSCLIENT_INSIDE
#include <amsclient/ams-export.h>
#include <amsclient/ams-version.h>
#include <amsclient/ams-error.h>
#include <amsclient/ams-event.h>
#include <amsclient/ams-client.h>
#include <amsclient/ams-stream.h>
#include <amsclient/ams-conference.h>
#include <amsclient/ams-mini-server.h>
#include <amsclient/ams-media.h>
#undef AMSCLIENT_INSIDE
