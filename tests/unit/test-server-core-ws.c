/* test-server-core-ws: AmsMiniServer end to end over real WebSocket on
 * 127.0.0.1 (a free port), driven by the SDK's AmsClient in the same
 * process and main context. Every wait is bounded. */
#include <amsclient/amsclient.h>
#include "server/ams-mini-server-private.h"

#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

/* Bound of every wait; valgrind runs (AMS_VALGRIND set) are ~30x slower. */
static gint64 wait_us = 10 * G_USEC_PER_SEC;
#define WAIT_US wait_us

typedef struct {
  AmsClient *client;
  GPtrArray *events;      /* event names, in order */
  GPtrArray *json;        /* the same events as JSON */
  gboolean   connected;
  gboolean   disconnected;
  GError    *disconnect_error;
} Peer;

static void
on_event (AmsClient *client, AmsEvent *event, Peer *p)
{
  g_ptr_array_add (p->events, g_strdup (ams_event_get_name (event)));
  g_ptr_array_add (p->json, ams_event_to_json (event));
}

static void
on_connected (AmsClient *client, Peer *p)
{
  p->connected = TRUE;
}

static void
on_disconnected (AmsClient *client, const GError *error, Peer *p)
{
  p->disconnected = TRUE;
  if (error && !p->disconnect_error)
    p->disconnect_error = g_error_copy (error);
}

static char *
server_url (AmsMiniServer *server, const char *path)
{
  return g_strdup_printf ("ws://127.0.0.1:%u%s", ams_mini_server_get_port (server), path);
}

static Peer *
peer_new_url (const char *url)
{
  Peer *p = g_new0 (Peer, 1);
  GError *error = NULL;
  p->events = g_ptr_array_new_with_free_func (g_free);
  p->json = g_ptr_array_new_with_free_func (g_free);
  p->client = ams_client_new (url, NULL, &error);
  g_assert_no_error (error);
  /* The handshake gets the same bound as every wait: under valgrind a
   * hundred handshakes in one process take longer than the 10 s default. */
  g_object_set (p->client, "reconnect", FALSE, "ping-interval", 0,
                "connect-timeout", (guint) (WAIT_US / 1000), NULL);
  g_signal_connect (p->client, "event", G_CALLBACK (on_event), p);
  g_signal_connect (p->client, "connected", G_CALLBACK (on_connected), p);
  g_signal_connect (p->client, "disconnected", G_CALLBACK (on_disconnected), p);
  g_assert_true (ams_client_connect (p->client, &error));
  g_assert_no_error (error);
  return p;
}

static Peer *
peer_new (AmsMiniServer *server)
{
  g_autofree char *url = server_url (server, "/LiveApp/websocket?target=origin");
  return peer_new_url (url);
}

static void
peer_free (Peer *p)
{
  g_signal_handlers_disconnect_by_data (p->client, p);
  g_object_unref (p->client);
  g_ptr_array_unref (p->events);
  g_ptr_array_unref (p->json);
  g_clear_error (&p->disconnect_error);
  g_free (p);
}

static gboolean
spin_until (gboolean (*cond) (gpointer), gpointer data)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
    }
  return TRUE;
}

static gboolean
is_connected (gpointer p)
{
  return ((Peer *) p)->connected;
}

static gboolean
is_disconnected (gpointer p)
{
  return ((Peer *) p)->disconnected;
}

/* Index of the first event named @name at or after @from, or -1. */
static gint
find_event (Peer *p, const char *name, guint from)
{
  for (guint i = from; i < p->events->len; i++)
    if (strcmp (g_ptr_array_index (p->events, i), name) == 0)
      return (gint) i;
  return -1;
}

typedef struct {
  Peer       *p;
  const char *name;
} WaitEvent;

static gboolean
has_event (gpointer data)
{
  WaitEvent *w = data;
  return find_event (w->p, w->name, 0) >= 0;
}

