/* cli-media.c: the media session behind publish, play and p2p; see
 * cli-media.h. One AmsStream on the session's AmsClient; this file turns
 * the options into AmsMediaOptions, prints what the stream reports, and
 * decides when the run ends (--duration, --frames, the server, a signal)
 * and with which exit status. */
#include "cli-media.h"
#include "cli-output.h"
#include "cli-session.h"
#include "cli-conference.h"
#include "cli-data-lines.h"

#include <stdio.h>
#include <unistd.h>

/* A call that reached --frames tells the other peer (peerMessageCommand
 * "framesReached") and stays up until that peer has reached its own count
 * (its framesReached, or its leave), at most this long. */
#define P2P_LINGER_MS 10000
#define FRAMES_REACHED "framesReached"
/* How long the end of a session (stop, leave) may wait for the server's
 * confirmation before the socket is closed anyway. It normally comes
 * within one round trip; a busy server took over a second (pongs at 1.6 s
 * behind a server under valgrind), and the conference waits 5 s. */
#define END_ACK_MS 3000
/* Publishers count frames sent from statistics; poll them this often. */
#define SENT_FRAMES_POLL_MS 200

typedef struct {
  const CliMediaRequest *request;
  CliOptions  *options;
  CliSession  *session;
  AmsStream   *stream;

  gint64       frames_goal;       /* --frames, 0: none */
  guint64      frames;            /* video frames decoded (sent, for publish), all peers */
  guint        width, height;
  gboolean     goal_reached;
  gboolean     other_reached;     /* p2p: the other peer's framesReached */
  gboolean     ending;
  GError      *end_error;         /* the outcome, while the end is confirmed */
  gulong       ack_handler;
  gboolean     tty;

  guint        duration_id, linger_id, poll_id, ack_id;

  CliDataLines *data_lines;       /* --send-data */
  guint64      received;
} CliMedia;

static const char *
kind_name (CliMediaKind kind)
{
  switch (kind) {
    case CLI_MEDIA_PUBLISH:    return "publish";
    case CLI_MEDIA_PLAY:       return "play";
    case CLI_MEDIA_P2P:        return "p2p";
    case CLI_MEDIA_CONFERENCE: return "conference";
  }
  return "?";
}

void
cli_media_publish_params_init (AmsPublishParams *params, CliOptions *options,
                               const char *stream_id)
{
  ams_publish_params_init (params, stream_id);
  params->token = cli_options_get_token (options);
  params->subscriber_id = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_ID);
  params->subscriber_code = cli_options_get_string (options, CLI_OPT_SUBSCRIBER_CODE);
  params->stream_name = cli_options_get_string (options, CLI_OPT_STREAM_NAME);
  params->video = !cli_options_get_bool (options, CLI_OPT_NO_VIDEO);
  params->audio = !cli_options_get_bool (options, CLI_OPT_NO_AUDIO);
}

