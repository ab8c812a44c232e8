/* ams-version.h: the version of libamsclient this header belongs to. */
#pragma once

#include <amsclient/ams-export.h>

#define AMS_VERSION_MAJOR 0
#define AMS_VERSION_MINOR 1
#define AMS_VERSION_MICRO 0
#define AMS_VERSION_STRING "0.1.0"

/**
 * ams_version_string:
 *
 * Returns: (transfer none): the version of the library actually loaded, which
 * may differ from %AMS_VERSION_STRING when the program was built against
 * another one.
 */
AMS_API const char *ams_version_string (void);

/**
 * ams_websockets_version:
 *
 * Returns: (transfer none): the version string of the libwebsockets library
 * the SDK runs on, so that programs can report it without linking it.
 */
AMS_API const char *ams_websockets_version (void);
