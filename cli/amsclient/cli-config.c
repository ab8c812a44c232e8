/* cli-config.c: reading amsclient.conf; see cli-config.h. */
#include "cli-config.h"

#define DEFAULT_GROUP "default"

struct _CliConfig {
  GKeyFile *file;   /* NULL when no file was read */
  char     *path;
  char     *profile;
};

CliConfig *
cli_config_load (const char *explicit_path, const char *profile, GError **error)
{
  g_autoptr (CliConfig) config = g_new0 (CliConfig, 1);
  g_autofree char *user_path = NULL;
  const char *path = explicit_path;
  g_autoptr (GError) local_error = NULL;

  if (path == NULL) {
    user_path = g_build_filename (g_get_user_config_dir (), "amsclient", "amsclient.conf", NULL);
    path = user_path;
  }

  config->file = g_key_file_new ();
  if (!g_key_file_load_from_file (config->file, path, G_KEY_FILE_NONE, &local_error)) {
    if (explicit_path == NULL && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_clear_pointer (&config->file, g_key_file_unref);
      if (profile != NULL) {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                     "profile '%s' asked for, but there is no config file %s", profile, path);
        return NULL;
      }
      return g_steal_pointer (&config);
    }
    g_set_error (error, local_error->domain, local_error->code, "config file %s: %s",
                 path, local_error->message);
    return NULL;
  }
  config->path = g_strdup (path);

  if (profile != NULL) {
    if (!g_key_file_has_group (config->file, profile)) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                   "config file %s has no profile [%s]", path, profile);
      return NULL;
    }
    config->profile = g_strdup (profile);
  }
  return g_steal_pointer (&config);
}

void
cli_config_free (CliConfig *config)
{
  if (config == NULL)
    return;
  g_clear_pointer (&config->file, g_key_file_unref);
  g_free (config->path);
  g_free (config->profile);
  g_free (config);
}

const char *
cli_config_get_path (CliConfig *config)
{
  return config->path;
}

/* The section that holds @key, profile first. */
static const char *
group_for (CliConfig *config, const char *key)
{
  if (config->file == NULL)
    return NULL;
  if (config->profile && g_key_file_has_key (config->file, config->profile, key, NULL))
    return config->profile;
  if (g_key_file_has_key (config->file, DEFAULT_GROUP, key, NULL))
    return DEFAULT_GROUP;
  return NULL;
}

static void
prefix_error (CliConfig *config, const char *group, const char *key, GError **error)
{
  if (error && *error)
    g_prefix_error (error, "config file %s, [%s] %s: ", config->path, group, key);
}

char *
cli_config_get_string (CliConfig *config, const char *key, GError **error)
{
  const char *group = group_for (config, key);
  char *value;

  if (group == NULL)
    return NULL;
  value = g_key_file_get_string (config->file, group, key, error);
  if (value == NULL)
    prefix_error (config, group, key, error);
  return value;
}

char **
cli_config_get_list (CliConfig *config, const char *key, GError **error)
{
  const char *group = group_for (config, key);
  char **value;

  if (group == NULL)
    return NULL;
  value = g_key_file_get_string_list (config->file, group, key, NULL, error);
  if (value == NULL)
    prefix_error (config, group, key, error);
  return value;
}

char **
cli_config_get_keys (CliConfig *config)
{
  GPtrArray *keys = g_ptr_array_new ();
  const char *groups[] = { DEFAULT_GROUP, config->profile };

  for (gsize g = 0; g < G_N_ELEMENTS (groups) && config->file; g++) {
    g_auto (GStrv) names = NULL;
    if (groups[g] == NULL || !g_key_file_has_group (config->file, groups[g]))
      continue;
    names = g_key_file_get_keys (config->file, groups[g], NULL, NULL);
    for (char **k = names; k && *k; k++)
      g_ptr_array_add (keys, g_strdup (*k));
  }
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}
