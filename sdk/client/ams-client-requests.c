/* ams-client-requests.c: one function per client-to-server AMS command.
 * Each checks its arguments, builds an AmsMessage and hands it to
 * _ams_client_submit(), which sends or queues it. */
#include "client/ams-client-private.h"

#include <string.h>

static gboolean
check_id (const char *what, const char *id, GError **error)
{
  if (!id || !ams_stream_id_is_valid (id)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "invalid %s \"%s\": it must be non-empty and use only A-Z a-z 0-9 _ . -",
                 what, id ? id : "(null)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_text (const char *what, const char *text, GError **error)
{
  if (!text || !*text) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "%s is required", what);
    return FALSE;
  }
  return TRUE;
}

static void
set_optional (AmsMessage *msg, const char *key, const char *value)
{
  if (value)
    ams_message_set_string (msg, key, value);
}

/* A request about one stream: {command, streamId}. */
static AmsMessage *
stream_message (AmsCommand cmd, const char *stream_id)
{
  AmsMessage *msg = ams_message_new (cmd);
  ams_message_set_string (msg, "streamId", stream_id);
  return msg;
}

static gboolean
submit (AmsClient *self, AmsMessage *msg, GError **error)
{
  gboolean ok = _ams_client_submit (self, msg, NULL, NULL, error);
  ams_message_unref (msg);
  return ok;
}

void
ams_publish_params_init (AmsPublishParams *params, const char *stream_id)
{
  g_return_if_fail (params != NULL);
  memset (params, 0, sizeof *params);
  params->stream_id = stream_id;
  params->video = TRUE;
  params->audio = TRUE;
}

void
ams_play_params_init (AmsPlayParams *params, const char *stream_id)
{
  g_return_if_fail (params != NULL);
  memset (params, 0, sizeof *params);
  params->stream_id = stream_id;
}

gboolean
ams_client_publish (AmsClient *self, const AmsPublishParams *params, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!params) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no publish parameters");
    return FALSE;
  }
  if (!check_id ("stream id", params->stream_id, error))
    return FALSE;
  if (params->main_track && !check_id ("main track", params->main_track, error))
    return FALSE;
  g_autoptr (AmsMessage) msg = stream_message (AMS_CMD_PUBLISH, params->stream_id);
  set_optional (msg, "token", params->token);
  set_optional (msg, "subscriberId", params->subscriber_id);
  set_optional (msg, "subscriberCode", params->subscriber_code);
  set_optional (msg, "streamName", params->stream_name);
  set_optional (msg, "mainTrack", params->main_track);
  set_optional (msg, "metaData", params->meta_data);
  set_optional (msg, "role", params->role);
  ams_message_set_bool (msg, "video", params->video);
  ams_message_set_bool (msg, "audio", params->audio);
  g_autofree char *key = g_strconcat ("publish:", params->stream_id, NULL);
  return _ams_client_submit (self, msg, key, NULL, error);
}

gboolean
ams_client_play (AmsClient *self, const AmsPlayParams *params, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!params) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no play parameters");
    return FALSE;
  }
  if (!check_id ("stream id", params->stream_id, error))
    return FALSE;
  g_autoptr (AmsMessage) msg = stream_message (AMS_CMD_PLAY, params->stream_id);
  set_optional (msg, "token", params->token);
  set_optional (msg, "room", params->room);
  if (params->track_list)
    ams_message_set_strv (msg, "trackList", params->track_list);
  set_optional (msg, "subscriberId", params->subscriber_id);
  set_optional (msg, "subscriberName", params->subscriber_name);
  set_optional (msg, "subscriberCode", params->subscriber_code);
  set_optional (msg, "viewerInfo", params->viewer_info);
  set_optional (msg, "role", params->role);
  set_optional (msg, "userPublishId", params->user_publish_id);
  if (params->disable_tracks_by_default)
    ams_message_set_bool (msg, "disableTracksByDefault", TRUE);
  g_autofree char *key = g_strconcat ("play:", params->stream_id, NULL);
  return _ams_client_submit (self, msg, key, NULL, error);
}

gboolean
ams_client_stop (AmsClient *self, const char *stream_id, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  g_autoptr (AmsMessage) msg = stream_message (AMS_CMD_STOP, stream_id);
  g_autofree char *k1 = g_strconcat ("publish:", stream_id, NULL);
  g_autofree char *k2 = g_strconcat ("play:", stream_id, NULL);
  g_autofree char *k3 = g_strconcat ("join:", stream_id, NULL);
  g_autofree char *k4 = g_strconcat ("joinRoom:", stream_id, NULL);
  const char *const ended[] = { k1, k2, k3, k4, NULL };
  return _ams_client_submit (self, msg, NULL, ended, error);
}

gboolean
ams_client_take_configuration (AmsClient *self, const char *stream_id, const char *type,
                               const char *sdp, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  if (g_strcmp0 (type, "offer") != 0 && g_strcmp0 (type, "answer") != 0) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT,
                 "the SDP type must be \"offer\" or \"answer\", not \"%s\"", type ? type : "(null)");
    return FALSE;
  }
  if (!check_text ("the SDP", sdp, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_TAKE_CONFIGURATION, stream_id);
  ams_message_set_string (msg, "type", type);
  ams_message_set_string (msg, "sdp", sdp);
  return submit (self, msg, error);
}

