/* ams-file-loop.h: an already-encoded VP8 file, read into memory once and
 * fed to an appsrc in a loop, for publishing without decoding and
 * re-encoding (AmsPeerOptions.file_passthrough). Internal. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _AmsFileLoop AmsFileLoop;

/* Reads the VP8 video of @file (a path or a file:// URI; WebM, Matroska or
 * IVF) into memory. Blocks while the file is demuxed (milliseconds for a
 * clip of a few MB); bounded in time and size. (transfer full), or %NULL
 * with @error set (AMS_ERROR). Any thread. */
AmsFileLoop *ams_file_loop_load (const char *file, GError **error);

AmsFileLoop *ams_file_loop_ref (AmsFileLoop *loop);
void         ams_file_loop_unref (AmsFileLoop *loop);

/* The frames' size from the file's caps (0 when it gives none). */
void         ams_file_loop_get_size (AmsFileLoop *loop, guint *width, guint *height);

/* Makes @appsrc (format time, not live: pace it with clocksync) send the
 * frames forever, timestamps continuing across loops. Takes its own
 * reference on @loop. Call before @appsrc starts. */
void         ams_file_loop_attach (AmsFileLoop *loop, GstElement *appsrc);

G_END_DECLS
