#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/json_file.h"
#include "vmm/lib/lock.h"
#include "vmm/lib/parse.h"
#include "vmm/lib/private_dir.h"
#include "vmm/server/registry.h"

static int registry_file(const struct registry *registry, const char *name, const char *suffix,
			 char *out, size_t out_len)
{
	if ((size_t)snprintf(out, out_len, "%s/%s%s", registry->dir, name, suffix) >= out_len)
		return -ENAMETOOLONG;
	return 0;
}

/* $SHEER_RUN_DIR or /run/sheer, made (or not) and checked by prepare. */
static int registry_open_with(struct registry *registry, int (*prepare)(const char *dir), char *err, size_t errlen)
{
	const char *dir = getenv("SHEER_RUN_DIR");
	int ret;

	registry->lock_fd = -1;
	if (!dir || dir[0] == '\0')
		dir = REGISTRY_DEFAULT_DIR;
	ret = copy_string(registry->dir, sizeof(registry->dir), dir);
	if (ret == 0)
		ret = prepare(registry->dir);
	if (ret < 0)
		snprintf(err, errlen, "run directory %.200s: %s", dir,
			 private_dir_problem(ret) ? private_dir_problem(ret) : strerror(-ret));
	return ret;
}

int registry_open(struct registry *registry, char *err, size_t errlen)
{
	return registry_open_with(registry, private_dir_ensure, err, errlen);
}

int registry_open_existing(struct registry *registry, char *err, size_t errlen)
{
	return registry_open_with(registry, private_dir_check_if_there, err, errlen);
}

void registry_close(struct registry *registry)
{
	registry_unlock(registry);
}