void
cli_media_options_init (AmsMediaOptions *media, CliOptions *options)
{
  ams_media_options_init (media);
  media->video = !cli_options_get_bool (options, CLI_OPT_NO_VIDEO);
  media->audio = !cli_options_get_bool (options, CLI_OPT_NO_AUDIO);
  media->video_source = cli_options_get_string (options, CLI_OPT_VIDEO_SOURCE);
  media->audio_source = cli_options_get_string (options, CLI_OPT_AUDIO_SOURCE);
  media->file = cli_options_get_string (options, CLI_OPT_FILE);
  media->file_passthrough = cli_options_get_bool (options, CLI_OPT_PASSTHROUGH);
  media->video_codec = cli_options_get_string (options, CLI_OPT_CODEC);
  media->video_sink = cli_options_get_string (options, CLI_OPT_VIDEO_SINK);
  media->audio_sink = cli_options_get_string (options, CLI_OPT_AUDIO_SINK);
  if (cli_options_is_set (options, CLI_OPT_BITRATE))
    media->video_bitrate_kbps = (guint) cli_options_get_int (options, CLI_OPT_BITRATE);
  if (cli_options_is_set (options, CLI_OPT_WIDTH))
    media->width = (guint) cli_options_get_int (options, CLI_OPT_WIDTH);
  if (cli_options_is_set (options, CLI_OPT_HEIGHT))
    media->height = (guint) cli_options_get_int (options, CLI_OPT_HEIGHT);
  if (cli_options_is_set (options, CLI_OPT_FPS))
    media->framerate = (guint) cli_options_get_int (options, CLI_OPT_FPS);
  if (cli_options_is_set (options, CLI_OPT_LATENCY))
    media->latency_ms = (gint) cli_options_get_int (options, CLI_OPT_LATENCY);
  if (cli_options_is_set (options, CLI_OPT_FAST_START)) {
    gint64 packets = cli_options_get_int (options, CLI_OPT_FAST_START);
    media->fast_start_packets = packets ? (gint) packets : -1;  /* 0 on the command line: off */
  }
  media->ice_servers = cli_options_get_strv (options, CLI_OPT_ICE_SERVER);
  media->ice_filter = cli_options_get_string (options, CLI_OPT_ICE_FILTER);
  media->stats_interval_ms =
      (guint) (cli_options_get_double (options, CLI_OPT_STATS_INTERVAL) * 1000);
}

/* The media options of the command line (strings borrowed from @options):
 * the shared ones, then those of publish, play and p2p. */
static void
media_options_from_cli (AmsMediaOptions *media, CliOptions *options, const CliMediaRequest *request)
{
  cli_media_options_init (media, options);
  media->record_path = cli_options_get_string (options, CLI_OPT_RECORD);
  media->no_decode = cli_options_get_bool (options, CLI_OPT_NO_DECODE);
  if (cli_options_is_set (options, CLI_OPT_RETRY_INTERVAL)) {
    media->play_retry_interval_ms =
        (guint) (cli_options_get_double (options, CLI_OPT_RETRY_INTERVAL) * 1000);
    media->play_retry_timeout_ms =
        (guint) (cli_options_get_double (options, CLI_OPT_RETRY_TIMEOUT) * 1000);
  }
  if (request->kind == CLI_MEDIA_PUBLISH || request->kind == CLI_MEDIA_PLAY)
    media->stall_timeout_ms =
        (guint) (cli_options_get_double (options, CLI_OPT_STALL_TIMEOUT) * 1000);
  if (request->kind == CLI_MEDIA_PUBLISH) {
    media->publish_retry_interval_ms =
        (guint) (cli_options_get_double (options, CLI_OPT_REPUBLISH_INTERVAL) * 1000);
    media->publish_retry_timeout_ms =
        (guint) (cli_options_get_double (options, CLI_OPT_REPUBLISH_TIMEOUT) * 1000);
  }
  if (request->kind == CLI_MEDIA_P2P) {
    media->wait_peer = cli_options_get_bool (options, CLI_OPT_WAIT_PEER);
    media->p2p_mode = request->p2p_mode;
  }
}

/* ------------------------------------------------------------ the end */

