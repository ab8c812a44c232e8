/* scripted-server.c: see scripted-server.h. */
#include "scripted-server.h"
#include "media/ams-peer.h"

#include <json-c/json.h>

struct _ScriptedOffer {
  WsPeer  *ws;
  char    *stream_id;
  AmsPeer *peer;
  guint    seen;          /* connected: ws-peer messages already looked at */
  guint    pump;          /* connected: the source reading the client's messages */
};

static gboolean
client_connected (gpointer data)
{
  return ams_client_get_state (data) == AMS_CLIENT_STATE_CONNECTED;
}

AmsClient *
scripted_client_connect (WsPeer *ws, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = ws_peer_dup_url (ws, "127.0.0.1");
  AmsClient *client = ams_client_new (url, NULL, &error);

  g_assert_no_error (error);
  g_object_set (client, "ping-interval", 0u, NULL);
  g_assert_true (ams_client_connect (client, &error));
  g_assert_true (ws_peer_wait (NULL, client_connected, client, timeout_ms));
  return client;
}

guint
scripted_count_command (WsPeer *ws, const char *command)
{
  g_autoptr (GPtrArray) texts = ws_peer_dup_non_ping (ws, 0);
  guint n = 0;

  for (guint i = 0; i < texts->len; i++) {
    json_object *msg = json_tokener_parse (g_ptr_array_index (texts, i)), *v;
    if (msg && json_object_object_get_ex (msg, "command", &v) &&
        json_object_is_type (v, json_type_string) &&
        g_str_equal (json_object_get_string (v), command))
      n++;
    if (msg)
      json_object_put (msg);
  }
  return n;
}

static void
send_json (WsPeer *ws, json_object *msg)
{
  ws_peer_send_text (ws, json_object_to_json_string_ext (msg, JSON_C_TO_STRING_PLAIN));
  json_object_put (msg);
}

void
scripted_send_notification (WsPeer *ws, const char *definition, const char *stream_id)
{
  json_object *m = json_object_new_object ();
  json_object_object_add (m, "command", json_object_new_string ("notification"));
  json_object_object_add (m, "definition", json_object_new_string (definition));
  json_object_object_add (m, "streamId", json_object_new_string (stream_id));
  send_json (ws, m);
}

static void
on_local_description (AmsPeer *peer, const char *type, const char *sdp, gpointer data)
{
  ScriptedOffer *offer = data;
  json_object *m = json_object_new_object ();
  json_object_object_add (m, "command", json_object_new_string ("takeConfiguration"));
  json_object_object_add (m, "streamId", json_object_new_string (offer->stream_id));
  json_object_object_add (m, "type", json_object_new_string (type));
  json_object_object_add (m, "sdp", json_object_new_string (sdp));
  send_json (offer->ws, m);
}

static void
on_local_candidate (AmsPeer *peer, guint label, const char *mid, const char *candidate,
                    gpointer data)
{
  ScriptedOffer *offer = data;
  json_object *m = json_object_new_object ();
  json_object_object_add (m, "command", json_object_new_string ("takeCandidate"));
  json_object_object_add (m, "streamId", json_object_new_string (offer->stream_id));
  json_object_object_add (m, "label", json_object_new_int ((int) label));
  json_object_object_add (m, "id", json_object_new_string (mid ? mid : ""));
  json_object_object_add (m, "candidate", json_object_new_string (candidate));
  send_json (offer->ws, m);
}

static const char *
str_field (json_object *msg, const char *key)
{
  json_object *v;
  if (!json_object_object_get_ex (msg, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

/* Applies the client's answer and candidates that came since the last call. */
static gboolean
offer_pump (gpointer data)
{
  ScriptedOffer *offer = data;
  GPtrArray *all = ws_peer_get_messages (offer->ws);
  for (; offer->seen < all->len; offer->seen++) {
    WsPeerMessage *wm = g_ptr_array_index (all, offer->seen);
    json_object *msg = json_tokener_parse (wm->text);
    if (msg == NULL)
      continue;
    const char *command = str_field (msg, "command");
    g_autoptr (GError) error = NULL;
    if (g_strcmp0 (command, "takeConfiguration") == 0 &&
        g_strcmp0 (str_field (msg, "type"), "answer") == 0) {
      g_assert_true (ams_peer_set_remote_description (offer->peer, "answer",
                                                      str_field (msg, "sdp"), &error));
    } else if (g_strcmp0 (command, "takeCandidate") == 0) {
      json_object *label;
      json_object_object_get_ex (msg, "label", &label);
      ams_peer_add_ice_candidate (offer->peer, label ? json_object_get_int (label) : -1,
                                  str_field (msg, "id"), str_field (msg, "candidate"), &error);
    }
    g_assert_no_error (error);
    json_object_put (msg);
  }
  return G_SOURCE_CONTINUE;
}

static ScriptedOffer *
offer_new (WsPeer *ws, const char *stream_id, gboolean connected)
{
  g_autoptr (GError) error = NULL;
  ScriptedOffer *offer = g_new0 (ScriptedOffer, 1);
  AmsPeerOptions po;
  AmsPeerCallbacks cb = { .local_description = on_local_description,
                          .local_candidate = connected ? on_local_candidate : NULL };

  offer->ws = ws;
  offer->stream_id = g_strdup (stream_id);
  offer->seen = ws_peer_get_messages (ws)->len;
  ams_peer_options_init (&po);
  po.role = AMS_PEER_SEND;
  po.audio = FALSE;
  po.width = 320;
  po.height = 240;
  po.local_address = "127.0.0.1";
  if (connected)
    po.filter.address = "127.0.0.1";
  offer->peer = ams_peer_new (&po, NULL, &cb, offer, &error);
  g_assert_no_error (error);
  g_assert_true (ams_peer_create_offer (offer->peer, &error));
  g_assert_no_error (error);
  if (connected)
    offer->pump = g_timeout_add (10, offer_pump, offer);
  return offer;
}

ScriptedOffer *
scripted_offer_new (WsPeer *ws, const char *stream_id)
{
  return offer_new (ws, stream_id, FALSE);
}

ScriptedOffer *
scripted_offer_new_connected (WsPeer *ws, const char *stream_id)
{
  return offer_new (ws, stream_id, TRUE);
}

void
scripted_offer_free (ScriptedOffer *offer)
{
  if (offer == NULL)
    return;
  if (offer->pump)
    g_source_remove (offer->pump);
  ams_peer_free (offer->peer);
  g_free (offer->stream_id);
  g_free (offer);
}
