/* ams-resource.h: real CPU and memory measurements for the resource guard.
 *
 * CPU use is the busy share of all CPUs between two samples of /proc/stat;
 * free RAM is MemAvailable from /proc/meminfo. The caller samples
 * periodically and feeds the figures to ams_server_core_set_resource_usage(),
 * which keeps the core pure. Not thread-safe; one sampler per user. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 busy;
  guint64 total;
  gboolean valid;
} AmsCpuSampler;

/* Takes a sample. Returns the CPU use in percent (0..100) since the previous
 * sample, or -1 on the first call or when /proc/stat cannot be read. */
double ams_cpu_sampler_sample (AmsCpuSampler *sampler);

/* Returns: MemAvailable in MiB, or -1 when /proc/meminfo cannot be read. */
gint64 ams_free_ram_mb (void);

G_END_DECLS
