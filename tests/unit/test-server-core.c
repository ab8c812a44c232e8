/* test-server-core: the mini-server's signalling state machine alone, fed
 * messages with no sockets; every reply is checked as exact JSON. */
#include "server/ams-server-core.h"
#include "server/ams-tokens.h"

#include <string.h>

#define T0 (1000 * G_USEC_PER_SEC)

typedef struct {
  AmsServerCore *core;
  GPtrArray     *out;
  gint64         now;
} F;

static gint64 fixed_wall_s = 1700000000;
static gint64
fixed_wall (void)
{
  return fixed_wall_s;
}

static F *
f_new (AmsServerConfig *cfg, guint n_conns)
{
  F *f = g_new0 (F, 1);
  f->core = ams_server_core_new (cfg ? cfg : ams_server_config_new ());
  ams_server_core_set_wall_clock (f->core, fixed_wall);
  f->out = ams_server_actions_new ();
  f->now = T0;
  for (guint i = 1; i <= n_conns; i++)
    ams_server_core_connection_opened (f->core, i, f->now, f->out);
  g_assert_cmpuint (f->out->len, ==, 0);
  return f;
}

static void
f_free (F *f)
{
  ams_server_core_free (f->core);
  g_ptr_array_unref (f->out);
  g_free (f);
}

/* Feeds one message and leaves the actions in f->out (cleared first). */
static void
feed (F *f, AmsConnId conn, const char *json)
{
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_handle (f->core, conn, json, strlen (json), f->now, f->out);
}

static void
tick (F *f, gint64 advance_us)
{
  f->now += advance_us;
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_tick (f->core, f->now, f->out);
}

static void
close_conn (F *f, AmsConnId conn)
{
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_connection_closed (f->core, conn, f->now, f->out);
}

/* Action @i is a SEND to @conn of exactly @json (any key order). */
static void
expect (F *f, guint i, AmsConnId conn, const char *json)
{
  if (i >= f->out->len)
    g_error ("expected action %u (%s) but only %u actions", i, json, f->out->len);
  AmsServerAction *a = g_ptr_array_index (f->out, i);
  g_assert_cmpint (a->kind, ==, AMS_SERVER_ACTION_SEND);
  json_object *want = json_tokener_parse (json);
  g_assert_nonnull (want);
  json_object *got = ams_message_get_object (a->msg);
  if (a->conn != conn || !json_object_equal (want, got))
    g_error ("action %u: got conn %" G_GUINT64_FORMAT " %s, want conn %" G_GUINT64_FORMAT " %s", i,
             a->conn, json_object_to_json_string (got), conn, json);
  json_object_put (want);
}

static void
expect_n (F *f, guint n)
{
  if (f->out->len != n)
    {
      for (guint i = 0; i < f->out->len; i++)
        {
          AmsServerAction *a = g_ptr_array_index (f->out, i);
          g_printerr ("  action %u: conn %" G_GUINT64_FORMAT " %s\n", i, a->conn,
                      a->msg ? json_object_to_json_string (ams_message_get_object (a->msg)) : "CLOSE");
        }
      g_error ("expected %u actions, got %u", n, f->out->len);
    }
}

/* A string field of action @i. */
static const char *
field (F *f, guint i, const char *key)
{
  AmsServerAction *a = g_ptr_array_index (f->out, i);
  return ams_message_get_string (a->msg, key);
}

/* ------------------------------------------------------------ pre-checks */

static void
test_prechecks (void)
{
  F *f = f_new (NULL, 1);
  feed (f, 1, "{not json");
  expect_n (f, 0);
  feed (f, 1, "[1,2]");
  expect_n (f, 0);
  feed (f, 1, "{\"streamId\":\"s1\"}");
  expect_n (f, 0);
  feed (f, 1, "{\"command\":42,\"streamId\":\"s1\"}");
  expect_n (f, 0);
  feed (f, 1, "{\"command\":\"publish\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"noStreamNameSpecified\"}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"noStreamNameSpecified\"}");
  feed (f, 1, "{\"command\":\"play\",\"streamId\":null}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"noStreamNameSpecified\"}");
  feed (f, 1, "{\"command\":\"someFutureCommand\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"noStreamNameSpecified\"}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"bad id/x\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"invalidStreamName\",\"streamId\":\"bad id/x\"}");
  /* The commands that need no streamId. */
  feed (f, 1, "{\"command\":\"ping\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"pong\"}");
  feed (f, 1, "{\"command\":\"getIceServerConfig\"}");
  expect (f, 0, 1, "{\"command\":\"iceServerConfig\",\"iceServers\":[]}");
  feed (f, 1, "{\"command\":\"joinRoom\",\"room\":\"r\"}");
  expect_n (f, 1);
  g_assert_cmpstr (field (f, 0, "definition"), ==, "joinedTheRoom");
  /* Unknown commands with a valid streamId: no reply. */
  feed (f, 1, "{\"command\":\"someFutureCommand\",\"streamId\":\"s1\"}");
  expect_n (f, 0);
  /* A known field of the wrong type: dropped, as AMS does. */
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\",\"video\":\"yes\"}");
  expect_n (f, 0);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":7}");
  expect_n (f, 0);
  /* Not UTF-8: dropped, never echoed back in an error. */
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\377\"}");
  expect_n (f, 0);
  /* Extra fields and any key order are fine. */
  feed (f, 1, "{\"extra\":{\"a\":1},\"streamId\":\"s1\",\"command\":\"publish\"}");
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"s1\",\"subscriberId\":null}");
  f_free (f);
}

/* ------------------------------------------------------------ publish */

static void
test_publish_start_and_conflicts (void)
{
  F *f = f_new (NULL, 2);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\",\"subscriberId\":\"sub1\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"s1\",\"subscriberId\":\"sub1\"}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"already_publishing\",\"streamId\":\"s1\"}");
  feed (f, 2, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"streamIdInUse\",\"streamId\":\"s1\"}");
  g_assert_true (ams_server_core_stream_is_active (f->core, "s1"));
  g_assert_cmpuint (ams_server_core_get_n_publishers (f->core), ==, 1);
  /* stop -> publish_finished, then the id is free again. */
  feed (f, 1, "{\"command\":\"stop\",\"streamId\":\"s1\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"publish_finished\",\"streamId\":\"s1\",\"subscriberId\":\"sub1\"}");
  feed (f, 2, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  expect (f, 0, 2, "{\"command\":\"start\",\"streamId\":\"s1\",\"subscriberId\":null}");
  f_free (f);
}

