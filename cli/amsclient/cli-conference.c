/* cli-conference.c: `amsclient conference` on one AmsConference: prints
 * what the room reports (JSON lines with --json), sends --send-data lines
 * to the room, and leaves (leaveFromRoom / stop, confirmed by the server)
 * when --frames is reached from every other participant seen in the room
 * (one who left before giving them must come back and give them; one who
 * joins while it lingers must reach it too), at --duration, or on the
 * first SIGINT/SIGTERM. */
#include "cli-conference.h"
#include "cli-data-lines.h"
#include "cli-output.h"
#include "cli-session.h"

/* A participant that reached --frames stays this long (at most) so that
 * the others can reach theirs from it too; it goes sooner when they all
 * left. On a loaded machine the others decode as slowly as we did: it
 * stays as long as it took itself from joining to the goal when that was
 * longer, up to the maximum. */
#define FRAMES_LINGER_MS 5000
#define FRAMES_LINGER_MAX_MS 60000

typedef struct {
  const CliMediaRequest *request;
  CliOptions    *options;
  CliSession    *session;
  AmsConference *conference;

  gint64         frames_goal;     /* --frames, 0: none */
  gboolean       goal_reached;
  gint64         joined_us;       /* when the room was joined */
  GHashTable    *seen;            /* id -> Seen*: every other participant met */
  GHashTable    *reported;        /* ids already printed as frames-reached */
  gboolean       ending;
  GError        *end_error;
  guint          duration_id, linger_id;

  CliDataLines  *data_lines;      /* --send-data */
  guint64        received;
} CliConference;

/* The most video frames one participant gave in one stay in the room: a
 * participant who leaves and comes back counts afresh, and keeps the best. */
typedef struct {
  guint64 frames;
  guint   width, height;
} Seen;

static Seen *
seen_get (CliConference *c, const char *id)
{
  Seen *s = g_hash_table_lookup (c->seen, id);
  if (s == NULL) {
    s = g_new0 (Seen, 1);
    g_hash_table_insert (c->seen, g_strdup (id), s);
  }
  return s;
}

/* The ids of the participants seen that have not given --frames yet, comma
 * separated; NULL when none. (transfer full) */
static char *
missing_ids (CliConference *c)
{
  GString *missing = NULL;
  GHashTableIter it;
  gpointer id, value;
  g_hash_table_iter_init (&it, c->seen);
  while (g_hash_table_iter_next (&it, &id, &value))
    if ((gint64) ((Seen *) value)->frames < c->frames_goal) {
      if (missing == NULL)
        missing = g_string_new (id);
      else
        g_string_append_printf (missing, ", %s", (const char *) id);
    }
  return missing ? g_string_free (missing, FALSE) : NULL;
}

/* ------------------------------------------------------------ the end */

/* Prints a @name event with participant @id's video figures. */
static void
print_video_figures (CliConference *c, const char *name, const char *id,
                     guint64 frames, int width, int height)
{
  g_autoptr (AmsEvent) event = ams_event_new (name);
  ams_event_set_string (event, "room", ams_conference_get_room (c->conference));
  ams_event_set_string (event, "streamId", id);
  ams_event_set_int (event, "framesDecoded", (gint64) frames);
  ams_event_set_int (event, "width", width);
  ams_event_set_int (event, "height", height);
  cli_output_event (event);
}

/* Prints participant @id's video figures as a @name event; @stats gets them. */
static void
print_participant (CliConference *c, const char *name, const char *id, AmsStreamStats *stats)
{
  ams_conference_get_participant_stats (c->conference, id, stats);
  print_video_figures (c, name, id, stats->frames_decoded, stats->width, stats->height);
}

static void
print_summary (CliConference *c)
{
  g_auto (GStrv) ids = ams_conference_dup_participants (c->conference);
  const char *own = ams_conference_get_stream_id (c->conference);

  for (char **id = ids; *id; id++) {
    AmsStreamStats stats;
    print_participant (c, "participant-summary", *id, &stats);
    cli_output_progress ("%s: decoded %" G_GUINT64_FORMAT " video frames at %ux%u", *id,
                         stats.frames_decoded, stats.width, stats.height);
  }
  g_autoptr (AmsEvent) event = ams_event_new ("summary");
  ams_event_set_string (event, "kind", "conference");
  ams_event_set_string (event, "room", ams_conference_get_room (c->conference));
  ams_event_set_string (event, "streamId", own);
  ams_event_set_int (event, "participants", g_strv_length (ids));
  ams_event_set_int (event, "dataSent", (gint64) cli_data_lines_get_sent (c->data_lines));
  ams_event_set_int (event, "dataReceived", (gint64) c->received);
  cli_output_event (event);
}

static void
finish (CliConference *c)
{
  g_autoptr (GError) error = g_steal_pointer (&c->end_error);
  cli_session_finish (c->session, error);
}

/* Leaves the room; the session ends once the conference is LEFT (the
 * server confirmed, or the bounded wait is over). NULL @error: success. */
