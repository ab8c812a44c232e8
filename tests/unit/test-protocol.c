/* test-protocol.c: the AMS message codec against golden JSON.
 *
 * Every file under tests/unit/golden/ is a wire message. Each one listed in
 * the tables below is decoded, and every one of its fields is checked with
 * the typed getters (the message must hold no key the table does not
 * name), then re-encoded and compared with the file as JSON values, then
 * decoded again and compared with the first decode. Malformed inputs must
 * fail with the listed error code. Completeness tests fail when a command,
 * notification or error name has no golden file, or a golden file has no
 * table entry. */
#include "protocol/ams-message.h"

#include <string.h>

/* ------------------------------------------------------------ locating */

static char *golden_dir;

static char *
find_golden_dir (void)
{
  const char *top = g_getenv ("AMS_TOP");
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *here = g_path_get_dirname (__FILE__);
  char *dir;

  if (top != NULL)
    {
      dir = g_build_filename (top, "tests", "unit", "golden", NULL);
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return dir;
      g_free (dir);
    }
  if (srcdir != NULL)
    {
      dir = g_build_filename (srcdir, "golden", NULL);
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return dir;
      g_free (dir);
    }
  /* __FILE__ is relative to the repository top when make builds us. */
  return g_build_filename (here, "golden", NULL);
}

static GBytes *
read_golden (const char *name)
{
  g_autofree char *path = g_build_filename (golden_dir, name, NULL);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      g_test_message ("cannot read %s: %s", path, error->message);
      return NULL;
    }
  return g_bytes_new_take (data, len);
}

/* ---------------------------------------------------------- golden cases */

typedef struct {
  const char *file;
  AmsCommand  command;
  const char *definition;   /* expected `definition`, NULL when absent */
  /* One entry per other key:
   *   "k=text"   string           "k:null"  JSON null
   *   "k#123"    JSON integer     "k?true"  boolean
   *   "k[]a,b"   array of strings ("k[]" empty)
   *   "k@json"   any JSON value, compared as a value */
  const char *fields[16];
} GoldenCase;

#define SDP_OFFER "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" \
  "a=group:BUNDLE 0 1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" \
  "a=sendonly\r\na=rtpmap:96 H264/90000\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" \
  "c=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n"
#define SDP_JS "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n" \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n" \
  "a=rtpmap:111 opus/48000/2\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n" \
  "a=mid:1\r\na=sendonly\r\na=rtpmap:96 H264/90000\r\n" \
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n" \
  "a=sctp-port:5000\r\n"
#define CAND "candidate:1 1 UDP 2122252543 127.0.0.1 50000 typ host"

