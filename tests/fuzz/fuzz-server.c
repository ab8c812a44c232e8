/* fuzz-server.c: libFuzzer target for the mini-server's signalling core.
 *
 * The input is a script, one step per line:
 *   !DIRECTIVE      a fault directive (only before the first other step)
 *   #FLAGS          config switches, one letter each (only before the first
 *                   other step): h hash tokens, j JWT, t TOTP, r registered
 *                   streams only, R registered rooms only, v viewer limit 1,
 *                   s subtrack limit 1, e encoder settings required
 *   D<json>         a text message from connection D (a digit 0-3); the
 *                   connection is opened first when it is not open
 *   oD / cD         open / close connection D
 *   tN              N*100 ms pass, then a tick
 *   [SPLFBI]D<id>   a media backend report for stream <id> on connection D:
 *                   publisher started, player started, local SDP, failed,
 *                   bitrate, stream info
 * Checked after every step: each action addresses a connection that is open
 * (or was open at the start of that step), each sent message is one the
 * server may send (a known command that encodes and decodes back to the
 * same message), and the next deadline is -1 or not in the past by more
 * than a tick. Anything else aborts. */
#include "server/ams-server-core.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define N_CONNS 4

static void
fail (const char *what, const char *text)
{
  fprintf (stderr, "fuzz-server: %s\n  %.300s\n", what, text != NULL ? text : "");
  abort ();
}

/* The backend only checks what the core hands it. */
static void
backend_stream (gpointer user_data, const char *stream_id, AmsConnId conn)
{
  if (stream_id == NULL || conn >= N_CONNS)
    fail ("backend called with a bad stream or connection", stream_id);
}

static void
on_publisher_offer (gpointer u, const char *stream_id, AmsConnId conn, const char *sdp)
{
  backend_stream (u, stream_id, conn);
  if (sdp == NULL)
    fail ("publisher offer without SDP", stream_id);
}

static void
on_candidate (gpointer u, const char *stream_id, AmsConnId conn, gint64 label, const char *mid,
              const char *candidate)
{
  backend_stream (u, stream_id, conn);
  if (candidate == NULL)
    fail ("candidate without text", stream_id);
}

static void
on_player_start (gpointer u, const char *stream_id, AmsConnId conn)
{
  backend_stream (u, stream_id, conn);
}

static void
on_track_enable (gpointer u, const char *stream_id, AmsConnId conn, const char *kind,
                 const char *track_id, gboolean enabled)
{
  backend_stream (u, stream_id, conn);
  if (kind == NULL)
    fail ("track enable without a kind", stream_id);
}

static void
on_session_stop (gpointer u, const char *stream_id, AmsConnId conn, gboolean is_publisher)
{
  backend_stream (u, stream_id, conn);
}

static const AmsServerMediaBackend backend = {
  .publisher_offer = on_publisher_offer,
  .publisher_candidate = on_candidate,
  .player_start = on_player_start,
  .player_answer = on_publisher_offer,
  .player_candidate = on_candidate,
  .player_track_enable = on_track_enable,
  .session_stop = on_session_stop,
};

static gint64
fixed_wall_clock (void)
{
  return 1764000000;  /* tokens and TOTP codes do not depend on the day */
}

static void
check_actions (GPtrArray *out, const gboolean *was_open)
{
  for (guint i = 0; i < out->len; i++)
    {
      const AmsServerAction *a = g_ptr_array_index (out, i);
      GError *error = NULL;
      AmsMessage *back;
      char *text;
      gsize len;

      if (a->conn >= N_CONNS || !was_open[a->conn])
        fail ("action for a connection that is not open", NULL);
      if (a->kind == AMS_SERVER_ACTION_CLOSE)
        continue;
      if (a->kind != AMS_SERVER_ACTION_SEND || a->msg == NULL)
        fail ("unknown action or SEND without a message", NULL);
      text = ams_message_encode (a->msg, &len);
      if (ams_message_get_command (a->msg) == AMS_CMD_UNKNOWN)
        fail ("server sent an unknown command", text);
      back = ams_message_decode (text, len, 0, &error);
      if (back == NULL)
        {
          char *why = g_strdup_printf ("server sent a message our decoder refuses (%s)",
                                       error->message);
          fail (why, text);
        }
      if (!ams_message_equal (back, a->msg))
        fail ("server message does not survive a round trip", text);
      ams_message_unref (back);
      g_free (text);
    }
  g_ptr_array_set_size (out, 0);
}

