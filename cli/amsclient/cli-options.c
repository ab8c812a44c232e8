/* cli-options.c: the option table, per-command parsing and precedence. */
#include "cli-options.h"
#include "cli-config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define DEFAULT_URL "ws://127.0.0.1:5080/WebRTCAppEE/websocket"
#define DEFAULT_WS_PORT 5080
#define DEFAULT_WSS_PORT 5443

typedef enum {
  CLI_TYPE_STRING,
  CLI_TYPE_FILE,     /* a string naming a file */
  CLI_TYPE_BOOL,
  CLI_TYPE_INT,
  CLI_TYPE_DOUBLE,   /* seconds and the like */
  CLI_TYPE_CHOICE,   /* one of spec->choices */
  CLI_TYPE_STRV,     /* repeatable */
} CliType;

typedef enum {
  CLI_GROUP_CONNECTION,
  CLI_GROUP_RECONNECT,
  CLI_GROUP_STREAM,
  CLI_GROUP_MEDIA,
  CLI_GROUP_ICE,
  CLI_GROUP_OUTPUT,
  CLI_GROUP_CONFIG,
  CLI_GROUP_LAST
} CliGroup;

typedef struct {
  CliOptionId  id;
  const char  *name;          /* long option, and the config file key */
  char         short_name;
  CliType      type;
  CliGroup     group;
  unsigned     commands;      /* CliCommandFlag mask */
  const char  *arg;           /* argument placeholder in --help */
  const char  *help;
  const char  *default_value; /* NULL: none, or left to the library */
  double       min, max;      /* for INT and DOUBLE */
  const char  *choices;       /* "a|b" for CHOICE */
  const char  *env;           /* environment variable, if any */
  gboolean     no_config;     /* never read from the config file */
} CliOptionSpec;

