/* ams-schema.c: wire names and field lists of every AMS message.
 *
 * One table per command, per notification definition and per error
 * definition, written from the AMS protocol reference (§2.2 commands, §3
 * server replies, §4 notifications, §5 errors). A command that travels both
 * ways (takeConfiguration, takeCandidate, stop, peerMessageCommand,
 * startNewP2PConnection) has one list: the union of both directions.
 *
 * "Required" means that the decoder rejects a message without the field;
 * it is set only where the server itself cannot work without it (the
 * reference's "R"), so that every real server reply still decodes. */
#include "protocol/ams-message.h"

#include <string.h>

#define S(n)   { n, AMS_FIELD_STRING, FALSE }
#define RS(n)  { n, AMS_FIELD_STRING, TRUE }
#define I(n)   { n, AMS_FIELD_INT, FALSE }
#define RI(n)  { n, AMS_FIELD_INT, TRUE }
#define IS(n)  { n, AMS_FIELD_INT_OR_STRING, FALSE }
#define RIS(n) { n, AMS_FIELD_INT_OR_STRING, TRUE }
#define B(n)   { n, AMS_FIELD_BOOL, FALSE }
#define RB(n)  { n, AMS_FIELD_BOOL, TRUE }
#define SA(n)  { n, AMS_FIELD_STRING_ARRAY, FALSE }
#define RSA(n) { n, AMS_FIELD_STRING_ARRAY, TRUE }
#define A(n)   { n, AMS_FIELD_ARRAY, FALSE }
#define RA(n)  { n, AMS_FIELD_ARRAY, TRUE }
#define O(n)   { n, AMS_FIELD_OBJECT, FALSE }
#define ANY(n) { n, AMS_FIELD_ANY, FALSE }
#define END    { NULL, 0, FALSE }

/* ------------------------------------------------------------ commands */

static const AmsFieldSpec no_fields[] = { END };

/* Commands whose only field is the stream id. */
static const AmsFieldSpec stream_id_only[] = { RS ("streamId"), END };

static const AmsFieldSpec publish_fields[] = {
  RS ("streamId"), S ("token"), S ("subscriberId"), S ("subscriberCode"),
  S ("streamName"), S ("mainTrack"), S ("metaData"), S ("role"),
  B ("video"), B ("audio"), END
};

static const AmsFieldSpec play_fields[] = {
  RS ("streamId"), S ("token"), S ("room"), SA ("trackList"),
  S ("subscriberId"), S ("subscriberName"), S ("subscriberCode"),
  S ("viewerInfo"), S ("role"), S ("userPublishId"),
  B ("disableTracksByDefault"), END
};

static const AmsFieldSpec take_configuration_fields[] = {
  RS ("streamId"), RS ("type"), RS ("sdp"), S ("linkSession"),
  S ("subscriberId"), O ("idMapping"), END
};

static const AmsFieldSpec take_candidate_fields[] = {
  RS ("streamId"), RI ("label"), S ("id"), RS ("candidate"),
  S ("linkSession"), S ("subscriberId"), END
};

static const AmsFieldSpec join_fields[] = {
  RS ("streamId"), S ("mode"), B ("multiPeer"), S ("token"), END
};

/* The JS SDK sends lower-case `metadata` here; the server constant is
 * `metaData`. Both are strings. */
static const AmsFieldSpec join_room_fields[] = {
  RS ("room"), S ("streamId"), S ("mode"), S ("mainTrack"), S ("streamName"),
  S ("role"), S ("metadata"), S ("metaData"), S ("token"), END
};

static const AmsFieldSpec leave_from_room_fields[] = {
  RS ("room"), S ("streamId"), S ("mainTrack"), END
};

static const AmsFieldSpec get_room_info_fields[] = {
  RS ("room"), S ("streamId"), END
};

/* streamHeight: 0 means automatic; the TS SDK sends the string "auto". */
static const AmsFieldSpec force_stream_quality_fields[] = {
  RS ("streamId"), RIS ("streamHeight"), S ("trackId"), END
};

static const AmsFieldSpec toggle_fields[] = {
  RS ("streamId"), RS ("trackId"), RB ("enabled"), END
};

static const AmsFieldSpec get_track_list_fields[] = {
  RS ("streamId"), S ("token"), END
};

