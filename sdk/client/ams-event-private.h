/* ams-event-private.h: AmsEvent constructors for the SDK's own use. */
#pragma once

#include <json-c/json.h>
#include <amsclient/ams-event.h>

G_BEGIN_DECLS

/* Returns: (transfer full) an event holding a deep copy of the members of
 * @object (a JSON object; anything else gives an event with no fields). */
AmsEvent *ams_event_new_from_object (const char *name, json_object *object);

G_END_DECLS
