/* cli-data-lines.c: the --send-data reader; see cli-data-lines.h. */
#include "cli-data-lines.h"
#include "cli-output.h"

#include <unistd.h>

struct _CliDataLines {
  CliDataLinesIsOpenFunc is_open;
  CliDataLinesSendFunc   send;
  gpointer               user_data;

  GIOChannel *input;          /* standard input, for "-" */
  guint       input_watch;
  GQueue      lines;          /* char *, waiting for the channel */
  guint64     sent;
  guint64     dropped;        /* since the queue last had room */
};

/* Ends a stretch of dropping: says how many lines it cost. */
static void
report_dropped (CliDataLines *self)
{
  if (self->dropped == 0)
    return;
  cli_output_progress ("warning: --send-data: %" G_GUINT64_FORMAT " lines dropped while %d "
                       "waited for the data channel", self->dropped, CLI_DATA_LINES_MAX_QUEUED);
  self->dropped = 0;
}

static void
queue_line (CliDataLines *self, char *line)
{
  g_strchomp (line);
  if (*line == '\0' || !g_utf8_validate (line, -1, NULL)) {
    g_free (line);
    return;
  }
  if (g_queue_get_length (&self->lines) >= CLI_DATA_LINES_MAX_QUEUED) {
    if (self->dropped++ == 0)
      cli_output_progress ("warning: --send-data: %d lines wait for the data channel; "
                           "further lines are dropped until it takes some",
                           CLI_DATA_LINES_MAX_QUEUED);
    g_free (line);
    return;
  }
  g_queue_push_tail (&self->lines, line);
}

void
cli_data_lines_flush (CliDataLines *self)
{
  char *line;

  while (self->is_open (self->user_data) && (line = g_queue_peek_head (&self->lines))) {
    g_autoptr (GError) error = NULL;
    if (!self->send (line, self->user_data, &error)) {
      cli_output_progress ("warning: data message not sent: %s", error->message);
      return;   /* kept for the next opening */
    }
    self->sent++;
    g_free (g_queue_pop_head (&self->lines));
    report_dropped (self);
  }
}

static gboolean
on_input (GIOChannel *channel, GIOCondition condition, gpointer data)
{
  CliDataLines *self = data;
  char *line = NULL;
  GIOStatus status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);

  if (status == G_IO_STATUS_NORMAL && line) {
    queue_line (self, line);
    cli_data_lines_flush (self);
    return G_SOURCE_CONTINUE;
  }
  g_free (line);
  if (status == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  /* End of input: what is queued is still sent when the channel opens. */
  self->input_watch = 0;
  return G_SOURCE_REMOVE;
}

CliDataLines *
cli_data_lines_new (const char *path, CliDataLinesIsOpenFunc is_open, CliDataLinesSendFunc send,
                    gpointer user_data, GError **error)
{
  g_return_val_if_fail (is_open != NULL && send != NULL, NULL);
  g_autoptr (CliDataLines) self = g_new0 (CliDataLines, 1);

  self->is_open = is_open;
  self->send = send;
  self->user_data = user_data;
  g_queue_init (&self->lines);
  if (path == NULL)
    return g_steal_pointer (&self);
  if (g_str_equal (path, "-")) {
    self->input = g_io_channel_unix_new (STDIN_FILENO);
    self->input_watch = g_io_add_watch (self->input, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, self);
    return g_steal_pointer (&self);
  }
  g_autofree char *contents = NULL;
  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l; l++)
    queue_line (self, g_strdup (*l));
  return g_steal_pointer (&self);
}

void
cli_data_lines_stop_reading (CliDataLines *self)
{
  g_clear_handle_id (&self->input_watch, g_source_remove);
}

guint64
cli_data_lines_get_sent (const CliDataLines *self)
{
  return self->sent;
}

void
cli_data_lines_free (CliDataLines *self)
{
  if (self == NULL)
    return;
  report_dropped (self);
  g_clear_handle_id (&self->input_watch, g_source_remove);
  g_clear_pointer (&self->input, g_io_channel_unref);
  g_queue_clear_full (&self->lines, g_free);
  g_free (self);
}