static void
test_publish_timeout (void)
{
  F *f = f_new (NULL, 1);
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, -1);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, T0 + 10 * G_USEC_PER_SEC);
  tick (f, 9999 * G_TIME_SPAN_MILLISECOND);
  expect_n (f, 0);
  tick (f, G_TIME_SPAN_MILLISECOND);
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"publishTimeoutError\",\"streamId\":\"s1\"}");
  g_assert_false (ams_server_core_stream_is_active (f->core, "s1"));
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, -1);

  /* Media started in time: publish_started and no timeout. */
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s2\",\"subscriberId\":\"u\"}");
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_publisher_started (f->core, "s2", f->now, f->out);
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"publish_started\",\"streamId\":\"s2\",\"subscriberId\":\"u\"}");
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, -1);
  tick (f, 20 * G_USEC_PER_SEC);
  expect_n (f, 0);
  g_assert_true (ams_server_core_stream_is_active (f->core, "s2"));

  /* Several waiting publishes: the deadline follows the earliest one. */
  gint64 t_a = f->now;
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"a\"}");
  f->now += G_USEC_PER_SEC;
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"b\"}");
  f->now += G_USEC_PER_SEC;
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"c\"}");
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, t_a + 10 * G_USEC_PER_SEC);
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_publisher_started (f->core, "a", f->now, f->out);
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, t_a + 11 * G_USEC_PER_SEC);
  feed (f, 1, "{\"command\":\"stop\",\"streamId\":\"b\"}");
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, t_a + 12 * G_USEC_PER_SEC);
  f->now = t_a + 12 * G_USEC_PER_SEC - 1;
  tick (f, 0);
  expect_n (f, 0);
  tick (f, 1);
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"publishTimeoutError\",\"streamId\":\"c\"}");
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, -1);
  f_free (f);
}

static void
test_publish_registered_and_encoder (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->accept_only_registered_streams = TRUE;
  cfg->registered_streams = g_strsplit ("known1,known2", ",", -1);
  F *f = f_new (cfg, 1);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"other\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"not_allowed_unregistered_streams\",\"streamId\":\"other\"}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"known2\"}");
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"known2\",\"subscriberId\":null}");
  f_free (f);

  cfg = ams_server_config_new ();
  cfg->require_encoder_settings = TRUE;
  f = f_new (cfg, 1);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"no_encoder_settings\"}");
  f_free (f);
}

static void
test_high_resource_usage (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  g_assert_cmpuint (cfg->cpu_limit_percent, ==, 0);
  g_assert_cmpuint (cfg->min_free_ram_mb, ==, 10);
  cfg->cpu_limit_percent = 75;
  F *f = f_new (cfg, 1);
  /* Not measured yet: no guard. */
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"a\"}");
  g_assert_cmpstr (field (f, 0, "command"), ==, "start");
  ams_server_core_set_resource_usage (f->core, 90.0, 4096);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"b\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"highResourceUsage\"}");
  feed (f, 1, "{\"command\":\"play\",\"streamId\":\"a\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"highResourceUsage\"}");
  ams_server_core_set_resource_usage (f->core, 10.0, 5);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"b\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"highResourceUsage\"}");
  ams_server_core_set_resource_usage (f->core, 10.0, 4096);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"b\"}");
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"b\",\"subscriberId\":null}");
  f_free (f);
}

/* ------------------------------------------------------------ tokens */

static void
test_tokens_jwt_hash (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->jwt_publish = TRUE;
  cfg->jwt_secret = g_strdup ("jwt-secret-123");
  cfg->hash_play = TRUE;
  cfg->hash_secret = g_strdup ("hash-secret");
  F *f = f_new (cfg, 2);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"unauthorized_access\",\"streamId\":\"s1\"}");
  g_autofree char *play_jwt = ams_token_jwt_create ("jwt-secret-123", "s1", "play", fixed_wall_s + 60);
  g_autofree char *m1 = g_strdup_printf ("{\"command\":\"publish\",\"streamId\":\"s1\",\"token\":\"%s\"}", play_jwt);
  feed (f, 1, m1);
  g_assert_cmpstr (field (f, 0, "definition"), ==, "unauthorized_access");
  g_autofree char *expired = ams_token_jwt_create ("jwt-secret-123", "s1", "publish", fixed_wall_s - 1);
  g_autofree char *m2 = g_strdup_printf ("{\"command\":\"publish\",\"streamId\":\"s1\",\"token\":\"%s\"}", expired);
  feed (f, 1, m2);
  g_assert_cmpstr (field (f, 0, "definition"), ==, "unauthorized_access");
  g_autofree char *good = ams_token_jwt_create ("jwt-secret-123", "s1", "publish", fixed_wall_s + 60);
  g_autofree char *m3 = g_strdup_printf ("{\"command\":\"publish\",\"streamId\":\"s1\",\"token\":\"%s\"}", good);
  feed (f, 1, m3);
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"s1\",\"subscriberId\":null}");

  /* Hash token for play: sha256(streamId + "play" + secret). */
  feed (f, 2, "{\"command\":\"play\",\"streamId\":\"s1\",\"token\":\"00\"}");
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"unauthorized_access\",\"streamId\":\"s1\"}");
  g_autofree char *wrong_role = ams_token_hash_compute ("s1", "publish", "hash-secret");
  g_autofree char *m4 = g_strdup_printf ("{\"command\":\"play\",\"streamId\":\"s1\",\"token\":\"%s\"}", wrong_role);
  feed (f, 2, m4);
  g_assert_cmpstr (field (f, 0, "definition"), ==, "unauthorized_access");
  g_autofree char *hash = ams_token_hash_compute ("s1", "play", "hash-secret");
  g_autofree char *m5 = g_strdup_printf ("{\"command\":\"play\",\"streamId\":\"s1\",\"token\":\"%s\"}", hash);
  feed (f, 2, m5);
  expect_n (f, 0);  /* accepted; no backend, so no offer */
  g_assert_cmpuint (ams_server_core_get_n_connections (f->core), ==, 2);
  f_free (f);
}