static const CliOptionSpec specs[CLI_OPT_LAST] = {
  /* connection */
  [CLI_OPT_URL] = { CLI_OPT_URL, "url", 'u', CLI_TYPE_STRING, CLI_GROUP_CONNECTION, CLI_CMD_ALL, "URL",
    "WebSocket URL of the application, ws[s]://HOST[:PORT]/APP/websocket[?QUERY]",
    DEFAULT_URL, .env = "AMSCLIENT_URL" },
  [CLI_OPT_HOST] = { CLI_OPT_HOST, "host", 'H', CLI_TYPE_STRING, CLI_GROUP_CONNECTION, CLI_CMD_ALL, "HOST",
    "Server host; replaces the host of the URL" },
  [CLI_OPT_PORT] = { CLI_OPT_PORT, "port", 'p', CLI_TYPE_INT, CLI_GROUP_CONNECTION, CLI_CMD_ALL, "PORT",
    "Server port; replaces the port of the URL (5080, or 5443 with --tls)", .min = 1, .max = 65535 },
  [CLI_OPT_APP] = { CLI_OPT_APP, "app", 'a', CLI_TYPE_STRING, CLI_GROUP_CONNECTION, CLI_CMD_ALL, "APP",
    "Application name; the URL path becomes /APP/websocket" },
  [CLI_OPT_TLS] = { CLI_OPT_TLS, "tls", 0, CLI_TYPE_BOOL, CLI_GROUP_CONNECTION, CLI_CMD_ALL, NULL,
    "Use wss:// (TLS)" },
  [CLI_OPT_TOKEN] = { CLI_OPT_TOKEN, "token", 't', CLI_TYPE_STRING, CLI_GROUP_CONNECTION,
    CLI_CMD_INFO | CLI_CMD_ROOM_INFO | CLI_CMD_MEDIA, "TOKEN",
    "Access token (one-time, JWT or hash token)", .env = "AMSCLIENT_TOKEN" },
  [CLI_OPT_TOKEN_FILE] = { CLI_OPT_TOKEN_FILE, "token-file", 0, CLI_TYPE_FILE, CLI_GROUP_CONNECTION,
    CLI_CMD_INFO | CLI_CMD_ROOM_INFO | CLI_CMD_MEDIA, "FILE",
    "Read the token from FILE (first line), keeping it out of the process list" },
  [CLI_OPT_INSECURE] = { CLI_OPT_INSECURE, "insecure", 'k', CLI_TYPE_BOOL, CLI_GROUP_CONNECTION, CLI_CMD_ALL, NULL,
    "Accept a self-signed server certificate" },
  [CLI_OPT_CA_FILE] = { CLI_OPT_CA_FILE, "ca-file", 0, CLI_TYPE_FILE, CLI_GROUP_CONNECTION, CLI_CMD_ALL, "FILE",
    "Verify the server certificate against the CAs in FILE (PEM)" },
  [CLI_OPT_CONNECT_TIMEOUT] = { CLI_OPT_CONNECT_TIMEOUT, "connect-timeout", 0, CLI_TYPE_DOUBLE, CLI_GROUP_CONNECTION,
    CLI_CMD_ALL, "SECONDS", "Give up connecting after SECONDS (exit status 3)", "10",
    .min = 0.001, .max = 3600 },
  [CLI_OPT_TIMEOUT] = { CLI_OPT_TIMEOUT, "timeout", 0, CLI_TYPE_DOUBLE, CLI_GROUP_CONNECTION, CLI_CMD_QUERIES,
    "SECONDS", "Give up waiting for the reply after SECONDS (exit status 8)", "10",
    .min = 0.001, .max = 3600 },
  [CLI_OPT_PING_INTERVAL] = { CLI_OPT_PING_INTERVAL, "ping-interval", 0, CLI_TYPE_DOUBLE, CLI_GROUP_CONNECTION,
    CLI_CMD_MEDIA, "SECONDS", "Keepalive ping period; two missing pongs mean a dead connection",
    NULL, .min = 0.1, .max = 3600 },

  /* reconnect */
  [CLI_OPT_RECONNECT] = { CLI_OPT_RECONNECT, "reconnect", 0, CLI_TYPE_BOOL, CLI_GROUP_RECONNECT, CLI_CMD_MEDIA, NULL,
    "Reconnect and resume when the connection drops (--reconnect=false turns it off)", "true" },
  [CLI_OPT_RECONNECT_ATTEMPTS] = { CLI_OPT_RECONNECT_ATTEMPTS, "reconnect-attempts", 0, CLI_TYPE_INT, CLI_GROUP_RECONNECT,
    CLI_CMD_MEDIA, "N", "Give up after N reconnect attempts in a row (0: no limit)",
    NULL, .min = 0, .max = 1000000 },
  [CLI_OPT_RECONNECT_DELAY] = { CLI_OPT_RECONNECT_DELAY, "reconnect-delay", 0, CLI_TYPE_DOUBLE, CLI_GROUP_RECONNECT,
    CLI_CMD_MEDIA, "SECONDS", "First reconnect delay; doubled on each attempt, with jitter",
    NULL, .min = 0.01, .max = 3600 },
  [CLI_OPT_RECONNECT_MAX_DELAY] = { CLI_OPT_RECONNECT_MAX_DELAY, "reconnect-max-delay", 0, CLI_TYPE_DOUBLE, CLI_GROUP_RECONNECT,
    CLI_CMD_MEDIA, "SECONDS", "Upper bound of the reconnect delay", NULL, .min = 0.01, .max = 3600 },

  /* stream */
  [CLI_OPT_STREAM] = { CLI_OPT_STREAM, "stream", 's', CLI_TYPE_STRING, CLI_GROUP_STREAM,
    CLI_CMD_INFO | CLI_CMD_ROOM_INFO | CLI_CMD_MEDIA, "ID",
    "Stream id (publish, play, info), P2P id (p2p), or own stream id (conference, room-info)" },
  [CLI_OPT_ROOM] = { CLI_OPT_ROOM, "room", 'r', CLI_TYPE_STRING, CLI_GROUP_STREAM,
    CLI_CMD_ROOM_INFO | CLI_CMD_PUBLISH | CLI_CMD_PLAY | CLI_CMD_CONFERENCE, "ROOM",
    "Room (main track) id; publish joins it as a subtrack" },
  [CLI_OPT_STREAM_NAME] = { CLI_OPT_STREAM_NAME, "stream-name", 0, CLI_TYPE_STRING, CLI_GROUP_STREAM,
    CLI_CMD_PUBLISH | CLI_CMD_CONFERENCE, "NAME", "Human-readable name of the published stream" },
  [CLI_OPT_SUBSCRIBER_ID] = { CLI_OPT_SUBSCRIBER_ID, "subscriber-id", 0, CLI_TYPE_STRING, CLI_GROUP_STREAM,
    CLI_CMD_PUBLISH | CLI_CMD_PLAY | CLI_CMD_CONFERENCE, "ID", "Subscriber id (TOTP security)" },
  [CLI_OPT_SUBSCRIBER_CODE] = { CLI_OPT_SUBSCRIBER_CODE, "subscriber-code", 0, CLI_TYPE_STRING, CLI_GROUP_STREAM,
    CLI_CMD_PUBLISH | CLI_CMD_PLAY | CLI_CMD_CONFERENCE, "CODE", "Subscriber TOTP code" },
  [CLI_OPT_P2P_MODE] = { CLI_OPT_P2P_MODE, "mode", 0, CLI_TYPE_CHOICE, CLI_GROUP_STREAM, CLI_CMD_P2P, "MODE",
    "both (send and receive) or play (receive only)", "both", .choices = "both|play" },
  [CLI_OPT_WAIT_PEER] = { CLI_OPT_WAIT_PEER, "wait-peer", 0, CLI_TYPE_BOOL, CLI_GROUP_STREAM, CLI_CMD_P2P, NULL,
    "When the other peer leaves, wait for a new one instead of ending" },
  /* Same name, another command: each command sees only its own. */
  [CLI_OPT_ROOM_MODE] = { CLI_OPT_ROOM_MODE, "mode", 0, CLI_TYPE_CHOICE, CLI_GROUP_STREAM, CLI_CMD_CONFERENCE, "MODE",
    "legacy (joinRoom, one play per participant) or multitrack (the room as one main track)",
    "legacy", .choices = "legacy|multitrack" },
  [CLI_OPT_POLL_INTERVAL] = { CLI_OPT_POLL_INTERVAL, "poll-interval", 0, CLI_TYPE_DOUBLE, CLI_GROUP_STREAM,
    CLI_CMD_CONFERENCE, "SECONDS", "How often a legacy room is polled for joins and leaves "
    "(getRoomInfo)", "5", .min = 0.1, .max = 3600 },
  [CLI_OPT_COUNT] = { CLI_OPT_COUNT, "count", 'c', CLI_TYPE_INT, CLI_GROUP_STREAM, CLI_CMD_PING, "N",
    "Send N pings, one per second", "1", .min = 1, .max = 1000000 },
  [CLI_OPT_RETRY_INTERVAL] = { CLI_OPT_RETRY_INTERVAL, "retry-interval", 0, CLI_TYPE_DOUBLE, CLI_GROUP_STREAM,
    CLI_CMD_PLAY, "SECONDS", "When the stream is not published or its publisher goes away, "
    "play again every SECONDS (default: no retry, exit 5)", .min = 0.1, .max = 3600 },
  [CLI_OPT_RETRY_TIMEOUT] = { CLI_OPT_RETRY_TIMEOUT, "retry-timeout", 0, CLI_TYPE_DOUBLE, CLI_GROUP_STREAM,
    CLI_CMD_PLAY, "SECONDS", "Give up retrying after SECONDS without playing (0: never)", "60",
    .min = 0, .max = 31536000 },
  [CLI_OPT_STALL_TIMEOUT] = { CLI_OPT_STALL_TIMEOUT, "stall-timeout", 0, CLI_TYPE_DOUBLE, CLI_GROUP_STREAM,
    CLI_CMD_PUBLISH | CLI_CMD_PLAY | CLI_CMD_CONFERENCE, "SECONDS", "Once started, media that stops for SECONDS "
    "(no packets in; for a publisher, no receiver reports) is a stall: publish or play again "
    "(0: never)", "5", .min = 0, .max = 3600 },
  [CLI_OPT_REPUBLISH_INTERVAL] = { CLI_OPT_REPUBLISH_INTERVAL, "republish-interval", 0, CLI_TYPE_DOUBLE,
    CLI_GROUP_STREAM, CLI_CMD_PUBLISH, "SECONDS", "When a started publish loses its media "
    "(noPacketReceivedForTimeoutDuration, publishTimeoutError, a stall), publish again after "
    "SECONDS, twice that, then four times that (0: exit instead)", "1", .min = 0, .max = 3600 },
  [CLI_OPT_REPUBLISH_TIMEOUT] = { CLI_OPT_REPUBLISH_TIMEOUT, "republish-timeout", 0, CLI_TYPE_DOUBLE,
    CLI_GROUP_STREAM, CLI_CMD_PUBLISH, "SECONDS", "Give up publishing again after SECONDS without "
    "publishing (0: never)", "60", .min = 0, .max = 31536000 },

  /* media */
  [CLI_OPT_VIDEO_SOURCE] = { CLI_OPT_VIDEO_SOURCE, "video-source", 0, CLI_TYPE_STRING, CLI_GROUP_MEDIA, CLI_CMD_SENDERS,
    "PIPELINE", "Video source as a gst-launch fragment, e.g. \"v4l2src ! videoconvert\" "
    "(default: a test pattern)" },
  [CLI_OPT_AUDIO_SOURCE] = { CLI_OPT_AUDIO_SOURCE, "audio-source", 0, CLI_TYPE_STRING, CLI_GROUP_MEDIA, CLI_CMD_SENDERS,
    "PIPELINE", "Audio source as a gst-launch fragment (default: a test tone)" },
  [CLI_OPT_FILE] = { CLI_OPT_FILE, "file", 'f', CLI_TYPE_FILE, CLI_GROUP_MEDIA, CLI_CMD_SENDERS, "FILE",
    "Send the audio and video of a media file instead of the sources" },
  [CLI_OPT_PASSTHROUGH] = { CLI_OPT_PASSTHROUGH, "passthrough", 0, CLI_TYPE_BOOL, CLI_GROUP_MEDIA, CLI_CMD_PUBLISH, NULL,
    "With --file: send the file's VP8 video as it is, in a loop, without decoding or re-encoding "
    "(no audio; keyframes only where the file has them)" },
  [CLI_OPT_CODEC] = { CLI_OPT_CODEC, "codec", 0, CLI_TYPE_CHOICE, CLI_GROUP_MEDIA, CLI_CMD_SENDERS, "CODEC",
    "Video codec to send: vp8 or h264", .choices = "vp8|h264" },
  [CLI_OPT_VIDEO_SINK] = { CLI_OPT_VIDEO_SINK, "video-sink", 0, CLI_TYPE_STRING, CLI_GROUP_MEDIA, CLI_CMD_RECEIVERS,
    "PIPELINE", "Where decoded video goes, e.g. autovideosink (default: counted and dropped)" },
  [CLI_OPT_AUDIO_SINK] = { CLI_OPT_AUDIO_SINK, "audio-sink", 0, CLI_TYPE_STRING, CLI_GROUP_MEDIA, CLI_CMD_RECEIVERS,
    "PIPELINE", "Where decoded audio goes, e.g. autoaudiosink (default: counted and dropped)" },
  [CLI_OPT_RECORD] = { CLI_OPT_RECORD, "record", 'o', CLI_TYPE_FILE, CLI_GROUP_MEDIA, CLI_CMD_RECEIVERS, "FILE",
    "Record what is received to FILE (finalised on stop)" },
  [CLI_OPT_NO_VIDEO] = { CLI_OPT_NO_VIDEO, "no-video", 0, CLI_TYPE_BOOL, CLI_GROUP_MEDIA, CLI_CMD_MEDIA, NULL,
    "Send or receive no video" },
  [CLI_OPT_NO_AUDIO] = { CLI_OPT_NO_AUDIO, "no-audio", 0, CLI_TYPE_BOOL, CLI_GROUP_MEDIA, CLI_CMD_MEDIA, NULL,
    "Send or receive no audio" },
  [CLI_OPT_BITRATE] = { CLI_OPT_BITRATE, "bitrate", 'b', CLI_TYPE_INT, CLI_GROUP_MEDIA, CLI_CMD_SENDERS, "KBPS",
    "Target video bitrate in kbit/s", .min = 16, .max = 100000 },
  [CLI_OPT_WIDTH] = { CLI_OPT_WIDTH, "width", 'W', CLI_TYPE_INT, CLI_GROUP_MEDIA, CLI_CMD_SENDERS, "PIXELS",
    "Video width sent", .min = 16, .max = 7680 },
  [CLI_OPT_HEIGHT] = { CLI_OPT_HEIGHT, "height", 0, CLI_TYPE_INT, CLI_GROUP_MEDIA, CLI_CMD_SENDERS, "PIXELS",
    "Video height sent", .min = 16, .max = 4320 },
  [CLI_OPT_FPS] = { CLI_OPT_FPS, "fps", 0, CLI_TYPE_INT, CLI_GROUP_MEDIA, CLI_CMD_SENDERS, "N",
    "Video frames per second sent", .min = 1, .max = 240 },
  [CLI_OPT_LATENCY] = { CLI_OPT_LATENCY, "latency", 0, CLI_TYPE_INT, CLI_GROUP_MEDIA, CLI_CMD_RECEIVERS, "MS",
    "Receive jitterbuffer latency in milliseconds (lower starts faster, higher absorbs jitter)",
    NULL, .min = 0, .max = 10000 },
  [CLI_OPT_SEND_DATA] = { CLI_OPT_SEND_DATA, "send-data", 0, CLI_TYPE_FILE, CLI_GROUP_MEDIA, CLI_CMD_MEDIA, "FILE",
    "Send each line of FILE (- for standard input) as a data-channel message" },
  [CLI_OPT_NO_DECODE] = { CLI_OPT_NO_DECODE, "no-decode", 0, CLI_TYPE_BOOL, CLI_GROUP_MEDIA, CLI_CMD_PLAY | CLI_CMD_P2P, NULL,
    "Depayload and count received frames without decoding them (ignored with --record)" },
  [CLI_OPT_FAST_START] = { CLI_OPT_FAST_START, "fast-start", 0, CLI_TYPE_INT, CLI_GROUP_MEDIA, CLI_CMD_RECEIVERS, "N",
    "Start playing once N consecutive packets arrived instead of after the jitterbuffer "
    "latency (default 3; 0: off)", NULL, .min = 0, .max = 1000 },
  [CLI_OPT_DTLS_KEY_CACHE] = { CLI_OPT_DTLS_KEY_CACHE, "dtls-key-cache", 0, CLI_TYPE_FILE, CLI_GROUP_MEDIA, CLI_CMD_MEDIA, "FILE",
    "Keep the DTLS private key in FILE, mode 0600, so a new run skips generating it "
    "(default: $XDG_CACHE_HOME/amsclient/dtls-rsa2048.pem)" },
  [CLI_OPT_NO_DTLS_KEY_CACHE] = { CLI_OPT_NO_DTLS_KEY_CACHE, "no-dtls-key-cache", 0, CLI_TYPE_BOOL, CLI_GROUP_MEDIA, CLI_CMD_MEDIA, NULL,
    "Generate a new DTLS key in every run and store none" },

  /* ICE */
  [CLI_OPT_ICE_SERVER] = { CLI_OPT_ICE_SERVER, "ice-server", 0, CLI_TYPE_STRV, CLI_GROUP_ICE, CLI_CMD_MEDIA, "URI",
    "STUN or TURN server, stun:HOST:PORT or turn[s]://USER:PASS@HOST:PORT (repeatable; "
    "default: the server's iceServerConfig, else none)" },
  [CLI_OPT_ICE_FILTER] = { CLI_OPT_ICE_FILTER, "ice-filter", 0, CLI_TYPE_STRING, CLI_GROUP_ICE, CLI_CMD_MEDIA, "LIST",
    "Use only these candidates, comma-separated: loopback, udp, tcp, host, srflx, relay, "
    "ipv4, ipv6" },

  /* output */
  [CLI_OPT_JSON] = { CLI_OPT_JSON, "json", 'j', CLI_TYPE_BOOL, CLI_GROUP_OUTPUT, CLI_CMD_ALL, NULL,
    "Print one JSON object per event on standard output" },
  [CLI_OPT_QUIET] = { CLI_OPT_QUIET, "quiet", 'q', CLI_TYPE_BOOL, CLI_GROUP_OUTPUT, CLI_CMD_ALL, NULL,
    "No progress messages on standard error (errors are still printed)" },
  [CLI_OPT_STATS_INTERVAL] = { CLI_OPT_STATS_INTERVAL, "stats-interval", 0, CLI_TYPE_DOUBLE, CLI_GROUP_OUTPUT, CLI_CMD_MEDIA,
    "SECONDS", "Report statistics every SECONDS", "1", .min = 0.1, .max = 3600 },
  [CLI_OPT_DURATION] = { CLI_OPT_DURATION, "duration", 'd', CLI_TYPE_DOUBLE, CLI_GROUP_OUTPUT, CLI_CMD_MEDIA, "SECONDS",
    "Stop cleanly after SECONDS of media (default: run until interrupted)",
    .min = 0.001, .max = 31536000 },
  [CLI_OPT_FRAMES] = { CLI_OPT_FRAMES, "frames", 'n', CLI_TYPE_INT, CLI_GROUP_OUTPUT, CLI_CMD_MEDIA, "N",
    "Stop cleanly after N video frames sent or decoded", .min = 1, .max = G_MAXINT32 },

  /* configuration: only from the command line */
  [CLI_OPT_PROFILE] = { CLI_OPT_PROFILE, "profile", 'P', CLI_TYPE_STRING, CLI_GROUP_CONFIG, CLI_CMD_ALL, "NAME",
    "Use the [NAME] section of the config file on top of [default]",
    .env = "AMSCLIENT_PROFILE", .no_config = TRUE },
  [CLI_OPT_CONFIG] = { CLI_OPT_CONFIG, "config", 0, CLI_TYPE_FILE, CLI_GROUP_CONFIG, CLI_CMD_ALL, "FILE",
    "Read FILE instead of ~/.config/amsclient/amsclient.conf", .no_config = TRUE },
  [CLI_OPT_NO_CONFIG] = { CLI_OPT_NO_CONFIG, "no-config", 0, CLI_TYPE_BOOL, CLI_GROUP_CONFIG, CLI_CMD_ALL, NULL,
    "Read no config file", .no_config = TRUE },
  [CLI_OPT_PRINT_CONFIG] = { CLI_OPT_PRINT_CONFIG, "print-config", 0, CLI_TYPE_BOOL, CLI_GROUP_CONFIG, CLI_CMD_ALL, NULL,
    "Print every setting with where it came from, then exit", .no_config = TRUE },
};