static void
conference_end (CliConference *c, const GError *error)
{
  if (c->ending)
    return;
  c->ending = TRUE;
  g_clear_handle_id (&c->duration_id, g_source_remove);
  g_clear_handle_id (&c->linger_id, g_source_remove);
  cli_data_lines_stop_reading (c->data_lines);
  if (error)
    c->end_error = g_error_copy (error);
  print_summary (c);
  ams_conference_leave (c->conference);
  AmsConferenceState state = ams_conference_get_state (c->conference);
  if (state == AMS_CONFERENCE_STATE_LEFT || state == AMS_CONFERENCE_STATE_FAILED)
    finish (c);
}

static void
on_stop_requested (gpointer data)
{
  conference_end (data, NULL);
}

static gboolean
on_duration (gpointer data)
{
  CliConference *c = data;
  c->duration_id = 0;
  if (c->frames_goal > 0 && !c->goal_reached) {
    g_autofree char *missing = missing_ids (c);
    g_autoptr (GError) error = g_error_new (AMS_ERROR, AMS_ERROR_TIMEOUT,
                                            "time is up before %" G_GINT64_FORMAT " video frames "
                                            "came from every other participant (missing: %s)",
                                            c->frames_goal, missing ? missing : "nobody came");
    conference_end (c, error);
    return G_SOURCE_REMOVE;
  }
  conference_end (c, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_linger_done (gpointer data)
{
  CliConference *c = data;
  c->linger_id = 0;
  conference_end (c, NULL);
  return G_SOURCE_REMOVE;
}

/* --frames: reached once at least one other participant was seen and every
 * one seen gave N decoded frames, present or not: one who left short of N
 * (a dropped connection, say) has not given them, and the run waits for
 * its return until --duration. */
static void
check_goal (CliConference *c)
{
  if (c->frames_goal <= 0 || c->goal_reached || c->ending ||
      g_hash_table_size (c->seen) == 0)
    return;
  g_autofree char *missing = missing_ids (c);
  if (missing)
    return;
  c->goal_reached = TRUE;
  GHashTableIter it;
  gpointer id, value;
  g_hash_table_iter_init (&it, c->seen);
  while (g_hash_table_iter_next (&it, &id, &value)) {
    const Seen *s = value;
    if (!g_hash_table_add (c->reported, g_strdup (id)))
      continue;
    print_video_figures (c, "frames-reached", id, s->frames, s->width, s->height);
  }
  cli_output_progress ("%" G_GINT64_FORMAT " video frames decoded from each of %u participants",
                       c->frames_goal, g_hash_table_size (c->seen));
  gint64 took_ms = c->joined_us ? (g_get_monotonic_time () - c->joined_us) / 1000 : 0;
  c->linger_id = g_timeout_add ((guint) CLAMP (took_ms, FRAMES_LINGER_MS, FRAMES_LINGER_MAX_MS),
                                on_linger_done, c);
}

/* ------------------------------------------------------------ data channel */

static gboolean
data_channel_is_open (gpointer data)
{
  CliConference *c = data;
  return ams_conference_is_data_channel_open (c->conference);
}

static gboolean
send_line (const char *line, gpointer data, GError **error)
{
  CliConference *c = data;
  return ams_conference_send_text (c->conference, line, error);
}

/* ------------------------------------------------------------ conference signals */

static void
on_event (AmsConference *conference, AmsEvent *event, gpointer data)
{
  CliConference *c = data;
  const char *name = ams_event_get_name (event);
  /* The error that ends the run is printed once, by cli_output_fail. */
  if (g_str_equal (name, "error"))
    return;
  cli_output_event (event);
  if (g_str_equal (name, "data-channel"))
    cli_data_lines_flush (c->data_lines);
}

static void
on_state_changed (AmsConference *conference, int old_state, int new_state, gpointer data)
{
  CliConference *c = data;
  switch ((AmsConferenceState) new_state) {
  case AMS_CONFERENCE_STATE_JOINED:
    c->joined_us = g_get_monotonic_time ();
    cli_output_progress ("in room %s as %s (%s)", ams_conference_get_room (conference),
                         ams_conference_get_stream_id (conference),
                         ams_conference_mode_to_string (ams_conference_get_mode (conference)));
    break;
  case AMS_CONFERENCE_STATE_LEFT:
    cli_output_progress ("left room %s", ams_conference_get_room (conference));
    if (!c->ending) {
      c->ending = TRUE;
      print_summary (c);
    }
    finish (c);
    break;
  case AMS_CONFERENCE_STATE_FAILED:
    if (!c->ending) {
      c->ending = TRUE;
      print_summary (c);
    }
    if (c->end_error == NULL && ams_conference_get_error (conference))
      c->end_error = g_error_copy (ams_conference_get_error (conference));
    finish (c);
    break;
  default:
    break;
  }
}

static void
on_joined (AmsConference *conference, const char *id, const char *name, gpointer data)
{
  CliConference *c = data;
  cli_output_progress ("%s%s%s%s joined", id, name ? " (" : "", name ? name : "", name ? ")" : "");
  Seen *s = seen_get (c, id);
  /* Someone new who joins while we linger is another participant: --frames
   * must come from them too before we leave (one who comes back after
   * giving them has nothing more to give). */
  if (c->goal_reached && !c->ending && (gint64) s->frames < c->frames_goal) {
    c->goal_reached = FALSE;
    g_clear_handle_id (&c->linger_id, g_source_remove);
  }
}

static void
on_left (AmsConference *conference, const char *id, gpointer data)
{
  CliConference *c = data;
  cli_output_progress ("%s left", id);
  if (c->goal_reached && !c->ending && ams_conference_get_n_participants (conference) == 0)
    conference_end (c, NULL);   /* nobody left to linger for */
  else
    check_goal (c);
}

static void
on_video_frame (AmsConference *conference, const char *id, guint64 frames, guint width,
                guint height, gpointer data)
{
  CliConference *c = data;
  Seen *s = seen_get (c, id);
  if (frames > s->frames) {
    s->frames = frames;
    s->width = width;
    s->height = height;
  }
  check_goal (c);
}

static void
on_data (AmsConference *conference, const char *from, GBytes *bytes, gboolean is_binary,
         gpointer data)
{
  CliConference *c = data;
  const char *text = g_bytes_get_data (bytes, NULL);
  c->received++;
  if (!is_binary && text && !cli_options_get_bool (c->options, CLI_OPT_JSON))
    cli_output_progress ("data from %s: %s", from ? from : "the room", text);
}

/* ------------------------------------------------------------ run */

static void
on_ready (CliSession *session, gpointer data)
{
  CliConference *c = data;
  g_autoptr (GError) error = NULL;

  cli_output_progress ("joining room %s", ams_conference_get_room (c->conference));
  if (!ams_conference_join (c->conference, &error)) {
    c->ending = TRUE;
    c->end_error = g_steal_pointer (&error);
    finish (c);
    return;
  }
  if (cli_options_is_set (c->options, CLI_OPT_DURATION))
    c->duration_id = g_timeout_add ((guint) (cli_options_get_double (c->options,
                                                                     CLI_OPT_DURATION) * 1000),
                                    on_duration, c);
}

int
cli_conference_run (const CliMediaRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CliSession) session = NULL;
  CliConference c = { .request = request, .options = request->options };
  AmsMediaOptions media;
  int status;

  session = cli_session_new (request->options, TRUE, &error);
  if (session == NULL)
    return cli_output_fail (error);
  c.session = session;
  if (cli_options_is_set (request->options, CLI_OPT_FRAMES))
    c.frames_goal = cli_options_get_int (request->options, CLI_OPT_FRAMES);

  cli_media_options_init (&media, request->options);
  /* The own publish and every participant's play are watched alike. */
  media.stall_timeout_ms =
      (guint) (cli_options_get_double (request->options, CLI_OPT_STALL_TIMEOUT) * 1000);
  c.conference = ams_conference_new (cli_session_get_client (session), request->room,
                                     request->multitrack ? AMS_CONFERENCE_MULTITRACK
                                                         : AMS_CONFERENCE_LEGACY,
                                     &media);
  ams_conference_set_stream_id (c.conference, request->publish.stream_id);
  ams_conference_set_publish_params (c.conference, &request->publish);
  ams_conference_set_poll_interval (
      c.conference, (guint) (cli_options_get_double (request->options, CLI_OPT_POLL_INTERVAL) * 1000));

  c.data_lines = cli_data_lines_new (cli_options_get_string (request->options, CLI_OPT_SEND_DATA),
                                     data_channel_is_open, send_line, &c, &error);
  if (c.data_lines == NULL) {
    g_clear_object (&c.conference);
    return cli_output_fail (error);
  }
  c.reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_signal_connect (c.conference, "event", G_CALLBACK (on_event), &c);
  g_signal_connect (c.conference, "state-changed", G_CALLBACK (on_state_changed), &c);
  g_signal_connect (c.conference, "participant-joined", G_CALLBACK (on_joined), &c);
  g_signal_connect (c.conference, "participant-left", G_CALLBACK (on_left), &c);
  g_signal_connect (c.conference, "video-frame", G_CALLBACK (on_video_frame), &c);
  g_signal_connect (c.conference, "data", G_CALLBACK (on_data), &c);

  cli_session_set_media_handlers (session, on_stop_requested, &c);
  status = cli_session_run (session, on_ready, &c);

  g_clear_handle_id (&c.duration_id, g_source_remove);
  g_clear_handle_id (&c.linger_id, g_source_remove);
  g_clear_error (&c.end_error);
  g_clear_pointer (&c.data_lines, cli_data_lines_free);
  g_clear_pointer (&c.reported, g_hash_table_unref);
  g_clear_pointer (&c.seen, g_hash_table_unref);
  g_signal_handlers_disconnect_by_data (c.conference, &c);
  g_clear_object (&c.conference);
  return status;
}
