/* ams-message.c: AmsMessage, a json-c object with its command cached, and
 * its strict-but-tolerant decoder.
 *
 * The message owns one json-c object that holds every field, `command`
 * included, so unknown fields survive a decode/encode round trip untouched.
 * Decoding checks the known fields against the schema (ams-schema.c).
 *
 * Threading: a message may be passed between threads, but must be used by
 * one thread at a time (json-c caches the encoded text inside the object, so
 * even encoding writes to it). Reference counting is atomic. */
#include "protocol/ams-message.h"

#include <math.h>
#include <string.h>

struct _AmsMessage {
  gint         ref_count;
  json_object *obj;
  AmsCommand   cmd;
};

static AmsMessage *
message_wrap_command (json_object *obj, AmsCommand cmd)
{
  AmsMessage *msg = g_new0 (AmsMessage, 1);

  msg->ref_count = 1;
  msg->obj = obj;
  msg->cmd = cmd;
  return msg;
}

static AmsMessage *
message_wrap (json_object *obj)
{
  const char *name = NULL;
  json_object *val;

  if (json_object_object_get_ex (obj, "command", &val) &&
      json_object_is_type (val, json_type_string))
    name = json_object_get_string (val);
  return message_wrap_command (obj, ams_command_from_string (name));
}

AmsMessage *
ams_message_new (AmsCommand cmd)
{
  json_object *obj;

  g_return_val_if_fail ((guint) cmd < AMS_CMD_LAST, NULL);

  obj = json_object_new_object ();
  if (cmd != AMS_CMD_UNKNOWN)
    json_object_object_add (obj, "command",
                            json_object_new_string (ams_command_to_string (cmd)));
  return message_wrap_command (obj, cmd);
}

AmsMessage *
ams_message_new_notification (AmsNotification def)
{
  AmsMessage *msg;

  g_return_val_if_fail ((guint) def < AMS_NOTIFY_LAST, NULL);

  msg = ams_message_new (AMS_CMD_NOTIFICATION);
  if (def != AMS_NOTIFY_UNKNOWN)
    ams_message_set_string (msg, "definition", ams_notification_to_string (def));
  return msg;
}

AmsMessage *
ams_message_new_error (AmsError code)
{
  const char *definition = ams_error_to_definition (code);
  AmsMessage *msg;

  g_return_val_if_fail (definition != NULL, NULL);

  msg = ams_message_new (AMS_CMD_ERROR);
  ams_message_set_string (msg, "definition", definition);
  return msg;
}

AmsMessage *
ams_message_ref (AmsMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  g_atomic_int_inc (&msg->ref_count);
  return msg;
}

void
ams_message_unref (AmsMessage *msg)
{
  if (msg == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&msg->ref_count))
    return;
  json_object_put (msg->obj);
  g_free (msg);
}

AmsCommand
ams_message_get_command (const AmsMessage *msg)
{
  g_return_val_if_fail (msg != NULL, AMS_CMD_UNKNOWN);
  return msg->cmd;
}

const char *
ams_message_get_definition (const AmsMessage *msg)
{
  return ams_message_get_string (msg, "definition");
}

AmsNotification
ams_message_get_notification (const AmsMessage *msg)
{
  g_return_val_if_fail (msg != NULL, AMS_NOTIFY_UNKNOWN);
  if (msg->cmd != AMS_CMD_NOTIFICATION)
    return AMS_NOTIFY_UNKNOWN;
  return ams_notification_from_string (ams_message_get_definition (msg));
}

AmsError
ams_message_get_error (const AmsMessage *msg)
{
  g_return_val_if_fail (msg != NULL, 0);
  if (msg->cmd != AMS_CMD_ERROR)
    return 0;
  return ams_error_from_definition (ams_message_get_definition (msg));
}

/* ------------------------------------------------------------- setters */

