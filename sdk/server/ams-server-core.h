/* ams-server-core.h: the mini-server's signalling as a pure state machine.
 *
 * No sockets, no clocks, no GMainContext: the caller feeds it events
 * (a connection opened, a text message arrived, a connection closed, time
 * passed, the media backend reported something) together with the current
 * monotonic time in microseconds, and collects the resulting actions
 * (AmsServerAction: send this message to that connection, or close it) in a
 * GPtrArray made by ams_server_actions_new(). Timers collapse into one
 * deadline: after every call, ams_server_core_next_deadline() says when
 * ams_server_core_tick() must run next.
 *
 * Behaviour follows ams-protocol.md §1-§7 (publish/play/stop, P2P
 * join/leave, legacy conference rooms, information queries, tokens,
 * resource guard, start timeout) plus scriptable fault directives.
 *
 * Threading: a core is not thread-safe; use it from one thread. */
#pragma once

#include <glib.h>
#include "protocol/ams-message.h"

G_BEGIN_DECLS

typedef guint64 AmsConnId;

/* ------------------------------------------------------------ actions */

typedef enum {
  AMS_SERVER_ACTION_SEND,   /* encode @msg and send it to @conn */
  AMS_SERVER_ACTION_CLOSE,  /* close @conn with @close_code */
} AmsServerActionKind;

typedef struct {
  AmsServerActionKind kind;
  AmsConnId           conn;
  AmsMessage         *msg;         /* SEND: owned by the action */
  guint16             close_code;  /* CLOSE: WebSocket close code */
} AmsServerAction;

void       ams_server_action_free (AmsServerAction *action);
/* Returns: (transfer full): an empty array that frees its actions. */
GPtrArray *ams_server_actions_new (void);

/* ------------------------------------------------------- fault directives */

typedef enum {
  AMS_FAULT_DELAY,                 /* replies to @command are held @delay_ms */
  AMS_FAULT_DROP,                  /* replies to @command are never sent */
  AMS_FAULT_CLOSE_AFTER,           /* close the socket after handling @command */
  AMS_FAULT_REFUSE,                /* answer @command with error @definition */
  AMS_FAULT_NO_PONG,               /* never answer ping */
  AMS_FAULT_CANDIDATES_BEFORE_SDP, /* hold each SDP until a candidate went first */
} AmsFaultKind;

typedef struct {
  AmsFaultKind kind;
  char        *command;     /* wire name, "*" for every command */
  char        *definition;  /* REFUSE */
  guint        delay_ms;    /* DELAY */
} AmsFault;

/* Parses one directive: "delay:CMD:MS", "drop:CMD", "close-after:CMD",
 * "refuse:CMD:DEFINITION", "no-pong", "candidates-before-sdp".
 * Returns: (transfer full): a new fault, or NULL with @error
 * (AMS_ERROR_INVALID_ARGUMENT). */
AmsFault *ams_fault_parse (const char *directive, GError **error);
void      ams_fault_free (AmsFault *fault);

/* ---------------------------------------------------------- configuration */

typedef struct {
  /* Start timeout: publishTimeoutError when media has not started. */
  guint        start_timeout_ms;          /* default 10000; 0 = never */
  /* acceptOnlyStreamsInDataStore / acceptOnlyRoomsInDataStore */
  gboolean     accept_only_registered_streams;
  gboolean     accept_only_registered_rooms;
  char       **registered_streams;        /* NULL-terminated, may be NULL */
  char       **registered_rooms;
  /* Token checks, each switchable for publish and for play. */
  gboolean     one_time_token_publish, one_time_token_play;
  char       **one_time_tokens;           /* "TOKEN:STREAM:publish|play" */
  gboolean     jwt_publish, jwt_play;
  char        *jwt_secret;
  gboolean     hash_publish, hash_play;
  char        *hash_secret;
  gboolean     totp_publish, totp_play;
  char        *totp_secret;               /* base32 */
  guint        totp_period_s;             /* default 60 */
  char       **blocked_subscribers;       /* user_blocked */
  /* Resource guard: highResourceUsage above the CPU % or below free RAM. */
  guint        cpu_limit_percent;         /* default 0 = off (AMS: 75) */
  guint        min_free_ram_mb;           /* default 10; 0 = off */
  /* Limits */
  gint         max_viewers_per_stream;    /* viewerLimitReached; -1 = none */
  gint         max_subtracks_per_main_track; /* -1 = none */
  gint         max_track_count;           /* maxTrackCount in joinedTheRoom */
  gboolean     play_once_per_session;     /* already_playing; default TRUE */
  gboolean     require_encoder_settings;  /* old EE: no_encoder_settings */
  /* ICE servers announced by iceServerConfig (none by default). */
  char        *stun_server_uri;
  char        *turn_username;
  char        *turn_credential;
  /* Push notifications: JWT secret whose issuer is the subscriberId. */
  char        *subscriber_auth_key;
  GPtrArray   *faults;                    /* of AmsFault*, owned */
} AmsServerConfig;

