/* cli-exit.c: the exit status table; see cli-exit.h. */
#include "cli-exit.h"

#include <amsclient/amsclient.h>

#define ROW(code, status) { code, #code, status }

/* Every AmsError, in header order. tests/e2e/cli-basic.sh checks that this
 * table names every code of ams-error.h and that amsclient(1) agrees. */
static const struct {
  AmsError    code;
  const char *name;
  CliExit     status;
} error_exits[] = {
  ROW (AMS_ERROR_FAILED, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_INVALID_ARGUMENT, CLI_EXIT_USAGE),
  ROW (AMS_ERROR_INVALID_URL, CLI_EXIT_USAGE),
  ROW (AMS_ERROR_CONNECT, CLI_EXIT_CONNECT),
  ROW (AMS_ERROR_TLS, CLI_EXIT_CONNECT),
  ROW (AMS_ERROR_CLOSED, CLI_EXIT_CONNECT),
  ROW (AMS_ERROR_TIMEOUT, CLI_EXIT_TIMEOUT),
  ROW (AMS_ERROR_PROTOCOL, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_MESSAGE_TOO_BIG, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_NOT_CONNECTED, CLI_EXIT_CONNECT),
  ROW (AMS_ERROR_NEGOTIATION, CLI_EXIT_NEGOTIATION),
  ROW (AMS_ERROR_ICE, CLI_EXIT_ICE_DTLS),
  ROW (AMS_ERROR_DTLS, CLI_EXIT_ICE_DTLS),
  ROW (AMS_ERROR_MISSING_PLUGIN, CLI_EXIT_MISSING_PLUGIN),
  ROW (AMS_ERROR_MEDIA, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_CANCELLED, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_UNKNOWN_SERVER_ERROR, CLI_EXIT_RUNTIME),

  /* The user's request itself was incomplete or malformed. */
  ROW (AMS_ERROR_NO_STREAM_NAME_SPECIFIED, CLI_EXIT_USAGE),
  ROW (AMS_ERROR_INVALID_STREAM_NAME, CLI_EXIT_USAGE),
  ROW (AMS_ERROR_STREAM_ID_IN_USE, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_NO_STREAM_EXIST, CLI_EXIT_NOT_FOUND),
  ROW (AMS_ERROR_SERVER_ERROR_CHECK_LOGS, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION, CLI_EXIT_NEGOTIATION),
  ROW (AMS_ERROR_NOT_SET_LOCAL_DESCRIPTION, CLI_EXIT_NEGOTIATION),
  ROW (AMS_ERROR_NO_ACTIVE_STREAMS_IN_ROOM, CLI_EXIT_NOT_FOUND),
  /* The application is not running yet: as good as no server. */
  ROW (AMS_ERROR_NOT_INITIALIZED_YET, CLI_EXIT_CONNECT),
  ROW (AMS_ERROR_NOT_ALLOWED_UNREGISTERED_STREAMS, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_NO_ROOM_SPECIFIED, CLI_EXIT_USAGE),
  ROW (AMS_ERROR_UNAUTHORIZED_ACCESS, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_USER_BLOCKED, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_NO_ENCODER_SETTINGS, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE, CLI_EXIT_NOT_FOUND),
  ROW (AMS_ERROR_NO_SPACE_FOR_NEW_PEER, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_HIGH_RESOURCE_USAGE, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_VIEWER_LIMIT_REACHED, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_PUBLISH_TIMEOUT, CLI_EXIT_TIMEOUT),
  ROW (AMS_ERROR_ALREADY_PLAYING, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_ALREADY_PUBLISHING, CLI_EXIT_REFUSED),
  /* No codec in common is a negotiation failure, whoever notices it. */
  ROW (AMS_ERROR_NO_CODEC_ENABLED_IN_THE_SERVER, CLI_EXIT_NEGOTIATION),
  ROW (AMS_ERROR_ENCODER_NOT_OPENED, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_ENCODER_BLOCKED, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_STREAM_NOT_ACTIVE_OR_EXPIRED, CLI_EXIT_NOT_FOUND),
  ROW (AMS_ERROR_ROOM_NOT_ACTIVE_OR_EXPIRED, CLI_EXIT_NOT_FOUND),
  ROW (AMS_ERROR_DATA_STORE_NOT_AVAILABLE, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_LICENSE_SUSPENDED, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_MAIN_TRACK_HAS_MAX_SUBTRACK_COUNT, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_MAIN_TRACK_DB_OPERATION_FAILED, CLI_EXIT_RUNTIME),
  ROW (AMS_ERROR_NO_PACKET_RECEIVED_FOR_TIMEOUT_DURATION, CLI_EXIT_TIMEOUT),
  ROW (AMS_ERROR_STREAM_NOT_EXIST_OR_NOT_STREAMING, CLI_EXIT_NOT_FOUND),
  ROW (AMS_ERROR_WEBRTC_NOT_ENABLED, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_AUTHENTICATION_TOKEN_NOT_VALID, CLI_EXIT_REFUSED),
  ROW (AMS_ERROR_MISSING_PARAMETER, CLI_EXIT_USAGE),
};

CliExit
cli_exit_for_error (const GError *error)
{
  if (error == NULL)
    return CLI_EXIT_OK;

  if (error->domain == AMS_ERROR) {
    for (gsize i = 0; i < G_N_ELEMENTS (error_exits); i++)
      if ((int) error_exits[i].code == error->code)
        return error_exits[i].status;
    return CLI_EXIT_RUNTIME;
  }

  /* What the user typed or wrote in a config file. */
  if (error->domain == G_OPTION_ERROR || error->domain == G_KEY_FILE_ERROR ||
      error->domain == G_FILE_ERROR)
    return CLI_EXIT_USAGE;

  return CLI_EXIT_RUNTIME;
}

const char *
cli_exit_describe (CliExit status)
{
  switch (status) {
    case CLI_EXIT_OK:             return "success";
    case CLI_EXIT_RUNTIME:        return "runtime error";
    case CLI_EXIT_USAGE:          return "usage error";
    case CLI_EXIT_CONNECT:        return "cannot connect";
    case CLI_EXIT_REFUSED:        return "refused or unauthorized";
    case CLI_EXIT_NOT_FOUND:      return "stream or room not found";
    case CLI_EXIT_NEGOTIATION:    return "negotiation failed";
    case CLI_EXIT_ICE_DTLS:       return "ICE or DTLS failed";
    case CLI_EXIT_TIMEOUT:        return "timeout";
    case CLI_EXIT_MISSING_PLUGIN: return "missing GStreamer plugin";
    case CLI_EXIT_INTERRUPTED:    return "interrupted";
  }
  return "unknown";
}

void
cli_exit_print_table (FILE *out)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_exits); i++) {
    const char *wire = ams_error_to_definition (error_exits[i].code);
    fprintf (out, "%s %s %d\n", error_exits[i].name, wire ? wire : "-",
             (int) error_exits[i].status);
  }
}
