/* ams-server-media.h: the mini-server's media backend (internal API).
 *
 * Adapts the server core's media backend vtable (ams-server-core.h) to the
 * relay (media/ams-relay.h): every publish and play session of the core
 * becomes a relay session under a unique key; what the relay reports (local
 * SDP and candidates, media started, player connected, publisher gone,
 * stream info, failures) goes back into the core through its
 * ams_server_core_media_* entry points, and the resulting actions are sent
 * with ams_mini_server_dispatch().
 *
 * Relay reports are queued and handled from an idle source on the server's
 * context, never from inside a core call (the core forbids re-entry).
 *
 * Threading: bound to the AmsMiniServer's GMainContext; call everything from
 * the thread running it. */
#pragma once

#include <glib.h>
#include <amsclient/ams-mini-server.h>

G_BEGIN_DECLS

typedef struct _AmsServerMedia AmsServerMedia;

/**
 * ams_server_media_read_enabled:
 * @key_file: (transfer none): the server's merged configuration
 * @enabled: (out): the value of `[media] enabled` (default TRUE)
 *
 * Returns: FALSE with %AMS_ERROR_INVALID_ARGUMENT when the key is malformed.
 */
gboolean ams_server_media_read_enabled (GKeyFile *key_file, gboolean *enabled, GError **error);

/**
 * ams_server_media_validate:
 * @key_file: (transfer none): the server's merged configuration
 *
 * Checks the `[media]` keys. Returns: FALSE with
 * %AMS_ERROR_INVALID_ARGUMENT naming the bad key.
 */
gboolean ams_server_media_validate (GKeyFile *key_file, GError **error);

/**
 * ams_server_media_new:
 * @server: (transfer none): the started server; must outlive the result
 * @bind_address: (nullable): the address the server listens on, used as the
 *   default ICE address when it names one interface
 *
 * Reads the `[media]` keys of the server's configuration, creates the relay
 * and installs itself as the core's media backend.
 *
 * Returns: (transfer full) (nullable): the backend, or NULL with @error.
 */
AmsServerMedia *ams_server_media_new (AmsMiniServer *server, const char *bind_address,
                                      GError **error);

/* Starts the process's DTLS key and WebRTC plugin loading in the
 * background (ams_media_prewarm()), so the first publisher does not wait
 * for them.  Called once the server listens: a server that cannot start
 * has no use for a key. */
void ams_server_media_prewarm (AmsServerMedia *media);

/* Tears every media session down (no reports) and uninstalls the backend.
 * NULL is fine. */
void ams_server_media_free (AmsServerMedia *media);

G_END_DECLS