static void
test_tokens_one_time_totp_blocked (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->one_time_token_publish = TRUE;
  cfg->one_time_tokens = g_strsplit ("tokA:s1:publish;tokB:s2:play", ";", -1);
  cfg->totp_play = TRUE;
  cfg->totp_secret = g_strdup ("JBSWY3DPEHPK3PXP");
  cfg->blocked_subscribers = g_strsplit ("villain", ",", -1);
  F *f = f_new (cfg, 2);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\",\"token\":\"tokB\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"unauthorized_access\",\"streamId\":\"s1\"}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\",\"token\":\"tokA\"}");
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"s1\",\"subscriberId\":null}");
  feed (f, 1, "{\"command\":\"stop\",\"streamId\":\"s1\"}");
  /* One time: the same token again is refused. */
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\",\"token\":\"tokA\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"unauthorized_access\",\"streamId\":\"s1\"}");

  /* TOTP on play; s2 is published by... nobody needs to: the check comes first. */
  feed (f, 2, "{\"command\":\"play\",\"streamId\":\"s9\",\"subscriberId\":\"u1\",\"subscriberCode\":\"000000\"}");
  g_autoptr (GBytes) secret = ams_base32_decode ("JBSWY3DPEHPK3PXP");
  guint32 code = ams_totp_code (secret, fixed_wall_s, 60, 6);
  gboolean lucky = code == 0;
  if (!lucky)
    expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"unauthorized_access\",\"streamId\":\"s9\"}");
  g_autofree char *m = g_strdup_printf ("{\"command\":\"play\",\"streamId\":\"s9\",\"subscriberId\":\"u1\",\"subscriberCode\":\"%06u\"}", code);
  feed (f, 2, m);
  /* The code passes; the stream does not exist. */
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"no_stream_exist\",\"streamId\":\"s9\",\"error_code\":\"404\"}");
  feed (f, 2, "{\"command\":\"play\",\"streamId\":\"s9\",\"subscriberId\":\"villain\",\"subscriberCode\":\"123456\"}");
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"user_blocked\",\"streamId\":\"s9\"}");
  f_free (f);
}

/* ------------------------------------------------------------ play */

static void
test_play (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->max_viewers_per_stream = 1;
  F *f = f_new (cfg, 3);
  feed (f, 2, "{\"command\":\"play\",\"streamId\":\"s1\",\"room\":\"\"}");
  expect_n (f, 1);
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"no_stream_exist\",\"streamId\":\"s1\",\"error_code\":\"404\"}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  feed (f, 2, "{\"command\":\"play\",\"streamId\":\"s1\",\"subscriberId\":\"v1\"}");
  expect_n (f, 0);
  feed (f, 2, "{\"command\":\"play\",\"streamId\":\"s1\"}");
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"already_playing\",\"streamId\":\"s1\"}");
  feed (f, 3, "{\"command\":\"play\",\"streamId\":\"s1\"}");
  expect (f, 0, 3, "{\"command\":\"error\",\"definition\":\"viewerLimitReached\",\"streamId\":\"s1\"}");
  feed (f, 3, "{\"command\":\"getSubscriberCount\",\"streamId\":\"s1\"}");
  expect (f, 0, 3, "{\"command\":\"notification\",\"definition\":\"subscriberCount\",\"streamId\":\"s1\",\"count\":1}");
  feed (f, 3, "{\"command\":\"getSubscribers\",\"streamId\":\"s1\",\"offset\":0,\"size\":10}");
  expect (f, 0, 3, "{\"command\":\"notification\",\"definition\":\"subscriberList\",\"streamId\":\"s1\",\"subscriberList\":[\"{\\\"subscriberId\\\":\\\"v1\\\",\\\"streamId\\\":\\\"s1\\\",\\\"type\\\":\\\"play\\\",\\\"connected\\\":false}\"]}");
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_player_started (f->core, "s1", 2, f->now, f->out);
  expect (f, 0, 2, "{\"command\":\"notification\",\"definition\":\"play_started\",\"streamId\":\"s1\",\"subscriberId\":\"v1\"}");
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_bitrate (f->core, "s1", 2, 900000, 800000, 64000, f->out);
  expect (f, 0, 2, "{\"command\":\"notification\",\"definition\":\"bitrateMeasurement\",\"streamId\":\"s1\",\"targetBitrate\":900000,\"videoBitrate\":800000,\"audioBitrate\":64000}");
  /* Player stop. */
  feed (f, 2, "{\"command\":\"stop\",\"streamId\":\"s1\"}");
  expect_n (f, 1);
  expect (f, 0, 2, "{\"command\":\"notification\",\"definition\":\"play_finished\",\"streamId\":\"s1\",\"subscriberId\":\"v1\"}");
  /* Publisher stop ends the remaining players. */
  feed (f, 3, "{\"command\":\"play\",\"streamId\":\"s1\"}");
  expect_n (f, 0);
  feed (f, 1, "{\"command\":\"stop\",\"streamId\":\"s1\"}");
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"publish_finished\",\"streamId\":\"s1\",\"subscriberId\":null}");
  expect (f, 1, 3, "{\"command\":\"notification\",\"definition\":\"play_finished\",\"streamId\":\"s1\",\"subscriberId\":null}");
  /* Publisher disconnect does the same. */
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  feed (f, 3, "{\"command\":\"play\",\"streamId\":\"s1\"}");
  close_conn (f, 1);
  expect_n (f, 1);
  expect (f, 0, 3, "{\"command\":\"notification\",\"definition\":\"play_finished\",\"streamId\":\"s1\",\"subscriberId\":null}");
  g_assert_false (ams_server_core_stream_is_active (f->core, "s1"));
  f_free (f);
}

static void
test_stream_info (void)
{
  F *f = f_new (NULL, 2);
  feed (f, 2, "{\"command\":\"getStreamInfo\",\"streamId\":\"s1\"}");
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"no_stream_exist\",\"streamId\":\"s1\",\"error_code\":\"404\"}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\"}");
  ams_server_core_media_stream_info (f->core, "s1", 640, 480, 1000000, 64000, "VP8");
  feed (f, 2, "{\"command\":\"getStreamInfo\",\"streamId\":\"s1\"}");
  expect (f, 0, 2, "{\"command\":\"streamInformation\",\"streamId\":\"s1\",\"streamInfo\":[{\"streamWidth\":640,\"streamHeight\":480,\"videoBitrate\":1000000,\"audioBitrate\":64000,\"videoCodec\":\"VP8\"}]}");
  f_free (f);
}

static void
test_ice_server_config (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->stun_server_uri = g_strdup ("turn:127.0.0.1:3478");
  cfg->turn_username = g_strdup ("user");
  cfg->turn_credential = g_strdup ("pass");
  F *f = f_new (cfg, 1);
  feed (f, 1, "{\"command\":\"getIceServerConfig\"}");
  expect (f, 0, 1, "{\"command\":\"iceServerConfig\",\"stunServerUri\":\"turn:127.0.0.1:3478\",\"turnServerUsername\":\"user\",\"turnServerCredential\":\"pass\",\"iceServers\":[{\"urls\":\"turn:127.0.0.1:3478\",\"username\":\"user\",\"credential\":\"pass\"}]}");
  f_free (f);
}