static const GoldenCase golden_cases[] = {
  /* ---- every command, client to server */
  { "commands/publish.json", AMS_CMD_PUBLISH, NULL,
    { "streamId=stream1", "token=tok-1", "subscriberId=sub1", "subscriberCode=123456",
      "streamName=Camera", "mainTrack=room1", "video?true", "audio?false",
      "metaData={\"mic\":true}", "role=host" } },
  { "commands/play.json", AMS_CMD_PLAY, NULL,
    { "streamId=room1", "token=", "room=room1", "trackList[]s2,!s3", "subscriberId=",
      "subscriberName=Bob", "subscriberCode=", "viewerInfo=seat 4", "role=",
      "userPublishId=s1", "disableTracksByDefault?false" } },
  { "commands/stop.json", AMS_CMD_STOP, NULL, { "streamId=stream1" } },
  { "commands/takeConfiguration.json", AMS_CMD_TAKE_CONFIGURATION, NULL,
    { "streamId=stream1", "type=answer", "sdp=" SDP_OFFER, "linkSession:null",
      "subscriberId=", "idMapping@{\"0\":\"ARDAMSvstream2\",\"1\":\"ARDAMSastream2\"}" } },
  { "commands/takeCandidate.json", AMS_CMD_TAKE_CANDIDATE, NULL,
    { "streamId=stream1", "label#1", "id=1", "candidate=" CAND, "linkSession=",
      "subscriberId=sub1" } },
  { "commands/ping.json", AMS_CMD_PING, NULL, { NULL } },
  { "commands/join.json", AMS_CMD_JOIN, NULL,
    { "streamId=p2p1", "mode=both", "multiPeer?false", "token=" } },
  { "commands/leave.json", AMS_CMD_LEAVE, NULL, { "streamId=p2p1" } },
  { "commands/joinRoom.json", AMS_CMD_JOIN_ROOM, NULL,
    { "room=room1", "streamId=s1", "mode=multitrack", "mainTrack=room1",
      "streamName=Alice", "role=", "metadata={}" } },
  { "commands/leaveFromRoom.json", AMS_CMD_LEAVE_FROM_ROOM, NULL,
    { "room=room1", "streamId=s1", "mainTrack=room1" } },
  { "commands/getRoomInfo.json", AMS_CMD_GET_ROOM_INFO, NULL,
    { "room=room1", "streamId=s1" } },
  { "commands/getStreamInfo.json", AMS_CMD_GET_STREAM_INFO, NULL, { "streamId=stream1" } },
  { "commands/forceStreamQuality.json", AMS_CMD_FORCE_STREAM_QUALITY, NULL,
    { "streamId=stream1", "streamHeight#360", "trackId=s2" } },
  { "commands/toggleVideo.json", AMS_CMD_TOGGLE_VIDEO, NULL,
    { "streamId=stream1", "trackId=stream1", "enabled?false" } },
  { "commands/toggleAudio.json", AMS_CMD_TOGGLE_AUDIO, NULL,
    { "streamId=stream1", "trackId=stream1", "enabled?true" } },
  { "commands/enableTrack.json", AMS_CMD_ENABLE_TRACK, NULL,
    { "streamId=room1", "trackId=s2", "enabled?true" } },
  { "commands/getTrackList.json", AMS_CMD_GET_TRACK_LIST, NULL,
    { "streamId=room1", "token=tok-2" } },
  { "commands/getBroadcastObject.json", AMS_CMD_GET_BROADCAST_OBJECT, NULL, { "streamId=room1" } },
  { "commands/updateStreamMetaData.json", AMS_CMD_UPDATE_STREAM_META_DATA, NULL,
    { "streamId=s1", "metaData={\"isMicMuted\":true}" } },
  { "commands/getSubtracks.json", AMS_CMD_GET_SUBTRACKS, NULL,
    { "streamId=room1", "role=speaker", "offset#0", "size#50" } },
  { "commands/getSubtracksCount.json", AMS_CMD_GET_SUBTRACKS_COUNT, NULL,
    { "streamId=room1", "role=", "status=broadcasting" } },
  { "commands/getSubscriberCount.json", AMS_CMD_GET_SUBSCRIBER_COUNT, NULL, { "streamId=stream1" } },
  { "commands/getSubscribers.json", AMS_CMD_GET_SUBSCRIBERS, NULL,
    { "streamId=stream1", "offset#10", "size#20" } },
  { "commands/getVideoTrackAssignmentsCommand.json", AMS_CMD_GET_VIDEO_TRACK_ASSIGNMENTS, NULL,
    { "streamId=room1" } },
  { "commands/assignVideoTrackCommand.json", AMS_CMD_ASSIGN_VIDEO_TRACK, NULL,
    { "streamId=s2", "videoTrackId=videoTrack0", "enabled?true" } },
  { "commands/updateVideoTrackAssignmentsCommand.json", AMS_CMD_UPDATE_VIDEO_TRACK_ASSIGNMENTS, NULL,
    { "streamId=room1", "offset#4", "size#4" } },
  { "commands/setMaxVideoTrackCountCommand.json", AMS_CMD_SET_MAX_VIDEO_TRACK_COUNT, NULL,
    { "streamId=s1", "maxTrackCount#6" } },
  { "commands/getDebugInfo.json", AMS_CMD_GET_DEBUG_INFO, NULL, { "streamId=stream1" } },
  { "commands/peerMessageCommand.json", AMS_CMD_PEER_MESSAGE_COMMAND, "chat",
    { "streamId=p2p1", "data@{\"text\":\"hi\",\"n\":2}" } },
  { "commands/getIceServerConfig.json", AMS_CMD_GET_ICE_SERVER_CONFIG, NULL, { NULL } },
  { "commands/registerPushNotificationToken.json", AMS_CMD_REGISTER_PUSH_NOTIFICATION_TOKEN, NULL,
    { "subscriberId=sub1", "token=eyJhbGciOiJIUzI1NiJ9.e30.sig",
      "pnsRegistrationToken=fcm-token-1", "pnsType=fcm" } },
  { "commands/sendPushNotification.json", AMS_CMD_SEND_PUSH_NOTIFICATION, NULL,
    { "subscriberId=sub1", "token=eyJhbGciOiJIUzI1NiJ9.e30.sig",
      "pushNotificationContent@{\"title\":\"Call\",\"body\":\"Alice calls\"}",
      "subscriberIdsToNotify[]sub2,sub3" } },
  { "commands/startNewP2PConnection.json", AMS_CMD_START_NEW_P2P_CONNECTION, NULL,
    { "streamId=p2p1-2" } },
  { "commands/registerOriginServer.json", AMS_CMD_REGISTER_ORIGIN_SERVER, NULL, { "streamId=stream1" } },
  { "commands/registerEdgeServer.json", AMS_CMD_REGISTER_EDGE_SERVER, NULL, { "streamId=stream1" } },
  { "commands/registerBroadcast.json", AMS_CMD_REGISTER_BROADCAST, NULL, { "streamId=stream1" } },
  /* ---- every command, server to client */
  { "commands/start.json", AMS_CMD_START, NULL, { "streamId=stream1", "subscriberId:null" } },
  { "commands/notification.json", AMS_CMD_NOTIFICATION, NULL,
    { "success?true", "information=sent" } },
  { "commands/error.json", AMS_CMD_ERROR, "some_future_error", { "streamId=stream1" } },
  { "commands/pong.json", AMS_CMD_PONG, NULL, { NULL } },
  { "commands/streamInformation.json", AMS_CMD_STREAM_INFORMATION, NULL,
    { "streamId=stream1",
      "streamInfo@[{\"streamWidth\":1280,\"streamHeight\":720,\"videoBitrate\":2000000,"
      "\"audioBitrate\":64000,\"videoCodec\":\"h264\"},{\"streamWidth\":640,\"streamHeight\":360,"
      "\"videoBitrate\":800000,\"audioBitrate\":64000,\"videoCodec\":\"h264\"}]" } },
  { "commands/roomInformation.json", AMS_CMD_ROOM_INFORMATION, NULL,
    { "room=room1", "ATTR_ROOM_NAME=room1", "streams[]s2,s3",
      "streamList@[{\"streamId\":\"s2\",\"streamName\":\"Bob\",\"metaData\":null},"
      "{\"streamId\":\"s3\",\"streamName\":\"Carol\",\"metaData\":\"{}\"}]" } },
  { "commands/trackList.json", AMS_CMD_TRACK_LIST, NULL, { "streamId=room1", "trackList[]s1,s2" } },
  { "commands/connectWithNewId.json", AMS_CMD_CONNECT_WITH_NEW_ID, NULL, { "streamId=p2p1-2" } },
  { "commands/iceServerConfig.json", AMS_CMD_ICE_SERVER_CONFIG, NULL,
    { "stunServerUri=stun:127.0.0.1:3478", "turnServerUsername=", "turnServerCredential=" } },

  /* ---- every notification definition */
  { "notifications/publish_started.json", AMS_CMD_NOTIFICATION, "publish_started",
    { "streamId=s1", "subscriberId=", "ATTR_ROOM_NAME=room1", "room=room1" } },
  { "notifications/publish_finished.json", AMS_CMD_NOTIFICATION, "publish_finished",
    { "streamId=stream1", "subscriberId:null" } },
  { "notifications/play_started.json", AMS_CMD_NOTIFICATION, "play_started",
    { "streamId=stream1", "subscriberId=sub2" } },
  { "notifications/play_finished.json", AMS_CMD_NOTIFICATION, "play_finished",
    { "streamId=stream1", "subscriberId=" } },
  { "notifications/session_restored.json", AMS_CMD_NOTIFICATION, "session_restored", { "streamId=stream1" } },
  { "notifications/streaming_started.json", AMS_CMD_NOTIFICATION, "streaming_started", { "streamId=stream1" } },
  { "notifications/streaming_starts_soon.json", AMS_CMD_NOTIFICATION, "streaming_starts_soon",
    { "streamId=stream1" } },
  { "notifications/subtrackAdded.json", AMS_CMD_NOTIFICATION, "subtrackAdded",
    { "trackId=s2", "mainTrack=room1" } },
  { "notifications/subtrackRemoved.json", AMS_CMD_NOTIFICATION, "subtrackRemoved",
    { "trackId=s2", "mainTrack=room1" } },
  { "notifications/bitrateMeasurement.json", AMS_CMD_NOTIFICATION, "bitrateMeasurement",
    { "streamId=stream1", "targetBitrate#2500000", "videoBitrate#1900000", "audioBitrate#64000" } },
  { "notifications/resolutionChangeInfo.json", AMS_CMD_NOTIFICATION, "resolutionChangeInfo",
    { "streamId=stream1", "streamHeight#480" } },
  { "notifications/joined.json", AMS_CMD_NOTIFICATION, "joined", { "streamId=p2p1" } },
  { "notifications/leaved.json", AMS_CMD_NOTIFICATION, "leaved", { NULL } },
  { "notifications/joinedTheRoom.json", AMS_CMD_NOTIFICATION, "joinedTheRoom",
    { "streamId=s1", "streams[]s2",
      "streamList@[{\"streamId\":\"s2\",\"streamName\":\"Bob\",\"metaData\":\"\"}]",
      "ATTR_ROOM_NAME=room1", "room=room1", "maxTrackCount#-1" } },
  { "notifications/leavedFromRoom.json", AMS_CMD_NOTIFICATION, "leavedFromRoom",
    { "ATTR_ROOM_NAME=room1" } },
  { "notifications/streamJoined.json", AMS_CMD_NOTIFICATION, "streamJoined", { "streamId=s2" } },
  { "notifications/streamLeaved.json", AMS_CMD_NOTIFICATION, "streamLeaved", { "streamId=s2" } },
  { "notifications/server_will_stop.json", AMS_CMD_NOTIFICATION, "server_will_stop", { NULL } },
  { "notifications/broadcastObject.json", AMS_CMD_NOTIFICATION, "broadcastObject",
    { "streamId=room1",
      "broadcast={\"streamId\":\"room1\",\"name\":\"room1\",\"status\":\"broadcasting\","
      "\"subTrackStreamIds\":[\"s1\",\"s2\"],\"metaData\":null}" } },
  { "notifications/subtrackList.json", AMS_CMD_NOTIFICATION, "subtrackList",
    { "streamId=room1",
      "subtrackList@[\"{\\\"streamId\\\":\\\"s1\\\",\\\"role\\\":\\\"speaker\\\"}\","
      "\"{\\\"streamId\\\":\\\"s2\\\",\\\"role\\\":\\\"\\\"}\"]" } },
  { "notifications/subtrackCount.json", AMS_CMD_NOTIFICATION, "subtrackCount",
    { "streamId=room1", "count#2" } },
  { "notifications/subscriberCount.json", AMS_CMD_NOTIFICATION, "subscriberCount",
    { "streamId=stream1", "count#0" } },
  { "notifications/subscriberList.json", AMS_CMD_NOTIFICATION, "subscriberList",
    { "streamId=stream1",
      "subscriberList@[\"{\\\"subscriberId\\\":\\\"sub2\\\",\\\"type\\\":\\\"play\\\"}\"]" } },
  { "notifications/debugInfo.json", AMS_CMD_NOTIFICATION, "debugInfo",
    { "streamId=stream1", "debugInfo=cpu=12%" } },
  { "notifications/videoTrackAssignmentList.json", AMS_CMD_NOTIFICATION, "videoTrackAssignmentList",
    { "streamId=room1", "payload@[{\"videoLabel\":\"videoTrack0\",\"trackId\":\"s2\"}]" } },

  /* ---- every error definition */
  { "errors/noStreamNameSpecified.json", AMS_CMD_ERROR, "noStreamNameSpecified", { NULL } },
  { "errors/invalidStreamName.json", AMS_CMD_ERROR, "invalidStreamName", { "streamId=bad/id" } },
  { "errors/streamIdInUse.json", AMS_CMD_ERROR, "streamIdInUse", { "streamId=stream1" } },
  { "errors/no_stream_exist.json", AMS_CMD_ERROR, "no_stream_exist",
    { "error_code=404", "streamId=stream1" } },
  { "errors/server_error_check_logs.json", AMS_CMD_ERROR, "server_error_check_logs", { "streamId=stream1" } },
  { "errors/notSetRemoteDescription.json", AMS_CMD_ERROR, "notSetRemoteDescription",
    { "streamId=stream1", "subscriberId=sub1" } },
  { "errors/notSetLocalDescription.json", AMS_CMD_ERROR, "notSetLocalDescription",
    { "streamId=stream1", "subscriberId:null" } },
  { "errors/no_active_streams_in_room.json", AMS_CMD_ERROR, "no_active_streams_in_room", { "room=room1" } },
  { "errors/not_initialized_yet.json", AMS_CMD_ERROR, "not_initialized_yet", { NULL } },
  { "errors/not_allowed_unregistered_streams.json", AMS_CMD_ERROR, "not_allowed_unregistered_streams",
    { "streamId=stream1" } },
  { "errors/no_room_specified.json", AMS_CMD_ERROR, "no_room_specified", { NULL } },
  { "errors/unauthorized_access.json", AMS_CMD_ERROR, "unauthorized_access", { "streamId=stream1" } },
  { "errors/user_blocked.json", AMS_CMD_ERROR, "user_blocked", { "streamId=stream1" } },
  { "errors/no_encoder_settings.json", AMS_CMD_ERROR, "no_encoder_settings", { NULL } },
  { "errors/no_peer_associated_before.json", AMS_CMD_ERROR, "no_peer_associated_before", { NULL } },
  { "errors/NoSpaceForNewPeer.json", AMS_CMD_ERROR, "NoSpaceForNewPeer", { NULL } },
  { "errors/highResourceUsage.json", AMS_CMD_ERROR, "highResourceUsage", { NULL } },
  { "errors/viewerLimitReached.json", AMS_CMD_ERROR, "viewerLimitReached", { NULL } },
  { "errors/publishTimeoutError.json", AMS_CMD_ERROR, "publishTimeoutError", { "streamId=stream1" } },
  { "errors/already_playing.json", AMS_CMD_ERROR, "already_playing", { "streamId=stream1" } },
  { "errors/already_publishing.json", AMS_CMD_ERROR, "already_publishing", { "streamId=stream1" } },
  { "errors/no_codec_enabled_in_the_server.json", AMS_CMD_ERROR, "no_codec_enabled_in_the_server",
    { "streamId=stream1" } },
  { "errors/encoderNotOpened.json", AMS_CMD_ERROR, "encoderNotOpened", { "streamId=stream1" } },
  { "errors/encoderBlocked.json", AMS_CMD_ERROR, "encoderBlocked", { "streamId=stream1" } },
  { "errors/stream_not_active_or_expired.json", AMS_CMD_ERROR, "stream_not_active_or_expired",
    { "streamId=stream1" } },
  { "errors/room_not_active_or_expired.json", AMS_CMD_ERROR, "room_not_active_or_expired", { "room=room1" } },
  { "errors/data_store_not_available.json", AMS_CMD_ERROR, "data_store_not_available", { NULL } },
  { "errors/license_suspended_please_renew_license.json", AMS_CMD_ERROR,
    "license_suspended_please_renew_license", { NULL } },
  { "errors/main_track_has_max_subtrack_count__not_allowed_to_add_more_subtracks.json", AMS_CMD_ERROR,
    "main_track_has_max_subtrack_count__not_allowed_to_add_more_subtracks", { "streamId=s9" } },
  { "errors/mainTrackDBOperationFailed.json", AMS_CMD_ERROR, "mainTrackDBOperationFailed", { "streamId=s9" } },
  { "errors/noPacketReceivedForTimeoutDuration.json", AMS_CMD_ERROR, "noPacketReceivedForTimeoutDuration",
    { "streamId=stream1" } },
  { "errors/stream_not_exist_or_not_streaming.json", AMS_CMD_ERROR, "stream_not_exist_or_not_streaming",
    { "streamId=stream1" } },
  { "errors/webrtc_not_enabled.json", AMS_CMD_ERROR, "webrtc_not_enabled", { "streamId=stream1" } },
  /* The push-notification failures travel as notifications (ams-protocol §2.2). */
  { "errors/authenticationTokenNotValid.json", AMS_CMD_NOTIFICATION, "authenticationTokenNotValid",
    { "success?false", "information=bad token" } },
  { "errors/missingParameter.json", AMS_CMD_NOTIFICATION, "missingParameter",
    { "success?false", "information=pnsRegistrationToken" } },

  /* ---- the JS SDK 2.16.2, byte for byte (official-sdks §6.3) */
  { "sdk/js-publish.json", AMS_CMD_PUBLISH, NULL,
    { "streamId=stream1", "token=", "subscriberId=", "subscriberCode=", "streamName=",
      "mainTrack=", "video?true", "audio?true", "metaData=", "role=" } },
  { "sdk/js-play.json", AMS_CMD_PLAY, NULL,
    { "streamId=stream1", "token=", "room=", "trackList[]", "subscriberId=",
      "subscriberCode=", "viewerInfo=", "role=", "userPublishId=" } },
  { "sdk/js-take-configuration-offer.json", AMS_CMD_TAKE_CONFIGURATION, NULL,
    { "streamId=stream1", "type=offer", "sdp=" SDP_JS } },
  { "sdk/js-take-candidate.json", AMS_CMD_TAKE_CANDIDATE, NULL,
    { "streamId=stream1", "label#0", "id=0", "candidate=" CAND } },
  { "sdk/js-get-ice-server-config.json", AMS_CMD_GET_ICE_SERVER_CONFIG, NULL, { NULL } },
  { "sdk/js-ping.json", AMS_CMD_PING, NULL, { NULL } },
  { "sdk/js-stop.json", AMS_CMD_STOP, NULL, { "streamId=stream1" } },
  { "sdk/js-join-room.json", AMS_CMD_JOIN_ROOM, NULL,
    { "room=room1", "streamId=s1", "mode=mcu", "streamName=", "role=", "metadata=" } },
  { "sdk/ts-force-stream-quality-auto.json", AMS_CMD_FORCE_STREAM_QUALITY, NULL,
    { "streamId=stream1", "streamHeight=auto" } },

  /* ---- AMS quirks */
  { "quirks/error-key-order.json", AMS_CMD_ERROR, "not_initialized_yet", { NULL } },
  { "quirks/subtrack-added-no-stream-id.json", AMS_CMD_NOTIFICATION, "subtrackAdded",
    { "trackId=stream1", "mainTrack=stream1" } },
  { "quirks/null-strings.json", AMS_CMD_TAKE_CONFIGURATION, NULL,
    { "streamId=stream1", "type=offer", "sdp=v=0\r\n", "linkSession:null", "subscriberId:null" } },
  { "quirks/null-optional-int.json", AMS_CMD_NOTIFICATION, "joinedTheRoom",
    { "streamId=s1", "streams:null", "streamList:null", "ATTR_ROOM_NAME=room1", "room:null",
      "maxTrackCount:null" } },
  { "quirks/leaved-from-room.json", AMS_CMD_NOTIFICATION, "leavedFromRoom", { "ATTR_ROOM_NAME=room1" } },
  { "quirks/no-space-for-new-peer.json", AMS_CMD_ERROR, "NoSpaceForNewPeer", { NULL } },
  { "quirks/error-with-stream-id.json", AMS_CMD_ERROR, "streamIdInUse", { "streamId=stream1" } },
  { "quirks/error-without-stream-id.json", AMS_CMD_ERROR, "streamIdInUse", { NULL } },
  { "quirks/error-code-404-string.json", AMS_CMD_ERROR, "no_stream_exist",
    { "streamId=missing1", "error_code=404", "information=Stream is not active" } },
  { "quirks/error-code-404-int.json", AMS_CMD_ERROR, "no_stream_exist",
    { "error_code#404", "streamId=missing1" } },
  { "quirks/broadcast-object-string.json", AMS_CMD_NOTIFICATION, "broadcastObject",
    { "broadcast={\"streamId\":\"s1\",\"status\":\"broadcasting\",\"mainTrackStreamId\":\"room1\","
      "\"metaData\":\"{\\\"mic\\\":false}\"}", "streamId=s1" } },
  { "quirks/stream-information-strings.json", AMS_CMD_STREAM_INFORMATION, NULL,
    { "streamId=stream1",
      "streamInfo@[{\"streamWidth\":\"640\",\"streamHeight\":\"360\",\"videoBitrate\":\"500000\","
      "\"audioBitrate\":\"32000\",\"videoCodec\":\"h264\"}]" } },
  { "quirks/extra-fields.json", AMS_CMD_PUBLISH, NULL,
    { "streamId=stream1", "futureField@{\"x\":1}", "anotherOne@[1,2.5,\"three\",null]", "video?true" } },
  { "quirks/unknown-command.json", AMS_CMD_UNKNOWN, NULL, { "streamId=s1", "rdcKey#7" } },
  { "quirks/unknown-notification.json", AMS_CMD_NOTIFICATION, "someNewEvent",
    { "streamId=s1", "level#3" } },
  { "quirks/push-failure.json", AMS_CMD_NOTIFICATION, "authenticationTokenNotValid",
    { "success?false", "information=token expired" } },
  { "quirks/pretty-printed.json", AMS_CMD_TAKE_CANDIDATE, NULL,
    { "streamId=stream1", "label#0", "candidate=" CAND, "id=0" } },
  { "quirks/unicode.json", AMS_CMD_PUBLISH, NULL,
    { "streamId=stream1", "streamName=Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
      "metaData=caf\xc3\xa9" } },
  { "quirks/invalid-stream-name-dot.json", AMS_CMD_ERROR, "invalidStreamName", { "streamId=bad id!" } },
  { "quirks/high-resource-usage-3.0.3.json", AMS_CMD_ERROR, "highResourceUsage", { NULL } },
};