static void
apply_flags (AmsServerConfig *config, const char *flags)
{
  static const char *const registered[] = { "stream1", "room1", NULL };

  for (const char *f = flags; *f; f++)
    switch (*f)
      {
      case 'h': config->hash_publish = config->hash_play = TRUE;
        g_free (config->hash_secret); config->hash_secret = g_strdup ("hash-secret"); break;
      case 'j': config->jwt_publish = config->jwt_play = TRUE;
        g_free (config->jwt_secret); config->jwt_secret = g_strdup ("jwt-secret"); break;
      case 't': config->totp_publish = config->totp_play = TRUE;
        g_free (config->totp_secret); config->totp_secret = g_strdup ("JBSWY3DPEHPK3PXP"); break;
      case 'r': config->accept_only_registered_streams = TRUE;
        g_strfreev (config->registered_streams);
        config->registered_streams = g_strdupv ((char **) registered); break;
      case 'R': config->accept_only_registered_rooms = TRUE;
        g_strfreev (config->registered_rooms);
        config->registered_rooms = g_strdupv ((char **) registered); break;
      case 'v': config->max_viewers_per_stream = 1; break;
      case 's': config->max_subtracks_per_main_track = 1; break;
      case 'e': config->require_encoder_settings = TRUE; break;
      default: break;
      }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = g_strndup ((const char *) data, size);
  char **lines = g_strsplit (text, "\n", 256);
  AmsServerConfig *config = ams_server_config_new ();
  AmsServerCore *core = NULL;
  GPtrArray *out = ams_server_actions_new ();
  gboolean open[N_CONNS] = { FALSE };
  gboolean was_open[N_CONNS];
  gint64 now = 1000000;
  guint i = 0;

  config->start_timeout_ms = 2000;
  for (; lines[i] != NULL && (lines[i][0] == '!' || lines[i][0] == '#'); i++)
    {
      if (lines[i][0] == '#')
        apply_flags (config, lines[i] + 1);
      else if (g_utf8_validate (lines[i] + 1, -1, NULL))
        {
          /* Directives are operator configuration (command-line options),
           * taken as UTF-8 text like the rest of the configuration. */
          GError *error = NULL;
          AmsFault *fault = ams_fault_parse (lines[i] + 1, &error);
          if (fault != NULL)
            g_ptr_array_add (config->faults, fault);
          else if (error == NULL || error->code != AMS_ERROR_INVALID_ARGUMENT)
            fail ("fault_parse failed without INVALID_ARGUMENT", lines[i]);
          g_clear_error (&error);
        }
    }
  core = ams_server_core_new (config);
  ams_server_core_set_wall_clock (core, fixed_wall_clock);
  ams_server_core_set_media_backend (core, &backend, NULL);
  ams_server_core_set_resource_usage (core, 1.0, 4096);

  for (; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      char op = line[0];
      guint conn = line[0] != '\0' && line[1] != '\0' ? (guint) (line[1] - '0') : 0;
      const char *arg = line[0] != '\0' && line[1] != '\0' ? line + 2 : "";
      gint64 deadline;

      if (op == '\0')
        continue;
      memcpy (was_open, open, sizeof open);
      if (op >= '0' && op < '0' + N_CONNS)
        {
          conn = (guint) (op - '0');
          if (!open[conn])
            {
              ams_server_core_connection_opened (core, conn, now, out);
              open[conn] = was_open[conn] = TRUE;
            }
          ams_server_core_handle (core, conn, line + 1, strlen (line + 1), now, out);
        }
      else if (conn >= N_CONNS)
        continue;
      else if (op == 'o' && !open[conn])
        {
          ams_server_core_connection_opened (core, conn, now, out);
          open[conn] = was_open[conn] = TRUE;
        }
      else if (op == 'c' && open[conn])
        {
          ams_server_core_connection_closed (core, conn, now, out);
          open[conn] = FALSE;
        }
      else if (op == 't')
        {
          guint64 steps = 0;
          g_ascii_string_to_unsigned (line + 1, 10, 0, 1000, &steps, NULL);
          now += (gint64) steps * 100000;
          ams_server_core_tick (core, now, out);
        }
      else if (op == 'S')
        ams_server_core_media_publisher_started (core, arg, now, out);
      else if (op == 'P')
        ams_server_core_media_player_started (core, arg, conn, now, out);
      else if (op == 'L')
        ams_server_core_media_local_sdp (core, arg, conn, conn % 2 ? "offer" : "answer",
                                         "v=0\r\n", now, out);
      else if (op == 'F')
        ams_server_core_media_failed (core, arg, conn, AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION,
                                      now, out);
      else if (op == 'B')
        ams_server_core_media_bitrate (core, arg, conn, 1000000, 900000, 64000, out);
      else if (op == 'I')
        ams_server_core_media_stream_info (core, arg, 640, 480, 500000, 32000, "h264");

      check_actions (out, was_open);
      deadline = ams_server_core_next_deadline (core);
      if (deadline != -1 && deadline < now - 1000000)
        fail ("a deadline more than a second in the past", line);
    }

  /* Tear down as the transport would: close everything, then free. */
  for (guint c = 0; c < N_CONNS; c++)
    if (open[c])
      {
        memcpy (was_open, open, sizeof open);
        ams_server_core_connection_closed (core, c, now, out);
        open[c] = FALSE;
        check_actions (out, was_open);
      }
  (void) ams_server_core_get_n_connections (core);
  ams_server_core_free (core);
  g_ptr_array_unref (out);
  g_strfreev (lines);
  g_free (text);
  return 0;
}
