/* ams-event.c: AmsEvent, a name plus JSON fields, held in a json-c object. */
#include <amsclient/ams-event.h>
#include "client/ams-event-private.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

struct _AmsEvent {
  gint         ref_count;
  char        *name;
  json_object *fields;   /* always an object */
};

G_DEFINE_BOXED_TYPE (AmsEvent, ams_event, ams_event_ref, ams_event_unref)

/* Parses the whole of @json (any JSON value, bare scalars included: the
 * terminating NUL is passed so that json-c sees the end of a number).
 * Returns NULL unless everything but trailing white space was consumed. */
static json_object *
parse_whole (const char *json)
{
  size_t len = strlen (json);
  json_tokener *tok = json_tokener_new ();
  json_object *value = json_tokener_parse_ex (tok, json, (int) len + 1);
  gboolean ok = json_tokener_get_error (tok) == json_tokener_success;
  size_t end = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);
  for (size_t i = end; ok && i < len; i++)
    ok = g_ascii_isspace (json[i]);
  if (!ok) {
    json_object_put (value);
    return NULL;
  }
  return value;
}

AmsEvent *
ams_event_new (const char *name)
{
  AmsEvent *event = g_new0 (AmsEvent, 1);
  event->ref_count = 1;
  event->name = g_strdup (name ? name : "");
  event->fields = json_object_new_object ();
  return event;
}

AmsEvent *
ams_event_new_from_json (const char *name, const char *json, GError **error)
{
  g_return_val_if_fail (json != NULL, NULL);
  json_object *obj = parse_whole (json);
  if (!obj || !json_object_is_type (obj, json_type_object)) {
    json_object_put (obj);
    g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL, "not a JSON object");
    return NULL;
  }
  AmsEvent *event = ams_event_new (name);
  json_object_put (event->fields);
  event->fields = obj;
  return event;
}

AmsEvent *
ams_event_ref (AmsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);
  g_atomic_int_inc (&event->ref_count);
  return event;
}

void
ams_event_unref (AmsEvent *event)
{
  if (!event)
    return;
  if (!g_atomic_int_dec_and_test (&event->ref_count))
    return;
  json_object_put (event->fields);
  g_free (event->name);
  g_free (event);
}

const char *
ams_event_get_name (const AmsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);
  return event->name;
}

static json_object *
lookup (const AmsEvent *event, const char *key)
{
  json_object *value = NULL;
  if (!event || !key)
    return NULL;
  if (!json_object_object_get_ex (event->fields, key, &value))
    return NULL;
  return value;
}

const char *
ams_event_get_stream_id (const AmsEvent *event)
{
  return ams_event_get_string (event, "streamId");
}

gboolean
ams_event_has_field (const AmsEvent *event, const char *key)
{
  return event && key && json_object_object_get_ex (event->fields, key, NULL);
}

char **
ams_event_get_keys (const AmsEvent *event)
{
  GPtrArray *keys = g_ptr_array_new ();
  if (event) {
    json_object_object_foreach (event->fields, key, value) {
      (void) value;
      g_ptr_array_add (keys, g_strdup (key));
    }
  }
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}

static void
put (AmsEvent *event, const char *key, json_object *value)
{
  g_return_if_fail (event != NULL && key != NULL);
  json_object_object_add (event->fields, key, value);
}

void
ams_event_set_string (AmsEvent *event, const char *key, const char *value)
{
  put (event, key, value ? json_object_new_string (value) : NULL);
}

void
ams_event_set_int (AmsEvent *event, const char *key, gint64 value)
{
  put (event, key, json_object_new_int64 (value));
}

void
ams_event_set_double (AmsEvent *event, const char *key, double value)
{
  put (event, key, json_object_new_double (value));
}

void
ams_event_set_bool (AmsEvent *event, const char *key, gboolean value)
{
  put (event, key, json_object_new_boolean (value ? 1 : 0));
}

void
ams_event_set_strv (AmsEvent *event, const char *key, const char *const *values)
{
  json_object *array = json_object_new_array ();
  for (gsize i = 0; values && values[i]; i++)
    json_object_array_add (array, json_object_new_string (values[i]));
  put (event, key, array);
}

gboolean
ams_event_set_json (AmsEvent *event, const char *key, const char *json)
{
  g_return_val_if_fail (event != NULL && key != NULL && json != NULL, FALSE);
  /* "null" parses to NULL, which is also the failure value. */
  g_autofree char *trimmed = g_strstrip (g_strdup (json));
  if (strcmp (trimmed, "null") == 0) {
    put (event, key, NULL);
    return TRUE;
  }
  json_object *value = parse_whole (json);
  if (!value)
    return FALSE;
  put (event, key, value);
  return TRUE;
}

void
ams_event_remove (AmsEvent *event, const char *key)
{
  g_return_if_fail (event != NULL && key != NULL);
  json_object_object_del (event->fields, key);
}

const char *
ams_event_get_string (const AmsEvent *event, const char *key)
{
  json_object *value = lookup (event, key);
  if (!value || !json_object_is_type (value, json_type_string))
    return NULL;
  return json_object_get_string (value);
}

