/* test-dtls-key.c: the DTLS key cache (sdk/media/ams-dtls-key.c).
 *
 * GStreamer makes the DTLS key once per process, so every case runs in a
 * fresh subprocess (g_test_trap_subprocess re-executes this binary) with
 * XDG_CACHE_HOME pointing at a new temporary directory. The check is on what
 * the peer really uses: the certificate of a webrtcbin transport, parsed,
 * its public key compared with the key in the file. */
#define GST_USE_UNSTABLE_API
#define OPENSSL_API_COMPAT 0x10100000L
#define OPENSSL_SUPPRESS_DEPRECATED
#include "media/ams-dtls-key.h"
#include "media/ams-peer.h"
#include <amsclient/ams-media.h>

#include <gst/webrtc/webrtc.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#define SLOW (g_getenv ("AMS_VALGRIND") ? 8 : 1)
/* Key generation takes seconds on a loaded machine. */
#define KEY_TIMEOUT_US (120 * G_TIME_SPAN_SECOND * SLOW)

/* ------------------------------------------------------------ helpers */

static char *
cache_file (const char *cache_home)
{
  return g_build_filename (cache_home, "amsclient", "dtls-rsa2048.pem", NULL);
}

static EVP_PKEY *
generate_key (int bits)
{
  return EVP_RSA_gen ((unsigned) bits);
}

static void
write_key (const char *path, EVP_PKEY *pkey)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  BIO *bio = BIO_new (BIO_s_mem ());
  g_assert_true (PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL));
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);
  g_assert_true (g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  BIO_free (bio);
}

static EVP_PKEY *
read_key (const char *path)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &pem, &len, NULL))
    return NULL;
  BIO *bio = BIO_new_mem_buf (pem, (int) len);
  EVP_PKEY *pkey = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  return pkey;
}

