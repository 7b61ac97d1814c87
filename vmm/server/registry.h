/*
 * The registry of running servers: a directory (/run/sheer, or $SHEER_RUN_DIR)
 * holding, per server, its control socket NAME.sock and an entry NAME.json
 * that records what it holds on the host (cores, NUMA node) so the next
 * server's placement can avoid them. A server is running exactly when its
 * socket accepts a connection; anything else is left over from a VMM that
 * died and is removed. Changes happen under an flock on the directory
 * itself so two starting servers cannot take the same name or cores.
 */
#ifndef SHEER_VMM_SERVER_REGISTRY_H
#define SHEER_VMM_SERVER_REGISTRY_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "vmm/lib/private_dir.h"
#include "vmm/machine/config.h"

#define REGISTRY_DEFAULT_DIR SHEER_RUN_DIR
#define REGISTRY_HELD_CPUS_MAX 1024
#define REGISTRY_CPU_LIMIT 8192	/* CPU numbers at or above this are not real (Linux NR_CPUS tops out there) */
#define REGISTRY_SOCKET_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

struct registry {
	char dir[PATH_MAX];
	int lock_fd;
};

/* What a running server holds, written by `sheer run`, read by placement. */
struct registry_entry {
	char name[SERVER_NAME_MAX];
	pid_t pid;
	int numa_node;
	unsigned int n_held_cpus;
	int held_cpus[REGISTRY_HELD_CPUS_MAX];	/* host logical CPUs no one else may use */
	char profile[PATH_MAX];			/* what it was started from alone, absolute; "" if not */
};

struct registry_names {
	unsigned int count;
	char (*names)[SERVER_NAME_MAX];
};

/* Create the directory (mode 0700) if needed: for the commands that start servers. */
int registry_open(struct registry *registry, char *err, size_t errlen);
/*
 * For the commands that only look at or talk to running servers: the
 * directory is never made, and one that is not there is an empty registry
 * (no servers; locking it fails with -ENOENT).
 */
int registry_open_existing(struct registry *registry, char *err, size_t errlen);
void registry_close(struct registry *registry);
int registry_lock(struct registry *registry);
/* -EWOULDBLOCK while another process holds the lock (a server starting). */
int registry_try_lock(struct registry *registry);
void registry_unlock(struct registry *registry);

/* -ENAMETOOLONG when the path does not fit a unix socket address. */
int registry_socket_path(const struct registry *registry, const char *name, char *out, size_t out_len);
/* 1 when the server's socket answers, 0 when it does not; no lock, nothing removed. */
int registry_is_running(const struct registry *registry, const char *name);
/* 1 when the server answers, 0 when it is not running (leftovers removed). Hold the lock. */
int registry_probe(struct registry *registry, const char *name);
/*
 * Every running server, sorted by name. With remove_leftovers (hold the lock),
 * the files of servers that died go too. Free with registry_names_free.
 */
int registry_list(struct registry *registry, bool remove_leftovers, struct registry_names *names);
void registry_names_free(struct registry_names *names);
bool registry_names_contain(const struct registry_names *names, const char *name);
/*
 * Every NAME with a file NAME<suffix> in dir, for one of suffixes (NULL-ended), sorted; names starts
 * empty. A dir that is not there has none.
 */
int registry_names_scan(const char *dir, const char *const *suffixes, struct registry_names *names);

int registry_write_entry(const struct registry *registry, const struct registry_entry *entry);
int registry_read_entry(const struct registry *registry, const char *name, struct registry_entry *entry);
/* Decode an entry as registry_read_entry() parsed it from its file; -EINVAL for anything malformed. */
int registry_entry_from_json(json_t *object, struct registry_entry *entry);
/* NAME.pid: the supervisor of a server started in the background, for service managers. */
int registry_pid_path(const struct registry *registry, const char *name, char *out, size_t out_len);
/* Remove the entry, the control socket, the console socket and the pid file. */
void registry_remove(const struct registry *registry, const char *name);

#endif
