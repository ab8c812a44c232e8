/* ams-message.h: the typed model of every AMS signalling message.
 *
 * No I/O here: bytes in, AmsMessage out, and back. The model is driven by a
 * schema table (ams-schema.c) that gives, for every command and every
 * notification/error definition of the AMS protocol, the fields it carries and
 * their JSON types. Decoding checks the known fields against it and keeps
 * unknown fields, so an AmsMessage always holds everything that was received.
 *
 * Wire quirks accepted on decode: any key order, JSON null for any string
 * field (read back as NULL), extra fields, and numbers sent as strings where
 * real servers do (fields typed AMS_FIELD_INT_OR_STRING).
 *
 * Rejected on decode (AMS_ERROR_PROTOCOL): text that is not one complete
 * JSON value (trailing data, NUL bytes, invalid UTF-8, NaN/Infinity, nesting
 * deeper than AMS_MESSAGE_MAX_DEPTH), a value that is not an object, a
 * missing or non-string `command`, and for known commands a required field
 * that is missing or a known field of the wrong type (a NUL inside a string
 * field counts as wrong: C code would read it cut short).
 *
 * Ownership: messages are reference counted; strings and json-c values
 * returned by getters belong to the message and live as long as the field
 * is not replaced. Threading: a message may move between threads but must
 * be used by one thread at a time (json-c caches encoded text inside the
 * object); the name and schema functions are pure and thread-safe. */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <amsclient/ams-error.h>

G_BEGIN_DECLS

/* Default cap on one message, on decode and in the transports. */
#define AMS_MESSAGE_DEFAULT_MAX_SIZE (1024 * 1024)
/* Deepest JSON nesting accepted on decode (AMS messages use 3 levels). */
#define AMS_MESSAGE_MAX_DEPTH 32

typedef enum {
  AMS_CMD_UNKNOWN = 0,
  /* client -> server (and relayed P2P messages, which go both ways) */
  AMS_CMD_PUBLISH,
  AMS_CMD_PLAY,
  AMS_CMD_STOP,
  AMS_CMD_TAKE_CONFIGURATION,
  AMS_CMD_TAKE_CANDIDATE,
  AMS_CMD_PING,
  AMS_CMD_JOIN,
  AMS_CMD_LEAVE,
  AMS_CMD_JOIN_ROOM,
  AMS_CMD_LEAVE_FROM_ROOM,
  AMS_CMD_GET_ROOM_INFO,
  AMS_CMD_GET_STREAM_INFO,
  AMS_CMD_FORCE_STREAM_QUALITY,
  AMS_CMD_TOGGLE_VIDEO,
  AMS_CMD_TOGGLE_AUDIO,
  AMS_CMD_ENABLE_TRACK,
  AMS_CMD_GET_TRACK_LIST,
  AMS_CMD_GET_BROADCAST_OBJECT,
  AMS_CMD_UPDATE_STREAM_META_DATA,
  AMS_CMD_GET_SUBTRACKS,
  AMS_CMD_GET_SUBTRACKS_COUNT,
  AMS_CMD_GET_SUBSCRIBER_COUNT,
  AMS_CMD_GET_SUBSCRIBERS,
  AMS_CMD_GET_VIDEO_TRACK_ASSIGNMENTS,   /* getVideoTrackAssignmentsCommand */
  AMS_CMD_ASSIGN_VIDEO_TRACK,            /* assignVideoTrackCommand */
  AMS_CMD_UPDATE_VIDEO_TRACK_ASSIGNMENTS,/* updateVideoTrackAssignmentsCommand */
  AMS_CMD_SET_MAX_VIDEO_TRACK_COUNT,     /* setMaxVideoTrackCountCommand */
  AMS_CMD_GET_DEBUG_INFO,
  AMS_CMD_PEER_MESSAGE_COMMAND,
  AMS_CMD_GET_ICE_SERVER_CONFIG,
  AMS_CMD_REGISTER_PUSH_NOTIFICATION_TOKEN,
  AMS_CMD_SEND_PUSH_NOTIFICATION,
  AMS_CMD_START_NEW_P2P_CONNECTION,
  AMS_CMD_REGISTER_ORIGIN_SERVER,
  AMS_CMD_REGISTER_EDGE_SERVER,
  AMS_CMD_REGISTER_BROADCAST,
  /* server -> client */
  AMS_CMD_START,
  AMS_CMD_NOTIFICATION,
  AMS_CMD_ERROR,
  AMS_CMD_PONG,
  AMS_CMD_STREAM_INFORMATION,
  AMS_CMD_ROOM_INFORMATION,
  AMS_CMD_TRACK_LIST,
  AMS_CMD_CONNECT_WITH_NEW_ID,
  AMS_CMD_ICE_SERVER_CONFIG,
  AMS_CMD_LAST
} AmsCommand;