/* Every setter goes through here so the cached command follows `command`. */
static void
message_put (AmsMessage *msg, const char *key, json_object *value)
{
  json_object_object_add (msg->obj, key, value);
  if (strcmp (key, "command") == 0)
    msg->cmd = ams_command_from_string (json_object_is_type (value, json_type_string)
                                        ? json_object_get_string (value) : NULL);
}

void
ams_message_set_string (AmsMessage *msg, const char *key, const char *value)
{
  g_return_if_fail (msg != NULL && key != NULL);
  message_put (msg, key, value != NULL ? json_object_new_string (value) : NULL);
}

void
ams_message_set_int (AmsMessage *msg, const char *key, gint64 value)
{
  g_return_if_fail (msg != NULL && key != NULL);
  message_put (msg, key, json_object_new_int64 (value));
}

void
ams_message_set_bool (AmsMessage *msg, const char *key, gboolean value)
{
  g_return_if_fail (msg != NULL && key != NULL);
  message_put (msg, key, json_object_new_boolean (value ? 1 : 0));
}

void
ams_message_set_strv (AmsMessage *msg, const char *key, const char *const *values)
{
  json_object *array;

  g_return_if_fail (msg != NULL && key != NULL);

  array = json_object_new_array ();
  for (gsize i = 0; values != NULL && values[i] != NULL; i++)
    json_object_array_add (array, json_object_new_string (values[i]));
  message_put (msg, key, array);
}

void
ams_message_set_json (AmsMessage *msg, const char *key, json_object *value)
{
  if (msg == NULL || key == NULL)
    {
      json_object_put (value);
      g_return_if_fail (msg != NULL && key != NULL);
      return;
    }
  message_put (msg, key, value);
}

void
ams_message_remove (AmsMessage *msg, const char *key)
{
  g_return_if_fail (msg != NULL && key != NULL);
  json_object_object_del (msg->obj, key);
  if (strcmp (key, "command") == 0)
    msg->cmd = AMS_CMD_UNKNOWN;
}

/* ------------------------------------------------------------- getters */

gboolean
ams_message_has (const AmsMessage *msg, const char *key)
{
  g_return_val_if_fail (msg != NULL && key != NULL, FALSE);
  return json_object_object_get_ex (msg->obj, key, NULL);
}

json_object *
ams_message_get_json (const AmsMessage *msg, const char *key)
{
  json_object *val = NULL;

  g_return_val_if_fail (msg != NULL && key != NULL, NULL);
  if (!json_object_object_get_ex (msg->obj, key, &val))
    return NULL;
  return val;
}

json_object *
ams_message_get_object (const AmsMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  return msg->obj;
}

const char *
ams_message_get_string (const AmsMessage *msg, const char *key)
{
  json_object *val = ams_message_get_json (msg, key);

  if (!json_object_is_type (val, json_type_string))
    return NULL;
  return json_object_get_string (val);
}

gboolean
ams_json_get_int (json_object *val, gint64 *out)
{
  gint64 v;

  if (json_object_is_type (val, json_type_int))
    {
      v = json_object_get_int64 (val);
      /* json-c keeps integers above G_MAXINT64 as unsigned; they do not fit. */
      if (v == G_MAXINT64 && json_object_get_uint64 (val) > (guint64) G_MAXINT64)
        return FALSE;
    }
  else if (json_object_is_type (val, json_type_string))
    {
      /* Real servers send some numbers as strings: error_code "404". */
      if (!g_ascii_string_to_signed (json_object_get_string (val), 10,
                                     G_MININT64, G_MAXINT64, (gint64 *) &v, NULL))
        return FALSE;
    }
  else
    return FALSE;

  if (out != NULL)
    *out = v;
  return TRUE;
}

gboolean
ams_message_get_int (const AmsMessage *msg, const char *key, gint64 *out)
{
  return ams_json_get_int (ams_message_get_json (msg, key), out);
}

gboolean
ams_message_get_bool (const AmsMessage *msg, const char *key, gboolean *out)
{
  json_object *val = ams_message_get_json (msg, key);

  if (!json_object_is_type (val, json_type_boolean))
    return FALSE;
  if (out != NULL)
    *out = json_object_get_boolean (val) ? TRUE : FALSE;
  return TRUE;
}