typedef struct {
  const char *file;
  AmsError    code;
  const char *message_part;  /* must occur in the error message */
} MalformedCase;

static const MalformedCase malformed_cases[] = {
  { "malformed/empty.txt", AMS_ERROR_PROTOCOL, "empty" },
  { "malformed/not-json.txt", AMS_ERROR_PROTOCOL, "invalid JSON" },
  { "malformed/truncated.txt", AMS_ERROR_PROTOCOL, "ends early" },
  { "malformed/array.txt", AMS_ERROR_PROTOCOL, "not a JSON object" },
  { "malformed/string.txt", AMS_ERROR_PROTOCOL, "not a JSON object" },
  { "malformed/number.txt", AMS_ERROR_PROTOCOL, "not a JSON object" },
  { "malformed/no-command.txt", AMS_ERROR_PROTOCOL, "no 'command'" },
  { "malformed/command-number.txt", AMS_ERROR_PROTOCOL, "'command' must be a string" },
  { "malformed/command-null.txt", AMS_ERROR_PROTOCOL, "'command' must be a string" },
  { "malformed/command-object.txt", AMS_ERROR_PROTOCOL, "'command' must be a string" },
  { "malformed/label-string.txt", AMS_ERROR_PROTOCOL, "field 'label' must be an integer" },
  { "malformed/label-fraction.txt", AMS_ERROR_PROTOCOL, "field 'label' must be an integer" },
  { "malformed/label-too-big.txt", AMS_ERROR_PROTOCOL, "field 'label' must be an integer" },
  { "malformed/label-null.txt", AMS_ERROR_PROTOCOL, "field 'label' must be an integer" },
  { "malformed/candidate-missing.txt", AMS_ERROR_PROTOCOL, "required field 'candidate' is missing" },
  { "malformed/video-string.txt", AMS_ERROR_PROTOCOL, "field 'video' must be a boolean" },
  { "malformed/enabled-missing.txt", AMS_ERROR_PROTOCOL, "required field 'enabled' is missing" },
  { "malformed/stream-id-number.txt", AMS_ERROR_PROTOCOL, "field 'streamId' must be a string" },
  { "malformed/stream-id-missing.txt", AMS_ERROR_PROTOCOL, "required field 'streamId' is missing" },
  { "malformed/stream-id-nul.txt", AMS_ERROR_PROTOCOL, "NUL character" },
  { "malformed/track-list-not-strings.txt", AMS_ERROR_PROTOCOL, "not a string" },
  { "malformed/id-mapping-array.txt", AMS_ERROR_PROTOCOL, "field 'idMapping' must be an object" },
  { "malformed/sdp-missing.txt", AMS_ERROR_PROTOCOL, "required field 'sdp' is missing" },
  { "malformed/definition-number.txt", AMS_ERROR_PROTOCOL, "field 'definition' must be a string" },
  { "malformed/error-no-definition.txt", AMS_ERROR_PROTOCOL, "required field 'definition' is missing" },
  { "malformed/subtrack-added-no-track.txt", AMS_ERROR_PROTOCOL, "required field 'trackId' is missing" },
  { "malformed/count-string.txt", AMS_ERROR_PROTOCOL, "field 'count' must be an integer" },
  { "malformed/error-code-bool.txt", AMS_ERROR_PROTOCOL, "field 'error_code' must be an integer or a string" },
  { "malformed/trailing-garbage.txt", AMS_ERROR_PROTOCOL, "invalid JSON" },
  { "malformed/trailing-comma.txt", AMS_ERROR_PROTOCOL, "invalid JSON" },
  { "malformed/nan.txt", AMS_ERROR_PROTOCOL, "not finite" },
  { "malformed/infinite.txt", AMS_ERROR_PROTOCOL, "not finite" },
  { "malformed/deep.txt", AMS_ERROR_PROTOCOL, "nested deeper" },
  { "malformed/invalid-utf8.txt", AMS_ERROR_PROTOCOL, "invalid JSON" },
  { "malformed/nul-byte.txt", AMS_ERROR_PROTOCOL, "NUL byte" },
  { "malformed/single-quotes.txt", AMS_ERROR_PROTOCOL, "invalid JSON" },
};

