/* ams-resource.c: /proc readings for the mini-server's resource guard. */
#include "server/ams-resource.h"

#include <stdio.h>
#include <string.h>

double
ams_cpu_sampler_sample (AmsCpuSampler *sampler)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL))
    return -1;
  guint64 v[8] = { 0 };
  /* cpu  user nice system idle iowait irq softirq steal */
  if (sscanf (text, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                    " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                    " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 4)
    return -1;
  guint64 idle = v[3] + v[4];
  guint64 total = 0;
  for (guint i = 0; i < 8; i++)
    total += v[i];
  guint64 busy = total - idle;
  double percent = -1;
  if (sampler->valid && total > sampler->total)
    percent = 100.0 * (double) (busy - MIN (busy, sampler->busy))
              / (double) (total - sampler->total);
  sampler->busy = busy;
  sampler->total = total;
  sampler->valid = TRUE;
  return percent;
}

gint64
ams_free_ram_mb (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return -1;
  const char *line = strstr (text, "MemAvailable:");
  guint64 kb;
  if (line == NULL || sscanf (line, "MemAvailable: %" G_GUINT64_FORMAT, &kb) != 1)
    return -1;
  return (gint64) (kb / 1024);
}