char **
ams_message_dup_strv (const AmsMessage *msg, const char *key)
{
  json_object *val = ams_message_get_json (msg, key);
  char **strv;
  gsize n;

  if (!json_object_is_type (val, json_type_array))
    return NULL;
  n = json_object_array_length (val);
  for (gsize i = 0; i < n; i++)
    if (!json_object_is_type (json_object_array_get_idx (val, i), json_type_string))
      return NULL;

  strv = g_new0 (char *, n + 1);
  for (gsize i = 0; i < n; i++)
    strv[i] = g_strdup (json_object_get_string (json_object_array_get_idx (val, i)));
  return strv;
}

/* ---------------------------------------------------- encode / compare */

const char *
ams_message_encode_peek (const AmsMessage *msg, gsize *len)
{
  const char *text;
  size_t text_len = 0;

  g_return_val_if_fail (msg != NULL, NULL);

  /* json-c keeps the text in the object until the next serialisation. */
  text = json_object_to_json_string_length (msg->obj,
                                            JSON_C_TO_STRING_PLAIN |
                                            JSON_C_TO_STRING_NOSLASHESCAPE,
                                            &text_len);
  if (len != NULL)
    *len = text_len;
  return text;
}

char *
ams_message_encode (const AmsMessage *msg, gsize *len)
{
  gsize text_len = 0;
  const char *text;

  g_return_val_if_fail (msg != NULL, NULL);

  text = ams_message_encode_peek (msg, &text_len);
  if (len != NULL)
    *len = text_len;
  return text ? g_strndup (text, text_len) : NULL;
}

gboolean
ams_message_equal (const AmsMessage *a, const AmsMessage *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return a->cmd == b->cmd && json_object_equal (a->obj, b->obj) != 0;
}

gboolean
ams_stream_id_is_valid (const char *id)
{
  if (id == NULL || *id == '\0')
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------- decode */

static const char *
json_type_label (json_object *val)
{
  switch (json_object_get_type (val))
    {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a fractional number";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
  return "unknown";
}

static const char *
field_type_label (AmsFieldType type)
{
  switch (type)
    {
    case AMS_FIELD_STRING: return "a string";
    case AMS_FIELD_INT: return "an integer";
    case AMS_FIELD_INT_OR_STRING: return "an integer or a string";
    case AMS_FIELD_BOOL: return "a boolean";
    case AMS_FIELD_STRING_ARRAY: return "an array of strings";
    case AMS_FIELD_ARRAY: return "an array";
    case AMS_FIELD_OBJECT: return "an object";
    case AMS_FIELD_ANY: return "any value";
    }
  return "unknown";
}

/* A string with an embedded NUL ("\u0000") would read back cut short in C,
 * so a stream id could pass validation on its prefix alone. */
static gboolean
string_is_clean (json_object *val)
{
  return strlen (json_object_get_string (val)) == (size_t) json_object_get_string_len (val);
}

static gboolean
value_matches (const AmsFieldSpec *spec, json_object *val, const char **why)
{
  json_type type = json_object_get_type (val);

  *why = NULL;
  if (type == json_type_null)
    {
      /* AMS writes Java nulls as JSON null: fine for any string-like field,
       * and for any optional field (reads as absent). */
      switch (spec->type)
        {
        case AMS_FIELD_INT:
        case AMS_FIELD_INT_OR_STRING:
        case AMS_FIELD_BOOL:
          return !spec->required;
        default:
          return TRUE;
        }
    }

  switch (spec->type)
    {
    case AMS_FIELD_STRING:
      if (type != json_type_string)
        return FALSE;
      if (!string_is_clean (val))
        *why = "contains a NUL character";
      return *why == NULL;
    case AMS_FIELD_INT:
      return type == json_type_int && ams_json_get_int (val, NULL);
    case AMS_FIELD_INT_OR_STRING:
      if (type == json_type_string)
        {
          if (!string_is_clean (val))
            *why = "contains a NUL character";
          return *why == NULL;
        }
      return type == json_type_int && ams_json_get_int (val, NULL);
    case AMS_FIELD_BOOL:
      return type == json_type_boolean;
    case AMS_FIELD_STRING_ARRAY:
      if (type != json_type_array)
        return FALSE;
      for (gsize i = 0; i < json_object_array_length (val); i++)
        {
          json_object *item = json_object_array_get_idx (val, i);
          if (!json_object_is_type (item, json_type_string))
            {
              *why = "has an element that is not a string";
              return FALSE;
            }
          if (!string_is_clean (item))
            {
              *why = "has an element with a NUL character";
              return FALSE;
            }
        }
      return TRUE;
    case AMS_FIELD_ARRAY:
      return type == json_type_array;
    case AMS_FIELD_OBJECT:
      return type == json_type_object;
    case AMS_FIELD_ANY:
      return TRUE;
    }
  return FALSE;
}

static gboolean
check_fields (json_object *obj, const AmsFieldSpec *fields, const char *what,
              GError **error)
{
  for (; fields != NULL && fields->name != NULL; fields++)
    {
      json_object *val;
      const char *why;

      if (!json_object_object_get_ex (obj, fields->name, &val))
        {
          if (fields->required)
            {
              g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                           "%s: required field '%s' is missing", what, fields->name);
              return FALSE;
            }
          continue;
        }
      if (value_matches (fields, val, &why))
        continue;
      if (why != NULL)
        g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                     "%s: field '%s' %s", what, fields->name, why);
      else
        g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                     "%s: field '%s' must be %s%s, not %s", what, fields->name,
                     field_type_label (fields->type),
                     fields->required ? "" : " or null", json_type_label (val));
      return FALSE;
    }
  return TRUE;
}

