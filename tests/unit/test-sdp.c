/* test-sdp.c: the pure SDP and candidate helpers on real-shaped and broken input. */
#include "media/ams-sdp.h"

#include <string.h>

/* Shaped like a browser/AMS offer: CRLF, bundle, rtx, fmtp, ssrc, data channel. */
static const char *offer =
  "v=0\r\n"
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0 1 2\r\n"
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=mid:0\r\n"
  "a=rtpmap:111 opus/48000/2\r\n"
  "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=ssrc:1111 cname:x\r\n"
  "a=ssrc:1111 msid:a b\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 102 103 96\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=mid:video1\r\n"
  "a=rtpmap:102 H264/90000\r\n"
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
  "a=rtpmap:103 rtx/90000\r\n"
  "a=fmtp:103 apt=102\r\n"
  "a=rtpmap:96 VP8/90000\r\n"
  "a=ssrc:4294967295 cname:x\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "a=mid:2\r\n";

static void
test_codecs (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) codecs = ams_sdp_get_codecs (offer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (codecs->len, ==, 5);

  AmsSdpCodec *c = codecs->pdata[0];
  g_assert_cmpuint (c->mline, ==, 0);
  g_assert_cmpstr (c->media, ==, "audio");
  g_assert_cmpstr (c->mid, ==, "0");
  g_assert_cmpuint (c->payload_type, ==, 111);
  g_assert_cmpstr (c->encoding_name, ==, "opus");
  g_assert_cmpuint (c->clock_rate, ==, 48000);
  g_assert_cmpuint (c->channels, ==, 2);
  g_assert_cmpstr (c->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpuint (c->ssrc, ==, 1111);
  g_assert_true (ams_sdp_codec_check (c, NULL));

  c = codecs->pdata[1];
  g_assert_cmpuint (c->payload_type, ==, 0);
  g_assert_cmpstr (c->encoding_name, ==, "PCMU");
  g_assert_cmpuint (c->clock_rate, ==, 8000);
  g_assert_cmpuint (c->channels, ==, 0);
  g_assert_null (c->fmtp);

  c = codecs->pdata[2];
  g_assert_cmpuint (c->mline, ==, 1);
  g_assert_cmpstr (c->media, ==, "video");
  g_assert_cmpstr (c->mid, ==, "video1");
  g_assert_cmpuint (c->payload_type, ==, 102);
  g_assert_cmpstr (c->encoding_name, ==, "H264");
  /* fmtp verbatim: profile-level-id must survive for relays. */
  g_assert_cmpstr (c->fmtp, ==,
                   "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  g_assert_cmpuint (c->ssrc, ==, 4294967295u);

  c = codecs->pdata[3];
  g_assert_cmpstr (c->encoding_name, ==, "rtx");
  g_assert_cmpstr (c->fmtp, ==, "apt=102");
  c = codecs->pdata[4];
  g_assert_cmpuint (c->payload_type, ==, 96);
  g_assert_cmpstr (c->encoding_name, ==, "VP8");
  g_assert_null (c->fmtp);
}

static void
test_mid_index (void)
{
  g_assert_cmpuint (ams_sdp_count_media (offer), ==, 3);
  g_assert_cmpint (ams_sdp_mid_to_index (offer, "0"), ==, 0);
  g_assert_cmpint (ams_sdp_mid_to_index (offer, "video1"), ==, 1);
  g_assert_cmpint (ams_sdp_mid_to_index (offer, "2"), ==, 2);
  g_assert_cmpint (ams_sdp_mid_to_index (offer, "3"), ==, -1);
  g_assert_cmpint (ams_sdp_mid_to_index (offer, NULL), ==, -1);
  g_assert_cmpint (ams_sdp_mid_to_index (NULL, "0"), ==, -1);

  g_autofree char *m0 = ams_sdp_index_to_mid (offer, 0);
  g_autofree char *m1 = ams_sdp_index_to_mid (offer, 1);
  g_autofree char *m3 = ams_sdp_index_to_mid (offer, 3);
  g_assert_cmpstr (m0, ==, "0");
  g_assert_cmpstr (m1, ==, "video1");
  g_assert_null (m3);
  g_autofree char *k1 = ams_sdp_index_to_media (offer, 1);
  g_autofree char *k2 = ams_sdp_index_to_media (offer, 2);
  g_assert_cmpstr (k1, ==, "video");
  g_assert_cmpstr (k2, ==, "application");

  /* LF-only line endings work the same. */
  const char *lf = "v=0\nm=video 9 RTP/AVP 96\na=mid:v\nm=audio 9 RTP/AVP 111\na=mid:a\n";
  g_assert_cmpint (ams_sdp_mid_to_index (lf, "a"), ==, 1);
}

static void
test_codec_check (void)
{
  AmsSdpCodec opus = { .encoding_name = (char *) "opus", .clock_rate = 48000, .channels = 1 };
  g_autoptr (GError) error = NULL;
  g_assert_false (ams_sdp_codec_check (&opus, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION);
  g_assert_nonnull (strstr (error->message, "opus/48000/2"));
  g_clear_error (&error);
  opus.channels = 2;
  g_assert_true (ams_sdp_codec_check (&opus, NULL));
  opus.clock_rate = 16000;
  g_assert_false (ams_sdp_codec_check (&opus, NULL));

  AmsSdpCodec vp8 = { .encoding_name = (char *) "VP8", .clock_rate = 8000 };
  g_assert_false (ams_sdp_codec_check (&vp8, NULL));
  vp8.clock_rate = 90000;
  g_assert_true (ams_sdp_codec_check (&vp8, NULL));
  AmsSdpCodec unnamed = { .payload_type = 96 };
  g_assert_false (ams_sdp_codec_check (&unnamed, NULL));
  g_assert_false (ams_sdp_codec_check (NULL, NULL));
}

static void
test_bad_sdp (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (ams_sdp_get_codecs ("", &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION);
  g_clear_error (&error);
  g_assert_null (ams_sdp_get_codecs (NULL, &error));
  g_clear_error (&error);

  /* Junk payload types, rtpmaps without a matching m-line entry, huge numbers. */
  const char *junk = "m=video 9 X 96 abc 999 -1 96\r\n"
                     "a=rtpmap:97 VP8/90000\r\n"
                     "a=rtpmap:96\r\n"
                     "a=rtpmap:96 VP8/notanumber/x\r\n"
                     "a=fmtp:96\r\n"
                     "a=ssrc:99999999999 cname:x\r\n"
                     "a=mid:\r\n";
  g_autoptr (GPtrArray) codecs = ams_sdp_get_codecs (junk, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (codecs->len, ==, 1);
  AmsSdpCodec *c = codecs->pdata[0];
  g_assert_cmpuint (c->payload_type, ==, 96);
  g_assert_cmpstr (c->encoding_name, ==, "VP8");
  g_assert_cmpuint (c->clock_rate, ==, 0);
  g_assert_null (c->fmtp);
  g_assert_cmpuint (c->ssrc, ==, 0);
  g_assert_cmpstr (c->mid, ==, "");
}

static void
test_candidate_parse (void)
{
  AmsIceCandidate c;
  g_autoptr (GError) error = NULL;
  g_assert_true (ams_ice_candidate_parse (
      "candidate:1 1 UDP 2015363327 127.0.0.1 43512 typ host", &c, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (c.foundation, ==, "1");
  g_assert_cmpuint (c.component, ==, 1);
  g_assert_cmpint (c.protocol, ==, AMS_ICE_PROTOCOL_UDP);
  g_assert_cmpuint (c.priority, ==, 2015363327u);
  g_assert_cmpstr (c.address, ==, "127.0.0.1");
  g_assert_cmpuint (c.port, ==, 43512);
  g_assert_cmpint (c.type, ==, AMS_ICE_TYPE_HOST);
  ams_ice_candidate_clear (&c);

  g_assert_true (ams_ice_candidate_parse (
      "a=candidate:842163049 1 tcp 1518280447 192.0.2.7 9 typ srflx raddr 10.0.0.1 rport 9 "
      "tcptype active", &c, NULL));
  g_assert_cmpint (c.protocol, ==, AMS_ICE_PROTOCOL_TCP);
  g_assert_cmpint (c.type, ==, AMS_ICE_TYPE_SRFLX);
  g_assert_cmpstr (c.address, ==, "192.0.2.7");
  ams_ice_candidate_clear (&c);

  g_assert_true (ams_ice_candidate_parse (
      "candidate:3 1 udp 41885439 ::1 3478 typ relay", &c, NULL));
  g_assert_cmpint (c.type, ==, AMS_ICE_TYPE_RELAY);
  ams_ice_candidate_clear (&c);

  static const char *bad[] = {
    "", "candidate:", "candidate:1 1 UDP 1 127.0.0.1 5000", "candidate:1 1 SCTP 1 1.2.3.4 5 typ host",
    "candidate:1 1 UDP x 1.2.3.4 5 typ host", "candidate:1 1 UDP 1 1.2.3.4 70000 typ host",
    "candidate:1 1 UDP 1 1.2.3.4 5 type host", "candidate:1 1 UDP 1 1.2.3.4 5 typ weird",
    "foo:1 1 UDP 1 1.2.3.4 5 typ host", "candidate:1 x UDP 1 1.2.3.4 5 typ host",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_false (ams_ice_candidate_parse (bad[i], &c, &error));
    g_assert_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL);
    g_assert_null (c.address);
    g_clear_error (&error);
  }
  g_assert_false (ams_ice_candidate_parse (NULL, &c, NULL));
}

static void
test_candidate_filter (void)
{
  const char *udp_lo = "candidate:1 1 UDP 2015363327 127.0.0.1 43512 typ host";
  const char *udp_lan = "candidate:2 1 UDP 2015363327 192.168.1.9 43512 typ host";
  const char *tcp_lo = "candidate:3 1 TCP 1015021823 127.0.0.1 9 typ host tcptype active";
  const char *srflx = "candidate:4 1 UDP 1686052607 198.51.100.3 50000 typ srflx raddr 0.0.0.0 rport 0";

  g_assert_true (ams_candidate_filter_accepts (NULL, udp_lan));
  g_assert_false (ams_candidate_filter_accepts (NULL, "garbage"));

  AmsCandidateFilter loopback = { .address = "127.0.0.1, ::1" };
  g_assert_true (ams_candidate_filter_accepts (&loopback, udp_lo));
  g_assert_true (ams_candidate_filter_accepts (&loopback, tcp_lo));
  g_assert_false (ams_candidate_filter_accepts (&loopback, udp_lan));

  AmsCandidateFilter udp_only = { .protocols = AMS_ICE_PROTOCOL_UDP };
  g_assert_true (ams_candidate_filter_accepts (&udp_only, udp_lan));
  g_assert_false (ams_candidate_filter_accepts (&udp_only, tcp_lo));

  AmsCandidateFilter host_only = { .types = AMS_ICE_TYPE_HOST };
  g_assert_true (ams_candidate_filter_accepts (&host_only, udp_lan));
  g_assert_false (ams_candidate_filter_accepts (&host_only, srflx));
  AmsCandidateFilter relay_only = { .types = AMS_ICE_TYPE_RELAY };
  g_assert_false (ams_candidate_filter_accepts (&relay_only, udp_lo));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp/codecs", test_codecs);
  g_test_add_func ("/sdp/mid-index", test_mid_index);
  g_test_add_func ("/sdp/codec-check", test_codec_check);
  g_test_add_func ("/sdp/bad-sdp", test_bad_sdp);
  g_test_add_func ("/sdp/candidate-parse", test_candidate_parse);
  g_test_add_func ("/sdp/candidate-filter", test_candidate_filter);
  return g_test_run ();
}