/* `definition` of a `notification` (ams-protocol §4). Errors use AmsError. */
typedef enum {
  AMS_NOTIFY_UNKNOWN = 0,
  AMS_NOTIFY_PUBLISH_STARTED,
  AMS_NOTIFY_PUBLISH_FINISHED,
  AMS_NOTIFY_PLAY_STARTED,
  AMS_NOTIFY_PLAY_FINISHED,
  AMS_NOTIFY_SESSION_RESTORED,
  AMS_NOTIFY_STREAMING_STARTED,
  AMS_NOTIFY_STREAMING_STARTS_SOON,
  AMS_NOTIFY_SUBTRACK_ADDED,
  AMS_NOTIFY_SUBTRACK_REMOVED,
  AMS_NOTIFY_BITRATE_MEASUREMENT,
  AMS_NOTIFY_RESOLUTION_CHANGE_INFO,
  AMS_NOTIFY_JOINED,
  AMS_NOTIFY_LEAVED,
  AMS_NOTIFY_JOINED_THE_ROOM,
  AMS_NOTIFY_LEAVED_FROM_ROOM,
  AMS_NOTIFY_STREAM_JOINED,
  AMS_NOTIFY_STREAM_LEAVED,
  AMS_NOTIFY_SERVER_WILL_STOP,
  AMS_NOTIFY_BROADCAST_OBJECT,
  AMS_NOTIFY_SUBTRACK_LIST,
  AMS_NOTIFY_SUBTRACK_COUNT,
  AMS_NOTIFY_SUBSCRIBER_COUNT,
  AMS_NOTIFY_SUBSCRIBER_LIST,
  AMS_NOTIFY_DEBUG_INFO,
  AMS_NOTIFY_VIDEO_TRACK_ASSIGNMENT_LIST,
  AMS_NOTIFY_LAST
} AmsNotification;

typedef enum {
  AMS_FIELD_STRING,         /* string or null */
  AMS_FIELD_INT,            /* JSON integer */
  AMS_FIELD_INT_OR_STRING,  /* integer, or a string real servers send instead */
  AMS_FIELD_BOOL,
  AMS_FIELD_STRING_ARRAY,   /* array of strings */
  AMS_FIELD_ARRAY,          /* array of anything */
  AMS_FIELD_OBJECT,
  AMS_FIELD_ANY,
} AmsFieldType;

typedef struct {
  const char   *name;       /* exact wire name */
  AmsFieldType  type;
  gboolean      required;   /* decode fails when absent */
} AmsFieldSpec;

typedef struct _AmsMessage AmsMessage;

/* Names <-> enums (exact case). Unknown names give the UNKNOWN value. */
const char     *ams_command_to_string (AmsCommand cmd);
AmsCommand      ams_command_from_string (const char *name);
const char     *ams_notification_to_string (AmsNotification def);
AmsNotification ams_notification_from_string (const char *name);
/* Error definitions: ams_error_to_definition / ams_error_from_definition
 * (public, ams-error.h). */

/* The schema: NULL-terminated (name == NULL) field list of a command, or of a
 * notification/error definition (fields beyond `command` and `definition`). */
const AmsFieldSpec *ams_schema_command_fields (AmsCommand cmd);
const AmsFieldSpec *ams_schema_notification_fields (AmsNotification def);
const AmsFieldSpec *ams_schema_error_fields (AmsError code);
/* The spec of @name in @fields, or NULL. */
const AmsFieldSpec *ams_schema_find_field (const AmsFieldSpec *fields, const char *name);