static const struct {
  const char *name, *title;
} group_titles[CLI_GROUP_LAST] = {
  [CLI_GROUP_CONNECTION] = { "connection", "Connection options:" },
  [CLI_GROUP_RECONNECT] = { "reconnect", "Reconnect options:" },
  [CLI_GROUP_STREAM] = { "stream", "Stream options:" },
  [CLI_GROUP_MEDIA] = { "media", "Media options:" },
  [CLI_GROUP_ICE] = { "ice", "ICE options:" },
  [CLI_GROUP_OUTPUT] = { "output", "Output options:" },
  [CLI_GROUP_CONFIG] = { "config", "Configuration options:" },
};

typedef union {
  char    *s;      /* STRING, FILE, CHOICE */
  gboolean b;
  gint64   i;
  double   d;
  GPtrArray *v;    /* STRV, NULL-terminated */
} CliValue;

struct _CliOptions {
  const CliCommand *command;
  CliValue   values[CLI_OPT_LAST];
  CliSource  sources[CLI_OPT_LAST];
  char      *config_path;   /* the config file read, if any */
  char      *url;
  char      *token;
  GPtrArray *help_texts;    /* descriptions built for --help */
};

static gboolean
applies (const CliOptionSpec *spec, const CliCommand *command)
{
  return (spec->commands & command->flag) != 0;
}

