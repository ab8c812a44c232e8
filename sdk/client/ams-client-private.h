/* ams-client-private.h: AmsClient's instance data, shared by its files. */
#pragma once

#include <amsclient/ams-client.h>
#include "protocol/ams-message.h"
#include "transport/ams-url.h"
#include "transport/ams-ws-client.h"

G_BEGIN_DECLS

struct _AmsClient {
  GObject         parent_instance;

  char           *url_string;
  AmsUrl         *url;
  GMainContext   *context;
  AmsClientState  state;
  AmsWsClient    *ws;

  /* options (properties) */
  guint           ping_interval_ms;
  guint           pong_misses;
  gboolean        reconnect;
  guint           reconnect_base_ms;
  guint           reconnect_cap_ms;
  guint           reconnect_max_attempts;
  guint           reconnect_jitter;
  guint           connect_timeout_ms;
  gboolean        allow_self_signed;
  char           *ca_file;
  gsize           max_message_size;
  guint           max_queued;

  GQueue          pending;       /* encoded requests made while not open */
  GPtrArray      *active;        /* ActiveSession: re-issued after a reconnect */

  GSource        *ping_source;
  GArray         *ping_times;    /* gint64 send times of unanswered pings */
  gint64          rtt_us;

  GSource        *retry_source;
  guint           attempt;       /* reconnection attempts since the last open */
};

/* Queues or sends an encoded request. @session_key: the request starts or
 * replaces an active session under that key. @ended_sessions: keys the
 * request ends (NULL-terminated, may be NULL). */
gboolean _ams_client_submit (AmsClient *self, AmsMessage *msg, const char *session_key,
                             const char *const *ended_sessions, GError **error);

G_END_DECLS