/* JSON has no NaN or infinity, yet json-c reads "NaN", "Infinity" and
 * overflowing exponents; such a value never compares equal to itself. */
static gboolean
numbers_are_finite (json_object *val)
{
  switch (json_object_get_type (val))
    {
    case json_type_double:
      return isfinite (json_object_get_double (val));
    case json_type_array:
      for (gsize i = 0; i < json_object_array_length (val); i++)
        if (!numbers_are_finite (json_object_array_get_idx (val, i)))
          return FALSE;
      return TRUE;
    case json_type_object:
      {
        json_object_object_foreach (val, key, child)
          {
            (void) key;
            if (!numbers_are_finite (child))
              return FALSE;
          }
        return TRUE;
      }
    default:
      return TRUE;
    }
}

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static json_object *
parse_json (const char *data, gsize len, GError **error)
{
  struct json_tokener *tok;
  enum json_tokener_error jerr;
  json_object *obj;
  gsize end;

  /* A fresh parser per message: json-c 0.16's json_tokener_reset() leaves
   * state behind (a reused parser made the protocol fuzzer's
   * decode(encode(x)) differ from x), and the saving was small. */
  tok = json_tokener_new_ex (AMS_MESSAGE_MAX_DEPTH);
  if (tok == NULL)
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_FAILED, "out of memory for the JSON parser");
      return NULL;
    }
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  obj = json_tokener_parse_ex (tok, data, (int) len);
  jerr = json_tokener_get_error (tok);
  end = json_tokener_get_parse_end (tok);
  if (jerr == json_tokener_continue)
    {
      /* The frame is all there is: a NUL tells json-c the input ended (a
       * bare number is only complete then). */
      obj = json_tokener_parse_ex (tok, "", 1);
      jerr = json_tokener_get_error (tok);
      if (jerr == json_tokener_success)
        end = len;
    }
  json_tokener_free (tok);

  if (jerr == json_tokener_error_parse_eof || (obj == NULL && jerr == json_tokener_success))
    {
      json_object_put (obj);
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL, "invalid JSON: message ends early");
      return NULL;
    }
  if (jerr == json_tokener_error_depth)
    {
      json_object_put (obj);
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                   "invalid JSON: nested deeper than %d levels", AMS_MESSAGE_MAX_DEPTH);
      return NULL;
    }
  if (jerr != json_tokener_success)
    {
      json_object_put (obj);
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL, "invalid JSON at byte %" G_GSIZE_FORMAT ": %s",
                   end, json_tokener_error_desc (jerr));
      return NULL;
    }
  for (gsize i = end; i < len; i++)
    if (!is_json_space (data[i]))
      {
        json_object_put (obj);
        g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                     "invalid JSON: trailing data at byte %" G_GSIZE_FORMAT, i);
        return NULL;
      }
  return obj;
}