/* Waits for @name and returns its JSON (owned by the peer). */
static const char *
wait_event (Peer *p, const char *name)
{
  WaitEvent w = { p, name };
  if (!spin_until (has_event, &w))
    {
      for (guint i = 0; i < p->json->len; i++)
        g_printerr ("  seen: %s\n", (char *) g_ptr_array_index (p->json, i));
      g_error ("no '%s' event within the time limit", name);
    }
  return g_ptr_array_index (p->json, find_event (p, name, 0));
}

static AmsMiniServer *
server_new (const char *config)
{
  AmsMiniServer *server = ams_mini_server_new (NULL);
  GError *error = NULL;
  if (config)
    {
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      g_key_file_set_list_separator (kf, ';');
      g_assert_true (g_key_file_load_from_data (kf, config, -1, G_KEY_FILE_NONE, &error));
      g_assert_true (ams_mini_server_load_config (server, kf, &error));
      g_assert_no_error (error);
    }
  ams_mini_server_set_port (server, 0);
  g_assert_true (ams_mini_server_start (server, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ams_mini_server_get_port (server), >, 0);
  return server;
}

static void
test_publish_play_info (void)
{
  /* The publish sends no offer: it must outlast every wait here before the
   * server's start timeout ends it (under valgrind the steps between start
   * and stop took longer than its default). */
  g_autofree char *config = g_strdup_printf ("[server]\nstart-timeout-ms=%" G_GINT64_FORMAT "\n",
                                             WAIT_US / 1000 * 2);
  AmsMiniServer *server = server_new (config);
  Peer *pub = peer_new (server);
  Peer *viewer = peer_new (server);
  g_assert_true (spin_until (is_connected, pub));
  g_assert_true (spin_until (is_connected, viewer));

  GError *error = NULL;
  AmsPlayParams play;
  ams_play_params_init (&play, "cam1");
  g_assert_true (ams_client_play (viewer->client, &play, &error));
  const char *j = wait_event (viewer, "no_stream_exist");
  g_assert_nonnull (strstr (j, "\"error_code\":\"404\""));

  AmsPublishParams params;
  ams_publish_params_init (&params, "cam1");
  g_assert_true (ams_client_publish (pub->client, &params, &error));
  j = wait_event (pub, "start");
  g_assert_nonnull (strstr (j, "\"streamId\":\"cam1\""));

  g_assert_true (ams_client_get_stream_info (viewer->client, "cam1", &error));
  j = wait_event (viewer, "streamInformation");
  g_assert_nonnull (strstr (j, "\"streamWidth\":0"));

  g_assert_true (ams_client_ping (viewer->client, &error));
  wait_event (viewer, "pong");

  g_assert_true (ams_client_stop (pub->client, "cam1", &error));
  wait_event (pub, "publish_finished");
  peer_free (pub);
  peer_free (viewer);
  g_object_unref (server);
}

static void
test_p2p_and_disconnect (void)
{
  AmsMiniServer *server = server_new (NULL);
  Peer *a = peer_new (server), *b = peer_new (server), *c = peer_new (server);
  GError *error = NULL;
  g_assert_true (spin_until (is_connected, a) && spin_until (is_connected, b)
                 && spin_until (is_connected, c));
  g_assert_true (ams_client_join (a->client, "call1", "both", FALSE, &error));
  wait_event (a, "joined");
  g_assert_true (ams_client_join (b->client, "call1", "both", FALSE, &error));
  wait_event (a, "start");
  wait_event (b, "joined");
  g_assert_true (ams_client_join (c->client, "call1", "both", FALSE, &error));
  wait_event (c, "NoSpaceForNewPeer");
  g_assert_true (ams_client_take_configuration (a->client, "call1", "offer", "v=0\r\n", &error));
  const char *j = wait_event (b, "takeConfiguration");
  g_assert_nonnull (strstr (j, "\"type\":\"offer\""));
  g_assert_true (ams_client_take_candidate (b->client, "call1", 1, "1",
                                            "candidate:1 1 UDP 2 127.0.0.1 9 typ host", &error));
  j = wait_event (a, "takeCandidate");
  g_assert_nonnull (strstr (j, "\"label\":1"));
  /* An unclean end of b: a gets stop, and the slot is free for c. */
  peer_free (b);
  wait_event (a, "stop");
  g_assert_true (ams_client_join (c->client, "call1", "both", FALSE, &error));
  wait_event (c, "joined");
  peer_free (a);
  peer_free (c);
  g_object_unref (server);
}

static void
test_conference (void)
{
  AmsMiniServer *server = server_new (NULL);
  Peer *a = peer_new (server), *b = peer_new (server);
  GError *error = NULL;
  g_assert_true (spin_until (is_connected, a) && spin_until (is_connected, b));
  g_assert_true (ams_client_join_room (a->client, "room1", "alice", NULL, &error));
  wait_event (a, "joinedTheRoom");
  AmsPublishParams params;
  ams_publish_params_init (&params, "alice");
  g_assert_true (ams_client_publish (a->client, &params, &error));
  wait_event (a, "start");
  g_assert_true (ams_client_join_room (b->client, "room1", NULL, NULL, &error));
  const char *j = wait_event (b, "joinedTheRoom");
  g_assert_nonnull (strstr (j, "\"streams\":[\"alice\"]"));
  g_assert_true (ams_client_get_room_info (b->client, "room1", "bob", &error));
  j = wait_event (b, "roomInformation");
  g_assert_nonnull (strstr (j, "\"alice\""));
  g_assert_true (ams_client_leave_from_room (b->client, "room1", NULL, &error));
  wait_event (b, "leavedFromRoom");
  peer_free (a);
  peer_free (b);
  g_object_unref (server);
}

static void
test_transport_limits (void)
{
  AmsMiniServer *server = server_new ("[server]\nmax-message-size=1000\nmax-message-rate=50\n");
  GError *error = NULL;

  /* (A wrong path gets 404: AmsClient refuses such URLs itself, so
   * tests/e2e/server-signalling.sh checks it with curl.) */
  /* Oversize message: closed (1009); the other connection is unaffected. */
  Peer *big = peer_new (server), *ok = peer_new (server);
  g_assert_true (spin_until (is_connected, big) && spin_until (is_connected, ok));
  GString *s = g_string_new ("{\"command\":\"ping\",\"pad\":\"");
  for (guint i = 0; i < 2000; i++)
    g_string_append_c (s, 'x');
  g_string_append (s, "\"}");
  g_assert_true (ams_client_send_json (big->client, s->str, &error));
  g_string_free (s, TRUE);
  g_assert_true (spin_until (is_disconnected, big));
  g_assert_true (ams_client_ping (ok->client, &error));
  wait_event (ok, "pong");

  /* Flood above the message rate: closed. */
  Peer *flood = peer_new (server);
  g_assert_true (spin_until (is_connected, flood));
  g_object_set (flood->client, "max-queued", 1000, NULL);
  for (guint i = 0; i < 200 && !flood->disconnected; i++)
    ams_client_send_json (flood->client, "{\"command\":\"ping\"}", NULL);
  g_assert_true (spin_until (is_disconnected, flood));
  /* The well-behaved connection still gets answers. */
  g_ptr_array_set_size (ok->events, 0);
  g_ptr_array_set_size (ok->json, 0);
  g_assert_true (ams_client_ping (ok->client, &error));
  wait_event (ok, "pong");
  g_assert_false (ok->disconnected);
  peer_free (big);
  peer_free (flood);
  peer_free (ok);
  g_object_unref (server);
}

static void
test_faults_and_timeout (void)
{
  AmsMiniServer *server = server_new ("[server]\nstart-timeout-ms=300\n"
                                      "[faults]\ndirectives=close-after:getTrackList;"
                                      "refuse:play:viewerLimitReached\n");
  Peer *p = peer_new (server);
  GError *error = NULL;
  g_assert_true (spin_until (is_connected, p));
  AmsPublishParams params;
  ams_publish_params_init (&params, "slow");
  g_assert_true (ams_client_publish (p->client, &params, &error));
  wait_event (p, "start");
  const char *j = wait_event (p, "publishTimeoutError");
  g_assert_nonnull (strstr (j, "\"streamId\":\"slow\""));
  AmsPlayParams play;
  ams_play_params_init (&play, "slow");
  g_assert_true (ams_client_play (p->client, &play, &error));
  wait_event (p, "viewerLimitReached");
  g_assert_true (ams_client_get_track_list (p->client, "slow", NULL, &error));
  wait_event (p, "trackList");
  g_assert_true (spin_until (is_disconnected, p));
  peer_free (p);
  g_object_unref (server);
}

/* The resource guard reads /proc for real: no machine has a petabyte free. */
static void
test_high_resource_usage_measured (void)
{
  AmsMiniServer *server = server_new ("[server]\nmin-free-ram-mb=1000000000\n");
  Peer *p = peer_new (server);
  GError *error = NULL;
  g_assert_true (spin_until (is_connected, p));
  AmsPublishParams params;
  ams_publish_params_init (&params, "heavy");
  g_assert_true (ams_client_publish (p->client, &params, &error));
  const char *j = wait_event (p, "highResourceUsage");
  g_assert_nonnull (strstr (j, "\"command\":\"error\""));
  g_assert_cmpint (find_event (p, "start", 0), ==, -1);
  peer_free (p);
  g_object_unref (server);
}

/* ---- raw WebSocket client helpers (same process: spin while waiting) */

static int
raw_connect (AmsMiniServer *server)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (ams_mini_server_get_port (server)) };
  inet_pton (AF_INET, "127.0.0.1", &sa.sin_addr);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  fcntl (fd, F_SETFL, O_NONBLOCK);
  const char *req = "GET /LiveApp/websocket?target=edge HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  g_assert_cmpint (write (fd, req, strlen (req)), ==, (gssize) strlen (req));
  /* Read the 101 response headers, byte by byte up to the blank line. */
  GString *head = g_string_new (NULL);
  gint64 end = g_get_monotonic_time () + WAIT_US;
  while (!g_str_has_suffix (head->str, "\r\n\r\n") && g_get_monotonic_time () < end)
    {
      char c;
      if (read (fd, &c, 1) == 1)
        g_string_append_c (head, c);
      else
        g_main_context_iteration (NULL, FALSE) || (g_usleep (200), TRUE);
    }
  g_assert_true (g_str_has_prefix (head->str, "HTTP/1.1 101"));
  g_string_free (head, TRUE);
  return fd;
}