/* ------------------------------------------------------------ P2P */

static void
test_p2p (void)
{
  F *f = f_new (NULL, 4);
  feed (f, 1, "{\"command\":\"join\",\"streamId\":\"p\",\"mode\":\"both\",\"multiPeer\":false}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"joined\",\"streamId\":\"p\"}");
  feed (f, 1, "{\"command\":\"takeConfiguration\",\"streamId\":\"p\",\"type\":\"offer\",\"sdp\":\"v=0\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"no_peer_associated_before\"}");
  feed (f, 2, "{\"command\":\"join\",\"streamId\":\"p\"}");
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"p\"}");
  expect (f, 1, 2, "{\"command\":\"notification\",\"definition\":\"joined\",\"streamId\":\"p\"}");
  feed (f, 3, "{\"command\":\"join\",\"streamId\":\"p\"}");
  expect (f, 0, 3, "{\"command\":\"error\",\"definition\":\"NoSpaceForNewPeer\"}");
  /* Relay unchanged, extra fields included; label stays an integer. */
  feed (f, 1, "{\"command\":\"takeConfiguration\",\"streamId\":\"p\",\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\",\"x\":1}");
  expect_n (f, 1);
  expect (f, 0, 2, "{\"command\":\"takeConfiguration\",\"streamId\":\"p\",\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\",\"x\":1}");
  feed (f, 2, "{\"command\":\"takeCandidate\",\"streamId\":\"p\",\"label\":0,\"id\":\"0\",\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 5000 typ host\"}");
  expect (f, 0, 1, "{\"command\":\"takeCandidate\",\"streamId\":\"p\",\"label\":0,\"id\":\"0\",\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 5000 typ host\"}");
  AmsServerAction *a = g_ptr_array_index (f->out, 0);
  g_assert_true (json_object_is_type (ams_message_get_json (a->msg, "label"), json_type_int));
  /* label as a string: dropped, as AMS does. */
  feed (f, 2, "{\"command\":\"takeCandidate\",\"streamId\":\"p\",\"label\":\"0\",\"id\":\"0\",\"candidate\":\"c\"}");
  expect_n (f, 0);
  feed (f, 2, "{\"command\":\"peerMessageCommand\",\"streamId\":\"p\",\"definition\":\"hello\",\"data\":{\"k\":[1,2]}}");
  expect (f, 0, 1, "{\"command\":\"peerMessageCommand\",\"streamId\":\"p\",\"definition\":\"hello\",\"data\":{\"k\":[1,2]}}");
  /* leave: stop to the other, leaved to the leaver. */
  feed (f, 2, "{\"command\":\"leave\",\"streamId\":\"p\"}");
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"stop\",\"streamId\":\"p\"}");
  expect (f, 1, 2, "{\"command\":\"notification\",\"definition\":\"leaved\",\"streamId\":\"p\"}");
  feed (f, 2, "{\"command\":\"leave\",\"streamId\":\"p\"}");
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"no_peer_associated_before\"}");
  /* A third peer now fits; an unclean disconnect frees its slot. */
  feed (f, 3, "{\"command\":\"join\",\"streamId\":\"p\"}");
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"p\"}");
  close_conn (f, 3);
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"stop\",\"streamId\":\"p\"}");
  feed (f, 4, "{\"command\":\"join\",\"streamId\":\"p\"}");
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"p\"}");
  close_conn (f, 1);
  expect (f, 0, 4, "{\"command\":\"stop\",\"streamId\":\"p\"}");
  close_conn (f, 4);
  expect_n (f, 0);
  feed (f, 2, "{\"command\":\"join\",\"streamId\":\"p\"}");
  expect (f, 0, 2, "{\"command\":\"notification\",\"definition\":\"joined\",\"streamId\":\"p\"}");
  f_free (f);
}

/* ------------------------------------------------------------ conference */

static void
test_legacy_conference (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->accept_only_registered_rooms = TRUE;
  cfg->registered_rooms = g_strsplit ("room1", ",", -1);
  F *f = f_new (cfg, 3);
  feed (f, 1, "{\"command\":\"joinRoom\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"no_room_specified\"}");
  feed (f, 1, "{\"command\":\"joinRoom\",\"room\":\"nope\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"not_allowed_unregistered_streams\",\"streamId\":\"nope\"}");
  feed (f, 1, "{\"command\":\"getRoomInfo\",\"room\":\"room1\",\"streamId\":\"a\"}");
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"no_active_streams_in_room\",\"room\":\"room1\"}");
  feed (f, 1, "{\"command\":\"joinRoom\",\"room\":\"room1\",\"streamId\":\"a\",\"mode\":\"legacy\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"joinedTheRoom\",\"streamId\":\"a\",\"streams\":[],\"streamList\":[],\"ATTR_ROOM_NAME\":\"room1\",\"room\":\"room1\",\"maxTrackCount\":-1}");
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"a\",\"streamName\":\"Alice\",\"metaData\":\"m\"}");
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_publisher_started (f->core, "a", f->now, f->out);
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"publish_started\",\"streamId\":\"a\",\"subscriberId\":null,\"ATTR_ROOM_NAME\":\"room1\",\"room\":\"room1\"}");
  /* Second participant with a generated id. */
  feed (f, 2, "{\"command\":\"joinRoom\",\"room\":\"room1\"}");
  expect_n (f, 1);
  const char *gen = field (f, 0, "streamId");
  g_assert_nonnull (gen);
  g_assert_cmpuint (strlen (gen), ==, 12);
  g_assert_true (ams_stream_id_is_valid (gen));
  g_autofree char *want = g_strdup_printf ("{\"command\":\"notification\",\"definition\":\"joinedTheRoom\",\"streamId\":\"%s\",\"streams\":[\"a\"],\"streamList\":[{\"streamId\":\"a\",\"streamName\":\"Alice\",\"metaData\":\"m\"}],\"ATTR_ROOM_NAME\":\"room1\",\"room\":\"room1\",\"maxTrackCount\":-1}", gen);
  expect (f, 0, 2, want);
  g_autofree char *b = g_strdup (gen);
  /* roomInformation leaves out the caller's own stream. */
  feed (f, 1, "{\"command\":\"getRoomInfo\",\"room\":\"room1\",\"streamId\":\"a\"}");
  expect (f, 0, 1, "{\"command\":\"roomInformation\",\"room\":\"room1\",\"ATTR_ROOM_NAME\":\"room1\",\"streams\":[],\"streamList\":[]}");
  g_autofree char *pub = g_strdup_printf ("{\"command\":\"publish\",\"streamId\":\"%s\"}", b);
  feed (f, 2, pub);
  feed (f, 1, "{\"command\":\"getRoomInfo\",\"room\":\"room1\",\"streamId\":\"a\"}");
  g_autofree char *want2 = g_strdup_printf ("{\"command\":\"roomInformation\",\"room\":\"room1\",\"ATTR_ROOM_NAME\":\"room1\",\"streams\":[\"%s\"],\"streamList\":[{\"streamId\":\"%s\",\"streamName\":null,\"metaData\":null}]}", b, b);
  expect (f, 0, 1, want2);
  /* leaveFromRoom (no streamId needed) -> leavedFromRoom. */
  feed (f, 2, "{\"command\":\"leaveFromRoom\",\"room\":\"room1\"}");
  expect_n (f, 1);
  expect (f, 0, 2, "{\"command\":\"notification\",\"definition\":\"leavedFromRoom\",\"ATTR_ROOM_NAME\":\"room1\"}");
  feed (f, 2, "{\"command\":\"leaveFromRoom\"}");
  expect (f, 0, 2, "{\"command\":\"error\",\"definition\":\"no_room_specified\"}");
  /* stop in a legacy room: publish_finished then leavedFromRoom. */
  feed (f, 1, "{\"command\":\"stop\",\"streamId\":\"a\"}");
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"publish_finished\",\"streamId\":\"a\",\"subscriberId\":null}");
  expect (f, 1, 1, "{\"command\":\"notification\",\"definition\":\"leavedFromRoom\",\"ATTR_ROOM_NAME\":\"room1\"}");
  f_free (f);
}

