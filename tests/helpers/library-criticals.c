/* library-criticals.c: linked into every unit test. The GLib test framework
 * makes every critical fatal; this keeps one critical that a library we do
 * not own raises on its own threads from ending a test, and only that one.
 *
 * GStreamer 1.22's RTP session manager (gst/rtpmanager/rtpsession.c,
 * rtp_session_on_timeout on the "rtpsession-rtcp" thread) walks its live
 * SSRC table with g_hash_table_foreach (..., generate_rtcp, ...); the table
 * changes during the walk (another streaming thread adds or drops a
 * source) and GLib reports
 * "g_hash_table_foreach: assertion 'version == hash_table->version' failed".
 * Seen in test-stream's p2p case under sanitizers and once in the
 * mini-server under valgrind, on a loaded machine; the return address of
 * the failing call is the one after the "doing RTCP generation" debug line
 * in libgstrtpmanager.so 1.22.0. Later GStreamer walks a copy of the table
 * there ("generate_rtcp stage below releases the session lock"). Our code
 * (sdk/, cli/, tests/) never calls g_hash_table_foreach, so the message
 * cannot come from it; it is still printed, only not fatal. Every other
 * critical stays fatal. */
#include <glib.h>

#define KNOWN_DOMAIN "GLib"
#define KNOWN_MESSAGE "g_hash_table_foreach: assertion 'version == hash_table->version' failed"

static gboolean
is_known (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message)
{
  return g_strcmp0 (log_domain, KNOWN_DOMAIN) == 0 && (log_level & G_LOG_LEVEL_CRITICAL) &&
         g_strcmp0 (message, KNOWN_MESSAGE) == 0;
}

static gboolean
fatal_unless_known (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
                    gpointer user_data)
{
  return !is_known (log_domain, log_level, message);
}

/* GLib's criticals come here first and are printed as usual. The test
 * framework drops a fatal handler at the start of every test case, so the
 * one that spares the known message is put in place when it arrives; GLib
 * asks it right after this handler returns. */
static void
on_glib_critical (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
                  gpointer user_data)
{
  if (is_known (log_domain, log_level, message))
    g_test_log_set_fatal_handler (fatal_unless_known, NULL);
  g_log_default_handler (log_domain, log_level, message, user_data);
}

/* Before main: every unit test gets it without calling anything. */
__attribute__ ((constructor)) static void
library_criticals_install (void)
{
  g_log_set_handler (KNOWN_DOMAIN, G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL, on_glib_critical, NULL);
}