/* ------------------------------------------------------ field checking */

static json_object *
parse_loose (const char *text)
{
  json_object *obj = json_tokener_parse (text);
  g_assert_nonnull (obj);
  return obj;
}

static void
check_field (const AmsMessage *msg, const char *expect)
{
  gsize keylen = strcspn (expect, "=:#?[@");
  g_autofree char *key = g_strndup (expect, keylen);
  const char *op = expect + keylen;
  const char *value = op + 1;
  json_object *raw = ams_message_get_json (msg, key);

  g_assert_true (ams_message_has (msg, key));
  switch (*op)
    {
    case '=':
      g_assert_true (json_object_is_type (raw, json_type_string));
      g_assert_cmpstr (ams_message_get_string (msg, key), ==, value);
      break;
    case ':':
      g_assert_cmpstr (value, ==, "null");
      g_assert_null (raw);
      g_assert_null (ams_message_get_string (msg, key));
      g_assert_false (ams_message_get_int (msg, key, NULL));
      break;
    case '#':
      {
        gint64 got = 0;
        g_assert_true (json_object_is_type (raw, json_type_int));
        g_assert_true (ams_message_get_int (msg, key, &got));
        g_assert_cmpint (got, ==, g_ascii_strtoll (value, NULL, 10));
        break;
      }
    case '?':
      {
        gboolean got = !strcmp (value, "true");
        gboolean b = !got;
        g_assert_true (ams_message_get_bool (msg, key, &b));
        g_assert_cmpint (b, ==, got);
        break;
      }
    case '[':
      {
        g_auto (GStrv) got = ams_message_dup_strv (msg, key);
        g_auto (GStrv) want = NULL;
        g_assert_true (value[0] == ']');
        want = value[1] ? g_strsplit (value + 1, ",", -1) : g_new0 (char *, 1);
        g_assert_nonnull (got);
        g_assert_cmpstrv (got, want);
        break;
      }
    case '@':
      {
        json_object *want = parse_loose (value);
        g_assert_true (json_object_equal (raw, want));
        json_object_put (want);
        break;
      }
    default:
      g_error ("bad expectation '%s'", expect);
    }
}