static const AmsFieldSpec update_stream_meta_data_fields[] = {
  RS ("streamId"), RS ("metaData"), END
};

static const AmsFieldSpec get_subtracks_fields[] = {
  RS ("streamId"), S ("role"), I ("offset"), I ("size"),
  S ("sortBy"), S ("orderBy"), S ("search"), END
};

static const AmsFieldSpec get_subtracks_count_fields[] = {
  RS ("streamId"), S ("role"), S ("status"), END
};

static const AmsFieldSpec paged_fields[] = {
  RS ("streamId"), I ("offset"), I ("size"), END
};

static const AmsFieldSpec assign_video_track_fields[] = {
  RS ("streamId"), S ("videoTrackId"), B ("enabled"), END
};

static const AmsFieldSpec set_max_video_track_count_fields[] = {
  RS ("streamId"), I ("maxTrackCount"), END
};

static const AmsFieldSpec peer_message_fields[] = {
  RS ("streamId"), S ("definition"), ANY ("data"), END
};

/* Sent by the SDKs right after connecting, with no stream id. */
static const AmsFieldSpec get_ice_server_config_fields[] = {
  S ("streamId"), END
};

/* Push-notification commands: the server answers missingParameter itself,
 * so nothing is required at the wire level. */
static const AmsFieldSpec register_push_token_fields[] = {
  S ("subscriberId"), S ("token"), S ("pnsRegistrationToken"), S ("pnsType"),
  S ("streamId"), END
};

static const AmsFieldSpec send_push_fields[] = {
  S ("subscriberId"), S ("token"), O ("pushNotificationContent"),
  SA ("subscriberIdsToNotify"), S ("pushNotificationTopic"), S ("topic"),
  S ("streamId"), END
};

/* Cluster-internal commands: no client sends them; only the stream id is
 * known. */
static const AmsFieldSpec cluster_fields[] = { S ("streamId"), END };

static const AmsFieldSpec start_fields[] = {
  RS ("streamId"), S ("subscriberId"), S ("linkSession"), END
};

/* `definition` is absent in a successful push-notification result. */
static const AmsFieldSpec notification_fields[] = {
  S ("definition"), END
};

static const AmsFieldSpec error_fields[] = {
  RS ("definition"), END
};

static const AmsFieldSpec stream_information_fields[] = {
  RS ("streamId"), RA ("streamInfo"), END
};

static const AmsFieldSpec room_information_fields[] = {
  S ("room"), S ("ATTR_ROOM_NAME"), SA ("streams"), A ("streamList"), END
};

static const AmsFieldSpec track_list_fields[] = {
  RS ("streamId"), RSA ("trackList"), END
};

static const AmsFieldSpec ice_server_config_fields[] = {
  S ("stunServerUri"), S ("turnServerUsername"), S ("turnServerCredential"),
  A ("iceServers"), END
};