static void
test_multitrack_model (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->max_subtracks_per_main_track = 2;
  F *f = f_new (cfg, 4);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\",\"mainTrack\":\"room\",\"role\":\"host\",\"metaData\":\"{\\\"mic\\\":true}\"}");
  expect (f, 0, 1, "{\"command\":\"start\",\"streamId\":\"s1\",\"subscriberId\":null}");
  feed (f, 3, "{\"command\":\"play\",\"streamId\":\"room\",\"room\":\"room\",\"userPublishId\":\"x\"}");
  expect_n (f, 0);
  feed (f, 2, "{\"command\":\"publish\",\"streamId\":\"s2\",\"mainTrack\":\"room\"}");
  expect_n (f, 2);
  expect (f, 0, 2, "{\"command\":\"start\",\"streamId\":\"s2\",\"subscriberId\":null}");
  expect (f, 1, 3, "{\"command\":\"notification\",\"definition\":\"subtrackAdded\",\"trackId\":\"s2\",\"mainTrack\":\"room\"}");
  feed (f, 4, "{\"command\":\"publish\",\"streamId\":\"s3\",\"mainTrack\":\"room\"}");
  expect (f, 0, 4, "{\"command\":\"error\",\"definition\":\"main_track_has_max_subtrack_count__not_allowed_to_add_more_subtracks\",\"streamId\":\"s3\"}");
  feed (f, 4, "{\"command\":\"getTrackList\",\"streamId\":\"room\"}");
  expect (f, 0, 4, "{\"command\":\"trackList\",\"streamId\":\"room\",\"trackList\":[\"s1\",\"s2\"]}");
  feed (f, 4, "{\"command\":\"getSubtracksCount\",\"streamId\":\"room\"}");
  expect (f, 0, 4, "{\"command\":\"notification\",\"definition\":\"subtrackCount\",\"streamId\":\"room\",\"count\":2}");
  feed (f, 4, "{\"command\":\"getSubtracksCount\",\"streamId\":\"room\",\"role\":\"host\"}");
  expect (f, 0, 4, "{\"command\":\"notification\",\"definition\":\"subtrackCount\",\"streamId\":\"room\",\"count\":1}");
  feed (f, 4, "{\"command\":\"getSubtracks\",\"streamId\":\"room\",\"offset\":1,\"size\":5}");
  expect_n (f, 1);
  AmsServerAction *a = g_ptr_array_index (f->out, 0);
  g_assert_cmpstr (ams_message_get_definition (a->msg), ==, "subtrackList");
  json_object *list = ams_message_get_json (a->msg, "subtrackList");
  g_assert_cmpuint (json_object_array_length (list), ==, 1);
  json_object *b = json_tokener_parse (json_object_get_string (json_object_array_get_idx (list, 0)));
  json_object *v;
  g_assert_true (json_object_object_get_ex (b, "streamId", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "s2");
  g_assert_true (json_object_object_get_ex (b, "mainTrackStreamId", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "room");
  json_object_put (b);
  /* broadcastObject: `broadcast` is a JSON string. */
  feed (f, 4, "{\"command\":\"updateStreamMetaData\",\"streamId\":\"s1\",\"metaData\":\"new\"}");
  expect_n (f, 0);
  feed (f, 4, "{\"command\":\"getBroadcastObject\",\"streamId\":\"s1\"}");
  a = g_ptr_array_index (f->out, 0);
  g_assert_cmpstr (ams_message_get_definition (a->msg), ==, "broadcastObject");
  b = json_tokener_parse (ams_message_get_string (a->msg, "broadcast"));
  g_assert_nonnull (b);
  g_assert_true (json_object_object_get_ex (b, "metaData", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "new");
  g_assert_true (json_object_object_get_ex (b, "status", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "preparing");
  g_assert_true (json_object_object_get_ex (b, "role", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "host");
  json_object_put (b);
  feed (f, 4, "{\"command\":\"getBroadcastObject\",\"streamId\":\"room\"}");
  b = json_tokener_parse (field (f, 0, "broadcast"));
  g_assert_true (json_object_object_get_ex (b, "subTrackStreamIds", &v));
  g_assert_cmpstr (json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN), ==, "[\"s1\",\"s2\"]");
  json_object_put (b);
  feed (f, 4, "{\"command\":\"getBroadcastObject\",\"streamId\":\"ghost\"}");
  expect (f, 0, 4, "{\"command\":\"error\",\"definition\":\"no_stream_exist\",\"streamId\":\"ghost\",\"error_code\":\"404\"}");
  /* The room is a conference for the legacy query too. */
  feed (f, 4, "{\"command\":\"getRoomInfo\",\"room\":\"room\",\"streamId\":\"s1\"}");
  expect (f, 0, 4, "{\"command\":\"roomInformation\",\"room\":\"room\",\"ATTR_ROOM_NAME\":\"room\",\"streams\":[\"s2\"],\"streamList\":[{\"streamId\":\"s2\",\"streamName\":null,\"metaData\":null}]}");
  /* Leaving: subtrackRemoved to the room's player; the last one ends it. */
  feed (f, 2, "{\"command\":\"stop\",\"streamId\":\"s2\"}");
  expect_n (f, 2);
  expect (f, 1, 3, "{\"command\":\"notification\",\"definition\":\"subtrackRemoved\",\"trackId\":\"s2\",\"mainTrack\":\"room\"}");
  close_conn (f, 1);
  expect_n (f, 2);
  expect (f, 0, 3, "{\"command\":\"notification\",\"definition\":\"subtrackRemoved\",\"trackId\":\"s1\",\"mainTrack\":\"room\"}");
  expect (f, 1, 3, "{\"command\":\"notification\",\"definition\":\"play_finished\",\"streamId\":\"room\",\"subscriberId\":null}");
  feed (f, 4, "{\"command\":\"getTrackList\",\"streamId\":\"room\"}");
  expect (f, 0, 4, "{\"command\":\"trackList\",\"streamId\":\"room\",\"trackList\":[]}");
  f_free (f);
}

/* ------------------------------------------------------------ media hook */

typedef struct {
  GString *log;
} FakeBackend;

static void
fb_publisher_offer (gpointer d, const char *sid, AmsConnId c, const char *sdp)
{
  g_string_append_printf (((FakeBackend *) d)->log, "offer(%s,%" G_GUINT64_FORMAT ",%s);", sid, c, sdp);
}
static void
fb_publisher_candidate (gpointer d, const char *sid, AmsConnId c, gint64 label, const char *mid,
                        const char *cand)
{
  g_string_append_printf (((FakeBackend *) d)->log, "pcand(%s,%" G_GINT64_FORMAT ",%s,%s);", sid,
                          label, mid, cand);
}
static void
fb_player_start (gpointer d, const char *sid, AmsConnId c)
{
  g_string_append_printf (((FakeBackend *) d)->log, "play(%s,%" G_GUINT64_FORMAT ");", sid, c);
}
static void
fb_player_answer (gpointer d, const char *sid, AmsConnId c, const char *sdp)
{
  g_string_append_printf (((FakeBackend *) d)->log, "answer(%s,%s);", sid, sdp);
}
static void
fb_player_candidate (gpointer d, const char *sid, AmsConnId c, gint64 label, const char *mid,
                     const char *cand)
{
  g_string_append_printf (((FakeBackend *) d)->log, "vcand(%s,%" G_GINT64_FORMAT ");", sid, label);
}
static void
fb_track (gpointer d, const char *sid, AmsConnId c, const char *kind, const char *track,
          gboolean on)
{
  g_string_append_printf (((FakeBackend *) d)->log, "%s(%s,%s,%d);", kind, sid, track, on);
}
static void
fb_stop (gpointer d, const char *sid, AmsConnId c, gboolean pub)
{
  g_string_append_printf (((FakeBackend *) d)->log, "stop(%s,%" G_GUINT64_FORMAT ",%d);", sid, c, pub);
}

static void
test_media_backend (void)
{
  F *f = f_new (NULL, 2);
  FakeBackend fb = { g_string_new (NULL) };
  AmsServerMediaBackend be = {
    .publisher_offer = fb_publisher_offer, .publisher_candidate = fb_publisher_candidate,
    .player_start = fb_player_start, .player_answer = fb_player_answer,
    .player_candidate = fb_player_candidate, .player_track_enable = fb_track,
    .session_stop = fb_stop,
  };
  ams_server_core_set_media_backend (f->core, &be, &fb);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s1\",\"subscriberId\":\"u\"}");
  feed (f, 1, "{\"command\":\"takeConfiguration\",\"streamId\":\"s1\",\"type\":\"offer\",\"sdp\":\"OFFER\"}");
  feed (f, 1, "{\"command\":\"takeCandidate\",\"streamId\":\"s1\",\"label\":1,\"candidate\":\"C1\"}");
  expect_n (f, 0);
  g_assert_cmpstr (fb.log->str, ==, "offer(s1,1,OFFER);pcand(s1,1,0,C1);");
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_local_sdp (f->core, "s1", 1, "answer", "ANSWER", f->now, f->out);
  ams_server_core_media_local_candidate (f->core, "s1", 1, 0, "0", "candidate:9", f->now, f->out);
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"takeConfiguration\",\"streamId\":\"s1\",\"type\":\"answer\",\"sdp\":\"ANSWER\",\"subscriberId\":\"u\"}");
  expect (f, 1, 1, "{\"command\":\"takeCandidate\",\"streamId\":\"s1\",\"label\":0,\"id\":\"0\",\"candidate\":\"candidate:9\",\"subscriberId\":\"u\"}");
  /* Reports for sessions that do not exist are ignored. */
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_local_sdp (f->core, "s1", 2, "offer", "X", f->now, f->out);
  ams_server_core_media_publisher_started (f->core, "nope", f->now, f->out);
  expect_n (f, 0);

  g_string_truncate (fb.log, 0);
  feed (f, 2, "{\"command\":\"play\",\"streamId\":\"s1\"}");
  feed (f, 2, "{\"command\":\"takeConfiguration\",\"streamId\":\"s1\",\"type\":\"answer\",\"sdp\":\"A2\"}");
  feed (f, 2, "{\"command\":\"takeCandidate\",\"streamId\":\"s1\",\"label\":2,\"id\":\"2\",\"candidate\":\"C2\"}");
  feed (f, 2, "{\"command\":\"toggleVideo\",\"streamId\":\"s1\",\"trackId\":\"s1\",\"enabled\":false}");
  feed (f, 2, "{\"command\":\"forceStreamQuality\",\"streamId\":\"s1\",\"streamHeight\":240}");
  expect_n (f, 0);
  g_assert_cmpstr (fb.log->str, ==, "play(s1,2);answer(s1,A2);vcand(s1,2);toggleVideo(s1,s1,0);");

  /* A media failure: the error with subscriberId, then the session ends. */
  g_string_truncate (fb.log, 0);
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_failed (f->core, "s1", 1, AMS_ERROR_NOT_SET_LOCAL_DESCRIPTION, f->now, f->out);
  expect_n (f, 3);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"notSetLocalDescription\",\"streamId\":\"s1\",\"subscriberId\":\"u\"}");
  expect (f, 1, 1, "{\"command\":\"notification\",\"definition\":\"publish_finished\",\"streamId\":\"s1\",\"subscriberId\":\"u\"}");
  expect (f, 2, 2, "{\"command\":\"notification\",\"definition\":\"play_finished\",\"streamId\":\"s1\",\"subscriberId\":null}");
  g_assert_cmpstr (fb.log->str, ==, "stop(s1,1,1);stop(s1,2,0);");

  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"s2\"}");
  g_ptr_array_set_size (f->out, 0);
  ams_server_core_media_failed (f->core, "s2", 1, AMS_ERROR_NOT_SET_REMOTE_DESCRIPTION, f->now, f->out);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"notSetRemoteDescription\",\"streamId\":\"s2\",\"subscriberId\":null}");
  g_string_free (fb.log, TRUE);
  f_free (f);
}