/* One masked client frame (mask key 0: the payload goes as is). */
static void
raw_send_frame (int fd, guint8 opcode, gboolean fin, const char *payload, gsize len)
{
  GByteArray *f = g_byte_array_new ();
  guint8 b0 = (fin ? 0x80 : 0) | opcode, b1;
  g_byte_array_append (f, &b0, 1);
  if (len < 126)
    {
      b1 = 0x80 | (guint8) len;
      g_byte_array_append (f, &b1, 1);
    }
  else
    {
      guint8 ext[3] = { 0x80 | 126, (guint8) (len >> 8), (guint8) len };
      g_assert_cmpuint (len, <, 65536);
      g_byte_array_append (f, ext, 3);
    }
  guint8 mask[4] = { 0 };
  g_byte_array_append (f, mask, 4);
  g_byte_array_append (f, (const guint8 *) payload, (guint) len);
  gsize off = 0;
  gint64 end = g_get_monotonic_time () + WAIT_US;
  while (off < f->len && g_get_monotonic_time () < end)
    {
      gssize n = send (fd, f->data + off, f->len - off, MSG_NOSIGNAL);
      if (n > 0)
        off += (gsize) n;
      else
        g_main_context_iteration (NULL, FALSE);
    }
  g_assert_cmpuint (off, ==, f->len);
  g_byte_array_unref (f);
}

