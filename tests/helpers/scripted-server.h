/* scripted-server.h: the common parts of the stream tests that run a
 * player against a scripted server (ws-peer), which makes the order of the
 * server's messages exact: the client connected to it, counts of the
 * commands the client sent, the server's notifications, and the server's
 * side of the media (a sender that offers). Everything on 127.0.0.1, on
 * the thread-default main context; failures are test assertions. */
#pragma once

#include <amsclient/amsclient.h>
#include "ws-peer.h"

G_BEGIN_DECLS

/* An AmsClient (no pings) connected to @ws, within @timeout_ms. */
AmsClient *scripted_client_connect (WsPeer *ws, guint timeout_ms);

/* How many {"command":@command} messages the client has sent so far. */
guint      scripted_count_command (WsPeer *ws, const char *command);

/* Sends {"command":"notification","definition":@definition,"streamId":@stream_id}. */
void       scripted_send_notification (WsPeer *ws, const char *definition,
                                       const char *stream_id);

typedef struct _ScriptedOffer ScriptedOffer;

/* The server's side of @stream_id's media: a video-only 320x240 sender on
 * 127.0.0.1 that offers at once; its description goes to the client as a
 * takeConfiguration on @ws (which must outlive it). */
ScriptedOffer *scripted_offer_new (WsPeer *ws, const char *stream_id);
/* The same, carried through: it also applies the client's answer and
 * candidates (read from @ws's log from now on) and trickles its own
 * (127.0.0.1 only), so media flows. */
ScriptedOffer *scripted_offer_new_connected (WsPeer *ws, const char *stream_id);
/* NULL is fine. Freeing a connected offer stops its media: no more
 * packets, no BYE, the signalling untouched. */
void           scripted_offer_free (ScriptedOffer *offer);

G_END_DECLS
