/* fuzz-event.c: libFuzzer target for AmsEvent, the object through which
 * server messages reach applications and the CLI's JSON-lines output.
 *
 * The input is decoded as an AMS message and turned into an event; every
 * field is read with every getter; the event's JSON (what `amsclient
 * --json` prints) must parse as one JSON object with the event's fields,
 * and must come back unchanged through ams_event_new_from_json. Anything
 * else aborts. */
#include "protocol/ams-message.h"
#include "client/ams-event-private.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fail (const char *what, const char *text)
{
  fprintf (stderr, "fuzz-event: %s\n  %.300s\n", what, text != NULL ? text : "");
  abort ();
}

static void
read_every_field (const AmsEvent *event)
{
  char **keys = ams_event_get_keys (event);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      gint64 n;
      double d;
      gboolean b;
      char *json;

      if (!ams_event_has_field (event, keys[i]))
        fail ("a listed key is not a field", keys[i]);
      (void) ams_event_get_string (event, keys[i]);
      (void) ams_event_get_int (event, keys[i], &n);
      (void) ams_event_get_double (event, keys[i], &d);
      (void) ams_event_get_bool (event, keys[i], &b);
      g_strfreev (ams_event_dup_strv (event, keys[i]));
      json = ams_event_dup_json (event, keys[i]);
      if (json == NULL)
        fail ("a field has no JSON text", keys[i]);
      g_free (json);
    }
  g_strfreev (keys);
  (void) ams_event_get_stream_id (event);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  AmsMessage *msg = ams_message_decode ((const char *) data, size, 0, NULL);
  AmsEvent *event, *again;
  GError *error = NULL;
  char *line, *line2;

  if (msg == NULL)
    return 0;

  event = ams_event_new_from_object ("message", ams_message_get_object (msg));
  read_every_field (event);
  error = ams_event_get_error (event);
  if (ams_message_get_command (msg) == AMS_CMD_ERROR &&
      (error == NULL || error->domain != AMS_ERROR))
    fail ("a server error message gives no AMS_ERROR", ams_message_get_definition (msg));
  g_clear_error (&error);

  line = ams_event_to_json (event);
  if (line == NULL || strchr (line, '\n') != NULL)
    fail ("event JSON is not one line", line);
  again = ams_event_new_from_json ("message", line, &error);
  if (again == NULL)
    fail (error != NULL ? error->message : "event JSON does not parse back", line);
  line2 = ams_event_to_json (again);
  if (strcmp (line, line2) != 0)
    fail ("event JSON changes through a round trip", line2);

  g_free (line);
  g_free (line2);
  ams_event_unref (again);
  ams_event_unref (event);
  ams_message_unref (msg);
  return 0;
}