/* Reads server bytes until @want bytes have arrived or the socket ends. */
static GByteArray *
raw_read (int fd, gsize want)
{
  GByteArray *in = g_byte_array_new ();
  gint64 end = g_get_monotonic_time () + WAIT_US;
  while (in->len < want && g_get_monotonic_time () < end)
    {
      guint8 buf[4096];
      gssize n = read (fd, buf, sizeof buf);
      if (n > 0)
        g_byte_array_append (in, buf, (guint) n);
      else if (n == 0)
        break;
      else
        g_main_context_iteration (NULL, FALSE) || (g_usleep (200), TRUE);
    }
  return in;
}

/* Fragments are reassembled; an oversize message gets close code 1009. */
static void
test_raw_fragments_and_size_cap (void)
{
  AmsMiniServer *server = server_new ("[server]\nmax-message-size=1000\n");
  int fd = raw_connect (server);
  raw_send_frame (fd, 0x1, FALSE, "{\"command\":", 11);
  raw_send_frame (fd, 0x0, FALSE, "\"pi", 3);
  raw_send_frame (fd, 0x0, TRUE, "ng\"}", 4);
  const char *pong = "{\"command\":\"pong\"}";
  g_autoptr (GByteArray) in = raw_read (fd, 2 + strlen (pong));
  g_assert_cmpuint (in->len, ==, 2 + strlen (pong));
  g_assert_cmpuint (in->data[0], ==, 0x81);
  g_assert_cmpuint (in->data[1], ==, strlen (pong));
  g_assert_cmpmem (in->data + 2, in->len - 2, pong, strlen (pong));

  /* 1001 bytes in two fragments: over the cap. */
  char big[1001];
  memset (big, ' ', sizeof big);
  raw_send_frame (fd, 0x1, FALSE, big, 600);
  raw_send_frame (fd, 0x0, TRUE, big, 401);
  g_autoptr (GByteArray) close_frame = raw_read (fd, 4);
  g_assert_cmpuint (close_frame->len, >=, 4);
  g_assert_cmpuint (close_frame->data[0], ==, 0x88);
  g_assert_cmpuint ((close_frame->data[2] << 8) | close_frame->data[3], ==, 1009);
  close (fd);
  g_object_unref (server);
}