static const struct {
  const char         *name;
  const AmsFieldSpec *fields;
} commands[AMS_CMD_LAST] = {
  [AMS_CMD_UNKNOWN] = { NULL, no_fields },
  [AMS_CMD_PUBLISH] = { "publish", publish_fields },
  [AMS_CMD_PLAY] = { "play", play_fields },
  [AMS_CMD_STOP] = { "stop", stream_id_only },
  [AMS_CMD_TAKE_CONFIGURATION] = { "takeConfiguration", take_configuration_fields },
  [AMS_CMD_TAKE_CANDIDATE] = { "takeCandidate", take_candidate_fields },
  [AMS_CMD_PING] = { "ping", no_fields },
  [AMS_CMD_JOIN] = { "join", join_fields },
  [AMS_CMD_LEAVE] = { "leave", stream_id_only },
  [AMS_CMD_JOIN_ROOM] = { "joinRoom", join_room_fields },
  [AMS_CMD_LEAVE_FROM_ROOM] = { "leaveFromRoom", leave_from_room_fields },
  [AMS_CMD_GET_ROOM_INFO] = { "getRoomInfo", get_room_info_fields },
  [AMS_CMD_GET_STREAM_INFO] = { "getStreamInfo", stream_id_only },
  [AMS_CMD_FORCE_STREAM_QUALITY] = { "forceStreamQuality", force_stream_quality_fields },
  [AMS_CMD_TOGGLE_VIDEO] = { "toggleVideo", toggle_fields },
  [AMS_CMD_TOGGLE_AUDIO] = { "toggleAudio", toggle_fields },
  [AMS_CMD_ENABLE_TRACK] = { "enableTrack", toggle_fields },
  [AMS_CMD_GET_TRACK_LIST] = { "getTrackList", get_track_list_fields },
  [AMS_CMD_GET_BROADCAST_OBJECT] = { "getBroadcastObject", stream_id_only },
  [AMS_CMD_UPDATE_STREAM_META_DATA] = { "updateStreamMetaData", update_stream_meta_data_fields },
  [AMS_CMD_GET_SUBTRACKS] = { "getSubtracks", get_subtracks_fields },
  [AMS_CMD_GET_SUBTRACKS_COUNT] = { "getSubtracksCount", get_subtracks_count_fields },
  [AMS_CMD_GET_SUBSCRIBER_COUNT] = { "getSubscriberCount", stream_id_only },
  [AMS_CMD_GET_SUBSCRIBERS] = { "getSubscribers", paged_fields },
  [AMS_CMD_GET_VIDEO_TRACK_ASSIGNMENTS] = { "getVideoTrackAssignmentsCommand", stream_id_only },
  [AMS_CMD_ASSIGN_VIDEO_TRACK] = { "assignVideoTrackCommand", assign_video_track_fields },
  [AMS_CMD_UPDATE_VIDEO_TRACK_ASSIGNMENTS] = { "updateVideoTrackAssignmentsCommand", paged_fields },
  [AMS_CMD_SET_MAX_VIDEO_TRACK_COUNT] = { "setMaxVideoTrackCountCommand", set_max_video_track_count_fields },
  [AMS_CMD_GET_DEBUG_INFO] = { "getDebugInfo", stream_id_only },
  [AMS_CMD_PEER_MESSAGE_COMMAND] = { "peerMessageCommand", peer_message_fields },
  [AMS_CMD_GET_ICE_SERVER_CONFIG] = { "getIceServerConfig", get_ice_server_config_fields },
  [AMS_CMD_REGISTER_PUSH_NOTIFICATION_TOKEN] = { "registerPushNotificationToken", register_push_token_fields },
  [AMS_CMD_SEND_PUSH_NOTIFICATION] = { "sendPushNotification", send_push_fields },
  [AMS_CMD_START_NEW_P2P_CONNECTION] = { "startNewP2PConnection", stream_id_only },
  [AMS_CMD_REGISTER_ORIGIN_SERVER] = { "registerOriginServer", cluster_fields },
  [AMS_CMD_REGISTER_EDGE_SERVER] = { "registerEdgeServer", cluster_fields },
  [AMS_CMD_REGISTER_BROADCAST] = { "registerBroadcast", cluster_fields },
  [AMS_CMD_START] = { "start", start_fields },
  [AMS_CMD_NOTIFICATION] = { "notification", notification_fields },
  [AMS_CMD_ERROR] = { "error", error_fields },
  [AMS_CMD_PONG] = { "pong", no_fields },
  [AMS_CMD_STREAM_INFORMATION] = { "streamInformation", stream_information_fields },
  [AMS_CMD_ROOM_INFORMATION] = { "roomInformation", room_information_fields },
  [AMS_CMD_TRACK_LIST] = { "trackList", track_list_fields },
  [AMS_CMD_CONNECT_WITH_NEW_ID] = { "connectWithNewId", stream_id_only },
  [AMS_CMD_ICE_SERVER_CONFIG] = { "iceServerConfig", ice_server_config_fields },
};

/* ------------------------------------------------------- notifications */

static const AmsFieldSpec publish_started_fields[] = {
  RS ("streamId"), S ("subscriberId"), S ("ATTR_ROOM_NAME"), S ("room"), END
};

static const AmsFieldSpec subscriber_event_fields[] = {
  RS ("streamId"), S ("subscriberId"), END
};

/* The AMS 3.0.3 capture has no streamId in subtrackAdded. */
static const AmsFieldSpec subtrack_event_fields[] = {
  RS ("trackId"), RS ("mainTrack"), S ("streamId"), END
};

static const AmsFieldSpec bitrate_measurement_fields[] = {
  RS ("streamId"), I ("targetBitrate"), I ("videoBitrate"), I ("audioBitrate"), END
};

