/* ams-conference-private.h: AmsConference's instance data, shared by its
 * files.
 *
 * ams-conference.c             the object: options, state, participants,
 *                              signals, the own stream, leave
 * ams-conference-legacy.c      joinRoom, one play per participant, polling
 * ams-conference-multitrack.c  the room as one main track, id mapping
 * ams-conference-taps.c        frames decoded per m-line of one webrtcbin */
#pragma once

#include <amsclient/ams-conference.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* Frame counters per mid of the receiving webrtcbins of a room's play,
 * fed by probes on GStreamer's streaming threads (thread-safe). */
typedef struct _AmsTrackTaps AmsTrackTaps;

AmsTrackTaps *_ams_track_taps_new (void);
void          _ams_track_taps_unref (AmsTrackTaps *taps);
/* Counts the decoded video of every m-line @webrtcbin will receive from
 * now on. Idempotent per element. */
void          _ams_track_taps_attach (AmsTrackTaps *taps, GstElement *webrtcbin);
typedef void (*AmsTrackTapsFunc) (const char *mid, guint64 new_frames, guint width,
                                  guint height, gpointer user_data);
/* Calls @func (on the caller's thread, outside any lock) for each mid that
 * decoded frames since the previous call. */
void          _ams_track_taps_collect (AmsTrackTaps *taps, AmsTrackTapsFunc func,
                                       gpointer user_data);

typedef struct {
  char        *id;
  char        *name;         /* streamName, or NULL */
  char        *meta_data;    /* metaData, or NULL */
  AmsStream   *play;         /* legacy: its play; NULL in a multitrack room */
  gboolean     track;        /* "track-added" emitted, "track-removed" owed */
  guint64      frames;       /* decoded video frames */
  guint        width, height;
} AmsParticipant;

struct _AmsConference {
  GObject             parent_instance;

  AmsClient          *client;
  GMainContext       *context;
  char               *room;
  AmsConferenceMode   mode;
  AmsConferenceState  state;
  GError             *error;
  char               *stream_id;      /* own; NULL until known (legacy) */
  guint               poll_interval_ms;

  /* Options, deep-copied: every string behind them is in @owned. */
  AmsMediaOptions     opts;
  AmsPublishParams    publish;
  GPtrArray          *owned;
  char              **ice_servers;

  gulong              handlers[8];    /* on the client */
  AmsStream          *own;            /* the own publish */
  AmsStream          *room_play;      /* multitrack: the room */
  GPtrArray          *participants;   /* AmsParticipant, in order of arrival */

  GSource            *poll_source;    /* legacy: getRoomInfo */
  GSource            *leave_source;   /* bounded wait for the leave's confirmation */
  GSource            *frames_source;  /* multitrack: collects the taps */

  /* Multitrack. */
  GHashTable         *mid_to_track;   /* mid -> participant id, of the last offer */
  AmsTrackTaps       *taps;
};

/* ams-conference.c */
void            _ams_conference_set_state (AmsConference *self, AmsConferenceState state);
void            _ams_conference_fail (AmsConference *self, const GError *error);
/* Emits "event" with @event (transfer full); "room" is added. */
void            _ams_conference_emit_event (AmsConference *self, AmsEvent *event);
AmsParticipant *_ams_conference_find (AmsConference *self, const char *id);
/* Adds a participant (emits "participant-joined"); returns the existing one
 * when present (name and meta data refreshed). */
AmsParticipant *_ams_conference_add_participant (AmsConference *self, const char *id,
                                                 const char *name, const char *meta_data);
/* Removes and frees a participant (stops its play; emits "track-removed" if
 * owed, then "participant-left"). */
void            _ams_conference_remove_participant (AmsConference *self, const char *id,
                                                    const char *reason);
void            _ams_conference_track_added (AmsConference *self, AmsParticipant *p);
void            _ams_conference_frames (AmsConference *self, AmsParticipant *p, guint64 frames,
                                        guint width, guint height);
/* A new stream with the conference's media options (players get no
 * recording); (transfer full). */
AmsStream      *_ams_conference_new_stream (AmsConference *self, AmsStreamKind kind,
                                            const char *stream_id);
/* Starts the own publish (main track @main_track, or NULL). */
gboolean        _ams_conference_start_own (AmsConference *self, const char *main_track,
                                           GError **error);
/* Forwards a stream's "event"s (but "data") and "data" of @from to the
 * conference's signals. */
void            _ams_conference_forward_stream (AmsConference *self, AmsStream *stream,
                                                AmsParticipant *from);
/* Drops a stream without re-entering it: handlers disconnected, stopped,
 * unreferenced from an idle callback. */
void            _ams_conference_release_stream (AmsConference *self, AmsStream *stream);

/* ams-conference-legacy.c */
gboolean        _ams_conference_legacy_join (AmsConference *self, GError **error);
void            _ams_conference_legacy_joined (AmsConference *self, AmsEvent *event,
                                               const char *stream_id);
void            _ams_conference_legacy_room_information (AmsConference *self, AmsEvent *event);
void            _ams_conference_legacy_start_play (AmsConference *self, AmsParticipant *p);
void            _ams_conference_legacy_own_state (AmsConference *self, AmsStreamState state);
void            _ams_conference_legacy_stop (AmsConference *self);
void            _ams_conference_legacy_rejoin (AmsConference *self);

/* ams-conference-multitrack.c */
gboolean        _ams_conference_multitrack_join (AmsConference *self, GError **error);
void            _ams_conference_multitrack_subtrack (AmsConference *self, AmsEvent *event,
                                                     gboolean added);
void            _ams_conference_multitrack_offer (AmsConference *self, AmsEvent *event);
void            _ams_conference_multitrack_stop (AmsConference *self);

/* Signals, emitted from every file. */
enum {
  AMS_CONFERENCE_SIG_EVENT,
  AMS_CONFERENCE_SIG_STATE_CHANGED,
  AMS_CONFERENCE_SIG_PARTICIPANT_JOINED,
  AMS_CONFERENCE_SIG_PARTICIPANT_LEFT,
  AMS_CONFERENCE_SIG_TRACK_ADDED,
  AMS_CONFERENCE_SIG_TRACK_REMOVED,
  AMS_CONFERENCE_SIG_VIDEO_FRAME,
  AMS_CONFERENCE_SIG_DATA,
  AMS_CONFERENCE_SIG_ERROR,
  AMS_CONFERENCE_N_SIGNALS
};
extern guint _ams_conference_signals[AMS_CONFERENCE_N_SIGNALS];

G_END_DECLS