static gboolean
choice_is_valid (const char *choices, const char *value)
{
  g_auto (GStrv) list = g_strsplit (choices, "|", -1);
  return g_strv_contains ((const char * const *) list, value);
}

static void
clear_value (const CliOptionSpec *spec, CliValue *value)
{
  switch (spec->type) {
    case CLI_TYPE_STRING: case CLI_TYPE_FILE: case CLI_TYPE_CHOICE:
      g_clear_pointer (&value->s, g_free);
      break;
    case CLI_TYPE_STRV:
      g_clear_pointer (&value->v, g_ptr_array_unref);
      break;
    default:
      break;
  }
}

/* Converts @text for @spec and stores it unless a source of higher
 * precedence already set the option. Repeated STRV options accumulate
 * within one source. */
static gboolean
set_from_text (CliOptions *options, const CliOptionSpec *spec, const char *text,
               CliSource source, GError **error)
{
  CliValue *value = &options->values[spec->id];
  CliSource current = options->sources[spec->id];
  CliValue parsed = { 0 };

  if (current > source)
    return TRUE;

  switch (spec->type) {
    case CLI_TYPE_STRING:
    case CLI_TYPE_FILE:
      if (text == NULL || text[0] == '\0') {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--%s needs a non-empty value", spec->name);
        return FALSE;
      }
      parsed.s = g_strdup (text);
      break;

    case CLI_TYPE_CHOICE:
      if (text == NULL || !choice_is_valid (spec->choices, text)) {
        g_autofree char *list = g_strdelimit (g_strdup (spec->choices), "|", ',');
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--%s: '%s' is not one of %s", spec->name, text ? text : "", list);
        return FALSE;
      }
      parsed.s = g_strdup (text);
      break;

    case CLI_TYPE_BOOL:
      if (text == NULL || g_ascii_strcasecmp (text, "true") == 0 ||
          g_ascii_strcasecmp (text, "yes") == 0 || strcmp (text, "1") == 0)
        parsed.b = TRUE;
      else if (g_ascii_strcasecmp (text, "false") == 0 ||
               g_ascii_strcasecmp (text, "no") == 0 || strcmp (text, "0") == 0)
        parsed.b = FALSE;
      else {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--%s: '%s' is not true or false", spec->name, text);
        return FALSE;
      }
      break;

    case CLI_TYPE_INT: {
      gint64 n;
      if (text == NULL ||
          !g_ascii_string_to_signed (text, 10, (gint64) spec->min, (gint64) spec->max, &n, NULL)) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--%s: '%s' is not a whole number from %" G_GINT64_FORMAT " to %"
                     G_GINT64_FORMAT, spec->name, text ? text : "",
                     (gint64) spec->min, (gint64) spec->max);
        return FALSE;
      }
      parsed.i = n;
      break;
    }

    case CLI_TYPE_DOUBLE: {
      char *end = NULL;
      double d = text ? g_ascii_strtod (text, &end) : NAN;
      if (text == NULL || end == text || *end != '\0' || !isfinite (d) ||
          d < spec->min || d > spec->max) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--%s: '%s' is not a number from %g to %g", spec->name,
                     text ? text : "", spec->min, spec->max);
        return FALSE;
      }
      parsed.d = d;
      break;
    }

    case CLI_TYPE_STRV:
      if (text == NULL || text[0] == '\0') {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--%s needs a non-empty value", spec->name);
        return FALSE;
      }
      if (current == source && value->v != NULL) {
        g_ptr_array_insert (value->v, value->v->len - 1, g_strdup (text));
        return TRUE;
      }
      parsed.v = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (parsed.v, g_strdup (text));
      g_ptr_array_add (parsed.v, NULL);
      break;
  }

  clear_value (spec, value);
  *value = parsed;
  options->sources[spec->id] = source;
  return TRUE;
}

