/* find-elements.c: see find-elements.h. */
#include "find-elements.h"

/* Walks @bin recursively; stops after the first match when @first. */
static GPtrArray *
walk (GstElement *bin, const char *factory, gboolean first)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (gst_object_unref);
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  while (!(first && found->len) && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&item);
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (GST_OBJECT_NAME (f), factory))
      g_ptr_array_add (found, gst_object_ref (e));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

GPtrArray *
find_elements (GstElement *bin, const char *factory)
{
  return walk (bin, factory, FALSE);
}

GstElement *
find_element (GstElement *bin, const char *factory)
{
  g_autoptr (GPtrArray) found = walk (bin, factory, TRUE);
  return found->len ? gst_object_ref (found->pdata[0]) : NULL;
}