/* The lock is on the directory itself, so no lock file is left lying around. */
static int registry_take_lock(struct registry *registry, int (*lock_open)(const char *, int, mode_t))
{
	int fd = lock_open(registry->dir, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		return fd;
	registry->lock_fd = fd;
	return 0;
}

int registry_lock(struct registry *registry)
{
	return registry_take_lock(registry, lock_open_exclusive);
}

int registry_try_lock(struct registry *registry)
{
	return registry_take_lock(registry, lock_try_open_exclusive);
}

void registry_unlock(struct registry *registry)
{
	if (registry->lock_fd >= 0)
		close(registry->lock_fd);
	registry->lock_fd = -1;
}

int registry_socket_path(const struct registry *registry, const char *name, char *out, size_t out_len)
{
	if (out_len > REGISTRY_SOCKET_PATH_MAX)
		out_len = REGISTRY_SOCKET_PATH_MAX;
	return registry_file(registry, name, ".sock", out, out_len);
}

/* Does something listen on this socket? Connecting is enough: no request is sent. */
static int socket_answers(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret = 0;

	if (copy_string(addr.sun_path, sizeof(addr.sun_path), path) < 0)
		return -ENAMETOOLONG;
	/* Non-blocking: a server too busy to accept fills its backlog, and waiting on it under the lock would
	   stall every other sheer command. A full backlog (EAGAIN) is a server alive. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno == EAGAIN)
		ret = 1;
	else if (errno != ECONNREFUSED && errno != ENOENT && errno != ENOTSOCK)
		ret = -errno;
	close(fd);
	return ret;
}

int registry_is_running(const struct registry *registry, const char *name)
{
	char path[REGISTRY_SOCKET_PATH_MAX];
	int ret = registry_socket_path(registry, name, path, sizeof(path));

	return ret < 0 ? ret : socket_answers(path);
}

int registry_probe(struct registry *registry, const char *name)
{
	int ret = registry_is_running(registry, name);

	if (ret == 0)
		registry_remove(registry, name);
	return ret;
}

/* NAME followed by one of suffixes: the server name, if the file is one of ours. */
static bool file_server_name(const char *file, const char *const *suffixes, char *name, size_t name_len)
{
	const char *dot = strrchr(file, '.');
	size_t len;
	bool known = false;

	for (const char *const *suffix = suffixes; dot && *suffix; suffix++)
		known |= strcmp(dot, *suffix) == 0;
	if (!known)
		return false;
	len = (size_t)(dot - file);
	if (len >= name_len)
		return false;
	memcpy(name, file, len);
	name[len] = '\0';
	return server_name_is_valid(name);
}

bool registry_names_contain(const struct registry_names *names, const char *name)
{
	for (unsigned int i = 0; i < names->count; i++)
		if (strcmp(names->names[i], name) == 0)
			return true;
	return false;
}

static int names_add(struct registry_names *names, const char *name)
{
	char (*grown)[SERVER_NAME_MAX];

	if (registry_names_contain(names, name))
		return 0;
	grown = realloc(names->names, (names->count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	names->names = grown;
	strcpy(names->names[names->count++], name);
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int registry_names_scan(const char *dir_path, const char *const *suffixes, struct registry_names *names)
{
	char name[SERVER_NAME_MAX];
	struct dirent *dirent;
	DIR *dir = opendir(dir_path);
	int ret = 0;

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while (ret == 0 && (dirent = readdir(dir)))
		if (file_server_name(dirent->d_name, suffixes, name, sizeof(name)))
			ret = names_add(names, name);
	closedir(dir);
	if (ret < 0)
		registry_names_free(names);
	else if (names->count)
		qsort(names->names, names->count, sizeof(names->names[0]), compare_names);
	return ret;
}

int registry_list(struct registry *registry, bool remove_leftovers, struct registry_names *names)
{
	static const char *const suffixes[] = { ".sock", ".json", NULL };
	struct registry_names found = { 0, NULL };
	int ret = registry_names_scan(registry->dir, suffixes, &found);

	names->count = 0;
	names->names = NULL;
	for (unsigned int i = 0; ret == 0 && i < found.count; i++) {
		int running = remove_leftovers ? registry_probe(registry, found.names[i]) :
						 registry_is_running(registry, found.names[i]);

		if (running < 0)
			ret = running;
		else if (running)
			ret = names_add(names, found.names[i]);
	}
	registry_names_free(&found);
	/* found came sorted, and names keeps its order. */
	if (ret < 0)
		registry_names_free(names);
	return ret;
}

void registry_names_free(struct registry_names *names)
{
	free(names->names);
	names->names = NULL;
	names->count = 0;
}

static json_t *entry_to_json(const struct registry_entry *entry)
{
	json_t *cpus = json_array();
	json_t *object;

	for (unsigned int i = 0; cpus && i < entry->n_held_cpus; i++)
		json_array_append_new(cpus, json_integer(entry->held_cpus[i]));
	object = json_pack("{s:s, s:I, s:i, s:o}", "name", entry->name, "pid", (json_int_t)entry->pid,
			   "numa_node", entry->numa_node, "held_cpus", cpus);
	if (object && entry->profile[0] && json_object_set_new(object, "profile", json_string(entry->profile)) < 0) {
		json_decref(object);
		return NULL;
	}
	return object;
}

int registry_write_entry(const struct registry *registry, const struct registry_entry *entry)
{
	char path[PATH_MAX];
	json_t *object;
	int ret;

	ret = registry_file(registry, entry->name, ".json", path, sizeof(path));
	if (ret < 0)
		return ret;
	object = entry_to_json(entry);
	if (!object)
		return -ENOMEM;
	ret = json_file_store(path, object);
	json_decref(object);
	return ret;
}

int registry_entry_from_json(json_t *object, struct registry_entry *entry)
{
	json_t *cpus = json_object_get(object, "held_cpus");
	json_t *name = json_object_get(object, "name");
	json_t *pid = json_object_get(object, "pid");
	json_t *node = json_object_get(object, "numa_node");
	json_t *profile = json_object_get(object, "profile");
	size_t i;
	json_t *cpu;

	if (!json_is_string(name) || !json_is_integer(pid) || !json_is_integer(node) || !json_is_array(cpus) ||
	    json_array_size(cpus) > REGISTRY_HELD_CPUS_MAX)
		return -EINVAL;
	if (copy_string(entry->name, sizeof(entry->name), json_string_value(name)) < 0)
		return -EINVAL;
	entry->profile[0] = '\0';
	if (profile && (!json_is_string(profile) || json_string_value(profile)[0] != '/' ||
			copy_string(entry->profile, sizeof(entry->profile), json_string_value(profile)) < 0))
		return -EINVAL;
	entry->pid = (pid_t)json_integer_value(pid);
	entry->numa_node = (int)json_integer_value(node);
	entry->n_held_cpus = 0;
	json_array_foreach(cpus, i, cpu) {
		/* Placement sets these bits in a bitmap: a huge number would allocate a huge one. */
		if (!json_is_integer(cpu) || json_integer_value(cpu) < 0 || json_integer_value(cpu) >= REGISTRY_CPU_LIMIT)
			return -EINVAL;
		entry->held_cpus[entry->n_held_cpus++] = (int)json_integer_value(cpu);
	}
	return 0;
}

int registry_read_entry(const struct registry *registry, const char *name, struct registry_entry *entry)
{
	char path[PATH_MAX];
	json_t *object;
	int ret;

	ret = registry_file(registry, name, ".json", path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = json_file_load(path, &object);
	if (ret < 0)
		return ret;
	ret = registry_entry_from_json(object, entry);
	json_decref(object);
	return ret;
}

void registry_remove(const struct registry *registry, const char *name)
{
	char path[PATH_MAX];

	if (registry_file(registry, name, ".json", path, sizeof(path)) == 0)
		unlink(path);
	if (registry_socket_path(registry, name, path, sizeof(path)) == 0)
		unlink(path);
	/* A server started in the background had a console (vmm/server/console_relay.h) and a pid file. */
	if (registry_file(registry, name, ".console", path, sizeof(path)) == 0)
		unlink(path);
	if (registry_pid_path(registry, name, path, sizeof(path)) == 0)
		unlink(path);
}

int registry_pid_path(const struct registry *registry, const char *name, char *out, size_t out_len)
{
	return registry_file(registry, name, ".pid", out, out_len);
}