static const CliOptionSpec *
find_spec (const CliCommand *command, const char *option_name)
{
  /* GOption gives "--name" or "-x". Two commands may give one name two
   * meanings, so only the command's own options are candidates. */
  for (int i = 0; i < CLI_OPT_LAST; i++) {
    if (!applies (&specs[i], command))
      continue;
    if (g_str_has_prefix (option_name, "--") && strcmp (specs[i].name, option_name + 2) == 0)
      return &specs[i];
    if (option_name[0] == '-' && option_name[1] != '\0' && option_name[2] == '\0' &&
        specs[i].short_name == option_name[1])
      return &specs[i];
  }
  return NULL;
}

static gboolean
on_option (const char *option_name, const char *value, gpointer data, GError **error)
{
  CliOptions *options = data;
  const CliOptionSpec *spec = find_spec (options->command, option_name);

  if (spec == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                 "Unknown option %s", option_name);
    return FALSE;
  }
  return set_from_text (options, spec, value, CLI_SOURCE_COMMAND_LINE, error);
}

static gboolean help_requested;

static gboolean
on_help (const char *option_name, const char *value, gpointer data, GError **error)
{
  help_requested = TRUE;
  return TRUE;
}

static GOptionContext *
build_context (CliOptions *options, const CliCommand *command)
{
  g_autofree char *parameter = g_strdup_printf ("- %s", command->summary);
  GOptionContext *context = g_option_context_new (parameter);
  /* Our own --help prints every group at once; GLib's would show only the
   * main group and point at --help-GROUP. */
  static const GOptionEntry help_entries[] = {
    { "help", 'h', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer) on_help,
      "Show this help and exit", NULL },
    { NULL }
  };

  GOptionGroup *help_group;

  g_option_context_set_help_enabled (context, FALSE);
  g_autofree char *description = g_strconcat (command->description, "\n", NULL);
  g_option_context_set_description (context, description);

  for (int g = 0; g < CLI_GROUP_LAST; g++) {
    GArray *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
    GOptionGroup *group;

    for (int i = 0; i < CLI_OPT_LAST; i++) {
      const CliOptionSpec *spec = &specs[i];
      GOptionEntry entry = { 0 };

      if ((int) spec->group != g || !applies (spec, command))
        continue;
      entry.long_name = spec->name;
      entry.short_name = spec->short_name;
      entry.arg = G_OPTION_ARG_CALLBACK;
      entry.arg_data = (gpointer) on_option;
      if (spec->default_value != NULL && spec->type != CLI_TYPE_BOOL) {
        char *text = g_strdup_printf ("%s (default: %s)", spec->help, spec->default_value);
        g_ptr_array_add (options->help_texts, text);
        entry.description = text;
      } else {
        entry.description = spec->help;
      }
      if (spec->type == CLI_TYPE_BOOL) {
        /* --flag means true; --flag=false lets the command line switch off
         * what a config file switched on. */
        entry.flags = G_OPTION_FLAG_OPTIONAL_ARG;
      } else {
        entry.arg_description = spec->arg;
      }
      g_array_append_val (entries, entry);
    }
    if (entries->len == 0) {
      g_array_free (entries, TRUE);
      continue;
    }
    group = g_option_group_new (group_titles[g].name, group_titles[g].title,
                                group_titles[g].title, options, NULL);
    /* The group copies the entries (not the strings, which are static). */
    g_option_group_add_entries (group, (GOptionEntry *) entries->data);
    g_option_context_add_group (context, group);
    g_array_free (entries, TRUE);
  }

  help_group = g_option_group_new ("help", "Help Options:", "Help Options:", NULL, NULL);
  g_option_group_add_entries (help_group, help_entries);
  g_option_context_add_group (context, help_group);
  return context;
}

