/* ams-media.h: process-wide media settings.
 *
 * Settings that belong to the process rather than to one stream, because
 * GStreamer keeps the matching state once per process. */
#pragma once

#include <glib.h>
#include <amsclient/ams-export.h>
#include <amsclient/ams-error.h>

G_BEGIN_DECLS

/**
 * AMS_DTLS_KEY_CACHE_MAX_AGE_DAYS:
 *
 * The default age in days after which a cached DTLS key is replaced.
 */
#define AMS_DTLS_KEY_CACHE_MAX_AGE_DAYS 30

/**
 * ams_media_set_dtls_key_cache:
 * @path: (nullable) (type filename): the cache file; %NULL:
 *   `$XDG_CACHE_HOME/amsclient/dtls-rsa2048.pem` (g_get_user_cache_dir())
 * @max_age_days: make a new key when the file is older than this; 0:
 *   %AMS_DTLS_KEY_CACHE_MAX_AGE_DAYS
 * @error: (nullable): where to report the call came too late
 *
 * Keeps the process's DTLS private key (RSA-2048) in a file, so that a new
 * process does not spend 100-450 ms (seconds on a loaded machine) on the
 * prime search before its first stream can connect. GStreamer makes this key
 * once per process, when the first stream (or ams_stream_new(), which starts
 * it in the background) needs it; a process whose file is missing, unreadable,
 * corrupt, of another size, too old, or not private to the user (another
 * owner, or readable by others) generates the key as usual and writes
 * it (directory created with mode 0700, file mode 0600, replaced atomically),
 * so the next process finds it. Only that one key comes from the file: any
 * other RSA key generation of the process, the application's own included,
 * is left alone.
 *
 * The trade: a private key stays on disk, readable by the user only, and
 * every process of that user presents the same public key (each process
 * still makes its own certificate, so the DTLS fingerprint changes), as a
 * browser keeps a profile's certificate. Off by default in the library; the
 * amsclient tool turns it on (`--no-dtls-key-cache` turns it off).
 *
 * Thread-safety: callable from any thread; it must come before the first
 * ams_stream_new() (or mini-server) of the process to have an effect.
 *
 * Returns: %TRUE if the setting will be used; %FALSE with
 * %AMS_ERROR_FAILED when the process's key is already being made.
 */
AMS_API gboolean ams_media_set_dtls_key_cache (const char *path, guint max_age_days,
                                               GError **error);

/**
 * ams_media_disable_dtls_key_cache:
 *
 * Turns the DTLS key cache off (the default): the process generates its key
 * and writes nothing. Same timing rule as ams_media_set_dtls_key_cache().
 * Thread-safety: callable from any thread.
 */
AMS_API void ams_media_disable_dtls_key_cache (void);

/**
 * ams_media_get_dtls_key_cache_path:
 *
 * Thread-safety: callable from any thread.
 *
 * Returns: (transfer full) (nullable) (type filename): the cache file that
 * is or will be used, or %NULL when the cache is off. Free with g_free().
 */
AMS_API char *ams_media_get_dtls_key_cache_path (void);

G_END_DECLS