static void
check_case_fields (const AmsMessage *msg, const GoldenCase *c)
{
  guint expected_keys = 1;  /* command */

  g_assert_cmpint (ams_message_get_command (msg), ==, c->command);
  if (c->definition != NULL)
    {
      g_assert_cmpstr (ams_message_get_definition (msg), ==, c->definition);
      expected_keys++;
    }
  else
    g_assert_false (ams_message_has (msg, "definition"));

  for (guint i = 0; i < G_N_ELEMENTS (c->fields) && c->fields[i] != NULL; i++)
    {
      check_field (msg, c->fields[i]);
      expected_keys++;
    }
  /* Nothing more than the table names: every field was checked. */
  g_assert_cmpint (json_object_object_length (ams_message_get_object (msg)), ==, expected_keys);
}

static void
test_golden_case (gconstpointer data)
{
  const GoldenCase *c = data;
  g_autoptr (GBytes) bytes = read_golden (c->file);
  g_autoptr (GError) error = NULL;
  g_autoptr (AmsMessage) msg = NULL;
  g_autoptr (AmsMessage) again = NULL;
  g_autofree char *encoded = NULL;
  json_object *file_value, *encoded_value;
  gsize len = 0;

  g_assert_nonnull (bytes);
  msg = ams_message_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  check_case_fields (msg, c);

  /* Enumerated views agree with the definition string. */
  if (c->command == AMS_CMD_NOTIFICATION)
    g_assert_cmpint (ams_message_get_notification (msg), ==,
                     ams_notification_from_string (c->definition));
  else
    g_assert_cmpint (ams_message_get_notification (msg), ==, AMS_NOTIFY_UNKNOWN);
  if (c->command == AMS_CMD_ERROR)
    g_assert_cmpint (ams_message_get_error (msg), ==, ams_error_from_definition (c->definition));
  else
    g_assert_cmpint (ams_message_get_error (msg), ==, 0);

  /* Re-encoded: the same JSON value as the file. */
  encoded = ams_message_encode (msg, &len);
  g_assert_cmpuint (len, ==, strlen (encoded));
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    file_value = parse_loose (text);
  }
  encoded_value = parse_loose (encoded);
  if (!json_object_equal (file_value, encoded_value))
    g_error ("%s re-encoded as %s", c->file, encoded);
  json_object_put (file_value);
  json_object_put (encoded_value);
  g_assert_null (strchr (encoded, '\n'));

  /* decode(encode(x)) == x */
  again = ams_message_decode (encoded, len, 0, &error);
  g_assert_no_error (error);
  g_assert_true (ams_message_equal (msg, again));
  check_case_fields (again, c);
}

static void
test_malformed_case (gconstpointer data)
{
  const MalformedCase *c = data;
  g_autoptr (GBytes) bytes = read_golden (c->file);
  g_autoptr (GError) error = NULL;
  AmsMessage *msg;

  g_assert_nonnull (bytes);
  msg = ams_message_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0, &error);
  g_assert_null (msg);
  g_assert_error (error, AMS_ERROR, (gint) c->code);
  if (strstr (error->message, c->message_part) == NULL)
    g_error ("%s: error '%s' does not mention '%s'", c->file, error->message, c->message_part);
}

/* -------------------------------------------------------- completeness */

static const GoldenCase *
find_case (const char *file)
{
  for (guint i = 0; i < G_N_ELEMENTS (golden_cases); i++)
    if (strcmp (golden_cases[i].file, file) == 0)
      return &golden_cases[i];
  return NULL;
}

static gboolean
golden_exists (const char *file)
{
  g_autofree char *path = g_build_filename (golden_dir, file, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static void
test_every_command_has_golden (void)
{
  for (AmsCommand cmd = AMS_CMD_UNKNOWN + 1; cmd < AMS_CMD_LAST; cmd++)
    {
      const char *name = ams_command_to_string (cmd);
      g_autofree char *file = NULL;
      const GoldenCase *c;

      g_assert_nonnull (name);
      file = g_strdup_printf ("commands/%s.json", name);
      c = find_case (file);
      if (!golden_exists (file) || c == NULL)
        g_error ("command %s has no golden case %s", name, file);
      g_assert_cmpint (c->command, ==, cmd);
    }
}

static void
test_every_notification_has_golden (void)
{
  for (AmsNotification def = AMS_NOTIFY_UNKNOWN + 1; def < AMS_NOTIFY_LAST; def++)
    {
      const char *name = ams_notification_to_string (def);
      g_autofree char *file = NULL;
      const GoldenCase *c;

      g_assert_nonnull (name);
      file = g_strdup_printf ("notifications/%s.json", name);
      c = find_case (file);
      if (!golden_exists (file) || c == NULL)
        g_error ("notification %s has no golden case %s", name, file);
      g_assert_cmpint (c->command, ==, AMS_CMD_NOTIFICATION);
      g_assert_cmpint (ams_notification_from_string (c->definition), ==, def);
    }
}

static void
test_every_error_has_golden (void)
{
  guint seen = 0;

  for (AmsError code = AMS_ERROR_NO_STREAM_NAME_SPECIFIED; code <= AMS_ERROR_MISSING_PARAMETER; code++)
    {
      const char *name = ams_error_to_definition (code);
      g_autofree char *file = NULL;
      const GoldenCase *c;

      if (name == NULL)
        g_error ("server error code %d has no wire name", code);
      file = g_strdup_printf ("errors/%s.json", name);
      c = find_case (file);
      if (!golden_exists (file) || c == NULL)
        g_error ("error %s has no golden case %s", name, file);
      g_assert_cmpint (ams_error_from_definition (c->definition), ==, code);
      seen++;
    }
  /* ams-protocol §5 lists 35 definitions. */
  g_assert_cmpuint (seen, ==, 35);
}

/* Every file on disk is exercised by a table entry. */
static void
test_every_golden_file_is_tested (void)
{
  static const char *const dirs[] = { "commands", "notifications", "errors", "sdk", "quirks", "malformed" };
  guint files = 0;

  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *path = g_build_filename (golden_dir, dirs[d], NULL);
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *entry;

      g_assert_nonnull (dir);
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file = g_strdup_printf ("%s/%s", dirs[d], entry);
          gboolean listed = find_case (file) != NULL;

          for (guint i = 0; !listed && i < G_N_ELEMENTS (malformed_cases); i++)
            listed = strcmp (malformed_cases[i].file, file) == 0;
          if (!listed)
            g_error ("golden file %s is in no table", file);
          files++;
        }
    }
  g_assert_cmpuint (files, ==, G_N_ELEMENTS (golden_cases) + G_N_ELEMENTS (malformed_cases));
}

/* ---------------------------------------------------------------- API */