/* Waits until the prewarm thread has made the key. */
static AmsDtlsKeyOrigin
wait_for_key (void)
{
  gint64 deadline = g_get_monotonic_time () + KEY_TIMEOUT_US;
  AmsDtlsKeyOrigin o;
  while ((o = ams_dtls_key_get_origin ()) == AMS_DTLS_KEY_NOT_MADE &&
         g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  return o;
}

static void
on_offer (GstPromise *promise, gpointer data)
{
  gboolean *done = data;
  g_atomic_int_set (done, TRUE);
}

/* The public key of the certificate a fresh webrtcbin's DTLS transport
 * presents (its "certificate" property, PEM). */
static EVP_PKEY *
peer_certificate_key (void)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_assert_nonnull (webrtc);
  gst_bin_add (GST_BIN (pipeline), webrtc);
  GstWebRTCRTPTransceiver *trans = NULL;
  GstCaps *caps = gst_caps_from_string ("application/x-rtp,media=video,encoding-name=VP8,"
                                        "payload=96,clock-rate=90000");
  g_signal_emit_by_name (webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  gst_caps_unref (caps);
  g_assert_nonnull (trans);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  gboolean done = FALSE;
  GstPromise *promise = gst_promise_new_with_change_func (on_offer, &done, NULL);
  g_signal_emit_by_name (webrtc, "create-offer", NULL, promise);
  gint64 deadline = g_get_monotonic_time () + KEY_TIMEOUT_US;
  while (!g_atomic_int_get (&done) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_assert_true (g_atomic_int_get (&done));
  gst_promise_unref (promise);

  GstWebRTCRTPReceiver *receiver = NULL;
  g_object_get (trans, "receiver", &receiver, NULL);
  g_assert_nonnull (receiver);
  GstWebRTCDTLSTransport *transport = NULL;
  g_object_get (receiver, "transport", &transport, NULL);
  g_assert_nonnull (transport);
  g_autofree char *pem = NULL;
  g_object_get (transport, "certificate", &pem, NULL);
  g_assert_nonnull (pem);
  g_assert_nonnull (strstr (pem, "BEGIN CERTIFICATE"));

  BIO *bio = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  g_assert_nonnull (cert);
  EVP_PKEY *pub = X509_get_pubkey (cert);
  g_assert_nonnull (pub);
  X509_free (cert);

  gst_object_unref (transport);
  gst_object_unref (receiver);
  gst_object_unref (trans);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return pub;
}

static char *
make_cache_home (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("ams-dtls-key-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir) {
    const char *name;
    while ((name = g_dir_read_name (dir))) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
    g_dir_close (dir);
  }
  g_remove (path);
}

/* Runs @child_path in a fresh process with XDG_CACHE_HOME = @cache_home. */
static void
run_child (const char *child_path, const char *cache_home)
{
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);
  g_test_trap_subprocess (child_path, 300 * G_TIME_SPAN_SECOND * SLOW,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
assert_private_file (const char *path)
{
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

/* The file holds a valid RSA-2048 key, and it is the one the peer uses. */
static void
assert_file_key_is_used (const char *path)
{
  EVP_PKEY *file_key = read_key (path);
  g_assert_nonnull (file_key);
  g_assert_cmpint (EVP_PKEY_get_base_id (file_key), ==, EVP_PKEY_RSA);
  g_assert_cmpint (EVP_PKEY_get_bits (file_key), ==, 2048);
  RSA *rsa = EVP_PKEY_get1_RSA (file_key);
  g_assert_cmpint (RSA_check_key (rsa), ==, 1);
  RSA_free (rsa);
  EVP_PKEY *used = peer_certificate_key ();
  g_assert_cmpint (EVP_PKEY_eq (used, file_key), ==, 1);
  EVP_PKEY_free (used);
  EVP_PKEY_free (file_key);
}

/* ------------------------------------------------------------ children */

typedef struct {
  RSA *key;
  const RSA_METHOD *default_in_window;
  const RSA_METHOD *key_method;
} OtherThread;

static gpointer
other_thread_generate (gpointer data)
{
  OtherThread *t = data;
  t->default_in_window = RSA_get_default_method ();
  RSA *rsa = RSA_new ();
  BIGNUM *e = BN_new ();
  BN_set_word (e, RSA_F4);
  g_assert_cmpint (RSA_generate_key_ex (rsa, 2048, e, NULL), ==, 1);
  BN_free (e);
  t->key = rsa;
  t->key_method = RSA_get_method (rsa);
  return NULL;
}

/* Inside the window, another thread generates a 2048-bit key. */
static void
window_hook (gpointer data)
{
  GThread *thread = g_thread_new ("other", other_thread_generate, data);
  g_thread_join (thread);
}

static gboolean
rsa_same_public (const RSA *a, EVP_PKEY *b)
{
  EVP_PKEY *pa = EVP_PKEY_new ();
  EVP_PKEY_set1_RSA (pa, (RSA *) a);
  gboolean same = EVP_PKEY_eq (pa, b) == 1;
  EVP_PKEY_free (pa);
  return same;
}

static void
child_cached (void)
{
  g_autofree char *path = cache_file (g_get_user_cache_dir ());
  EVP_PKEY *cached = read_key (path);
  g_assert_nonnull (cached);

  OtherThread other = { 0 };
  ams_dtls_key_set_window_hook (window_hook, &other);
  g_assert_true (ams_media_set_dtls_key_cache (NULL, 0, NULL));
  g_autofree char *used_path = ams_media_get_dtls_key_cache_path ();
  g_assert_cmpstr (used_path, ==, path);
  ams_media_prewarm ();
  g_assert_cmpint (wait_for_key (), ==, AMS_DTLS_KEY_FROM_CACHE);

  /* The peer's certificate carries the cached key. */
  EVP_PKEY *used = peer_certificate_key ();
  g_assert_cmpint (EVP_PKEY_eq (used, cached), ==, 1);
  EVP_PKEY_free (used);

  /* Another thread in the window: the hook was installed (so this can
   * fail), yet it got a fresh key and its RSA went back to the method it
   * would have had. */
  g_assert_nonnull (other.key);
  g_assert_true (other.default_in_window != RSA_PKCS1_OpenSSL ());
  g_assert_true (other.key_method == RSA_PKCS1_OpenSSL ());
  g_assert_false (rsa_same_public (other.key, cached));
  g_assert_cmpint (RSA_check_key (other.key), ==, 1);
  RSA_free (other.key);

  /* Outside the window: the default method is back and a new key is new. */
  g_assert_true (RSA_get_default_method () == RSA_PKCS1_OpenSSL ());
  RSA *later = RSA_new ();
  BIGNUM *e = BN_new ();
  BN_set_word (e, RSA_F4);
  g_assert_cmpint (RSA_generate_key_ex (later, 2048, e, NULL), ==, 1);
  g_assert_false (rsa_same_public (later, cached));
  BN_free (e);
  RSA_free (later);
  EVP_PKEY_free (cached);

  /* Too late to change the setting now. */
  g_autoptr (GError) error = NULL;
  g_assert_false (ams_media_set_dtls_key_cache ("/nonexistent/x.pem", 0, &error));
  g_assert_error (error, AMS_ERROR, AMS_ERROR_FAILED);
}

static void
sleep_in_window (gpointer data)
{
  /* The prewarm thread is slow to get to its element (a loaded machine). */
  g_usleep (300 * 1000);
}

/* A stream's peer built right after the prewarm starts must not create
 * its transports (and so GStreamer's key) before the prewarm thread, or
 * the cache would not serve. */
static void
child_peer_races_prewarm (void)
{
  g_autofree char *path = cache_file (g_get_user_cache_dir ());
  EVP_PKEY *cached = read_key (path);
  g_assert_nonnull (cached);
  ams_dtls_key_set_window_hook (sleep_in_window, NULL);
  g_assert_true (ams_media_set_dtls_key_cache (NULL, 0, NULL));
  ams_media_prewarm ();

  AmsPeerOptions o;
  ams_peer_options_init (&o);
  o.role = AMS_PEER_SEND;
  o.audio = FALSE;
  o.video_codec = "vp8";
  o.local_address = "127.0.0.1";
  g_autoptr (GError) error = NULL;
  AmsPeer *peer = ams_peer_new (&o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ams_peer_create_offer (peer, &error));
  g_assert_no_error (error);

  g_assert_cmpint (wait_for_key (), ==, AMS_DTLS_KEY_FROM_CACHE);
  EVP_PKEY *used = peer_certificate_key ();
  g_assert_cmpint (EVP_PKEY_eq (used, cached), ==, 1);
  EVP_PKEY_free (used);
  EVP_PKEY_free (cached);
  ams_peer_free (peer);
}

static void
test_peer_races_prewarm (void)
{
  if (g_test_subprocess ()) {
    child_peer_races_prewarm ();
    return;
  }
  g_autofree char *home = make_cache_home ();
  g_autofree char *path = cache_file (home);
  EVP_PKEY *key = generate_key (2048);
  write_key (path, key);
  EVP_PKEY_free (key);
  run_child (NULL, home);
  remove_tree (home);
}

static void
child_generate_default_path (void)
{
  g_assert_true (ams_media_set_dtls_key_cache (NULL, 0, NULL));
  ams_media_prewarm ();
  g_assert_cmpint (wait_for_key (), ==, AMS_DTLS_KEY_GENERATED_SAVED);
  g_autofree char *path = cache_file (g_get_user_cache_dir ());
  assert_private_file (path);
  assert_file_key_is_used (path);
}

/* Explicit path, in directories that do not exist yet. */
static void
child_generate_explicit_path (void)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "a", "b", "key.pem", NULL);
  g_assert_true (ams_media_set_dtls_key_cache (path, 0, NULL));
  ams_media_prewarm ();
  g_assert_cmpint (wait_for_key (), ==, AMS_DTLS_KEY_GENERATED_SAVED);
  assert_private_file (path);
  assert_file_key_is_used (path);
}

static void
child_off (void)
{
  /* Enabled, then turned off again: the default. */
  g_assert_true (ams_media_set_dtls_key_cache (NULL, 0, NULL));
  ams_media_disable_dtls_key_cache ();
  g_assert_null (ams_media_get_dtls_key_cache_path ());
  ams_media_prewarm ();
  g_assert_cmpint (wait_for_key (), ==, AMS_DTLS_KEY_CACHE_OFF);
  EVP_PKEY *used = peer_certificate_key ();
  g_assert_cmpint (EVP_PKEY_get_bits (used), ==, 2048);
  EVP_PKEY_free (used);
}

/* ------------------------------------------------------------ cases */

static void
test_cached_key_used (void)
{
  if (g_test_subprocess ()) {
    child_cached ();
    return;
  }
  g_autofree char *home = make_cache_home ();
  g_autofree char *path = cache_file (home);
  EVP_PKEY *key = generate_key (2048);
  write_key (path, key);
  g_autofree char *before = NULL;
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
  run_child (NULL, home);
  /* A hit leaves the file alone. */
  g_autofree char *after = NULL;
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
  EVP_PKEY_free (key);
  remove_tree (home);
}

static void
child_cached_after_missing (void)
{
  g_autofree char *path = cache_file (g_get_user_cache_dir ());
  EVP_PKEY *saved = read_key (path);
  g_assert_nonnull (saved);
  g_assert_true (ams_media_set_dtls_key_cache (NULL, 0, NULL));
  ams_media_prewarm ();
  g_assert_cmpint (wait_for_key (), ==, AMS_DTLS_KEY_FROM_CACHE);
  EVP_PKEY *used = peer_certificate_key ();
  g_assert_cmpint (EVP_PKEY_eq (used, saved), ==, 1);
  EVP_PKEY_free (used);
  EVP_PKEY_free (saved);
}

static void
test_missing_file_created (void)
{
  if (g_test_subprocess ()) {
    if (g_strcmp0 (g_getenv ("AMS_TEST_STEP"), "2") == 0)
      child_cached_after_missing ();
    else
      child_generate_default_path ();
    return;
  }
  g_autofree char *home = make_cache_home ();
  g_setenv ("AMS_TEST_STEP", "1", TRUE);
  run_child (NULL, home);
  /* The next process takes the key the first one saved. */
  g_setenv ("AMS_TEST_STEP", "2", TRUE);
  run_child (NULL, home);
  g_unsetenv ("AMS_TEST_STEP");
  remove_tree (home);
}

static void
test_explicit_path (void)
{
  if (g_test_subprocess ()) {
    child_generate_explicit_path ();
    return;
  }
  g_autofree char *home = make_cache_home ();
  run_child (NULL, home);
  remove_tree (home);
}

/* A file that must be replaced: the child generates, saves a new key, uses
 * it, and the parent checks the old content is gone. */
static void
replaced_case (void (*prepare) (const char *path))
{
  g_autofree char *home = make_cache_home ();
  g_autofree char *path = cache_file (home);
  prepare (path);
  g_autofree char *before = NULL;
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
  run_child (NULL, home);
  g_autofree char *after = NULL;
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (before, !=, after);
  remove_tree (home);
}

static void
prepare_garbage (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* A truncated PEM: the header, then junk. */
  const char *junk = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n!!!\n";
  g_assert_true (g_file_set_contents_full (path, junk, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

static void
prepare_wrong_size (const char *path)
{
  EVP_PKEY *key = generate_key (1024);
  write_key (path, key);
  EVP_PKEY_free (key);
}

static void
prepare_too_old (const char *path)
{
  EVP_PKEY *key = generate_key (2048);
  write_key (path, key);
  EVP_PKEY_free (key);
  struct utimbuf times;
  times.actime = times.modtime = time (NULL) - 31 * 24 * 3600;
  g_assert_cmpint (g_utime (path, &times), ==, 0);
}

/* A valid key that others may read is not used (and is replaced). */
static void
prepare_readable_by_others (const char *path)
{
  EVP_PKEY *key = generate_key (2048);
  write_key (path, key);
  EVP_PKEY_free (key);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
}

static void
test_not_private_replaced (void)
{
  if (g_test_subprocess ()) {
    child_generate_default_path ();
    return;
  }
  replaced_case (prepare_readable_by_others);
}

static void
test_corrupt_replaced (void)
{
  if (g_test_subprocess ()) {
    child_generate_default_path ();
    return;
  }
  replaced_case (prepare_garbage);
}

static void
test_wrong_size_replaced (void)
{
  if (g_test_subprocess ()) {
    child_generate_default_path ();
    return;
  }
  replaced_case (prepare_wrong_size);
}

static void
test_too_old_replaced (void)
{
  if (g_test_subprocess ()) {
    child_generate_default_path ();
    return;
  }
  replaced_case (prepare_too_old);
}

static void
test_off_writes_nothing (void)
{
  if (g_test_subprocess ()) {
    child_off ();
    return;
  }
  g_autofree char *home = make_cache_home ();
  run_child (NULL, home);
  g_autofree char *dir = g_build_filename (home, "amsclient", NULL);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  remove_tree (home);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtls-key/cached", test_cached_key_used);
  g_test_add_func ("/dtls-key/missing", test_missing_file_created);
  g_test_add_func ("/dtls-key/peer-races-prewarm", test_peer_races_prewarm);
  g_test_add_func ("/dtls-key/explicit-path", test_explicit_path);
  g_test_add_func ("/dtls-key/corrupt", test_corrupt_replaced);
  g_test_add_func ("/dtls-key/wrong-size", test_wrong_size_replaced);
  g_test_add_func ("/dtls-key/too-old", test_too_old_replaced);
  g_test_add_func ("/dtls-key/not-private", test_not_private_replaced);
  g_test_add_func ("/dtls-key/off", test_off_writes_nothing);
  return g_test_run ();
}