static const AmsFieldSpec resolution_change_info_fields[] = {
  RS ("streamId"), IS ("streamHeight"), END
};

/* Old servers send `leaved` with nothing; Android reads a streamId. */
static const AmsFieldSpec optional_stream_id[] = { S ("streamId"), END };

static const AmsFieldSpec joined_the_room_fields[] = {
  S ("streamId"), SA ("streams"), A ("streamList"), S ("ATTR_ROOM_NAME"),
  S ("room"), I ("maxTrackCount"), END
};

static const AmsFieldSpec leaved_from_room_fields[] = {
  S ("ATTR_ROOM_NAME"), S ("room"), S ("streamId"), END
};

/* `broadcast` is a serialised Broadcast: a JSON string, not an object. */
static const AmsFieldSpec broadcast_object_fields[] = {
  RS ("streamId"), RS ("broadcast"), END
};

static const AmsFieldSpec subtrack_list_fields[] = {
  RS ("streamId"), SA ("subtrackList"), END
};

static const AmsFieldSpec count_fields[] = {
  RS ("streamId"), I ("count"), END
};

static const AmsFieldSpec subscriber_list_fields[] = {
  RS ("streamId"), SA ("subscriberList"), END
};

static const AmsFieldSpec debug_info_fields[] = {
  S ("streamId"), S ("debugInfo"), END
};

/* Shape not confirmed by any source: keep whatever comes. */
static const AmsFieldSpec video_track_assignment_list_fields[] = {
  S ("streamId"), ANY ("payload"), END
};

static const struct {
  const char         *name;
  const AmsFieldSpec *fields;
} notifications[AMS_NOTIFY_LAST] = {
  [AMS_NOTIFY_UNKNOWN] = { NULL, no_fields },
  [AMS_NOTIFY_PUBLISH_STARTED] = { "publish_started", publish_started_fields },
  [AMS_NOTIFY_PUBLISH_FINISHED] = { "publish_finished", subscriber_event_fields },
  [AMS_NOTIFY_PLAY_STARTED] = { "play_started", subscriber_event_fields },
  [AMS_NOTIFY_PLAY_FINISHED] = { "play_finished", subscriber_event_fields },
  [AMS_NOTIFY_SESSION_RESTORED] = { "session_restored", stream_id_only },
  [AMS_NOTIFY_STREAMING_STARTED] = { "streaming_started", stream_id_only },
  [AMS_NOTIFY_STREAMING_STARTS_SOON] = { "streaming_starts_soon", stream_id_only },
  [AMS_NOTIFY_SUBTRACK_ADDED] = { "subtrackAdded", subtrack_event_fields },
  [AMS_NOTIFY_SUBTRACK_REMOVED] = { "subtrackRemoved", subtrack_event_fields },
  [AMS_NOTIFY_BITRATE_MEASUREMENT] = { "bitrateMeasurement", bitrate_measurement_fields },
  [AMS_NOTIFY_RESOLUTION_CHANGE_INFO] = { "resolutionChangeInfo", resolution_change_info_fields },
  [AMS_NOTIFY_JOINED] = { "joined", stream_id_only },
  [AMS_NOTIFY_LEAVED] = { "leaved", optional_stream_id },
  [AMS_NOTIFY_JOINED_THE_ROOM] = { "joinedTheRoom", joined_the_room_fields },
  [AMS_NOTIFY_LEAVED_FROM_ROOM] = { "leavedFromRoom", leaved_from_room_fields },
  [AMS_NOTIFY_STREAM_JOINED] = { "streamJoined", stream_id_only },
  [AMS_NOTIFY_STREAM_LEAVED] = { "streamLeaved", stream_id_only },
  [AMS_NOTIFY_SERVER_WILL_STOP] = { "server_will_stop", no_fields },
  [AMS_NOTIFY_BROADCAST_OBJECT] = { "broadcastObject", broadcast_object_fields },
  [AMS_NOTIFY_SUBTRACK_LIST] = { "subtrackList", subtrack_list_fields },
  [AMS_NOTIFY_SUBTRACK_COUNT] = { "subtrackCount", count_fields },
  [AMS_NOTIFY_SUBSCRIBER_COUNT] = { "subscriberCount", count_fields },
  [AMS_NOTIFY_SUBSCRIBER_LIST] = { "subscriberList", subscriber_list_fields },
  [AMS_NOTIFY_DEBUG_INFO] = { "debugInfo", debug_info_fields },
  [AMS_NOTIFY_VIDEO_TRACK_ASSIGNMENT_LIST] = { "videoTrackAssignmentList", video_track_assignment_list_fields },
};