static void
assert_encodes_as_golden (AmsMessage *msg, const char *file)
{
  g_autoptr (GBytes) bytes = read_golden (file);
  g_autofree char *text = NULL;
  g_autofree char *encoded = ams_message_encode (msg, NULL);
  json_object *want, *got;

  g_assert_nonnull (bytes);
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  want = parse_loose (text);
  got = parse_loose (encoded);
  if (!json_object_equal (want, got))
    g_error ("built %s, golden %s is %s", encoded, file, text);
  json_object_put (want);
  json_object_put (got);
}

/* The client builds the JS SDK's exact messages with the setters. */
static void
test_build_js_sdk_messages (void)
{
  g_autoptr (AmsMessage) publish = ams_message_new (AMS_CMD_PUBLISH);
  g_autoptr (AmsMessage) play = ams_message_new (AMS_CMD_PLAY);
  g_autoptr (AmsMessage) cand = ams_message_new (AMS_CMD_TAKE_CANDIDATE);
  g_autoptr (AmsMessage) ping = ams_message_new (AMS_CMD_PING);
  static const char *const empty_strings[] = {
    "token", "subscriberId", "subscriberCode", "streamName", "mainTrack", "metaData", "role", NULL
  };
  static const char *const play_strings[] = {
    "token", "room", "subscriberId", "subscriberCode", "viewerInfo", "role", "userPublishId", NULL
  };

  ams_message_set_string (publish, "streamId", "stream1");
  for (guint i = 0; empty_strings[i]; i++)
    ams_message_set_string (publish, empty_strings[i], "");
  ams_message_set_bool (publish, "video", TRUE);
  ams_message_set_bool (publish, "audio", TRUE);
  assert_encodes_as_golden (publish, "sdk/js-publish.json");

  ams_message_set_string (play, "streamId", "stream1");
  for (guint i = 0; play_strings[i]; i++)
    ams_message_set_string (play, play_strings[i], "");
  ams_message_set_strv (play, "trackList", NULL);
  assert_encodes_as_golden (play, "sdk/js-play.json");

  ams_message_set_string (cand, "streamId", "stream1");
  ams_message_set_int (cand, "label", 0);
  ams_message_set_string (cand, "id", "0");
  ams_message_set_string (cand, "candidate", CAND);
  assert_encodes_as_golden (cand, "sdk/js-take-candidate.json");

  assert_encodes_as_golden (ping, "sdk/js-ping.json");
}

static void
test_build_notification_and_error (void)
{
  g_autoptr (AmsMessage) left = ams_message_new_notification (AMS_NOTIFY_LEAVED_FROM_ROOM);
  g_autoptr (AmsMessage) full = ams_message_new_error (AMS_ERROR_NO_SPACE_FOR_NEW_PEER);
  g_autoptr (AmsMessage) missing = ams_message_new_error (AMS_ERROR_NO_STREAM_EXIST);

  ams_message_set_string (left, "ATTR_ROOM_NAME", "room1");
  g_assert_cmpint (ams_message_get_notification (left), ==, AMS_NOTIFY_LEAVED_FROM_ROOM);
  assert_encodes_as_golden (left, "notifications/leavedFromRoom.json");

  g_assert_cmpint (ams_message_get_error (full), ==, AMS_ERROR_NO_SPACE_FOR_NEW_PEER);
  assert_encodes_as_golden (full, "quirks/no-space-for-new-peer.json");

  ams_message_set_string (missing, "error_code", "404");
  ams_message_set_string (missing, "streamId", "stream1");
  assert_encodes_as_golden (missing, "errors/no_stream_exist.json");
}

/* A value of the right type for a schema field. */
static json_object *
sample_value (const AmsFieldSpec *spec, guint seed)
{
  json_object *v;

  switch (spec->type)
    {
    case AMS_FIELD_STRING:
      return json_object_new_string (seed % 2 ? "a \"quoted\" \\ value/\xc3\xa9" : "");
    case AMS_FIELD_INT:
      return json_object_new_int64 (seed % 2 ? G_MININT64 : 7);
    case AMS_FIELD_INT_OR_STRING:
      return seed % 2 ? json_object_new_string ("404") : json_object_new_int64 (0);
    case AMS_FIELD_BOOL:
      return json_object_new_boolean (seed % 2);
    case AMS_FIELD_STRING_ARRAY:
      v = json_object_new_array ();
      json_object_array_add (v, json_object_new_string ("x"));
      json_object_array_add (v, json_object_new_string ("!y"));
      return v;
    case AMS_FIELD_ARRAY:
      v = json_object_new_array ();
      json_object_array_add (v, json_object_new_int (1));
      json_object_array_add (v, json_object_new_object ());
      return v;
    case AMS_FIELD_OBJECT:
    case AMS_FIELD_ANY:
      v = json_object_new_object ();
      json_object_object_add (v, "k", json_object_new_double (0.25));
      return v;
    }
  return NULL;
}

static void
fill_from_schema (AmsMessage *msg, const AmsFieldSpec *fields, guint seed)
{
  for (; fields->name != NULL; fields++)
    if (strcmp (fields->name, "definition") != 0)
      ams_message_set_json (msg, fields->name, sample_value (fields, seed));
}

static void
assert_round_trip (AmsMessage *msg)
{
  g_autoptr (GError) error = NULL;
  gsize len;
  g_autofree char *text = ams_message_encode (msg, &len);
  g_autoptr (AmsMessage) back = ams_message_decode (text, len, 0, &error);

  if (back == NULL)
    g_error ("%s does not decode: %s", text, error->message);
  if (!ams_message_equal (msg, back))
    g_error ("%s decodes to something else", text);
}

/* decode(encode(x)) == x for every message type, with every schema field
 * set (two value sets), and with only the required ones. */
static void
test_round_trip_every_type (void)
{
  for (guint seed = 0; seed < 3; seed++)
    {
      for (AmsCommand cmd = AMS_CMD_UNKNOWN + 1; cmd < AMS_CMD_LAST; cmd++)
        {
          g_autoptr (AmsMessage) msg = ams_message_new (cmd);
          if (cmd == AMS_CMD_ERROR)
            ams_message_set_string (msg, "definition", "x");
          if (seed < 2)
            fill_from_schema (msg, ams_schema_command_fields (cmd), seed);
          else
            for (const AmsFieldSpec *f = ams_schema_command_fields (cmd); f->name; f++)
              if (f->required && strcmp (f->name, "definition") != 0)
                ams_message_set_json (msg, f->name, sample_value (f, 0));
          assert_round_trip (msg);
        }
      for (AmsNotification def = AMS_NOTIFY_UNKNOWN + 1; def < AMS_NOTIFY_LAST; def++)
        {
          g_autoptr (AmsMessage) msg = ams_message_new_notification (def);
          fill_from_schema (msg, ams_schema_notification_fields (def), seed);
          assert_round_trip (msg);
        }
      for (AmsError code = AMS_ERROR_NO_STREAM_NAME_SPECIFIED; code <= AMS_ERROR_MISSING_PARAMETER; code++)
        {
          g_autoptr (AmsMessage) msg = ams_message_new_error (code);
          fill_from_schema (msg, ams_schema_error_fields (code), seed);
          assert_round_trip (msg);
        }
    }
}

/* Each required field, when removed, makes the message fail to decode, and
 * each typed field with a value of a wrong type too. */
static void
test_schema_is_enforced (void)
{
  guint checked = 0;

  for (AmsCommand cmd = AMS_CMD_UNKNOWN + 1; cmd < AMS_CMD_LAST; cmd++)
    for (const AmsFieldSpec *f = ams_schema_command_fields (cmd); f->name; f++)
      {
        g_autoptr (AmsMessage) msg = ams_message_new (cmd);
        g_autoptr (GError) error = NULL;
        g_autofree char *text = NULL;
        AmsMessage *back;
        gsize len;

        if (cmd == AMS_CMD_ERROR)
          ams_message_set_string (msg, "definition", "x");
        fill_from_schema (msg, ams_schema_command_fields (cmd), 0);
        if (f->type == AMS_FIELD_ANY)
          continue;
        if (f->required)
          ams_message_remove (msg, f->name);
        else if (f->type == AMS_FIELD_BOOL || f->type == AMS_FIELD_STRING_ARRAY)
          ams_message_set_string (msg, f->name, "1");
        else
          ams_message_set_bool (msg, f->name, TRUE);
        text = ams_message_encode (msg, &len);
        back = ams_message_decode (text, len, 0, &error);
        if (back != NULL)
          g_error ("%s decoded although '%s' is wrong", text, f->name);
        g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
        g_assert_nonnull (strstr (error->message, f->name));
        checked++;
      }
  g_assert_cmpuint (checked, >, 100);
}