/* ------------------------------------------------------------ faults */

static AmsServerConfig *
config_with_faults (const char *first, ...)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  va_list ap;
  va_start (ap, first);
  for (const char *d = first; d; d = va_arg (ap, const char *))
    {
      GError *e = NULL;
      AmsFault *fault = ams_fault_parse (d, &e);
      g_assert_no_error (e);
      g_ptr_array_add (cfg->faults, fault);
    }
  va_end (ap);
  return cfg;
}

static void
test_fault_parse (void)
{
  const char *bad[] = { "", "delay:ping", "delay:ping:x", "drop", "refuse:publish", "bogus:ping",
                        "close-after:", NULL };
  for (guint i = 0; bad[i]; i++)
    {
      GError *e = NULL;
      g_assert_null (ams_fault_parse (bad[i], &e));
      g_assert_error (e, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
      g_error_free (e);
    }
  g_assert_null (ams_fault_parse (NULL, NULL));
}

static void
test_fault_delay_drop_close_refuse (void)
{
  F *f = f_new (config_with_faults ("delay:ping:500", "drop:getStreamInfo",
                                    "close-after:getTrackList",
                                    "refuse:publish:highResourceUsage", NULL), 2);
  feed (f, 1, "{\"command\":\"ping\"}");
  expect_n (f, 0);
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, T0 + 500 * G_TIME_SPAN_MILLISECOND);
  /* Order on the connection is kept: a later undelayed reply waits too. */
  feed (f, 1, "{\"command\":\"getIceServerConfig\"}");
  expect_n (f, 0);
  /* Other connections are not affected. */
  feed (f, 2, "{\"command\":\"getIceServerConfig\"}");
  expect_n (f, 1);
  tick (f, 499 * G_TIME_SPAN_MILLISECOND);
  expect_n (f, 0);
  tick (f, G_TIME_SPAN_MILLISECOND);
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"pong\"}");
  expect (f, 1, 1, "{\"command\":\"iceServerConfig\",\"iceServers\":[]}");
  feed (f, 1, "{\"command\":\"getStreamInfo\",\"streamId\":\"x\"}");
  expect_n (f, 0);
  feed (f, 1, "{\"command\":\"publish\",\"streamId\":\"x\"}");
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"error\",\"definition\":\"highResourceUsage\",\"streamId\":\"x\"}");
  g_assert_false (ams_server_core_stream_is_active (f->core, "x"));
  feed (f, 1, "{\"command\":\"getTrackList\",\"streamId\":\"x\"}");
  expect_n (f, 2);
  expect (f, 0, 1, "{\"command\":\"trackList\",\"streamId\":\"x\",\"trackList\":[]}");
  AmsServerAction *a = g_ptr_array_index (f->out, 1);
  g_assert_cmpint (a->kind, ==, AMS_SERVER_ACTION_CLOSE);
  g_assert_cmpuint (a->conn, ==, 1);
  g_assert_cmpuint (a->close_code, ==, 1000);
  f_free (f);
}

