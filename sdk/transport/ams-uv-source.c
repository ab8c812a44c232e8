/* ams-uv-source.c: libuv inside GLib, one GSource for the whole uv loop. */
#include "transport/ams-uv-source.h"

/* Safety net: libuv applies socket watch changes made inside its own
 * callbacks only on its next iteration, and lws sometimes makes such changes
 * itself (partial writes, close handshakes). Polling at least this often
 * bounds the stall they can cause. */
#define MAX_POLL_MS 100

typedef struct {
  GSource    source;
  uv_loop_t *loop;
  gpointer   fd_tag;
  gboolean   running;   /* inside uv_run(): libuv is not re-entrant */
} AmsUvSource;

static gboolean
uv_source_prepare (GSource *source, gint *timeout)
{
  AmsUvSource *self = (AmsUvSource *) source;
  uv_update_time (self->loop);
  int t = uv_backend_timeout (self->loop);
  if (t < 0 || t > MAX_POLL_MS)
    t = MAX_POLL_MS;
  *timeout = t;
  return t == 0;
}

static gboolean
uv_source_check (GSource *source)
{
  AmsUvSource *self = (AmsUvSource *) source;
  if (g_source_query_unix_fd (source, self->fd_tag) & (G_IO_IN | G_IO_ERR | G_IO_HUP))
    return TRUE;
  uv_update_time (self->loop);
  return uv_backend_timeout (self->loop) == 0;
}

static gboolean
uv_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  AmsUvSource *self = (AmsUvSource *) source;
  /* can_recurse lets a nested context iteration (the close pass of a server
   * being freed) run the loop, but never from inside a uv callback. */
  if (self->running)
    return G_SOURCE_CONTINUE;
  g_source_set_ready_time (source, -1);
  self->running = TRUE;
  uv_run (self->loop, UV_RUN_NOWAIT);
  self->running = FALSE;
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs uv_source_funcs = {
  .prepare = uv_source_prepare,
  .check = uv_source_check,
  .dispatch = uv_source_dispatch,
};

GSource *
ams_uv_source_new (uv_loop_t *loop)
{
  g_return_val_if_fail (loop != NULL, NULL);
  GSource *source = g_source_new (&uv_source_funcs, sizeof (AmsUvSource));
  AmsUvSource *self = (AmsUvSource *) source;
  self->loop = loop;
  self->fd_tag = g_source_add_unix_fd (source, uv_backend_fd (loop), G_IO_IN);
  g_source_set_can_recurse (source, TRUE);
  g_source_set_name (source, "ams-uv-source");
  return source;
}

void
ams_uv_source_wakeup (GSource *source)
{
  g_source_set_ready_time (source, 0);
}
