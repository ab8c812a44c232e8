/* ams-mini-server-private.h: what a media backend needs from AmsMiniServer.
 *
 * The relay plugs into the server core (ams-server-core.h) through
 * ams_mini_server_set_media_backend() and reports back by calling the
 * ams_server_core_media_* entry points with an array from
 * ams_server_actions_new(), then handing that array to
 * ams_mini_server_dispatch(), which sends the messages and re-arms the
 * core's timer. All on the server's context. */
#pragma once

#include <amsclient/ams-mini-server.h>
#include "server/ams-server-core.h"

G_BEGIN_DECLS

/* Returns: (transfer none): the core; NULL before start. */
AmsServerCore *ams_mini_server_get_core (AmsMiniServer *self);
/* Returns: (transfer none): the merged configuration file (for the media
 * backend's own keys). */
GKeyFile      *ams_mini_server_get_key_file (AmsMiniServer *self);
/* Returns: (transfer none) */
GMainContext  *ams_mini_server_get_context (AmsMiniServer *self);
/* Takes effect at start (or at once when already started). */
void           ams_mini_server_set_media_backend (AmsMiniServer *self,
                                                  const AmsServerMediaBackend *backend,
                                                  gpointer user_data);
/* Performs @actions (consumed: the array is emptied) and re-arms timers. */
void           ams_mini_server_dispatch (AmsMiniServer *self, GPtrArray *actions);

G_END_DECLS