static void
test_fault_no_pong_and_candidates_first (void)
{
  F *f = f_new (config_with_faults ("no-pong", "candidates-before-sdp", NULL), 2);
  feed (f, 1, "{\"command\":\"ping\"}");
  expect_n (f, 0);
  g_assert_cmpint (ams_server_core_next_deadline (f->core), ==, -1);
  /* P2P relay: the offer is held until a candidate went first. */
  feed (f, 1, "{\"command\":\"join\",\"streamId\":\"p\"}");
  feed (f, 2, "{\"command\":\"join\",\"streamId\":\"p\"}");
  feed (f, 1, "{\"command\":\"takeConfiguration\",\"streamId\":\"p\",\"type\":\"offer\",\"sdp\":\"S\"}");
  expect_n (f, 0);
  feed (f, 1, "{\"command\":\"takeCandidate\",\"streamId\":\"p\",\"label\":0,\"id\":\"0\",\"candidate\":\"C\"}");
  expect_n (f, 2);
  expect (f, 0, 2, "{\"command\":\"takeCandidate\",\"streamId\":\"p\",\"label\":0,\"id\":\"0\",\"candidate\":\"C\"}");
  expect (f, 1, 2, "{\"command\":\"takeConfiguration\",\"streamId\":\"p\",\"type\":\"offer\",\"sdp\":\"S\"}");
  /* With no candidate at all the SDP still goes after the hold. */
  feed (f, 2, "{\"command\":\"takeConfiguration\",\"streamId\":\"p\",\"type\":\"answer\",\"sdp\":\"A\"}");
  expect_n (f, 0);
  tick (f, 500 * G_TIME_SPAN_MILLISECOND);
  expect_n (f, 1);
  expect (f, 0, 1, "{\"command\":\"takeConfiguration\",\"streamId\":\"p\",\"type\":\"answer\",\"sdp\":\"A\"}");
  f_free (f);
}

/* ------------------------------------------------------------ push, misc */

