/* ams-dtls-key.c: the process's DTLS key, from an on-disk cache.
 *
 * GStreamer's dtls plugin (1.22) makes its key with RSA_new() +
 * RSA_generate_key_ex (2048 bits, e 65537) inside a g_once run by the first
 * dtlssrtpdec. RSA_new() takes OpenSSL's default RSA_METHOD, and
 * RSA_generate_key_ex() calls that method's keygen when it has one. So the
 * prewarm thread installs, around its creation of the first dtlssrtpdec, a
 * default method whose keygen copies the cached key into the RSA; that
 * keygen serves only the thread that installed it, only 2048 bits with the
 * same exponent, and only once. Everybody else (other threads in that
 * window, later calls) gets the previous method back on their RSA and its
 * normal generation. The RSA_METHOD API is deprecated in OpenSSL 3.0 but is
 * the one hook that reaches a legacy RSA_generate_key_ex caller. */
#define OPENSSL_API_COMPAT 0x10100000L
#define OPENSSL_SUPPRESS_DEPRECATED

#include "media/ams-dtls-key.h"
#include <amsclient/ams-media.h>

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_BITS 2048
#define CACHE_FILE_NAME "dtls-rsa2048.pem"
#define MAX_FILE_SIZE (64 * 1024)

static GMutex lock;                 /* guards the settings and the state below */
static gboolean cache_enabled;
static char *cache_path;            /* NULL: the default path */
static guint max_age_days = AMS_DTLS_KEY_CACHE_MAX_AGE_DAYS;
static gboolean key_started;        /* the settings are frozen from then on */
static gboolean element_started;    /* the prewarm thread is past the point where its
                                       dtlssrtpdec takes GStreamer's key once */
static GCond element_cond;
static AmsDtlsKeyOrigin origin = AMS_DTLS_KEY_NOT_MADE;
static void (*window_hook) (gpointer);
static gpointer window_hook_data;

/* The keygen hook's state. Written by the prewarm thread before the method
 * is installed and read in the hook on that same thread, except
 * previous_method, which every thread that falls through reads; it is set
 * before the method is installed and never changes afterwards. */
static const RSA_METHOD *previous_method;
static RSA_METHOD *cache_method;    /* never freed: RSAs made in the window point at it */
static RSA *cached_key;             /* the key to hand out, or NULL on a miss */
static RSA *generated_key;          /* a miss: the key generated in the window, to save */
static gboolean served;
static __thread gboolean in_window; /* TRUE on the prewarm thread while it makes the element */

/* ------------------------------------------------------------ settings */

static char *
default_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "amsclient", CACHE_FILE_NAME, NULL);
}

gboolean
ams_media_set_dtls_key_cache (const char *path, guint days, GError **error)
{
  g_mutex_lock (&lock);
  if (key_started) {
    g_mutex_unlock (&lock);
    g_set_error (error, AMS_ERROR, AMS_ERROR_FAILED,
                 "the process's DTLS key is already made: set the key cache before the first stream");
    return FALSE;
  }
  cache_enabled = TRUE;
  g_free (cache_path);
  cache_path = path && *path ? g_strdup (path) : NULL;
  max_age_days = days ? days : AMS_DTLS_KEY_CACHE_MAX_AGE_DAYS;
  g_mutex_unlock (&lock);
  return TRUE;
}

void
ams_media_disable_dtls_key_cache (void)
{
  g_mutex_lock (&lock);
  if (!key_started)
    cache_enabled = FALSE;
  g_mutex_unlock (&lock);
}

char *
ams_media_get_dtls_key_cache_path (void)
{
  g_mutex_lock (&lock);
  char *path = !cache_enabled ? NULL : cache_path ? g_strdup (cache_path) : default_path ();
  g_mutex_unlock (&lock);
  return path;
}

char *
ams_dtls_key_dup_cache_path (void)
{
  return ams_media_get_dtls_key_cache_path ();
}

AmsDtlsKeyOrigin
ams_dtls_key_get_origin (void)
{
  g_mutex_lock (&lock);
  AmsDtlsKeyOrigin o = origin;
  g_mutex_unlock (&lock);
  return o;
}

void
ams_dtls_key_set_window_hook (void (*hook) (gpointer data), gpointer data)
{
  g_mutex_lock (&lock);
  window_hook = hook;
  window_hook_data = data;
  g_mutex_unlock (&lock);
}

/* ------------------------------------------------------------ the file */

/* A cheap consistency check of a parsed key (n = pq, d and the CRT values
 * agree with e), so that a damaged file is regenerated instead of making a
 * certificate whose signatures fail in every handshake. */
