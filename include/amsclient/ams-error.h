/* ams-error.h: the AMS_ERROR domain.
 *
 * Every fallible public call reports a GError in this one domain. Its codes
 * cover every `error` definition an Ant Media Server sends (the names in the
 * comments are the exact wire strings) and the failures that happen on the
 * client side. The values are stable: they are never renumbered. */
#pragma once

#include <glib.h>
#include <amsclient/ams-export.h>

G_BEGIN_DECLS

#define AMS_ERROR (ams_error_quark ())

typedef enum {
  /* Client-side failures */
  AMS_ERROR_FAILED = 1,            /* anything not covered below */
  AMS_ERROR_INVALID_ARGUMENT = 2,  /* a caller passed a bad value */
  AMS_ERROR_INVALID_URL = 3,
  AMS_ERROR_CONNECT = 4,           /* cannot reach or open the WebSocket */
  AMS_ERROR_TLS = 5,               /* certificate refused, handshake failed */
  AMS_ERROR_CLOSED = 6,            /* the socket closed or died */
  AMS_ERROR_TIMEOUT = 7,
  AMS_ERROR_PROTOCOL = 8,          /* a malformed message */
  AMS_ERROR_MESSAGE_TOO_BIG = 9,
  AMS_ERROR_NOT_CONNECTED = 10,
  AMS_ERROR_NEGOTIATION = 11,      /* SDP could not be created or applied */
  AMS_ERROR_ICE = 12,              /* ICE failed */
  AMS_ERROR_DTLS = 13,             /* DTLS failed */
  AMS_ERROR_MISSING_PLUGIN = 14,   /* a GStreamer element is not installed */
  AMS_ERROR_MEDIA = 15,            /* a pipeline error */
  AMS_ERROR_CANCELLED = 16,
  AMS_ERROR_UNKNOWN_SERVER_ERROR = 17, /* a definition this library does not know */

  /* Server `error` definitions (ams-protocol §5) */
  AMS_ERROR_NO_STREAM_NAME_SPECIFIED = 100,  /* noStreamNameSpecified */
  AMS_ERROR_INVALID_STREAM_NAME,             /* invalidStreamName */
  AMS_ERROR_STREAM_ID_IN_USE,                /* streamIdInUse */
  AMS_ERROR_NO_STREAM_EXIST,                 /* no_stream_exist */
  AMS_ERROR_SERVER_ERROR_CHECK_LOGS,         /* server_error_check_logs */
  AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION,      /* notSetRemoteDescription */
  AMS_ERROR_NOT_SET_LOCAL_DESCRIPTION,       /* notSetLocalDescription */
  AMS_ERROR_NO_ACTIVE_STREAMS_IN_ROOM,       /* no_active_streams_in_room */
  AMS_ERROR_NOT_INITIALIZED_YET,             /* not_initialized_yet */
  AMS_ERROR_NOT_ALLOWED_UNREGISTERED_STREAMS,/* not_allowed_unregistered_streams */
  AMS_ERROR_NO_ROOM_SPECIFIED,               /* no_room_specified */
  AMS_ERROR_UNAUTHORIZED_ACCESS,             /* unauthorized_access */
  AMS_ERROR_USER_BLOCKED,                    /* user_blocked */
  AMS_ERROR_NO_ENCODER_SETTINGS,             /* no_encoder_settings */
  AMS_ERROR_NO_PEER_ASSOCIATED_BEFORE,       /* no_peer_associated_before */
  AMS_ERROR_NO_SPACE_FOR_NEW_PEER,           /* NoSpaceForNewPeer */
  AMS_ERROR_HIGH_RESOURCE_USAGE,             /* highResourceUsage */
  AMS_ERROR_VIEWER_LIMIT_REACHED,            /* viewerLimitReached */
  AMS_ERROR_PUBLISH_TIMEOUT,                 /* publishTimeoutError */
  AMS_ERROR_ALREADY_PLAYING,                 /* already_playing */
  AMS_ERROR_ALREADY_PUBLISHING,              /* already_publishing */
  AMS_ERROR_NO_CODEC_ENABLED_IN_THE_SERVER,  /* no_codec_enabled_in_the_server */
  AMS_ERROR_ENCODER_NOT_OPENED,              /* encoderNotOpened */
  AMS_ERROR_ENCODER_BLOCKED,                 /* encoderBlocked */
  AMS_ERROR_STREAM_NOT_ACTIVE_OR_EXPIRED,    /* stream_not_active_or_expired */
  AMS_ERROR_ROOM_NOT_ACTIVE_OR_EXPIRED,      /* room_not_active_or_expired */
  AMS_ERROR_DATA_STORE_NOT_AVAILABLE,        /* data_store_not_available */
  AMS_ERROR_LICENSE_SUSPENDED,               /* license_suspended_please_renew_license */
  AMS_ERROR_MAIN_TRACK_HAS_MAX_SUBTRACK_COUNT, /* main_track_has_max_subtrack_count__not_allowed_to_add_more_subtracks */
  AMS_ERROR_MAIN_TRACK_DB_OPERATION_FAILED,  /* mainTrackDBOperationFailed */
  AMS_ERROR_NO_PACKET_RECEIVED_FOR_TIMEOUT_DURATION, /* noPacketReceivedForTimeoutDuration */
  AMS_ERROR_STREAM_NOT_EXIST_OR_NOT_STREAMING, /* stream_not_exist_or_not_streaming */
  AMS_ERROR_WEBRTC_NOT_ENABLED,              /* webrtc_not_enabled */
  AMS_ERROR_AUTHENTICATION_TOKEN_NOT_VALID,  /* authenticationTokenNotValid */
  AMS_ERROR_MISSING_PARAMETER,               /* missingParameter */
} AmsError;

AMS_API GQuark ams_error_quark (void);

/**
 * ams_error_from_definition:
 * @definition: an `error` definition as sent by the server (exact case)
 *
 * Returns: the code for @definition, or %AMS_ERROR_UNKNOWN_SERVER_ERROR.
 */
AMS_API AmsError ams_error_from_definition (const char *definition);

/**
 * ams_error_to_definition:
 * @code: an #AmsError
 *
 * Returns: (transfer none) (nullable): the wire name of a server error
 * code, or %NULL for client-side codes.
 */
AMS_API const char *ams_error_to_definition (AmsError code);

G_END_DECLS