static gboolean
apply_environment (CliOptions *options, GError **error)
{
  for (int i = 0; i < CLI_OPT_LAST; i++) {
    const char *text;

    if (specs[i].env == NULL || !applies (&specs[i], options->command))
      continue;
    text = g_getenv (specs[i].env);
    if (text == NULL || text[0] == '\0')
      continue;
    if (!set_from_text (options, &specs[i], text, CLI_SOURCE_ENVIRONMENT, error)) {
      g_prefix_error (error, "%s: ", specs[i].env);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
config_disabled (CliOptions *options)
{
  const char *env = g_getenv ("AMSCLIENT_NO_CONFIG");

  /* An explicit --config is read even when the environment says no. */
  if (options->sources[CLI_OPT_CONFIG] == CLI_SOURCE_COMMAND_LINE)
    return cli_options_get_bool (options, CLI_OPT_NO_CONFIG);
  return cli_options_get_bool (options, CLI_OPT_NO_CONFIG) ||
         (env != NULL && env[0] != '\0' && strcmp (env, "0") != 0);
}

static gboolean
apply_config (CliOptions *options, GError **error)
{
  g_autoptr (CliConfig) config = NULL;
  g_auto (GStrv) keys = NULL;

  if (config_disabled (options))
    return TRUE;

  config = cli_config_load (cli_options_get_string (options, CLI_OPT_CONFIG),
                            cli_options_get_string (options, CLI_OPT_PROFILE), error);
  if (config == NULL)
    return FALSE;
  if (cli_config_get_path (config) == NULL)
    return TRUE;
  options->config_path = g_strdup (cli_config_get_path (config));

  for (int i = 0; i < CLI_OPT_LAST; i++) {
    const CliOptionSpec *spec = &specs[i];

    /* Keys for other commands are fine: one [default] serves them all. */
    if (spec->no_config || !applies (spec, options->command))
      continue;

    if (spec->type == CLI_TYPE_STRV) {
      g_auto (GStrv) list = cli_config_get_list (config, spec->name, error);
      if (list == NULL && error && *error)
        return FALSE;
      for (char **item = list; item && *item; item++)
        if (!set_from_text (options, spec, g_strstrip (*item), CLI_SOURCE_CONFIG, error))
          goto bad_value;
    } else {
      g_autofree char *text = cli_config_get_string (config, spec->name, error);
      if (text == NULL && error && *error)
        return FALSE;
      if (text != NULL && !set_from_text (options, spec, text, CLI_SOURCE_CONFIG, error))
        goto bad_value;
    }
    continue;

  bad_value:
    /* A bad value in a file is a config error, whatever the parser said. */
    {
      GError *e = *error;
      *error = g_error_new (G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                            "config file %s: %s", options->config_path, e->message);
      g_error_free (e);
    }
    return FALSE;
  }

  keys = cli_config_get_keys (config);
  for (char **k = keys; *k; k++) {
    gboolean known = FALSE;
    for (int i = 0; i < CLI_OPT_LAST && !known; i++)
      known = !specs[i].no_config && strcmp (specs[i].name, *k) == 0;
    if (!known)
      g_printerr ("amsclient: warning: config file %s: unknown key '%s' ignored\n",
                  options->config_path, *k);
  }
  return TRUE;
}

static void
apply_defaults (CliOptions *options)
{
  for (int i = 0; i < CLI_OPT_LAST; i++) {
    if (specs[i].default_value == NULL || !applies (&specs[i], options->command))
      continue;
    /* The table's defaults are valid by construction. */
    set_from_text (options, &specs[i], specs[i].default_value, CLI_SOURCE_DEFAULT, NULL);
  }
}

/* Builds the URL: the host, port, app and TLS parts replace those of --url
 * when they come from a source of the same or higher precedence. */
static gboolean
resolve_url (CliOptions *options, GError **error)
{
  const char *text = cli_options_get_string (options, CLI_OPT_URL);
  CliSource url_source = options->sources[CLI_OPT_URL];
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *scheme;
  g_autofree char *host = NULL, *path = NULL;
  int port;
  gboolean tls;

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, &local_error);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      (g_strcmp0 (scheme, "ws") != 0 && g_strcmp0 (scheme, "wss") != 0)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--url: '%s' is not a ws:// or wss:// URL", text);
    return FALSE;
  }

  tls = g_strcmp0 (scheme, "wss") == 0;
  host = g_strdup (g_uri_get_host (uri));
  port = g_uri_get_port (uri);
  path = g_strdup (g_uri_get_path (uri));

  if (options->sources[CLI_OPT_TLS] >= url_source && cli_options_is_set (options, CLI_OPT_TLS)) {
    gboolean want = cli_options_get_bool (options, CLI_OPT_TLS);
    /* Switching scheme moves a default port along with it. */
    if (want && !tls && (port == -1 || port == DEFAULT_WS_PORT))
      port = DEFAULT_WSS_PORT;
    else if (!want && tls && (port == -1 || port == DEFAULT_WSS_PORT))
      port = DEFAULT_WS_PORT;
    tls = want;
  }
  if (options->sources[CLI_OPT_HOST] >= url_source && cli_options_is_set (options, CLI_OPT_HOST)) {
    g_free (host);
    host = g_strdup (cli_options_get_string (options, CLI_OPT_HOST));
  }
  if (options->sources[CLI_OPT_PORT] >= url_source && cli_options_is_set (options, CLI_OPT_PORT))
    port = (int) cli_options_get_int (options, CLI_OPT_PORT);
  if (options->sources[CLI_OPT_APP] >= url_source && cli_options_is_set (options, CLI_OPT_APP)) {
    const char *app = cli_options_get_string (options, CLI_OPT_APP);
    if (strchr (app, '/') != NULL || strchr (app, '?') != NULL) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--app: '%s' must be a bare application name", app);
      return FALSE;
    }
    g_free (path);
    path = g_strdup_printf ("/%s/websocket", app);
  }
  if (port == -1)
    port = tls ? DEFAULT_WSS_PORT : DEFAULT_WS_PORT;

  options->url = g_uri_join (G_URI_FLAGS_NONE, tls ? "wss" : "ws", NULL, host, port, path,
                             g_uri_get_query (uri), NULL);
  return TRUE;
}