static void
print_summary (CliMedia *m)
{
  AmsStreamStats stats;
  g_autoptr (AmsEvent) event = ams_event_new ("summary");
  gint64 first = ams_stream_get_first_frame_delay (m->stream);

  ams_stream_get_stats (m->stream, &stats);
  ams_event_set_string (event, "streamId", ams_stream_get_stream_id (m->stream));
  ams_event_set_string (event, "kind", kind_name (m->request->kind));
  if (m->request->kind == CLI_MEDIA_PUBLISH) {
    ams_event_set_int (event, "framesSent", (gint64) MAX (stats.frames_sent, m->frames));
  } else {
    ams_event_set_int (event, "framesDecoded", (gint64) m->frames);
    ams_event_set_int (event, "width", m->width);
    ams_event_set_int (event, "height", m->height);
    ams_event_set_int (event, "audioBuffers", (gint64) stats.audio_buffers);
    if (first >= 0)
      ams_event_set_double (event, "firstFrameMs", first / 1000.0);
  }
  ams_event_set_int (event, "dataSent", (gint64) cli_data_lines_get_sent (m->data_lines));
  ams_event_set_int (event, "dataReceived", (gint64) m->received);
  cli_output_event (event);

  if (m->request->kind == CLI_MEDIA_PUBLISH)
    cli_output_progress ("sent %" G_GUINT64_FORMAT " video frames",
                         MAX (stats.frames_sent, m->frames));
  else if (first >= 0)
    cli_output_progress ("decoded %" G_GUINT64_FORMAT " video frames at %ux%u (first after "
                         "%.0f ms) and %" G_GUINT64_FORMAT " audio buffers",
                         m->frames, m->width, m->height, first / 1000.0, stats.audio_buffers);
  else
    cli_output_progress ("decoded no video frame (%" G_GUINT64_FORMAT " audio buffers)",
                         stats.audio_buffers);
}

static void
finish_session (CliMedia *m)
{
  g_autoptr (GError) error = g_steal_pointer (&m->end_error);

  g_clear_handle_id (&m->ack_id, g_source_remove);
  if (m->ack_handler) {
    g_signal_handler_disconnect (cli_session_get_client (m->session), m->ack_handler);
    m->ack_handler = 0;
  }
  cli_session_finish (m->session, error);
}

static gboolean
on_ack_timeout (gpointer data)
{
  CliMedia *m = data;
  m->ack_id = 0;
  cli_output_progress ("the server did not confirm the end of the session");
  finish_session (m);
  return G_SOURCE_REMOVE;
}

static void
on_ack (AmsClient *client, AmsEvent *event, const char *stream_id, gpointer data)
{
  CliMedia *m = data;
  const char *definition = ams_event_get_name (event);

  if (g_strcmp0 (stream_id, ams_stream_get_stream_id (m->stream)) != 0)
    return;
  if (g_str_equal (definition, "leaved") || g_str_equal (definition, "publish_finished") ||
      g_str_equal (definition, "play_finished"))
    finish_session (m);
}

/* Ends the run: stream stopped (stop/leave, recording finalised), summary,
 * the server's confirmation awaited (bounded), then the session closes the
 * socket with 1000. NULL @error: success. */
static void
media_end (CliMedia *m, const GError *error)
{
  AmsClient *client = cli_session_get_client (m->session);
  AmsStreamState state = ams_stream_get_state (m->stream);
  gboolean confirm;

  if (m->ending)
    return;
  m->ending = TRUE;
  g_clear_handle_id (&m->duration_id, g_source_remove);
  g_clear_handle_id (&m->linger_id, g_source_remove);
  g_clear_handle_id (&m->poll_id, g_source_remove);
  cli_data_lines_stop_reading (m->data_lines);
  /* Only a live session on a live connection has an end to confirm. */
  confirm = state != AMS_STREAM_STATE_IDLE && state != AMS_STREAM_STATE_FINISHED &&
            state != AMS_STREAM_STATE_FAILED &&
            ams_client_get_state (client) == AMS_CLIENT_STATE_CONNECTED;
  if (error)
    m->end_error = g_error_copy (error);
  if (confirm)
    m->ack_handler = g_signal_connect (client, "notification", G_CALLBACK (on_ack), m);
  ams_stream_stop (m->stream);
  print_summary (m);
  if (!confirm) {
    finish_session (m);
    return;
  }
  if (m->ack_handler)   /* not already confirmed */
    m->ack_id = g_timeout_add (END_ACK_MS, on_ack_timeout, m);
}

/* The stream ended by itself, or time is up: success unless --frames
 * asked for more than we got. */