/* -------------------------------------------------------------- errors */

/* Since AMS 2.4.3 most errors carry the stream id; older servers omit it,
 * so it is never required. */
static const AmsFieldSpec error_stream_id[] = { S ("streamId"), END };

static const AmsFieldSpec error_no_stream_exist[] = {
  S ("streamId"), IS ("error_code"), S ("information"), END
};

static const AmsFieldSpec error_description[] = {
  S ("streamId"), S ("subscriberId"), END
};

static const AmsFieldSpec error_room[] = {
  S ("room"), S ("streamId"), END
};

/* Push-notification failures travel as a notification with success false. */
static const AmsFieldSpec error_push[] = {
  B ("success"), S ("information"), S ("streamId"), END
};

const char *
ams_command_to_string (AmsCommand cmd)
{
  if ((guint) cmd >= AMS_CMD_LAST)
    return NULL;
  return commands[cmd].name;
}

/* Every message is looked up here (twice for a reply): a hash lookup
 * instead of a walk of the whole table.  Built once, kept for the
 * process's life. */
static GHashTable *
command_index (void)
{
  static gsize ready = 0;
  static GHashTable *index;
  if (g_once_init_enter (&ready))
    {
      GHashTable *t = g_hash_table_new (g_str_hash, g_str_equal);
      /* Backwards, so that the first entry of a name wins, as in a walk. */
      for (guint i = AMS_CMD_LAST - 1; i >= 1; i--)
        g_hash_table_insert (t, (gpointer) commands[i].name, GUINT_TO_POINTER (i));
      index = t;
      g_once_init_leave (&ready, 1);
    }
  return index;
}

AmsCommand
ams_command_from_string (const char *name)
{
  if (name == NULL)
    return AMS_CMD_UNKNOWN;
  return (AmsCommand) GPOINTER_TO_UINT (g_hash_table_lookup (command_index (), name));
}

const char *
ams_notification_to_string (AmsNotification def)
{
  if ((guint) def >= AMS_NOTIFY_LAST)
    return NULL;
  return notifications[def].name;
}

AmsNotification
ams_notification_from_string (const char *name)
{
  if (name == NULL)
    return AMS_NOTIFY_UNKNOWN;
  for (guint i = 1; i < AMS_NOTIFY_LAST; i++)
    if (strcmp (notifications[i].name, name) == 0)
      return (AmsNotification) i;
  return AMS_NOTIFY_UNKNOWN;
}

const AmsFieldSpec *
ams_schema_command_fields (AmsCommand cmd)
{
  if ((guint) cmd >= AMS_CMD_LAST)
    return no_fields;
  return commands[cmd].fields;
}

const AmsFieldSpec *
ams_schema_notification_fields (AmsNotification def)
{
  if ((guint) def >= AMS_NOTIFY_LAST)
    return no_fields;
  return notifications[def].fields;
}

const AmsFieldSpec *
ams_schema_error_fields (AmsError code)
{
  switch (code)
    {
    case AMS_ERROR_NO_STREAM_EXIST:
      return error_no_stream_exist;
    case AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION:
    case AMS_ERROR_NOT_SET_LOCAL_DESCRIPTION:
      return error_description;
    case AMS_ERROR_NO_ACTIVE_STREAMS_IN_ROOM:
    case AMS_ERROR_ROOM_NOT_ACTIVE_OR_EXPIRED:
    case AMS_ERROR_NO_ROOM_SPECIFIED:
      return error_room;
    case AMS_ERROR_AUTHENTICATION_TOKEN_NOT_VALID:
    case AMS_ERROR_MISSING_PARAMETER:
      return error_push;
    default:
      return error_stream_id;
    }
}

const AmsFieldSpec *
ams_schema_find_field (const AmsFieldSpec *fields, const char *name)
{
  for (; fields != NULL && fields->name != NULL; fields++)
    if (strcmp (fields->name, name) == 0)
      return fields;
  return NULL;
}