/* Construction. All return a new reference. */
AmsMessage *ams_message_new (AmsCommand cmd);
AmsMessage *ams_message_new_notification (AmsNotification def);
AmsMessage *ams_message_new_error (AmsError code);  /* a server error code */
AmsMessage *ams_message_ref (AmsMessage *msg);
void        ams_message_unref (AmsMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsMessage, ams_message_unref)

AmsCommand      ams_message_get_command (const AmsMessage *msg);
/* For notifications; AMS_NOTIFY_UNKNOWN otherwise or when not known. */
AmsNotification ams_message_get_notification (const AmsMessage *msg);
/* For errors; 0 otherwise. */
AmsError        ams_message_get_error (const AmsMessage *msg);
/* The raw `definition` string (notifications, errors, peerMessageCommand). */
const char     *ams_message_get_definition (const AmsMessage *msg);

/* Field setters. @value NULL writes JSON null. Keys are copied. */
void ams_message_set_string (AmsMessage *msg, const char *key, const char *value);
void ams_message_set_int    (AmsMessage *msg, const char *key, gint64 value);
void ams_message_set_bool   (AmsMessage *msg, const char *key, gboolean value);
/* @values: NULL-terminated, may be NULL for an empty array. */
void ams_message_set_strv   (AmsMessage *msg, const char *key, const char *const *values);
/* Takes ownership of @value (any json-c value, including NULL). */
void ams_message_set_json   (AmsMessage *msg, const char *key, json_object *value);
void ams_message_remove     (AmsMessage *msg, const char *key);

/* Field getters. A field that is absent, null or of another type reads as
 * absent: the string getter returns NULL, the others return FALSE. Strings
 * are owned by the message. INT_OR_STRING fields read with get_int parse the
 * string form. */
gboolean    ams_message_has        (const AmsMessage *msg, const char *key);
const char *ams_message_get_string (const AmsMessage *msg, const char *key);
gboolean    ams_message_get_int    (const AmsMessage *msg, const char *key, gint64 *out);
gboolean    ams_message_get_bool   (const AmsMessage *msg, const char *key, gboolean *out);
/* The integer in @val: a JSON integer that fits in 64 bits, or a string
 * holding one in decimal (for values nested in arrays, e.g. streamInfo). */
gboolean    ams_json_get_int       (json_object *val, gint64 *out);
/* Returns: (transfer full) NULL-terminated copy, or NULL when absent. */
char      **ams_message_dup_strv   (const AmsMessage *msg, const char *key);
/* Returns: (transfer none) the json-c value, or NULL when absent. */
json_object *ams_message_get_json  (const AmsMessage *msg, const char *key);
/* Returns: (transfer none) the whole object, unknown fields included. */
json_object *ams_message_get_object (const AmsMessage *msg);

/* Encoding: a new string (g_free) of compact JSON; @len may be NULL. */
char       *ams_message_encode (const AmsMessage *msg, gsize *len);
/* The same text without a copy. Returns: (transfer none) valid until @msg
 * is changed or freed. */
const char *ams_message_encode_peek (const AmsMessage *msg, gsize *len);
/* Decoding. Returns a new message (transfer full) or NULL with @error set.
 * @data need not be NUL-terminated; exactly @len bytes are read.
 * @max_size 0 means AMS_MESSAGE_DEFAULT_MAX_SIZE. Errors (domain
 * AMS_ERROR): MESSAGE_TOO_BIG, PROTOCOL (invalid JSON, not an object, no or
 * non-string `command`, a known field of the wrong type, a required field
 * missing). Unknown commands decode as AMS_CMD_UNKNOWN with the name kept in
 * the `command` field. */
AmsMessage *ams_message_decode (const char *data, gsize len, gsize max_size, GError **error);

/* TRUE when both hold the same command and the same fields and values. */
gboolean    ams_message_equal (const AmsMessage *a, const AmsMessage *b);

/* The AMS stream id rule: non-empty, only [A-Za-z0-9_.-]. */
gboolean    ams_stream_id_is_valid (const char *id);

G_END_DECLS