static void
media_end_checking_goal (CliMedia *m, AmsError code, const char *why)
{
  if (m->frames_goal > 0 && !m->goal_reached) {
    g_autoptr (GError) error = g_error_new (AMS_ERROR, code,
                                            "%s after %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT
                                            " video frames", why, m->frames, m->frames_goal);
    media_end (m, error);
    return;
  }
  media_end (m, NULL);
}

static void
on_stop_requested (gpointer data)
{
  /* First SIGINT/SIGTERM: a clean stop, exit 0. */
  media_end (data, NULL);
}

static gboolean
on_duration (gpointer data)
{
  CliMedia *m = data;
  m->duration_id = 0;
  media_end_checking_goal (m, AMS_ERROR_TIMEOUT, "time is up");
  return G_SOURCE_REMOVE;
}

static gboolean
on_linger_done (gpointer data)
{
  CliMedia *m = data;
  m->linger_id = 0;
  media_end (m, NULL);
  return G_SOURCE_REMOVE;
}

static void
goal_reached (CliMedia *m)
{
  if (m->goal_reached)
    return;
  m->goal_reached = TRUE;
  cli_output_progress ("%" G_GINT64_FORMAT " video frames %s", m->frames_goal,
                       m->request->kind == CLI_MEDIA_PUBLISH ? "sent" : "decoded");
  if (m->request->kind != CLI_MEDIA_P2P || m->other_reached) {
    media_end (m, NULL);
    return;
  }
  /* Tell the other peer, and give it time to reach its own count. */
  ams_client_peer_message (cli_session_get_client (m->session),
                           ams_stream_get_stream_id (m->stream), FRAMES_REACHED, NULL, NULL);
  m->linger_id = g_timeout_add (P2P_LINGER_MS, on_linger_done, m);
}

static void
on_peer_message (AmsClient *client, AmsEvent *event, const char *stream_id,
                 const char *definition, gpointer data)
{
  CliMedia *m = data;

  if (g_strcmp0 (stream_id, ams_stream_get_stream_id (m->stream)) != 0 ||
      g_strcmp0 (definition, FRAMES_REACHED) != 0)
    return;
  m->other_reached = TRUE;
  if (m->goal_reached && !m->ending)
    media_end (m, NULL);
}

/* ------------------------------------------------------------ data channel */

static gboolean
data_channel_is_open (gpointer data)
{
  CliMedia *m = data;
  return ams_stream_is_data_channel_open (m->stream);
}

static gboolean
send_line (const char *line, gpointer data, GError **error)
{
  CliMedia *m = data;
  return ams_stream_send_text (m->stream, line, error);
}

/* ------------------------------------------------------------ stream signals */

static void
on_stream_event (AmsStream *stream, AmsEvent *event, gpointer data)
{
  /* The error that ends the run is printed once, by cli_output_fail. */
  if (g_str_equal (ams_event_get_name (event), "error"))
    return;
  cli_output_event (event);
}

static void
on_state_changed (AmsStream *stream, int old_state, int new_state, gpointer data)
{
  CliMedia *m = data;
  const char *id = ams_stream_get_stream_id (stream);

  switch ((AmsStreamState) new_state) {
  case AMS_STREAM_STATE_WAITING_PEER:
    cli_output_progress ("joined %s; waiting for the other peer", id);
    break;
  case AMS_STREAM_STATE_NEGOTIATING:
    cli_output_progress ("negotiating %s", id);
    break;
  case AMS_STREAM_STATE_RECONNECTING:
    cli_output_progress ("%s: media dropped until the connection is back", id);
    break;
  default:
    break;
  }
  (void) m;
}

static void
on_started (AmsStream *stream, gpointer data)
{
  CliMedia *m = data;
  const char *id = ams_stream_get_stream_id (stream);

  switch (m->request->kind) {
  case CLI_MEDIA_PUBLISH: cli_output_progress ("publishing %s", id); break;
  case CLI_MEDIA_PLAY:    cli_output_progress ("playing %s", id); break;
  default:                cli_output_progress ("connected to the other peer of %s", id); break;
  }
}