static gboolean
key_is_consistent (const RSA *rsa)
{
  const BIGNUM *n, *e, *d, *p, *q, *dmp1, *dmq1, *iqmp;
  RSA_get0_key (rsa, &n, &e, &d);
  RSA_get0_factors (rsa, &p, &q);
  RSA_get0_crt_params (rsa, &dmp1, &dmq1, &iqmp);
  if (!n || !e || !d || !p || !q || !dmp1 || !dmq1 || !iqmp)
    return FALSE;
  BN_CTX *ctx = BN_CTX_new ();
  BIGNUM *t = BN_new (), *pm1 = BN_new (), *qm1 = BN_new ();
  gboolean ok = ctx && t && pm1 && qm1 && BN_mul (t, p, q, ctx) && BN_cmp (t, n) == 0 &&
                BN_sub (pm1, p, BN_value_one ()) && BN_sub (qm1, q, BN_value_one ()) &&
                BN_mod (t, d, pm1, ctx) && BN_cmp (t, dmp1) == 0 &&
                BN_mod (t, d, qm1, ctx) && BN_cmp (t, dmq1) == 0 &&
                BN_mod_mul (t, e, dmp1, pm1, ctx) && BN_is_one (t) &&
                BN_mod_mul (t, e, dmq1, qm1, ctx) && BN_is_one (t) &&
                BN_mod_mul (t, iqmp, q, p, ctx) && BN_is_one (t);
  BN_free (t);
  BN_free (pm1);
  BN_free (qm1);
  BN_CTX_free (ctx);
  return ok;
}

/* Returns the cached key, or NULL (with the reason in @why) when it must be
 * generated: missing, unreadable, corrupt, not RSA-2048 or too old. */
static RSA *
load_cached_key (const char *path, guint days, const char **why)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0) {
    *why = "no cached key";
    return NULL;
  }
  if (!S_ISREG (st.st_mode) || st.st_size <= 0 || st.st_size > MAX_FILE_SIZE) {
    *why = "the cache is not a key file";
    return NULL;
  }
  /* A key others could read, or could have planted, is not a secret. */
  if (st.st_uid != getuid () || (st.st_mode & 077)) {
    *why = "the cached key is not private to this user";
    return NULL;
  }
  gint64 age_s = g_get_real_time () / G_USEC_PER_SEC - (gint64) st.st_mtime;
  if (age_s > (gint64) days * 24 * 3600) {
    *why = "the cached key is too old";
    return NULL;
  }
  g_autofree char *pem = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &pem, &len, NULL)) {
    *why = "the cached key cannot be read";
    return NULL;
  }
  BIO *bio = BIO_new_mem_buf (pem, (int) len);
  EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL) : NULL;
  BIO_free (bio);
  RSA *rsa = NULL;
  if (pkey && EVP_PKEY_get_base_id (pkey) == EVP_PKEY_RSA && EVP_PKEY_get_bits (pkey) == KEY_BITS)
    rsa = EVP_PKEY_get1_RSA (pkey);
  EVP_PKEY_free (pkey);
  if (rsa && !key_is_consistent (rsa)) {
    RSA_free (rsa);
    rsa = NULL;
  }
  if (!rsa)
    *why = "the cached key is not a valid RSA-2048 key";
  return rsa;
}

/* Writes @rsa to @path atomically, mode 0600, in a directory made 0700. */
static gboolean
save_key (const char *path, RSA *rsa, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) && g_mkdir_with_parents (dir, 0700) != 0) {
    int saved = errno;
    g_set_error (error, AMS_ERROR, AMS_ERROR_FAILED, "cannot create %s: %s", dir,
                 g_strerror (saved));
    return FALSE;
  }
  EVP_PKEY *pkey = EVP_PKEY_new ();
  BIO *bio = BIO_new (BIO_s_mem ());
  gboolean ok = pkey && bio && EVP_PKEY_set1_RSA (pkey, rsa) &&
                PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL);
  if (ok) {
    char *data = NULL;
    long len = BIO_get_mem_data (bio, &data);
    /* The temporary file is created with the final mode, so the key is never
     * readable by others, even for a moment. */
    ok = g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  } else {
    g_set_error (error, AMS_ERROR, AMS_ERROR_FAILED, "cannot encode the DTLS key");
  }
  BIO_free (bio);
  EVP_PKEY_free (pkey);
  return ok;
}

/* ------------------------------------------------------------ the hook */

/* Gives @rsa back its previous method and generates as the process would
 * have without us (RSA_generate_multi_prime_key with 2 primes by default). */
static int
generate_normally (RSA *rsa, int bits, BIGNUM *e, BN_GENCB *cb)
{
  if (!RSA_set_method (rsa, previous_method))
    return 0;
  return RSA_generate_key_ex (rsa, bits, e, cb);
}

