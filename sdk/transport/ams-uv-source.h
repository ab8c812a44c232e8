/* ams-uv-source.h: a libuv loop nested in a GMainContext as one GSource.
 *
 * The source watches uv_backend_fd() (one epoll fd for every socket of the
 * loop), takes its timeout from uv_backend_timeout() and runs
 * uv_run(UV_RUN_NOWAIT) when dispatched. This keeps a server with thousands
 * of sockets at one GLib poll entry (see stack-notes.md).
 *
 * Threading: attach it to the context of the thread that owns the uv loop. */
#pragma once

#include <glib.h>
#include <uv.h>

G_BEGIN_DECLS

/* Returns: (transfer full): a new, unattached source for @loop. @loop must
 * outlive the source. */
GSource *ams_uv_source_new (uv_loop_t *loop);

/* Makes the source run the loop once more as soon as possible: libuv applies
 * changes to its watched sockets (e.g. a request for POLLOUT made outside a
 * uv callback) only when it runs. */
void     ams_uv_source_wakeup (GSource *source);

G_END_DECLS