gboolean
ams_client_take_candidate (AmsClient *self, const char *stream_id, guint label, const char *id,
                           const char *candidate, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error) || !check_text ("the candidate", candidate, error))
    return FALSE;
  if (label > G_MAXINT32) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "candidate label %u out of range", label);
    return FALSE;
  }
  AmsMessage *msg = stream_message (AMS_CMD_TAKE_CANDIDATE, stream_id);
  ams_message_set_int (msg, "label", label);
  set_optional (msg, "id", id);
  ams_message_set_string (msg, "candidate", candidate);
  return submit (self, msg, error);
}

gboolean
ams_client_join (AmsClient *self, const char *stream_id, const char *mode, gboolean multi_peer,
                 GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  g_autoptr (AmsMessage) msg = stream_message (AMS_CMD_JOIN, stream_id);
  set_optional (msg, "mode", mode);
  if (multi_peer)
    ams_message_set_bool (msg, "multiPeer", TRUE);
  g_autofree char *key = g_strconcat ("join:", stream_id, NULL);
  return _ams_client_submit (self, msg, key, NULL, error);
}

gboolean
ams_client_leave (AmsClient *self, const char *stream_id, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  g_autoptr (AmsMessage) msg = stream_message (AMS_CMD_LEAVE, stream_id);
  g_autofree char *key = g_strconcat ("join:", stream_id, NULL);
  const char *const ended[] = { key, NULL };
  return _ams_client_submit (self, msg, NULL, ended, error);
}

gboolean
ams_client_join_room (AmsClient *self, const char *room, const char *stream_id, const char *mode,
                      GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("room", room, error) || (stream_id && !check_id ("stream id", stream_id, error)))
    return FALSE;
  g_autoptr (AmsMessage) msg = ams_message_new (AMS_CMD_JOIN_ROOM);
  ams_message_set_string (msg, "room", room);
  set_optional (msg, "streamId", stream_id);
  set_optional (msg, "mode", mode);
  g_autofree char *key = g_strconcat ("joinRoom:", room, NULL);
  return _ams_client_submit (self, msg, key, NULL, error);
}

gboolean
ams_client_leave_from_room (AmsClient *self, const char *room, const char *stream_id, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("room", room, error) || (stream_id && !check_id ("stream id", stream_id, error)))
    return FALSE;
  g_autoptr (AmsMessage) msg = ams_message_new (AMS_CMD_LEAVE_FROM_ROOM);
  ams_message_set_string (msg, "room", room);
  set_optional (msg, "streamId", stream_id);
  g_autofree char *key = g_strconcat ("joinRoom:", room, NULL);
  const char *const ended[] = { key, NULL };
  return _ams_client_submit (self, msg, NULL, ended, error);
}

gboolean
ams_client_get_room_info (AmsClient *self, const char *room, const char *stream_id, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("room", room, error) || (stream_id && !check_id ("stream id", stream_id, error)))
    return FALSE;
  AmsMessage *msg = ams_message_new (AMS_CMD_GET_ROOM_INFO);
  ams_message_set_string (msg, "room", room);
  set_optional (msg, "streamId", stream_id);
  return submit (self, msg, error);
}

/* Requests whose only field is the stream id. */
static gboolean
simple_request (AmsClient *self, AmsCommand cmd, const char *stream_id, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  return submit (self, stream_message (cmd, stream_id), error);
}

gboolean
ams_client_get_stream_info (AmsClient *self, const char *stream_id, GError **error)
{
  return simple_request (self, AMS_CMD_GET_STREAM_INFO, stream_id, error);
}

gboolean
ams_client_get_broadcast_object (AmsClient *self, const char *stream_id, GError **error)
{
  return simple_request (self, AMS_CMD_GET_BROADCAST_OBJECT, stream_id, error);
}

gboolean
ams_client_get_subscriber_count (AmsClient *self, const char *stream_id, GError **error)
{
  return simple_request (self, AMS_CMD_GET_SUBSCRIBER_COUNT, stream_id, error);
}

gboolean
ams_client_get_debug_info (AmsClient *self, const char *stream_id, GError **error)
{
  return simple_request (self, AMS_CMD_GET_DEBUG_INFO, stream_id, error);
}

gboolean
ams_client_get_video_track_assignments (AmsClient *self, const char *stream_id, GError **error)
{
  return simple_request (self, AMS_CMD_GET_VIDEO_TRACK_ASSIGNMENTS, stream_id, error);
}

gboolean
ams_client_force_stream_quality (AmsClient *self, const char *stream_id, guint stream_height,
                                 const char *track_id, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error) || (track_id && !check_id ("track id", track_id, error)))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_FORCE_STREAM_QUALITY, stream_id);
  ams_message_set_int (msg, "streamHeight", stream_height);
  set_optional (msg, "trackId", track_id);
  return submit (self, msg, error);
}