/* The definition-specific fields of a notification or an error. */
static gboolean
check_definition (json_object *obj, AmsCommand cmd, GError **error)
{
  json_object *val;
  const char *definition;
  AmsNotification def;
  AmsError code;
  g_autofree char *what = NULL;

  if (!json_object_object_get_ex (obj, "definition", &val) ||
      !json_object_is_type (val, json_type_string))
    return TRUE;
  definition = json_object_get_string (val);
  what = g_strdup_printf ("%s %s", ams_command_to_string (cmd), definition);

  if (cmd == AMS_CMD_NOTIFICATION)
    {
      def = ams_notification_from_string (definition);
      if (def != AMS_NOTIFY_UNKNOWN)
        return check_fields (obj, ams_schema_notification_fields (def), what, error);
    }
  /* Errors, and notifications that carry an error name (push results). */
  code = ams_error_from_definition (definition);
  if (code == AMS_ERROR_UNKNOWN_SERVER_ERROR && cmd == AMS_CMD_NOTIFICATION)
    return TRUE;
  return check_fields (obj, ams_schema_error_fields (code), what, error);
}

AmsMessage *
ams_message_decode (const char *data, gsize len, gsize max_size, GError **error)
{
  json_object *obj, *val;
  const char *name;
  AmsCommand cmd;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (max_size == 0)
    max_size = AMS_MESSAGE_DEFAULT_MAX_SIZE;
  if (len > max_size || len > G_MAXINT)
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_MESSAGE_TOO_BIG,
                   "message of %" G_GSIZE_FORMAT " bytes is over the %" G_GSIZE_FORMAT "-byte limit",
                   len, MIN (max_size, (gsize) G_MAXINT));
      return NULL;
    }
  if (data == NULL || len == 0)
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL, "empty message");
      return NULL;
    }
  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                   "invalid JSON: NUL byte at byte %" G_GSIZE_FORMAT,
                   (gsize) ((const char *) memchr (data, '\0', len) - data));
      return NULL;
    }

  obj = parse_json (data, len, error);
  if (obj == NULL)
    return NULL;

  if (!json_object_is_type (obj, json_type_object))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                   "message is %s, not a JSON object", json_type_label (obj));
      goto fail;
    }
  if (!numbers_are_finite (obj))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                   "invalid JSON: a number is not finite");
      goto fail;
    }
  if (!json_object_object_get_ex (obj, "command", &val))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL, "message has no 'command'");
      goto fail;
    }
  if (!json_object_is_type (val, json_type_string))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                   "'command' must be a string, not %s", json_type_label (val));
      goto fail;
    }
  if (!string_is_clean (val))
    {
      g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL,
                   "'command' contains a NUL character");
      goto fail;
    }
  name = json_object_get_string (val);
  cmd = ams_command_from_string (name);

  /* Unknown commands are kept as they are: servers add commands. */
  if (cmd != AMS_CMD_UNKNOWN)
    {
      if (!check_fields (obj, ams_schema_command_fields (cmd), name, error))
        goto fail;
      if ((cmd == AMS_CMD_NOTIFICATION || cmd == AMS_CMD_ERROR) &&
          !check_definition (obj, cmd, error))
        goto fail;
    }
  return message_wrap (obj);

fail:
  json_object_put (obj);
  return NULL;
}
