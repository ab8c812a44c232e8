/* ams-mini-server.h: AmsMiniServer, an embeddable AMS-compatible server.
 *
 * The same server as the ams-mini-server program, as an object, so that an
 * application's own tests can start one on a free loopback port:
 *
 *   g_autoptr (AmsMiniServer) server = ams_mini_server_new (NULL);
 *   ams_mini_server_set_port (server, 0);           // pick a free port
 *   if (!ams_mini_server_start (server, &error)) ...
 *   url = g_strdup_printf ("ws://127.0.0.1:%u/LiveApp/websocket",
 *                          ams_mini_server_get_port (server));
 *
 * It speaks AMS's WebSocket signalling on `/<App>/websocket` (any App, any
 * query string). Configuration comes from a GKeyFile (the groups and keys
 * of ams-mini-server(1)) and the setters below; set it before start.
 *
 * Threading: an AmsMiniServer is bound to the GMainContext given to
 * ams_mini_server_new() (the thread-default one when %NULL); it serves only
 * while that context is iterated, and all its functions must be called from
 * the thread that runs it. It starts no thread and no main loop. */
#pragma once

#include <glib-object.h>
#include <amsclient/ams-export.h>
#include <amsclient/ams-error.h>

G_BEGIN_DECLS

#define AMS_TYPE_MINI_SERVER (ams_mini_server_get_type ())
AMS_API G_DECLARE_FINAL_TYPE (AmsMiniServer, ams_mini_server, AMS, MINI_SERVER, GObject)

/**
 * ams_mini_server_new:
 * @context: (nullable): the context to serve on; %NULL for the
 *   thread-default context
 *
 * Returns: (transfer full): a stopped server with the default configuration
 * (127.0.0.1, port 5080, no tokens, no STUN/TURN, start timeout 10 s).
 */
AMS_API AmsMiniServer *ams_mini_server_new (GMainContext *context);

/**
 * ams_mini_server_load_config:
 * @self: a stopped server
 * @key_file: (transfer none): configuration groups and keys as documented in
 *   ams-mini-server(1)
 * @error: return location for a #GError
 *
 * Reads every known key; unknown groups and keys are ignored. Values read
 * later override earlier ones.
 *
 * Returns: %TRUE, or %FALSE with %AMS_ERROR_INVALID_ARGUMENT naming the bad
 * key (secrets are never quoted).
 */
AMS_API gboolean ams_mini_server_load_config (AmsMiniServer *self, GKeyFile *key_file,
                                              GError **error);

/**
 * ams_mini_server_load_config_file:
 * @self: a stopped server
 * @path: a GKeyFile file
 * @error: return location for a #GError
 *
 * Returns: %TRUE, or %FALSE with a #GError (file or key errors).
 */
AMS_API gboolean ams_mini_server_load_config_file (AmsMiniServer *self, const char *path,
                                                   GError **error);

/**
 * ams_mini_server_set_bind_address:
 * @self: a stopped server
 * @address: an IP address to listen on (default "127.0.0.1"); copied
 */
AMS_API void ams_mini_server_set_bind_address (AmsMiniServer *self, const char *address);

/**
 * ams_mini_server_set_port:
 * @self: a stopped server
 * @port: the TCP port; 0 lets the system pick a free one (see
 *   ams_mini_server_get_port())
 */
AMS_API void ams_mini_server_set_port (AmsMiniServer *self, guint port);

/**
 * ams_mini_server_add_fault:
 * @self: a stopped server
 * @directive: a fault directive such as "delay:publish:500", "drop:ping",
 *   "close-after:play", "refuse:publish:highResourceUsage", "no-pong" or
 *   "candidates-before-sdp" (see ams-mini-server(1)); copied
 * @error: return location for a #GError
 *
 * Returns: %TRUE, or %FALSE with %AMS_ERROR_INVALID_ARGUMENT.
 */
AMS_API gboolean ams_mini_server_add_fault (AmsMiniServer *self, const char *directive,
                                            GError **error);

/**
 * ams_mini_server_start:
 * @self: a stopped server
 * @error: return location for a #GError
 *
 * Binds and listens; serving happens while the server's context runs.
 *
 * Returns: %TRUE, or %FALSE with %AMS_ERROR_CONNECT (address or port not
 * available) or %AMS_ERROR_FAILED.
 */
AMS_API gboolean ams_mini_server_start (AmsMiniServer *self, GError **error);

/**
 * ams_mini_server_get_port:
 * @self: a server
 *
 * Returns: the port listened on (the chosen one after port 0), or 0 when
 * not started.
 */
AMS_API guint ams_mini_server_get_port (AmsMiniServer *self);

/**
 * ams_mini_server_get_n_connections:
 * @self: a server
 *
 * Returns: the number of open WebSocket connections.
 */
AMS_API guint ams_mini_server_get_n_connections (AmsMiniServer *self);

/**
 * ams_mini_server_stop:
 * @self: a server
 *
 * Closes every connection (close code 1001, bounded wait of about one
 * second) and stops listening. Safe to call when not started; also done on
 * finalize.
 */
AMS_API void ams_mini_server_stop (AmsMiniServer *self);

G_END_DECLS