static gboolean
track_toggle (AmsClient *self, AmsCommand cmd, const char *stream_id, const char *track_id,
              gboolean enabled, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error) || !check_id ("track id", track_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (cmd, stream_id);
  ams_message_set_string (msg, "trackId", track_id);
  ams_message_set_bool (msg, "enabled", enabled);
  return submit (self, msg, error);
}

gboolean
ams_client_toggle_video (AmsClient *self, const char *stream_id, const char *track_id,
                         gboolean enabled, GError **error)
{
  return track_toggle (self, AMS_CMD_TOGGLE_VIDEO, stream_id, track_id ? track_id : stream_id,
                       enabled, error);
}

gboolean
ams_client_toggle_audio (AmsClient *self, const char *stream_id, const char *track_id,
                         gboolean enabled, GError **error)
{
  return track_toggle (self, AMS_CMD_TOGGLE_AUDIO, stream_id, track_id ? track_id : stream_id,
                       enabled, error);
}

gboolean
ams_client_enable_track (AmsClient *self, const char *stream_id, const char *track_id,
                         gboolean enabled, GError **error)
{
  return track_toggle (self, AMS_CMD_ENABLE_TRACK, stream_id, track_id, enabled, error);
}

gboolean
ams_client_get_track_list (AmsClient *self, const char *stream_id, const char *token, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_GET_TRACK_LIST, stream_id);
  set_optional (msg, "token", token);
  return submit (self, msg, error);
}

static void
set_paging (AmsMessage *msg, gint offset, gint size)
{
  if (offset >= 0)
    ams_message_set_int (msg, "offset", offset);
  if (size >= 0)
    ams_message_set_int (msg, "size", size);
}

gboolean
ams_client_get_subtracks (AmsClient *self, const char *stream_id, const char *role, gint offset,
                          gint size, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_GET_SUBTRACKS, stream_id);
  set_optional (msg, "role", role);
  set_paging (msg, offset, size);
  return submit (self, msg, error);
}

gboolean
ams_client_get_subtracks_count (AmsClient *self, const char *stream_id, const char *role,
                                const char *status, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_GET_SUBTRACKS_COUNT, stream_id);
  set_optional (msg, "role", role);
  set_optional (msg, "status", status);
  return submit (self, msg, error);
}

gboolean
ams_client_get_subscribers (AmsClient *self, const char *stream_id, gint offset, gint size,
                            GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_GET_SUBSCRIBERS, stream_id);
  set_paging (msg, offset, size);
  return submit (self, msg, error);
}

gboolean
ams_client_update_stream_meta_data (AmsClient *self, const char *stream_id, const char *meta_data,
                                    GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  if (!meta_data) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "metaData is required");
    return FALSE;
  }
  AmsMessage *msg = stream_message (AMS_CMD_UPDATE_STREAM_META_DATA, stream_id);
  ams_message_set_string (msg, "metaData", meta_data);
  return submit (self, msg, error);
}

gboolean
ams_client_peer_message (AmsClient *self, const char *stream_id, const char *definition,
                         const char *data, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error) || !check_text ("the definition", definition, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_PEER_MESSAGE_COMMAND, stream_id);
  ams_message_set_string (msg, "definition", definition);
  set_optional (msg, "data", data);
  return submit (self, msg, error);
}

gboolean
ams_client_get_ice_server_config (AmsClient *self, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  return submit (self, ams_message_new (AMS_CMD_GET_ICE_SERVER_CONFIG), error);
}

gboolean
ams_client_assign_video_track (AmsClient *self, const char *stream_id, const char *video_track_id,
                               gboolean enabled, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error) || !check_id ("video track id", video_track_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_ASSIGN_VIDEO_TRACK, stream_id);
  ams_message_set_string (msg, "videoTrackId", video_track_id);
  ams_message_set_bool (msg, "enabled", enabled);
  return submit (self, msg, error);
}

gboolean
ams_client_update_video_track_assignments (AmsClient *self, const char *stream_id, gint offset,
                                           gint size, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_UPDATE_VIDEO_TRACK_ASSIGNMENTS, stream_id);
  set_paging (msg, offset, size);
  return submit (self, msg, error);
}

gboolean
ams_client_set_max_video_track_count (AmsClient *self, const char *stream_id, gint max_track_count,
                                      GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!check_id ("stream id", stream_id, error))
    return FALSE;
  AmsMessage *msg = stream_message (AMS_CMD_SET_MAX_VIDEO_TRACK_COUNT, stream_id);
  ams_message_set_int (msg, "maxTrackCount", max_track_count);
  return submit (self, msg, error);
}

gboolean
ams_client_send_json (AmsClient *self, const char *json, GError **error)
{
  g_return_val_if_fail (AMS_IS_CLIENT (self), FALSE);
  if (!json) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT, "no JSON given");
    return FALSE;
  }
  /* The decoder checks that this is an object with a string command and
   * known fields of the right types; unknown commands are allowed. */
  g_autoptr (AmsMessage) msg = ams_message_decode (json, strlen (json), self->max_message_size, error);
  if (!msg)
    return FALSE;
  return _ams_client_submit (self, msg, NULL, NULL, error);
}