static void
test_names (void)
{
  for (AmsCommand cmd = AMS_CMD_UNKNOWN + 1; cmd < AMS_CMD_LAST; cmd++)
    g_assert_cmpint (ams_command_from_string (ams_command_to_string (cmd)), ==, cmd);
  for (AmsNotification def = AMS_NOTIFY_UNKNOWN + 1; def < AMS_NOTIFY_LAST; def++)
    g_assert_cmpint (ams_notification_from_string (ams_notification_to_string (def)), ==, def);

  g_assert_null (ams_command_to_string (AMS_CMD_UNKNOWN));
  g_assert_null (ams_command_to_string (AMS_CMD_LAST));
  g_assert_null (ams_command_to_string ((AmsCommand) -1));
  g_assert_cmpint (ams_command_from_string ("Publish"), ==, AMS_CMD_UNKNOWN);
  g_assert_cmpint (ams_command_from_string (NULL), ==, AMS_CMD_UNKNOWN);
  g_assert_cmpint (ams_command_from_string ("getVideoTrackAssignmentsCommand"), ==,
                   AMS_CMD_GET_VIDEO_TRACK_ASSIGNMENTS);
  /* The documented but never-sent spelling stays unknown. */
  g_assert_cmpint (ams_notification_from_string ("leavedTheRoom"), ==, AMS_NOTIFY_UNKNOWN);
  g_assert_cmpint (ams_notification_from_string ("leavedFromRoom"), ==, AMS_NOTIFY_LEAVED_FROM_ROOM);
  g_assert_cmpint (ams_error_from_definition ("NoSpaceForNewPeer"), ==, AMS_ERROR_NO_SPACE_FOR_NEW_PEER);
  g_assert_cmpint (ams_error_from_definition ("nospacefornewpeer"), ==, AMS_ERROR_UNKNOWN_SERVER_ERROR);
}

static void
test_schema_tables (void)
{
  /* Each list names a field once; required string fields are known. */
  for (AmsCommand cmd = AMS_CMD_UNKNOWN; cmd < AMS_CMD_LAST; cmd++)
    {
      const AmsFieldSpec *fields = ams_schema_command_fields (cmd);
      g_assert_nonnull (fields);
      for (const AmsFieldSpec *f = fields; f->name; f++)
        g_assert_true (ams_schema_find_field (fields, f->name) == f);
    }
  g_assert_true (ams_schema_find_field (ams_schema_command_fields (AMS_CMD_TAKE_CANDIDATE), "label")->required);
  g_assert_cmpint (ams_schema_find_field (ams_schema_command_fields (AMS_CMD_TAKE_CANDIDATE), "label")->type,
                   ==, AMS_FIELD_INT);
  g_assert_cmpint (ams_schema_find_field (ams_schema_command_fields (AMS_CMD_PUBLISH), "video")->type,
                   ==, AMS_FIELD_BOOL);
  g_assert_null (ams_schema_find_field (ams_schema_command_fields (AMS_CMD_PING), "streamId"));
  g_assert_nonnull (ams_schema_notification_fields (AMS_NOTIFY_LAST));
  g_assert_null (ams_schema_notification_fields (AMS_NOTIFY_LAST)->name);
  g_assert_nonnull (ams_schema_error_fields (AMS_ERROR_FAILED));
}

static void
test_quirk_values (void)
{
  g_autoptr (GBytes) b1 = read_golden ("quirks/error-code-404-string.json");
  g_autoptr (GBytes) b2 = read_golden ("quirks/stream-information-strings.json");
  g_autoptr (GBytes) b3 = read_golden ("sdk/ts-force-stream-quality-auto.json");
  g_autoptr (GBytes) b4 = read_golden ("quirks/unknown-command.json");
  g_autoptr (GBytes) b5 = read_golden ("quirks/broadcast-object-string.json");
  g_autoptr (AmsMessage) err = ams_message_decode (g_bytes_get_data (b1, NULL), g_bytes_get_size (b1), 0, NULL);
  g_autoptr (AmsMessage) info = ams_message_decode (g_bytes_get_data (b2, NULL), g_bytes_get_size (b2), 0, NULL);
  g_autoptr (AmsMessage) fsq = ams_message_decode (g_bytes_get_data (b3, NULL), g_bytes_get_size (b3), 0, NULL);
  g_autoptr (AmsMessage) unk = ams_message_decode (g_bytes_get_data (b4, NULL), g_bytes_get_size (b4), 0, NULL);
  g_autoptr (AmsMessage) bo = ams_message_decode (g_bytes_get_data (b5, NULL), g_bytes_get_size (b5), 0, NULL);
  json_object *streams, *first, *val, *inner;
  gint64 v = 0;

  /* "404" reads as an integer. */
  g_assert_nonnull (err);
  g_assert_true (ams_message_get_int (err, "error_code", &v));
  g_assert_cmpint (v, ==, 404);
  g_assert_cmpint (ams_message_get_error (err), ==, AMS_ERROR_NO_STREAM_EXIST);

  /* Nested numbers as strings. */
  g_assert_nonnull (info);
  streams = ams_message_get_json (info, "streamInfo");
  first = json_object_array_get_idx (streams, 0);
  g_assert_true (json_object_object_get_ex (first, "streamHeight", &val));
  g_assert_true (ams_json_get_int (val, &v));
  g_assert_cmpint (v, ==, 360);
  g_assert_true (json_object_object_get_ex (first, "videoCodec", &val));
  g_assert_false (ams_json_get_int (val, &v));

  /* streamHeight "auto" decodes; it is not a number. */
  g_assert_nonnull (fsq);
  g_assert_cmpstr (ams_message_get_string (fsq, "streamHeight"), ==, "auto");
  g_assert_false (ams_message_get_int (fsq, "streamHeight", &v));

  /* Unknown command keeps its name. */
  g_assert_nonnull (unk);
  g_assert_cmpint (ams_message_get_command (unk), ==, AMS_CMD_UNKNOWN);
  g_assert_cmpstr (ams_message_get_string (unk, "command"), ==, "createRdcSession");

  /* `broadcast` is a string holding JSON, which itself holds JSON text. */
  g_assert_nonnull (bo);
  inner = json_tokener_parse (ams_message_get_string (bo, "broadcast"));
  g_assert_nonnull (inner);
  g_assert_true (json_object_object_get_ex (inner, "metaData", &val));
  g_assert_cmpstr (json_object_get_string (val), ==, "{\"mic\":false}");
  json_object_put (inner);
}