static char *
b64url (const char *data, gsize len)
{
  char *s = g_base64_encode ((const guchar *) data, len);
  for (char *p = s; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  char *eq = strchr (s, '=');
  if (eq)
    *eq = '\0';
  return s;
}

/* An HS256 JWT with an `iss` claim, built here independently of the
 * library's own encoder. */
static char *
jwt_with_issuer (const char *key, const char *iss, gint64 exp)
{
  const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  g_autofree char *claims = g_strdup_printf ("{\"iss\":\"%s\",\"exp\":%" G_GINT64_FORMAT "}", iss, exp);
  g_autofree char *h = b64url (header, strlen (header));
  g_autofree char *c = b64url (claims, strlen (claims));
  g_autofree char *signing = g_strdup_printf ("%s.%s", h, c);
  guint8 digest[32];
  gsize dlen = sizeof digest;
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  g_hmac_update (hmac, (const guchar *) signing, -1);
  g_hmac_get_digest (hmac, digest, &dlen);
  g_hmac_unref (hmac);
  g_autofree char *sig = b64url ((const char *) digest, dlen);
  return g_strdup_printf ("%s.%s", signing, sig);
}

static void
test_push_and_misc (void)
{
  AmsServerConfig *cfg = ams_server_config_new ();
  cfg->subscriber_auth_key = g_strdup ("push-key");
  F *f = f_new (cfg, 1);
  feed (f, 1, "{\"command\":\"registerPushNotificationToken\",\"subscriberId\":\"u1\"}");
  expect (f, 0, 1, "{\"command\":\"notification\",\"success\":false,\"definition\":\"missingParameter\",\"information\":\"subscriberId, token or a push field is missing\"}");
  feed (f, 1, "{\"command\":\"registerPushNotificationToken\",\"subscriberId\":\"u1\",\"token\":\"x.y.z\",\"pnsRegistrationToken\":\"t\",\"pnsType\":\"fcm\"}");
  expect (f, 0, 1, "{\"command\":\"notification\",\"success\":false,\"definition\":\"authenticationTokenNotValid\",\"information\":\"the token is not valid for this subscriber\"}");
  /* A JWT whose issuer is the subscriber, signed with the key. */
  g_autofree char *tok = jwt_with_issuer ("push-key", "u1", fixed_wall_s + 100);
  g_autofree char *ok_msg = g_strdup_printf ("{\"command\":\"sendPushNotification\",\"subscriberId\":\"u1\",\"token\":\"%s\",\"pushNotificationContent\":{\"t\":1},\"subscriberIdsToNotify\":[\"u2\"]}", tok);
  feed (f, 1, ok_msg);
  expect (f, 0, 1, "{\"command\":\"notification\",\"success\":true,\"information\":\"accepted; this server has no push service\"}");
  /* The same token for another subscriber is not valid. */
  g_autofree char *other = g_strdup_printf ("{\"command\":\"sendPushNotification\",\"subscriberId\":\"u9\",\"token\":\"%s\",\"pushNotificationContent\":{}}", tok);
  feed (f, 1, other);
  g_assert_cmpstr (field (f, 0, "definition"), ==, "authenticationTokenNotValid");
  feed (f, 1, "{\"command\":\"getDebugInfo\",\"streamId\":\"s1\"}");
  expect (f, 0, 1, "{\"command\":\"notification\",\"definition\":\"debugInfo\",\"streamId\":\"s1\",\"debugInfo\":\"{\\\"connections\\\":1,\\\"publishers\\\":0,\\\"streamActive\\\":false}\"}");
  feed (f, 1, "{\"command\":\"setMaxVideoTrackCountCommand\",\"streamId\":\"s1\",\"maxTrackCount\":3}");
  expect_n (f, 0);
  f_free (f);
}

/* Hostile input never crashes: random bytes and truncations of valid
 * messages, bounded in count. */
static void
test_garbage (void)
{
  F *f = f_new (NULL, 2);
  const char *valid[] = {
    "{\"command\":\"publish\",\"streamId\":\"s1\",\"mainTrack\":\"r\"}",
    "{\"command\":\"join\",\"streamId\":\"p\"}",
    "{\"command\":\"takeCandidate\",\"streamId\":\"p\",\"label\":0,\"id\":\"0\",\"candidate\":\"c\"}",
    "{\"command\":\"joinRoom\",\"room\":\"r\"}",
    "{\"command\":\"getSubtracks\",\"streamId\":\"r\",\"offset\":-5,\"size\":-1}",
  };
  GRand *rand = g_rand_new_with_seed (42);
  for (guint i = 0; i < 2000; i++)
    {
      const char *v = valid[i % G_N_ELEMENTS (valid)];
      gsize len = g_rand_int_range (rand, 0, (gint32) strlen (v) + 1);
      char *buf = g_strndup (v, len);
      if (i % 3 == 0 && len > 0)
        buf[g_rand_int_range (rand, 0, (gint32) len)] = (char) g_rand_int_range (rand, 1, 256);
      g_ptr_array_set_size (f->out, 0);
      ams_server_core_handle (f->core, 1 + i % 2, buf, len, f->now, f->out);
      g_free (buf);
    }
  g_rand_free (rand);
  close_conn (f, 1);
  close_conn (f, 2);
  g_assert_cmpuint (ams_server_core_get_n_connections (f->core), ==, 0);
  g_assert_cmpuint (ams_server_core_get_n_publishers (f->core), ==, 0);
  f_free (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server-core/prechecks", test_prechecks);
  g_test_add_func ("/server-core/publish", test_publish_start_and_conflicts);
  g_test_add_func ("/server-core/publish-timeout", test_publish_timeout);
  g_test_add_func ("/server-core/registered-encoder", test_publish_registered_and_encoder);
  g_test_add_func ("/server-core/high-resource-usage", test_high_resource_usage);
  g_test_add_func ("/server-core/tokens-jwt-hash", test_tokens_jwt_hash);
  g_test_add_func ("/server-core/tokens-one-time-totp-blocked", test_tokens_one_time_totp_blocked);
  g_test_add_func ("/server-core/play", test_play);
  g_test_add_func ("/server-core/stream-info", test_stream_info);
  g_test_add_func ("/server-core/ice-server-config", test_ice_server_config);
  g_test_add_func ("/server-core/p2p", test_p2p);
  g_test_add_func ("/server-core/legacy-conference", test_legacy_conference);
  g_test_add_func ("/server-core/multitrack-model", test_multitrack_model);
  g_test_add_func ("/server-core/media-backend", test_media_backend);
  g_test_add_func ("/server-core/fault-parse", test_fault_parse);
  g_test_add_func ("/server-core/fault-delay-drop-close-refuse", test_fault_delay_drop_close_refuse);
  g_test_add_func ("/server-core/fault-no-pong-candidates-first", test_fault_no_pong_and_candidates_first);
  g_test_add_func ("/server-core/push-misc", test_push_and_misc);
  g_test_add_func ("/server-core/garbage", test_garbage);
  return g_test_run ();
}