static gboolean
copy_key (RSA *to, const RSA *from)
{
  const BIGNUM *n, *e, *d, *p, *q, *dmp1, *dmq1, *iqmp;
  RSA_get0_key (from, &n, &e, &d);
  RSA_get0_factors (from, &p, &q);
  RSA_get0_crt_params (from, &dmp1, &dmq1, &iqmp);
  BIGNUM *c[8] = { BN_dup (n), BN_dup (e), BN_dup (d), BN_dup (p), BN_dup (q),
                   BN_dup (dmp1), BN_dup (dmq1), BN_dup (iqmp) };
  for (guint i = 0; i < G_N_ELEMENTS (c); i++)
    if (!c[i])
      goto fail;
  if (!RSA_set0_key (to, c[0], c[1], c[2]))
    goto fail;
  c[0] = c[1] = c[2] = NULL;
  if (!RSA_set0_factors (to, c[3], c[4]))
    goto fail;
  c[3] = c[4] = NULL;
  if (!RSA_set0_crt_params (to, c[5], c[6], c[7]))
    goto fail;
  return TRUE;
fail:
  for (guint i = 0; i < G_N_ELEMENTS (c); i++)
    BN_free (c[i]);
  return FALSE;
}

static int
cache_keygen (RSA *rsa, int bits, BIGNUM *e, BN_GENCB *cb)
{
  if (!in_window || served || bits != KEY_BITS)
    return generate_normally (rsa, bits, e, cb);
  served = TRUE;
  if (cached_key) {
    const BIGNUM *cached_e = NULL;
    RSA_get0_key (cached_key, NULL, &cached_e, NULL);
    if (e && BN_cmp (e, cached_e) == 0 && RSA_set_method (rsa, previous_method) &&
        copy_key (rsa, cached_key))
      return 1;
    RSA_free (g_steal_pointer (&cached_key));
  }
  if (!generate_normally (rsa, bits, e, cb))
    return 0;
  /* The certificate keeps this RSA for the life of the process. */
  RSA_up_ref (rsa);
  generated_key = rsa;
  return 1;
}

/* ------------------------------------------------------------ entry point */

static void
mark_element_started (void)
{
  g_mutex_lock (&lock);
  element_started = TRUE;
  g_cond_broadcast (&element_cond);
  g_mutex_unlock (&lock);
}

/* GStreamer's g_once for the key is entered first by whoever creates the
 * first dtlssrtpdec: the prewarm thread must win it for the cache to serve
 * (its hook serves that thread only). It is about to (its plugin load and
 * the file read take milliseconds, more on a loaded machine); a stream that would create its
 * transports now waits for that, at most @timeout_us. Any thread. */
void
ams_dtls_key_wait_for_prewarm (gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  g_mutex_lock (&lock);
  while (cache_enabled && !element_started)
    if (!g_cond_wait_until (&element_cond, &lock, end))
      break;
  g_mutex_unlock (&lock);
}

static void
make_element (void)
{
  GstElement *dec = gst_element_factory_make ("dtlssrtpdec", NULL);
  if (dec)
    gst_object_unref (dec);
}

void
ams_dtls_key_make_process_key (void)
{
  g_mutex_lock (&lock);
  gboolean first = !key_started;
  key_started = TRUE;
  gboolean enabled = cache_enabled;
  g_autofree char *path = !enabled ? NULL : cache_path ? g_strdup (cache_path) : default_path ();
  guint days = max_age_days;
  void (*hook) (gpointer) = window_hook;
  gpointer hook_data = window_hook_data;
  g_mutex_unlock (&lock);

  if (!first || !enabled) {
    mark_element_started ();
    make_element ();
    if (first) {
      g_mutex_lock (&lock);
      origin = AMS_DTLS_KEY_CACHE_OFF;
      g_mutex_unlock (&lock);
    }
    return;
  }

  /* Load the dtls plugin first: its loading must not happen in the window. */
  GstElementFactory *factory = gst_element_factory_find ("dtlssrtpdec");
  if (factory) {
    GstPluginFeature *loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (factory));
    if (loaded)
      gst_object_unref (loaded);
    gst_object_unref (factory);
  }

  const char *why = NULL;
  cached_key = load_cached_key (path, days, &why);
  if (!cached_key)
    g_debug ("dtls key cache %s: %s, generating", path, why);

  previous_method = RSA_get_default_method ();
  if (!cache_method) {
    cache_method = RSA_meth_dup (previous_method);
    if (cache_method && !RSA_meth_set_keygen (cache_method, cache_keygen)) {
      RSA_meth_free (cache_method);
      cache_method = NULL;
    }
  }
  AmsDtlsKeyOrigin result = AMS_DTLS_KEY_GENERATED;
  if (cache_method) {
    RSA_set_default_method (cache_method);
    in_window = TRUE;
    if (hook)
      hook (hook_data);
    mark_element_started ();
    make_element ();
    in_window = FALSE;
    RSA_set_default_method (previous_method);

    if (served && cached_key) {
      result = AMS_DTLS_KEY_FROM_CACHE;
    } else if (generated_key) {
      g_autoptr (GError) error = NULL;
      if (save_key (path, generated_key, &error))
        result = AMS_DTLS_KEY_GENERATED_SAVED;
      else
        g_warning ("media: the DTLS key is not cached: %s", error->message);
    }
  } else {
    mark_element_started ();
    make_element ();
  }
  g_clear_pointer (&cached_key, RSA_free);
  g_clear_pointer (&generated_key, RSA_free);

  g_mutex_lock (&lock);
  origin = result;
  g_mutex_unlock (&lock);
}
