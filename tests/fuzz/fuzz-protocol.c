/* fuzz-protocol.c: libFuzzer target for the AMS message decoder.
 *
 * Any input either fails with a PROTOCOL or MESSAGE_TOO_BIG error, or
 * decodes into a message that encodes to JSON which decodes back to an equal
 * message and re-encodes to the same text. Any other outcome aborts, so
 * libFuzzer keeps the input as a crash. The getters run over every schema
 * field of the decoded message so that their type checks are exercised. */
#include "protocol/ams-message.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fail (const char *what, const char *text)
{
  fprintf (stderr, "fuzz-protocol: %s\n  %s\n", what, text != NULL ? text : "");
  abort ();
}

static void
touch_fields (const AmsMessage *msg, const AmsFieldSpec *fields)
{
  for (; fields != NULL && fields->name != NULL; fields++)
    {
      gint64 i;
      gboolean b;
      char **strv;

      (void) ams_message_has (msg, fields->name);
      (void) ams_message_get_string (msg, fields->name);
      (void) ams_message_get_int (msg, fields->name, &i);
      (void) ams_message_get_bool (msg, fields->name, &b);
      strv = ams_message_dup_strv (msg, fields->name);
      g_strfreev (strv);
      if (fields->type == AMS_FIELD_STRING && ams_message_get_string (msg, fields->name))
        (void) ams_stream_id_is_valid (ams_message_get_string (msg, fields->name));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  AmsMessage *msg, *again;
  char *text, *text2;
  gsize len, len2;
  const char *definition;

  msg = ams_message_decode ((const char *) data, size, 0, &error);
  if (msg == NULL)
    {
      if (error == NULL)
        fail ("decode failed without an error", NULL);
      if (error->domain != AMS_ERROR ||
          (error->code != AMS_ERROR_PROTOCOL && error->code != AMS_ERROR_MESSAGE_TOO_BIG))
        fail ("decode failed with an unexpected error", error->message);
      if (error->message == NULL || error->message[0] == '\0')
        fail ("decode error without a message", NULL);
      g_error_free (error);
      return 0;
    }
  if (error != NULL)
    fail ("decode succeeded and set an error", error->message);

  touch_fields (msg, ams_schema_command_fields (ams_message_get_command (msg)));
  touch_fields (msg, ams_schema_notification_fields (ams_message_get_notification (msg)));
  definition = ams_message_get_definition (msg);
  if (ams_message_get_command (msg) == AMS_CMD_ERROR &&
      ams_message_get_error (msg) != ams_error_from_definition (definition))
    fail ("error code does not match the definition", definition);
  touch_fields (msg, ams_schema_error_fields (ams_message_get_error (msg)));

  text = ams_message_encode (msg, &len);
  if (text == NULL || strlen (text) != len)
    fail ("encode returned a bad length", text);
  again = ams_message_decode (text, len, 0, &error);
  if (again == NULL)
    fail ("re-encoded message does not decode", text);
  if (!ams_message_equal (msg, again))
    fail ("decode(encode(x)) != x", text);
  text2 = ams_message_encode (again, &len2);
  if (len2 != len || memcmp (text, text2, len) != 0)
    fail ("encoding is not stable", text2);

  g_free (text);
  g_free (text2);
  ams_message_unref (again);
  ams_message_unref (msg);
  return 0;
}