static void
on_finished (AmsStream *stream, gpointer data)
{
  CliMedia *m = data;

  if (m->ending)
    return;
  cli_output_progress ("the server ended %s", ams_stream_get_stream_id (stream));
  media_end_checking_goal (m, AMS_ERROR_FAILED, "the stream ended");
}

static void
on_error (AmsStream *stream, const GError *error, gpointer data)
{
  media_end (data, error);
}

static void
on_peer_joined (AmsStream *stream, gpointer data)
{
  cli_output_progress ("the other peer is here");
}

static void
on_peer_left (AmsStream *stream, gpointer data)
{
  CliMedia *m = data;

  cli_output_progress ("the other peer left");
  /* Reached our count and lingering for the other side: it is done. */
  m->other_reached = FALSE;
  if (m->goal_reached && !m->ending)
    media_end (m, NULL);
}

static void
check_goal (CliMedia *m)
{
  if (m->frames_goal > 0 && (gint64) m->frames >= m->frames_goal)
    goal_reached (m);
}

static void
on_video_frame (AmsStream *stream, guint64 count, guint width, guint height, gpointer data)
{
  CliMedia *m = data;

  if (m->request->kind == CLI_MEDIA_PUBLISH)
    return;
  m->frames++;
  m->width = width;
  m->height = height;
  check_goal (m);
}

static void
on_data_channel (AmsStream *stream, gboolean open, gpointer data)
{
  CliMedia *m = data;

  cli_output_progress ("data channel %s", open ? "open" : "closed");
  if (open)
    cli_data_lines_flush (m->data_lines);
}

static void
on_data (AmsStream *stream, GBytes *bytes, gboolean is_binary, gpointer data)
{
  CliMedia *m = data;
  gsize size = 0;
  const char *text = g_bytes_get_data (bytes, &size);

  m->received++;
  if (!is_binary && text && !cli_options_get_bool (m->options, CLI_OPT_JSON))
    cli_output_progress ("data: %s", text);
}

static void
on_stats (AmsStream *stream, const AmsStreamStats *s, gpointer data)
{
  CliMedia *m = data;

  if (m->request->kind == CLI_MEDIA_PUBLISH) {
    m->frames = s->frames_sent;
    m->width = s->width;
    m->height = s->height;
    check_goal (m);
  }
  /* The live line is for people: only on a terminal. */
  if (m->tty)
    cli_output_status ("%s %s  %" G_GUINT64_FORMAT " frames %ux%u %.1f fps  in %.0f kbit/s  "
                       "out %.0f kbit/s  lost %" G_GINT64_FORMAT "  rtt %.1f ms",
                       kind_name (m->request->kind), ams_stream_get_stream_id (stream),
                       m->request->kind == CLI_MEDIA_PUBLISH ? s->frames_sent : m->frames,
                       s->width, s->height, s->fps, s->bitrate_in_kbps, s->bitrate_out_kbps,
                       s->packets_lost, s->rtt_ms);
}

