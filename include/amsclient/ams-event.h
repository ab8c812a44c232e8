/* ams-event.h: one event of the library, as a name plus typed fields.
 *
 * An AmsEvent is what the library reports: a message from the server (its
 * `command`, or for `notification` and `error` its `definition`), or a
 * client-side happening ("connected", "reconnecting", "pong", ...). Its
 * fields keep the wire names of the server message. ams_event_to_json()
 * turns it into one compact JSON object, which is how the command-line tool
 * prints every line of its --json output.
 *
 * AmsEvent is a reference-counted boxed type. It is not thread-safe: an event
 * may be shared between threads only while nobody modifies it. */
#pragma once

#include <glib-object.h>
#include <amsclient/ams-export.h>
#include <amsclient/ams-error.h>

G_BEGIN_DECLS

/* The key that holds the event name in ams_event_to_json() output. */
#define AMS_EVENT_NAME_KEY "event"

typedef struct _AmsEvent AmsEvent;

#define AMS_TYPE_EVENT (ams_event_get_type ())
AMS_API GType ams_event_get_type (void);

/**
 * ams_event_new:
 * @name: the event name, e.g. "publish_started" or "connected"
 *
 * Creates an event with no fields.
 *
 * Returns: (transfer full): a new event; free with ams_event_unref().
 */
AMS_API AmsEvent *ams_event_new (const char *name);

/**
 * ams_event_new_from_json:
 * @name: the event name
 * @json: a JSON object, as text
 * @error: return location for a #GError (%AMS_ERROR_PROTOCOL when @json is
 *   not a JSON object)
 *
 * Creates an event whose fields are the members of @json.
 *
 * Returns: (transfer full) (nullable): a new event, or %NULL on error.
 */
AMS_API AmsEvent *ams_event_new_from_json (const char *name, const char *json, GError **error);

/**
 * ams_event_ref:
 * @event: an event
 *
 * Returns: (transfer full): @event, with one more reference.
 */
AMS_API AmsEvent *ams_event_ref (AmsEvent *event);

/**
 * ams_event_unref:
 * @event: (transfer full): an event
 *
 * Drops one reference; the last one frees the event.
 */
AMS_API void ams_event_unref (AmsEvent *event);

/**
 * ams_event_get_name:
 * @event: an event
 *
 * Returns: (transfer none): the event name, owned by @event.
 */
AMS_API const char *ams_event_get_name (const AmsEvent *event);

/**
 * ams_event_get_stream_id:
 * @event: an event
 *
 * Returns: (transfer none) (nullable): the `streamId` field, or %NULL when
 * absent or null. Owned by @event.
 */
AMS_API const char *ams_event_get_stream_id (const AmsEvent *event);

/**
 * ams_event_has_field:
 * @event: an event
 * @key: a field name
 *
 * Returns: %TRUE when @event has a field @key (of any type, null included).
 */
AMS_API gboolean ams_event_has_field (const AmsEvent *event, const char *key);

/**
 * ams_event_get_keys:
 * @event: an event
 *
 * Returns: (transfer full): the field names in insertion order, as a
 * %NULL-terminated array; free with g_strfreev().
 */
AMS_API char **ams_event_get_keys (const AmsEvent *event);

/* Setters. @key is copied; setting an existing key replaces its value.
 * ams_event_set_string() with a %NULL @value stores JSON null.
 * @values of ams_event_set_strv() is %NULL-terminated (%NULL: empty array).
 * ams_event_set_json() stores the parsed JSON value of @json (any JSON
 * value) and returns %FALSE, storing nothing, when @json does not parse. */
AMS_API void     ams_event_set_string (AmsEvent *event, const char *key, const char *value);
AMS_API void     ams_event_set_int    (AmsEvent *event, const char *key, gint64 value);
AMS_API void     ams_event_set_double (AmsEvent *event, const char *key, double value);
AMS_API void     ams_event_set_bool   (AmsEvent *event, const char *key, gboolean value);
AMS_API void     ams_event_set_strv   (AmsEvent *event, const char *key, const char *const *values);
AMS_API gboolean ams_event_set_json   (AmsEvent *event, const char *key, const char *json);
AMS_API void     ams_event_remove     (AmsEvent *event, const char *key);

/* Getters. A field that is absent, null or of another type reads as absent:
 * ams_event_get_string() returns %NULL, the others return %FALSE and leave
 * @out untouched. Integers are also read from their decimal string form
 * (servers send some numbers as strings); ams_event_get_double() also reads
 * integers. Returned strings are owned by @event (transfer none). */
AMS_API const char *ams_event_get_string (const AmsEvent *event, const char *key);
AMS_API gboolean    ams_event_get_int    (const AmsEvent *event, const char *key, gint64 *out);
AMS_API gboolean    ams_event_get_double (const AmsEvent *event, const char *key, double *out);
AMS_API gboolean    ams_event_get_bool   (const AmsEvent *event, const char *key, gboolean *out);

/**
 * ams_event_dup_strv:
 * @event: an event
 * @key: a field name
 *
 * Returns: (transfer full) (nullable): a copy of an array-of-strings field
 * (non-string members are skipped), or %NULL when absent; g_strfreev().
 */
AMS_API char **ams_event_dup_strv (const AmsEvent *event, const char *key);

/**
 * ams_event_dup_json:
 * @event: an event
 * @key: a field name
 *
 * Returns: (transfer full) (nullable): the field's value as compact JSON text
 * (objects and arrays included), or %NULL when absent; g_free().
 */
AMS_API char *ams_event_dup_json (const AmsEvent *event, const char *key);

/**
 * ams_event_to_json:
 * @event: an event
 *
 * Serialises @event as one compact JSON object on one line: the name under
 * %AMS_EVENT_NAME_KEY first, then the fields in insertion order.
 *
 * Returns: (transfer full): the JSON text; free with g_free().
 */
AMS_API char *ams_event_to_json (const AmsEvent *event);

/**
 * ams_event_set_error:
 * @event: an event
 * @error: a #GError
 *
 * Records @error in @event as the fields "errorDomain", "errorCode" and
 * "errorMessage" (for %AMS_ERROR codes of server errors, also "definition"
 * when not already set), so ams_event_get_error() gives it back.
 */
AMS_API void ams_event_set_error (AmsEvent *event, const GError *error);

/**
 * ams_event_get_error:
 * @event: an event
 *
 * For a server `error` message, the error in the %AMS_ERROR domain for its
 * `definition` (unknown definitions give %AMS_ERROR_UNKNOWN_SERVER_ERROR);
 * for an event filled by ams_event_set_error(), that error (domain
 * %AMS_ERROR unless another was recorded, then %AMS_ERROR_FAILED).
 *
 * Returns: (transfer full) (nullable): a new #GError, or %NULL when @event
 * carries no error; free with g_error_free().
 */
AMS_API GError *ams_event_get_error (const AmsEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsEvent, ams_event_unref)

G_END_DECLS
