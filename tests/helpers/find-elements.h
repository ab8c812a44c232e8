/* find-elements.h: the unit tests reach elements that live inside a
 * webrtcbin (libnice's source, the jitterbuffers, sctpenc) by factory. */
#pragma once

#include <gst/gst.h>

/* Every element made by @factory anywhere inside @bin, first found first;
 * each with a reference (the array frees them). */
GPtrArray *find_elements (GstElement *bin, const char *factory);

/* The first of them, with a reference, or NULL. */
GstElement *find_element (GstElement *bin, const char *factory);