static gboolean
resolve_token (CliOptions *options, GError **error)
{
  CliSource token_source = options->sources[CLI_OPT_TOKEN];
  CliSource file_source = options->sources[CLI_OPT_TOKEN_FILE];
  g_autofree char *contents = NULL;
  char *newline;

  if (token_source == CLI_SOURCE_COMMAND_LINE && file_source == CLI_SOURCE_COMMAND_LINE) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--token and --token-file cannot be used together");
    return FALSE;
  }
  if (file_source == CLI_SOURCE_UNSET || file_source < token_source) {
    options->token = g_strdup (cli_options_get_string (options, CLI_OPT_TOKEN));
    return TRUE;
  }

  if (!g_file_get_contents (cli_options_get_string (options, CLI_OPT_TOKEN_FILE),
                            &contents, NULL, error)) {
    g_prefix_error (error, "--token-file: ");
    return FALSE;
  }
  newline = strpbrk (contents, "\r\n");
  if (newline)
    *newline = '\0';
  if (contents[0] == '\0') {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--token-file: %s is empty",
                 cli_options_get_string (options, CLI_OPT_TOKEN_FILE));
    return FALSE;
  }
  options->token = g_steal_pointer (&contents);
  return TRUE;
}

/* Checks between options that the table cannot express. */
static gboolean
check_combinations (CliOptions *options, GError **error)
{
  const CliCommand *command = options->command;

  if (cli_options_get_bool (options, CLI_OPT_NO_VIDEO) &&
      cli_options_get_bool (options, CLI_OPT_NO_AUDIO)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--no-video and --no-audio together leave nothing to %s", command->name);
    return FALSE;
  }
  if (cli_options_get_bool (options, CLI_OPT_PASSTHROUGH) &&
      !cli_options_is_set (options, CLI_OPT_FILE)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--passthrough sends a file as it is: give --file");
    return FALSE;
  }
  if (cli_options_is_set (options, CLI_OPT_FILE) &&
      (cli_options_is_set (options, CLI_OPT_VIDEO_SOURCE) ||
       cli_options_is_set (options, CLI_OPT_AUDIO_SOURCE))) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--file replaces --video-source and --audio-source: give one or the other");
    return FALSE;
  }
  if (cli_options_is_set (options, CLI_OPT_RECONNECT_DELAY) &&
      cli_options_is_set (options, CLI_OPT_RECONNECT_MAX_DELAY) &&
      cli_options_get_double (options, CLI_OPT_RECONNECT_DELAY) >
      cli_options_get_double (options, CLI_OPT_RECONNECT_MAX_DELAY)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--reconnect-delay is larger than --reconnect-max-delay");
    return FALSE;
  }
  if (cli_options_is_set (options, CLI_OPT_ICE_FILTER)) {
    static const char *const words[] = { "loopback", "udp", "tcp", "host", "srflx", "relay",
                                         "ipv4", "ipv6", NULL };
    g_auto (GStrv) list = g_strsplit (cli_options_get_string (options, CLI_OPT_ICE_FILTER), ",", -1);
    for (char **w = list; *w; w++)
      if (!g_strv_contains (words, g_strstrip (*w))) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--ice-filter: '%s' is not one of loopback, udp, tcp, host, srflx, relay, "
                     "ipv4, ipv6", *w);
        return FALSE;
      }
  }

  /* What each command cannot do without. --print-config shows what is
   * missing instead of failing on it. */
  if (cli_options_get_bool (options, CLI_OPT_PRINT_CONFIG))
    return TRUE;
  if ((command->flag & (CLI_CMD_INFO | CLI_CMD_PUBLISH | CLI_CMD_PLAY | CLI_CMD_P2P)) &&
      !cli_options_is_set (options, CLI_OPT_STREAM)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--stream ID is required");
    return FALSE;
  }
  if ((command->flag & (CLI_CMD_ROOM_INFO | CLI_CMD_CONFERENCE)) &&
      !cli_options_is_set (options, CLI_OPT_ROOM)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--room ROOM is required");
    return FALSE;
  }
  return TRUE;
}