/* Returns: (transfer full): a config with the defaults above. */
AmsServerConfig *ams_server_config_new (void);
void             ams_server_config_free (AmsServerConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsServerConfig, ams_server_config_free)

/* -------------------------------------------------------- media backend
 *
 * The core does no media. A backend (the relay) plugs in here; with none
 * (signalling-only mode) publish is accepted, offers are stored and no
 * answer is produced. The core calls these synchronously from inside the
 * ams_server_core_* call that caused them; a backend must NOT call back into
 * the core from inside them. It reports later, from the core's thread,
 * through the ams_server_core_media_* entry points below. Every member may
 * be NULL. Strings are owned by the caller and valid only during the call. */
typedef struct {
  /* A publisher sent its offer; the backend answers via media_local_sdp
   * (type "answer") and trickles via media_local_candidate. */
  void (*publisher_offer)     (gpointer user_data, const char *stream_id, AmsConnId conn,
                               const char *sdp);
  void (*publisher_candidate) (gpointer user_data, const char *stream_id, AmsConnId conn,
                               gint64 label, const char *mid, const char *candidate);
  /* A player was accepted for @stream_id (a stream or a main track); the
   * backend makes the offer via media_local_sdp (type "offer"). */
  void (*player_start)        (gpointer user_data, const char *stream_id, AmsConnId conn);
  void (*player_answer)       (gpointer user_data, const char *stream_id, AmsConnId conn,
                               const char *sdp);
  void (*player_candidate)    (gpointer user_data, const char *stream_id, AmsConnId conn,
                               gint64 label, const char *mid, const char *candidate);
  /* toggleVideo/toggleAudio/enableTrack from a player. @kind is the wire
   * command name. */
  void (*player_track_enable) (gpointer user_data, const char *stream_id, AmsConnId conn,
                               const char *kind, const char *track_id, gboolean enabled);
  /* A publish (@is_publisher) or play session ended for any reason. */
  void (*session_stop)        (gpointer user_data, const char *stream_id, AmsConnId conn,
                               gboolean is_publisher);
} AmsServerMediaBackend;

typedef struct _AmsServerCore AmsServerCore;

/* Returns: (transfer full). @config is taken over (transfer full). */
AmsServerCore *ams_server_core_new (AmsServerConfig *config);
void           ams_server_core_free (AmsServerCore *core);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmsServerCore, ams_server_core_free)

/* (transfer none) */
const AmsServerConfig *ams_server_core_get_config (AmsServerCore *core);

/* @backend is copied; @user_data must outlive the core or the next call. */
void ams_server_core_set_media_backend (AmsServerCore *core, const AmsServerMediaBackend *backend,
                                        gpointer user_data);

/* The resource guard's inputs, measured by the caller (ams-resource.h). */
void ams_server_core_set_resource_usage (AmsServerCore *core, double cpu_percent,
                                         gint64 free_ram_mb);

/* Wall-clock seconds used for token expiry and TOTP; defaults to the real
 * clock. Tests set it to make codes deterministic. */
void ams_server_core_set_wall_clock (AmsServerCore *core, gint64 (*now_s) (void));

void ams_server_core_connection_opened (AmsServerCore *core, AmsConnId conn, gint64 now_us,
                                        GPtrArray *out);