gboolean
ams_event_get_int (const AmsEvent *event, const char *key, gint64 *out)
{
  json_object *value = lookup (event, key);
  if (!value)
    return FALSE;
  if (json_object_is_type (value, json_type_int)) {
    if (out)
      *out = json_object_get_int64 (value);
    return TRUE;
  }
  if (json_object_is_type (value, json_type_string)) {
    /* Servers send some numbers as strings, e.g. error_code "404". */
    const char *text = json_object_get_string (value);
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll (text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0)
      return FALSE;
    if (out)
      *out = parsed;
    return TRUE;
  }
  return FALSE;
}

gboolean
ams_event_get_double (const AmsEvent *event, const char *key, double *out)
{
  json_object *value = lookup (event, key);
  if (!value || !(json_object_is_type (value, json_type_double) ||
                  json_object_is_type (value, json_type_int)))
    return FALSE;
  if (out)
    *out = json_object_get_double (value);
  return TRUE;
}

gboolean
ams_event_get_bool (const AmsEvent *event, const char *key, gboolean *out)
{
  json_object *value = lookup (event, key);
  if (!value || !json_object_is_type (value, json_type_boolean))
    return FALSE;
  if (out)
    *out = json_object_get_boolean (value) ? TRUE : FALSE;
  return TRUE;
}

char **
ams_event_dup_strv (const AmsEvent *event, const char *key)
{
  json_object *value = lookup (event, key);
  if (!value || !json_object_is_type (value, json_type_array))
    return NULL;
  GPtrArray *strings = g_ptr_array_new ();
  size_t n = json_object_array_length (value);
  for (size_t i = 0; i < n; i++) {
    json_object *item = json_object_array_get_idx (value, i);
    if (item && json_object_is_type (item, json_type_string))
      g_ptr_array_add (strings, g_strdup (json_object_get_string (item)));
  }
  g_ptr_array_add (strings, NULL);
  return (char **) g_ptr_array_free (strings, FALSE);
}

char *
ams_event_dup_json (const AmsEvent *event, const char *key)
{
  json_object *value = NULL;
  if (!event || !key || !json_object_object_get_ex (event->fields, key, &value))
    return NULL;
  return g_strdup (json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
}

char *
ams_event_to_json (const AmsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);
  /* A fresh object so the name comes first and the fields keep their order;
   * the values are shared, not copied. */
  json_object *out = json_object_new_object ();
  json_object_object_add (out, AMS_EVENT_NAME_KEY, json_object_new_string (event->name));
  json_object_object_foreach (event->fields, key, value) {
    if (strcmp (key, AMS_EVENT_NAME_KEY) == 0)
      continue;
    json_object_object_add (out, key, json_object_get (value));
  }
  char *text = g_strdup (json_object_to_json_string_ext (out, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (out);
  return text;
}

void
ams_event_set_error (AmsEvent *event, const GError *error)
{
  g_return_if_fail (event != NULL && error != NULL);
  ams_event_set_string (event, "errorDomain", g_quark_to_string (error->domain));
  ams_event_set_int (event, "errorCode", error->code);
  ams_event_set_string (event, "errorMessage", error->message);
  if (error->domain == AMS_ERROR && !ams_event_has_field (event, "definition")) {
    const char *definition = ams_error_to_definition ((AmsError) error->code);
    if (definition)
      ams_event_set_string (event, "definition", definition);
  }
}

GError *
ams_event_get_error (const AmsEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);
  gint64 code = 0;
  const char *domain = ams_event_get_string (event, "errorDomain");
  if (domain && ams_event_get_int (event, "errorCode", &code)) {
    const char *message = ams_event_get_string (event, "errorMessage");
    if (g_strcmp0 (domain, g_quark_to_string (AMS_ERROR)) == 0)
      return g_error_new_literal (AMS_ERROR, (int) code, message ? message : "error");
    return g_error_new (AMS_ERROR, AMS_ERROR_FAILED, "%s", message ? message : domain);
  }
  if (g_strcmp0 (ams_event_get_string (event, "command"), "error") != 0)
    return NULL;
  const char *definition = ams_event_get_string (event, "definition");
  AmsError ams_code = definition ? ams_error_from_definition (definition)
                                 : AMS_ERROR_UNKNOWN_SERVER_ERROR;
  const char *stream_id = ams_event_get_stream_id (event);
  const char *information = ams_event_get_string (event, "information");
  GString *message = g_string_new ("server error ");
  g_string_append (message, definition ? definition : "(no definition)");
  if (stream_id)
    g_string_append_printf (message, " for stream %s", stream_id);
  if (information)
    g_string_append_printf (message, ": %s", information);
  GError *error = g_error_new_literal (AMS_ERROR, ams_code, message->str);
  g_string_free (message, TRUE);
  return error;
}

AmsEvent *
ams_event_new_from_object (const char *name, json_object *object)
{
  AmsEvent *event = ams_event_new (name);
  json_object *copy = NULL;
  if (object && json_object_is_type (object, json_type_object) &&
      json_object_deep_copy (object, &copy, NULL) == 0) {
    json_object_put (event->fields);
    event->fields = copy;
  }
  return event;
}