CliOptions *
cli_options_parse (const CliCommand *command, int argc, char **argv,
                   gboolean *help_shown, GError **error)
{
  g_autoptr (CliOptions) options = g_new0 (CliOptions, 1);
  g_autoptr (GOptionContext) context = NULL;
  g_auto (GStrv) args = NULL;

  *help_shown = FALSE;
  options->command = command;
  options->help_texts = g_ptr_array_new_with_free_func (g_free);
  context = build_context (options, command);

  /* GOption wants argv[0] to be the program: show "amsclient CMD". */
  args = g_new0 (char *, argc + 1);
  args[0] = g_strdup_printf ("amsclient %s", command->name);
  for (int i = 1; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  help_requested = FALSE;
  if (!g_option_context_parse_strv (context, &args, error))
    return NULL;
  if (help_requested) {
    g_autofree char *help = g_option_context_get_help (context, FALSE, NULL);
    fputs (help, stdout);
    *help_shown = TRUE;
    return NULL;
  }
  if (g_strv_length (args) > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "unexpected argument '%s' (options take the form --name VALUE)", args[1]);
    return NULL;
  }

  if (!apply_environment (options, error) || !apply_config (options, error))
    return NULL;
  apply_defaults (options);

  if (!resolve_url (options, error) || !resolve_token (options, error) ||
      !check_combinations (options, error))
    return NULL;
  return g_steal_pointer (&options);
}

void
cli_options_free (CliOptions *options)
{
  if (options == NULL)
    return;
  for (int i = 0; i < CLI_OPT_LAST; i++)
    clear_value (&specs[i], &options->values[i]);
  g_free (options->config_path);
  g_free (options->url);
  g_free (options->token);
  g_clear_pointer (&options->help_texts, g_ptr_array_unref);
  g_free (options);
}

const CliCommand *
cli_options_get_command (CliOptions *options)
{
  return options->command;
}

const char *
cli_options_get_string (CliOptions *options, CliOptionId id)
{
  g_return_val_if_fail (specs[id].type == CLI_TYPE_STRING || specs[id].type == CLI_TYPE_FILE ||
                        specs[id].type == CLI_TYPE_CHOICE, NULL);
  return options->values[id].s;
}

const char * const *
cli_options_get_strv (CliOptions *options, CliOptionId id)
{
  g_return_val_if_fail (specs[id].type == CLI_TYPE_STRV, NULL);
  return options->values[id].v ? (const char * const *) options->values[id].v->pdata : NULL;
}

gboolean
cli_options_get_bool (CliOptions *options, CliOptionId id)
{
  g_return_val_if_fail (specs[id].type == CLI_TYPE_BOOL, FALSE);
  return options->values[id].b;
}

gint64
cli_options_get_int (CliOptions *options, CliOptionId id)
{
  g_return_val_if_fail (specs[id].type == CLI_TYPE_INT, 0);
  return options->values[id].i;
}

double
cli_options_get_double (CliOptions *options, CliOptionId id)
{
  g_return_val_if_fail (specs[id].type == CLI_TYPE_DOUBLE, 0);
  return options->values[id].d;
}

gboolean
cli_options_is_set (CliOptions *options, CliOptionId id)
{
  return options->sources[id] != CLI_SOURCE_UNSET;
}

CliSource
cli_options_get_source (CliOptions *options, CliOptionId id)
{
  return options->sources[id];
}

const char *
cli_options_get_url (CliOptions *options)
{
  return options->url;
}

const char *
cli_options_get_token (CliOptions *options)
{
  return options->token;
}

static const char *
source_name (CliSource source)
{
  switch (source) {
    case CLI_SOURCE_UNSET:        return "unset";
    case CLI_SOURCE_DEFAULT:      return "default";
    case CLI_SOURCE_CONFIG:       return "config";
    case CLI_SOURCE_ENVIRONMENT:  return "environment";
    case CLI_SOURCE_COMMAND_LINE: return "command line";
  }
  return "?";
}

void
cli_options_print (CliOptions *options, FILE *out)
{
  fprintf (out, "command = %s\n", options->command->name);
  fprintf (out, "config-file = %s\n", options->config_path ? options->config_path : "(none)");
  fprintf (out, "effective-url = %s\n", options->url);

  for (int i = 0; i < CLI_OPT_LAST; i++) {
    const CliOptionSpec *spec = &specs[i];
    CliValue *v = &options->values[i];
    g_autofree char *text = NULL;

    if (!applies (spec, options->command) || spec->id == CLI_OPT_PRINT_CONFIG)
      continue;
    if (options->sources[i] == CLI_SOURCE_UNSET) {
      fprintf (out, "%s = (unset)\n", spec->name);
      continue;
    }
    switch (spec->type) {
      case CLI_TYPE_STRING: case CLI_TYPE_FILE: case CLI_TYPE_CHOICE:
        /* Never echo a secret. */
        text = spec->id == CLI_OPT_TOKEN ? g_strdup ("(hidden)") : g_strdup (v->s);
        break;
      case CLI_TYPE_BOOL:   text = g_strdup (v->b ? "true" : "false"); break;
      case CLI_TYPE_INT:    text = g_strdup_printf ("%" G_GINT64_FORMAT, v->i); break;
      case CLI_TYPE_DOUBLE: {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        text = g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", v->d));
        break;
      }
      case CLI_TYPE_STRV:
        text = g_strjoinv (";", (char **) v->v->pdata);
        break;
    }
    fprintf (out, "%s = %s (%s)\n", spec->name, text, source_name (options->sources[i]));
  }
}
