/* cli-data-lines.h: the --send-data reader shared by the media commands
 * (publish, play, p2p) and conference.
 *
 * Each non-empty UTF-8 line of a file, or of standard input ("-"), becomes
 * one text message. Lines wait in a queue until the data channel is open
 * and are sent in order; the owner says how to send (a callback) and calls
 * cli_data_lines_flush() when its channel opens. The queue holds at most
 * CLI_DATA_LINES_MAX_QUEUED lines: further lines are dropped, with a
 * warning on stderr when the dropping starts and the number dropped when
 * it ends, and the run goes on (same exit status). Everything runs on the
 * main loop's thread. */
#pragma once

#include <glib.h>

/* Bounds the memory a fast producer (or a channel that never opens) costs. */
#define CLI_DATA_LINES_MAX_QUEUED 10000

/* Whether the channel takes messages now. */
typedef gboolean (*CliDataLinesIsOpenFunc) (gpointer user_data);
/* Sends one line (borrowed); FALSE with @error set when it was not sent. */
typedef gboolean (*CliDataLinesSendFunc) (const char *line, gpointer user_data, GError **error);

typedef struct _CliDataLines CliDataLines;

/* Reads @path ("-": standard input, read as it comes on the main loop; a
 * file: read now, whole). @path NULL: a reader with nothing to send.
 * Returns NULL with @error set when the file cannot be read. @user_data
 * must outlive the reader. */
CliDataLines *cli_data_lines_new (const char *path, CliDataLinesIsOpenFunc is_open,
                                  CliDataLinesSendFunc send, gpointer user_data,
                                  GError **error);

/* Sends the queued lines while the channel is open; a line that fails
 * stays queued for the next call (a warning is printed). */
void cli_data_lines_flush (CliDataLines *self);

/* Stops reading standard input (the run is ending). */
void cli_data_lines_stop_reading (CliDataLines *self);

/* The number of lines sent so far. */
guint64 cli_data_lines_get_sent (const CliDataLines *self);

void cli_data_lines_free (CliDataLines *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliDataLines, cli_data_lines_free)