/* A raw WebSocket client that sends and never reads: the server's queue for
 * it must stay bounded (it gets closed) while others are served. */
static void
test_slow_reader (void)
{
  AmsMiniServer *server = server_new ("[server]\nmax-message-rate=0\nmax-queued-messages=64\n");
  GError *error = NULL;
  /* Large replies fill the socket buffers quickly. */
  GString *def = g_string_new ("refuse:ping:");
  for (guint i = 0; i < 4000; i++)
    g_string_append_c (def, 'x');
  ams_mini_server_stop (server);
  g_assert_true (ams_mini_server_add_fault (server, def->str, &error));
  g_string_free (def, TRUE);
  ams_mini_server_set_port (server, 0);
  g_assert_true (ams_mini_server_start (server, &error));

  Peer *good = peer_new (server);
  g_assert_true (spin_until (is_connected, good));

  int fd = socket (AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (ams_mini_server_get_port (server)) };
  inet_pton (AF_INET, "127.0.0.1", &sa.sin_addr);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  fcntl (fd, F_SETFL, O_NONBLOCK);
  const char *req = "GET /LiveApp/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  g_assert_cmpint (write (fd, req, strlen (req)), ==, (gssize) strlen (req));
  guint before = ams_mini_server_get_n_connections (server);
  gint64 end = g_get_monotonic_time () + WAIT_US;
  while (ams_mini_server_get_n_connections (server) == before && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
  g_assert_cmpuint (ams_mini_server_get_n_connections (server), ==, before + 1);

  /* Masked client frames (mask key 0) of {"command":"ping"}. */
  const char *payload = "{\"command\":\"ping\"}";
  guchar frame[64];
  gsize plen = strlen (payload);
  frame[0] = 0x81;
  frame[1] = 0x80 | (guchar) plen;
  memset (frame + 2, 0, 4);
  memcpy (frame + 6, payload, plen);
  gsize flen = 6 + plen;
  guint sent = 0;
  gboolean closed = FALSE;
  end = g_get_monotonic_time () + WAIT_US;
  while (!closed && g_get_monotonic_time () < end)
    {
      for (guint i = 0; i < 50; i++)
        {
          gssize n = send (fd, frame, flen, MSG_NOSIGNAL);
          if (n == (gssize) flen)
            sent++;
          else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            {
              closed = TRUE;  /* reset by the server */
              break;
            }
          else
            break;
        }
      g_main_context_iteration (NULL, FALSE);
      if (ams_mini_server_get_n_connections (server) == before)
        closed = TRUE;
    }
  g_test_message ("slow reader closed after %u pings", sent);
  g_assert_true (closed);
  end = g_get_monotonic_time () + WAIT_US;
  while (ams_mini_server_get_n_connections (server) != before && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
  g_assert_cmpuint (ams_mini_server_get_n_connections (server), ==, before);
  close (fd);
  /* The well-behaved client is still served (its ping is refused by the
   * fault, which is an answer too). */
  guint seen = good->events->len;
  g_assert_true (ams_client_ping (good->client, &error));
  end = g_get_monotonic_time () + WAIT_US;
  while (good->events->len == seen && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
  g_assert_cmpuint (good->events->len, >, seen);
  g_assert_nonnull (strstr (g_ptr_array_index (good->json, seen), "\"command\":\"error\""));
  g_assert_false (good->disconnected);
  peer_free (good);
  g_object_unref (server);
}

typedef struct {
  Peer **peers;
  guint  n;
  const char *name;
} Many;

static gboolean
all_have (gpointer data)
{
  Many *m = data;
  for (guint i = 0; i < m->n; i++)
    if (find_event (m->peers[i], m->name, 0) < 0)
      return FALSE;
  return TRUE;
}

static gboolean
all_connected (gpointer data)
{
  Many *m = data;
  for (guint i = 0; i < m->n; i++)
    if (!m->peers[i]->connected)
      return FALSE;
  return TRUE;
}

/* One hundred clients at once: each publishes its own stream and pings;
 * all are answered; closing them all leaves the server empty. */
static void
test_hundred_clients (void)
{
  enum { N = 100 };
  AmsMiniServer *server = server_new (NULL);
  Peer *peers[N];
  GError *error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  for (guint i = 0; i < N; i++)
    peers[i] = peer_new (server);
  Many m = { peers, N, NULL };
  g_assert_true (spin_until (all_connected, &m));
  g_assert_cmpuint (ams_mini_server_get_n_connections (server), ==, N);
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *id = g_strdup_printf ("load%u", i);
      AmsPublishParams params;
      ams_publish_params_init (&params, id);
      g_assert_true (ams_client_publish (peers[i]->client, &params, &error));
      g_assert_true (ams_client_ping (peers[i]->client, &error));
    }
  const char *names[] = { "start", "pong" };
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      m.name = names[k];
      if (!spin_until (all_have, &m))
        {
          for (guint i = 0; i < N; i++)
            if (find_event (peers[i], names[k], 0) < 0)
              g_printerr ("client %u: no %s; connected %d, disconnected %d, %u events, last %s\n", i,
                          names[k], peers[i]->connected, peers[i]->disconnected,
                          peers[i]->events->len, peers[i]->json->len ? (char *) g_ptr_array_index (peers[i]->json, peers[i]->json->len - 1) : "");
          g_error ("not every client got '%s'", names[k]);
        }
    }
  gint64 t1 = g_get_monotonic_time ();
  g_test_message ("%d clients connected, published and pinged in %.0f ms", N,
                  (t1 - t0) / 1000.0);
  for (guint i = 0; i < N; i++)
    {
      /* Each got exactly its own start. */
      g_autofree char *want = g_strdup_printf ("\"streamId\":\"load%u\"", i);
      g_assert_nonnull (strstr (g_ptr_array_index (peers[i]->json, find_event (peers[i], "start", 0)), want));
    }
  g_assert_cmpuint (ams_server_core_get_n_publishers (ams_mini_server_get_core (server)), ==, N);
  for (guint i = 0; i < N; i++)
    peer_free (peers[i]);
  gint64 end = g_get_monotonic_time () + WAIT_US;
  while (ams_mini_server_get_n_connections (server) > 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
  g_assert_cmpuint (ams_mini_server_get_n_connections (server), ==, 0);
  g_assert_cmpuint (ams_server_core_get_n_publishers (ams_mini_server_get_core (server)), ==, 0);
  g_object_unref (server);
}

static void
test_config_errors (void)
{
  const char *bad[] = {
    "[server]\nport=99999\n",
    "[server]\ncpu-limit=abc\n",
    "[tokens]\njwt-publish=true\n",
    "[tokens]\ntotp-play=true\ntotp-secret=!!\n",
    "[tokens]\none-time=tok:s1:record\n",
    "[faults]\ndirectives=explode:now\n",
    "[streams]\naccept-only-registered=maybe\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (AmsMiniServer) server = ams_mini_server_new (NULL);
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      g_assert_true (g_key_file_load_from_data (kf, bad[i], -1, G_KEY_FILE_NONE, NULL));
      GError *error = NULL;
      g_assert_false (ams_mini_server_load_config (server, kf, &error));
      g_assert_error (error, AMS_ERROR, AMS_ERROR_INVALID_ARGUMENT);
      g_error_free (error);
    }
  /* A port in use is a clear error. */
  AmsMiniServer *first = server_new (NULL);
  g_autoptr (AmsMiniServer) second = ams_mini_server_new (NULL);
  ams_mini_server_set_port (second, ams_mini_server_get_port (first));
  GError *error = NULL;
  g_assert_false (ams_mini_server_start (second, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_CONNECT);
  g_error_free (error);
  g_object_unref (first);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("AMS_VALGRIND"))
    wait_us = 300 * G_USEC_PER_SEC;   /* a hundred handshakes took over 120 s there */
  else if (g_getenv ("SANITIZE") && *g_getenv ("SANITIZE"))
    wait_us = 40 * G_USEC_PER_SEC;    /* sanitised, over 10 s at load average 25 */
  g_test_add_func ("/server-ws/publish-play-info", test_publish_play_info);
  g_test_add_func ("/server-ws/p2p-disconnect", test_p2p_and_disconnect);
  g_test_add_func ("/server-ws/conference", test_conference);
  g_test_add_func ("/server-ws/transport-limits", test_transport_limits);
  g_test_add_func ("/server-ws/faults-timeout", test_faults_and_timeout);
  g_test_add_func ("/server-ws/high-resource-usage", test_high_resource_usage_measured);
  g_test_add_func ("/server-ws/raw-fragments-size-cap", test_raw_fragments_and_size_cap);
  g_test_add_func ("/server-ws/slow-reader", test_slow_reader);
  g_test_add_func ("/server-ws/hundred-clients", test_hundred_clients);
  g_test_add_func ("/server-ws/config-errors", test_config_errors);
  return g_test_run ();
}