static void
test_setters_and_getters (void)
{
  g_autoptr (AmsMessage) msg = ams_message_new (AMS_CMD_PUBLISH);
  g_autoptr (AmsMessage) other = NULL;
  g_auto (GStrv) strv = NULL;
  static const char *const ids[] = { "a", "b", NULL };
  gint64 i = 0;
  gboolean b = FALSE;

  g_assert_cmpstr (ams_message_get_string (msg, "command"), ==, "publish");
  g_assert_false (ams_message_has (msg, "streamId"));
  g_assert_null (ams_message_get_string (msg, "streamId"));

  /* NULL writes JSON null: present, reads as absent. */
  ams_message_set_string (msg, "streamId", NULL);
  g_assert_true (ams_message_has (msg, "streamId"));
  g_assert_null (ams_message_get_string (msg, "streamId"));
  ams_message_set_string (msg, "streamId", "s1");
  g_assert_cmpstr (ams_message_get_string (msg, "streamId"), ==, "s1");

  /* Wrong-type reads are absent, never converted. */
  ams_message_set_bool (msg, "video", TRUE);
  g_assert_null (ams_message_get_string (msg, "video"));
  g_assert_false (ams_message_get_int (msg, "video", &i));
  g_assert_true (ams_message_get_bool (msg, "video", &b));
  g_assert_true (b);
  ams_message_set_int (msg, "n", -5);
  g_assert_false (ams_message_get_bool (msg, "n", &b));
  g_assert_true (ams_message_get_int (msg, "n", &i));
  g_assert_cmpint (i, ==, -5);
  g_assert_null (ams_message_dup_strv (msg, "n"));
  ams_message_set_strv (msg, "list", ids);
  strv = ams_message_dup_strv (msg, "list");
  g_assert_cmpstrv (strv, ids);
  ams_message_set_json (msg, "mixed", json_tokener_parse ("[\"a\",1]"));
  g_assert_null (ams_message_dup_strv (msg, "mixed"));
  ams_message_set_json (msg, "mixed", NULL);
  g_assert_true (ams_message_has (msg, "mixed"));
  g_assert_null (ams_message_get_json (msg, "mixed"));
  ams_message_remove (msg, "mixed");
  g_assert_false (ams_message_has (msg, "mixed"));

  /* Changing `command` changes the command. */
  ams_message_set_string (msg, "command", "play");
  g_assert_cmpint (ams_message_get_command (msg), ==, AMS_CMD_PLAY);
  ams_message_set_string (msg, "command", "somethingNew");
  g_assert_cmpint (ams_message_get_command (msg), ==, AMS_CMD_UNKNOWN);
  ams_message_set_string (msg, "command", "publish");
  ams_message_remove (msg, "command");
  g_assert_cmpint (ams_message_get_command (msg), ==, AMS_CMD_UNKNOWN);

  /* Equality looks at every field. */
  other = ams_message_new (AMS_CMD_STOP);
  g_assert_false (ams_message_equal (msg, other));
  g_assert_true (ams_message_equal (other, other));
  g_assert_false (ams_message_equal (other, NULL));

  /* Reference counting. */
  g_assert_true (ams_message_ref (other) == other);
  ams_message_unref (other);
  ams_message_unref (NULL);
}

static void
test_size_cap (void)
{
  g_autoptr (GError) error = NULL;
  GString *big = g_string_new ("{\"command\":\"ping\",\"pad\":\"");
  gsize overhead = big->len + 2;
  AmsMessage *msg;
  const char *small = "{\"command\":\"stop\",\"streamId\":\"s\"}";

  /* Exactly the default cap decodes; one more byte does not. */
  while (big->len < AMS_MESSAGE_DEFAULT_MAX_SIZE - 2)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");
  g_assert_cmpuint (big->len, ==, AMS_MESSAGE_DEFAULT_MAX_SIZE);
  g_assert_cmpuint (overhead, <, big->len);
  msg = ams_message_decode (big->str, big->len, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  ams_message_unref (msg);

  g_string_insert_c (big, overhead - 2, 'x');
  msg = ams_message_decode (big->str, big->len, 0, &error);
  g_assert_null (msg);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG);
  g_clear_error (&error);

  /* A caller's cap. */
  msg = ams_message_decode (small, strlen (small), strlen (small), &error);
  g_assert_no_error (error);
  ams_message_unref (msg);
  msg = ams_message_decode (small, strlen (small), strlen (small) - 1, &error);
  g_assert_null (msg);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG);
  g_clear_error (&error);
  /* A larger cap than the default admits the larger message. */
  msg = ams_message_decode (big->str, big->len, 2 * AMS_MESSAGE_DEFAULT_MAX_SIZE, &error);
  g_assert_no_error (error);
  ams_message_unref (msg);

  g_string_free (big, TRUE);
}

/* A ping whose field "x" is @levels nested arrays. */
static GString *
nested_ping (int levels)
{
  GString *text = g_string_new ("{\"command\":\"ping\",\"x\":");

  for (int i = 0; i < levels; i++)
    g_string_append_c (text, '[');
  for (int i = 0; i < levels; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  return text;
}

static void
test_depth_limit (void)
{
  g_autoptr (GError) error = NULL;
  /* The object itself is one level. */
  GString *fits = nested_ping (AMS_MESSAGE_MAX_DEPTH - 1);
  GString *deep = nested_ping (AMS_MESSAGE_MAX_DEPTH);
  AmsMessage *msg;

  msg = ams_message_decode (fits->str, fits->len, 0, &error);
  g_assert_no_error (error);
  ams_message_unref (msg);

  msg = ams_message_decode (deep->str, deep->len, 0, &error);
  g_assert_null (msg);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
  g_string_free (fits, TRUE);
  g_string_free (deep, TRUE);
}

/* Lengths are honoured: the bytes after len are not read, and a prefix of a
 * message is not a message. */
static void
test_length_is_honoured (void)
{
  const char *text = "{\"command\":\"ping\"}GARBAGE";
  g_autoptr (GError) error = NULL;
  AmsMessage *msg = ams_message_decode (text, 18, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (ams_message_get_command (msg), ==, AMS_CMD_PING);
  ams_message_unref (msg);
  msg = ams_message_decode (text, 17, 0, &error);
  g_assert_null (msg);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
  g_clear_error (&error);
  msg = ams_message_decode (NULL, 0, 0, &error);
  g_assert_null (msg);
  g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
}

static void
test_stream_id_rule (void)
{
  static const char *const good[] = { "stream1", "a", "A-b_c.d", "0123456789", "room.1-x_Y", NULL };
  static const char *const bad[] = { "", "a b", "a/b", "a:b", "caf\xc3\xa9", "a\tb", "a?b", "<x>",
                                     "a%20b", "a+b", NULL };

  for (guint i = 0; good[i]; i++)
    g_assert_true (ams_stream_id_is_valid (good[i]));
  for (guint i = 0; bad[i]; i++)
    g_assert_false (ams_stream_id_is_valid (bad[i]));
  g_assert_false (ams_stream_id_is_valid (NULL));
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  golden_dir = find_golden_dir ();

  for (guint i = 0; i < G_N_ELEMENTS (golden_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/protocol/golden/%s", golden_cases[i].file);
      g_test_add_data_func (path, &golden_cases[i], test_golden_case);
    }
  for (guint i = 0; i < G_N_ELEMENTS (malformed_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/protocol/golden/%s", malformed_cases[i].file);
      g_test_add_data_func (path, &malformed_cases[i], test_malformed_case);
    }
  g_test_add_func ("/protocol/complete/commands", test_every_command_has_golden);
  g_test_add_func ("/protocol/complete/notifications", test_every_notification_has_golden);
  g_test_add_func ("/protocol/complete/errors", test_every_error_has_golden);
  g_test_add_func ("/protocol/complete/files", test_every_golden_file_is_tested);
  g_test_add_func ("/protocol/build/js-sdk", test_build_js_sdk_messages);
  g_test_add_func ("/protocol/build/notification-and-error", test_build_notification_and_error);
  g_test_add_func ("/protocol/round-trip/every-type", test_round_trip_every_type);
  g_test_add_func ("/protocol/schema/enforced", test_schema_is_enforced);
  g_test_add_func ("/protocol/schema/tables", test_schema_tables);
  g_test_add_func ("/protocol/names", test_names);
  g_test_add_func ("/protocol/quirks/values", test_quirk_values);
  g_test_add_func ("/protocol/api/setters-getters", test_setters_and_getters);
  g_test_add_func ("/protocol/limits/size", test_size_cap);
  g_test_add_func ("/protocol/limits/depth", test_depth_limit);
  g_test_add_func ("/protocol/limits/length", test_length_is_honoured);
  g_test_add_func ("/protocol/stream-id", test_stream_id_rule);

  ret = g_test_run ();
  g_free (golden_dir);
  return ret;
}
