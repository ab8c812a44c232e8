/* ams-export.h: the one macro that marks the public symbols of libamsclient.
 *
 * The library is built with -fvisibility=hidden, so only what carries AMS_API
 * is exported. This also keeps json-c's names private to us, which matters
 * because json-glib (loaded by GStreamer plugins) exports clashing names. */
#pragma once

#if defined(AMS_COMPILATION)
#  define AMS_API __attribute__((visibility("default"))) extern
#else
#  define AMS_API extern
#endif