/* Ends every session of @conn and tells the peers concerned. */
void ams_server_core_connection_closed (AmsServerCore *core, AmsConnId conn, gint64 now_us,
                                        GPtrArray *out);
/* One text message from @conn. Bad input is dropped or answered, never
 * fatal. */
void ams_server_core_handle (AmsServerCore *core, AmsConnId conn, const char *data, gsize len,
                             gint64 now_us, GPtrArray *out);
/* Runs timeouts and releases held (delayed) replies that are due. */
void ams_server_core_tick (AmsServerCore *core, gint64 now_us, GPtrArray *out);
/* Returns: the monotonic time (µs) of the next timer, or -1 when none. */
gint64 ams_server_core_next_deadline (AmsServerCore *core);

/* -------------------------------------- media backend reports (entry points) */

/* The backend's SDP for a session: an answer to a publisher, an offer to a
 * player. Emits takeConfiguration. */
void ams_server_core_media_local_sdp (AmsServerCore *core, const char *stream_id, AmsConnId conn,
                                      const char *type, const char *sdp, gint64 now_us,
                                      GPtrArray *out);
/* The same with `idMapping` (multitrack play): @id_mapping is NULL or a
 * NULL-terminated list of pairs mid, track id. */
void ams_server_core_media_local_sdp_mapped (AmsServerCore *core, const char *stream_id,
                                             AmsConnId conn, const char *type, const char *sdp,
                                             const char *const *id_mapping, gint64 now_us,
                                             GPtrArray *out);
/* Emits takeCandidate (label an integer). */
void ams_server_core_media_local_candidate (AmsServerCore *core, const char *stream_id,
                                            AmsConnId conn, gint64 label, const char *mid,
                                            const char *candidate, gint64 now_us, GPtrArray *out);
/* Publisher media flows: emits publish_started, cancels the start timeout. */
void ams_server_core_media_publisher_started (AmsServerCore *core, const char *stream_id,
                                              gint64 now_us, GPtrArray *out);
/* A player is connected: emits play_started. */
void ams_server_core_media_player_started (AmsServerCore *core, const char *stream_id,
                                           AmsConnId conn, gint64 now_us, GPtrArray *out);
/* What getStreamInfo reports for @stream_id. @video_codec may be NULL. */
void ams_server_core_media_stream_info (AmsServerCore *core, const char *stream_id, gint width,
                                        gint height, gint video_bitrate, gint audio_bitrate,
                                        const char *video_codec);
/* Emits bitrateMeasurement to a player. */
void ams_server_core_media_bitrate (AmsServerCore *core, const char *stream_id, AmsConnId conn,
                                    gint64 target_bitrate, gint64 video_bitrate,
                                    gint64 audio_bitrate, GPtrArray *out);
/* The session of @conn on @stream_id failed (@code: e.g.
 * AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION): emits the error and ends it. */
void ams_server_core_media_failed (AmsServerCore *core, const char *stream_id, AmsConnId conn,
                                   AmsError code, gint64 now_us, GPtrArray *out);

/* ------------------------------------------------------------- queries */

guint    ams_server_core_get_n_connections (AmsServerCore *core);
guint    ams_server_core_get_n_publishers (AmsServerCore *core);
gboolean ams_server_core_stream_is_active (AmsServerCore *core, const char *stream_id);

/* Multitrack, for the media backend. (transfer none): valid until the next
 * core call. NULL when @stream_id is not a subtrack. */
const char *ams_server_core_get_main_track (AmsServerCore *core, const char *stream_id);
/* TRUE when @id is a main track (room) with subtracks and not a stream itself. */
gboolean    ams_server_core_is_main_track (AmsServerCore *core, const char *id);
/* Returns: (transfer full): the subtrack ids of @main_track (empty when none). */
char      **ams_server_core_dup_subtracks (AmsServerCore *core, const char *main_track);
/* The `userPublishId` of the play of @stream_id by @conn, or NULL.
 * (transfer none) */
const char *ams_server_core_get_user_publish_id (AmsServerCore *core, const char *stream_id,
                                                 AmsConnId conn);

G_END_DECLS