static gboolean
on_poll_sent_frames (gpointer data)
{
  CliMedia *m = data;
  ams_stream_request_stats (m->stream);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ run */

static void
on_ready (CliSession *session, gpointer data)
{
  CliMedia *m = data;
  g_autoptr (GError) error = NULL;

  if (!ams_stream_start (m->stream, &error)) {
    media_end (m, error);
    return;
  }
  cli_output_progress ("%s %s requested", kind_name (m->request->kind),
                       ams_stream_get_stream_id (m->stream));
  if (cli_options_is_set (m->options, CLI_OPT_DURATION))
    m->duration_id = g_timeout_add ((guint) (cli_options_get_double (m->options,
                                                                     CLI_OPT_DURATION) * 1000),
                                    on_duration, m);
  if (m->request->kind == CLI_MEDIA_PUBLISH && m->frames_goal > 0)
    m->poll_id = g_timeout_add (SENT_FRAMES_POLL_MS, on_poll_sent_frames, m);
}

static void
media_clear (CliMedia *m)
{
  g_clear_handle_id (&m->duration_id, g_source_remove);
  g_clear_handle_id (&m->linger_id, g_source_remove);
  g_clear_handle_id (&m->poll_id, g_source_remove);
  g_clear_handle_id (&m->ack_id, g_source_remove);
  g_clear_error (&m->end_error);
  g_clear_pointer (&m->data_lines, cli_data_lines_free);
  if (m->stream) {
    g_signal_handlers_disconnect_by_data (m->stream, m);
    g_clear_object (&m->stream);
  }
}

int
cli_media_session_run (const CliMediaRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CliSession) session = NULL;
  CliMedia m = { .request = request, .options = request->options };
  AmsMediaOptions media;
  AmsStreamKind kind;
  const char *stream_id;
  int status;

  if (request->kind == CLI_MEDIA_CONFERENCE)
    return cli_conference_run (request);   /* one AmsConference: cli-conference.c */

  session = cli_session_new (request->options, TRUE, &error);
  if (session == NULL)
    return cli_output_fail (error);
  m.session = session;
  m.tty = isatty (STDERR_FILENO) && !cli_options_get_bool (request->options, CLI_OPT_QUIET);
  if (cli_options_is_set (request->options, CLI_OPT_FRAMES))
    m.frames_goal = cli_options_get_int (request->options, CLI_OPT_FRAMES);

  media_options_from_cli (&media, request->options, request);
  switch (request->kind) {
  case CLI_MEDIA_PUBLISH:
    kind = AMS_STREAM_PUBLISH;
    stream_id = request->publish.stream_id;
    break;
  case CLI_MEDIA_PLAY:
    kind = AMS_STREAM_PLAY;
    stream_id = request->play.stream_id;
    break;
  default:
    kind = AMS_STREAM_P2P;
    stream_id = request->p2p_id;
    break;
  }
  m.stream = ams_stream_new (cli_session_get_client (session), kind, stream_id, &media);
  if (kind == AMS_STREAM_PUBLISH)
    ams_stream_set_publish_params (m.stream, &request->publish);
  else if (kind == AMS_STREAM_PLAY)
    ams_stream_set_play_params (m.stream, &request->play);

  m.data_lines = cli_data_lines_new (cli_options_get_string (request->options, CLI_OPT_SEND_DATA),
                                     data_channel_is_open, send_line, &m, &error);
  if (m.data_lines == NULL) {
    media_clear (&m);
    return cli_output_fail (error);
  }

  g_signal_connect (m.stream, "event", G_CALLBACK (on_stream_event), &m);
  g_signal_connect (m.stream, "state-changed", G_CALLBACK (on_state_changed), &m);
  g_signal_connect (m.stream, "started", G_CALLBACK (on_started), &m);
  g_signal_connect (m.stream, "finished", G_CALLBACK (on_finished), &m);
  g_signal_connect (m.stream, "error", G_CALLBACK (on_error), &m);
  g_signal_connect (m.stream, "peer-joined", G_CALLBACK (on_peer_joined), &m);
  g_signal_connect (m.stream, "peer-left", G_CALLBACK (on_peer_left), &m);
  g_signal_connect (m.stream, "video-frame", G_CALLBACK (on_video_frame), &m);
  g_signal_connect (m.stream, "data-channel", G_CALLBACK (on_data_channel), &m);
  g_signal_connect (m.stream, "data", G_CALLBACK (on_data), &m);
  g_signal_connect (m.stream, "stats", G_CALLBACK (on_stats), &m);

  g_signal_connect (cli_session_get_client (session), "peer-message",
                    G_CALLBACK (on_peer_message), &m);
  cli_session_set_media_handlers (session, on_stop_requested, &m);
  status = cli_session_run (session, on_ready, &m);
  media_clear (&m);
  return status;
}
