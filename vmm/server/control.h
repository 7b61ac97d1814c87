/*
 * The control socket of a running server: one JSON request per connection,
 * one JSON reply, e.g.
 *   {"command":"status"} -> {"ok":true,"name":"web01","state":"running",...}
 *   {"command":"pause"}  -> {"ok":true}
 *   anything malformed   -> {"ok":false,"error":"..."}
 * The server talks to the VM only through struct control_ops, so it can be
 * exercised without KVM.
 */
#ifndef SHEER_VMM_SERVER_CONTROL_H
#define SHEER_VMM_SERVER_CONTROL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "vmm/kvm/vcpu.h"
#include "vmm/machine/config.h"
#include "vmm/sandbox/sandbox.h"
#include "vmm/server/control_http.h"
#include "vmm/server/registry.h"

#define CONTROL_REQUEST_MAX 4096
#define CONTROL_REPLY_MAX 65536

enum control_command {
	CONTROL_STATUS,
	CONTROL_SHUTDOWN,	/* press the power button and let the guest stop itself */
	CONTROL_POWEROFF,	/* stop now */
	CONTROL_PAUSE,
	CONTROL_RESUME,
	CONTROL_CHECKPOINT,	/* {"command":"checkpoint","path":"/abs/FILE","leave_running":false}, the file passed along */
	CONTROL_MIGRATE,	/* {"command":"migrate","to":"ADDR","downtime_ms":300,...}, the connection passed along */
	/* {"command":"device-attach","pci":"0000:00:02.0","group":7}, the IOMMU group's fd passed along */
	CONTROL_DEVICE_ATTACH,
	/* {"command":"device-detach","pci":...}: asks the guest, then {"ok":true,"detached":true} once it let go */
	CONTROL_DEVICE_DETACH,
	CONTROL_DEVICE_DETACH_CANCEL,	/* {"command":"device-detach-cancel","pci":...}: no longer asked */
};

struct control_migration;

/*
 * The client's side of a long request (checkpoint): the server sends lines
 * {"progress":{"done":N,"total":M}} to a client that asked for them, and one
 * {"written":true} once the file is on disk; the client then puts the file
 * in place (written) and answers "commit", and only then does the server
 * stop. No answer, and the server goes on running.
 */
struct control_progress {
	void (*update)(void *ctx, uint64_t done, uint64_t total);
	int (*written)(void *ctx);	/* 0: the file is in place, commit */
	void *ctx;
	void (*migration)(void *ctx, const struct control_migration *m);	/* may be NULL */
};

/* Where a live migration stands: in progress lines {"migration":{...}} and in the status of a migrating server. */
struct control_migration {
	unsigned int round;
	uint64_t sent_bytes;
	uint64_t ram_bytes;
	uint64_t dirty_bytes;		/* written by the guest since it was sent: the next round's work */
	uint64_t rate;			/* bytes per second over the last round */
	uint64_t expected_downtime_ms;	/* dirty_bytes at that rate */
	unsigned int throttle_pct;	/* of the vCPUs' time taken away to let pre-copy catch up */
};

json_t *control_migration_to_json(const struct control_migration *m);
int control_migration_from_json(json_t *object, struct control_migration *m);

/* The server's side of the connection a request came on. */
struct control_channel {
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	/* Tell the client the file is written and wait (bounded) for its commit: 0 when it came. */
	int (*confirm)(void *ctx);
	void (*migration)(void *ctx, const struct control_migration *m);
	void *ctx;
};

/* A request and its arguments (only checkpoint has any). */
struct control_request {
	enum control_command command;
	char path[PATH_MAX];	/* checkpoint: absolute path of the file to write */
	bool leave_running;	/* checkpoint: resume the server afterwards instead of stopping it */
	bool progress;		/* send progress lines before the reply */
	/* migrate: where to (for messages; the connection is file_fd) and the limits */
	char to[256];
	unsigned int downtime_ms;
	unsigned int bandwidth_mib;	/* MiB/s, 0: unlimited */
	unsigned int timeout_s;
	/* device-*: the PCI function, and (attach) its IOMMU group */
	char pci[16];
	int group;
	char failover[SERVER_NIC_NAME_MAX];	/* attach: the NIC it pairs with, "" for none */
	/*
	 * checkpoint: the file to write, opened by the client with its own
	 * rights and passed with the request (SCM_RIGHTS), since the VMM may
	 * open nothing; -1 when none came.
	 */
	int file_fd;
};

struct control_status {
	char name[SERVER_NAME_MAX];
	char state[32];
	long long pid;		/* the supervisor: what signals go to */
	long long vmm_pid;	/* the confined process running the guest */
	unsigned int cpus;
	uint64_t memory_bytes;
	uint64_t uptime_s;
	int numa_node;
	unsigned int n_host_cpus;
	int host_cpu[SERVER_MAX_CPUS];
	uint64_t exits;
	uint64_t unhandled_accesses;
	uint64_t dma_map_us;	/* time to map guest RAM for device DMA; 0 without devices */
	unsigned int n_devices;	/* passed through, by PCI address */
	char devices[SERVER_MAX_DEVICES][16];
	char device_failover[SERVER_MAX_DEVICES][SERVER_NIC_NAME_MAX];	/* the NIC each pairs with, "" */
	unsigned int n_nics;	/* virtio-net */
	struct control_nic {
		char name[SERVER_NIC_NAME_MAX];
		char mac[MAC_TEXT_SIZE];
		bool standby;	/* a failover pair's virtio-net side */
		char primary[16];	/* its passed-through partner here, "" when it has none (virtio-net only) */
	} nics[SERVER_MAX_NICS];
	bool migrating;		/* state "migrating"; migration says where it stands */
	struct control_migration migration;
	/* For monitoring (GET /v1/metrics, an exporter reading schedstat); absent from older servers' replies. */
	struct control_vcpu {
		long long tid;	/* the vCPU's thread in the VMM (vmm_pid); 0 before it ran */
		uint64_t exits[VCPU_EXIT_KINDS];
	} vcpus[SERVER_MAX_CPUS];	/* the first cpus of them */
	uint64_t console_dropped_bytes;
	struct control_outcomes {
		uint64_t ok, failed;
	} checkpoints, migrations;	/* requests this VMM ran to an end */
};

struct control_ops {
	void (*status)(void *ctx, struct control_status *status);
	/* The configuration the server runs with (devices as held now); may be NULL. */
	void (*config)(void *ctx, struct server_config *cfg);
	int (*shutdown)(void *ctx);
	int (*poweroff)(void *ctx);
	int (*pause)(void *ctx);
	int (*resume)(void *ctx);
	/* The whole reply object: {"ok":true,...} or {"ok":false,"error":"..."}. */
	json_t *(*checkpoint)(void *ctx, const struct control_request *request, const struct control_channel *channel);
	json_t *(*migrate)(void *ctx, const struct control_request *request, const struct control_channel *channel);
	/* device-attach, device-detach, device-detach-cancel: the whole reply object. */
	json_t *(*device)(void *ctx, const struct control_request *request);
};

/* Protocol (control.c). */
const char *control_command_name(enum control_command command);
char *control_request_encode(enum control_command command);
int control_request_decode(const char *text, size_t len, enum control_command *command, char *err, size_t errlen);
/* Requests with arguments; -EINVAL with err for anything malformed. */
char *control_request_format(const struct control_request *request);
int control_request_parse(const char *text, size_t len, struct control_request *request, char *err, size_t errlen);
/* The op of shutdown, poweroff, pause or resume (NULL for the other commands, or when ops has none). */
int (*control_command_action(const struct control_ops *ops, enum control_command command))(void *ctx);
/* Decode, act through ops, encode the reply. Never fails: errors become {"ok":false}. */
char *control_handle(const struct control_ops *ops, void *ctx, const char *request, size_t len);
/* The same on a connection: a passed file_fd (or -1), progress and the commit go through channel (NULL: none). */
char *control_handle_stream(const struct control_ops *ops, void *ctx, const char *request, size_t len, int file_fd,
			    const struct control_channel *channel);
/* A unix stream socket for the control socket at path; *addr gets its address. */
int control_socket(const char *path, struct sockaddr_un *addr);

json_t *control_status_to_json(const struct control_status *status);
int control_status_from_json(json_t *object, struct control_status *status);
/* 0 for {"ok":true}; -EREMOTEIO with the server's error in err; -EPROTO when not a reply at all. */
int control_reply_check(json_t *reply, char *err, size_t errlen);

/* The thread that runs long requests (control_worker.c), one at a time. */
struct control_worker {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool busy;
	bool stopping;
	int client_fd;
	int file_fd;
	size_t len;
	char request[CONTROL_REQUEST_MAX];
	const struct control_ops *ops;
	void *ctx;
};

int control_worker_start(struct control_worker *w, const struct control_ops *ops, void *ctx,
			 const struct sandbox *sandbox);
/* Hand the worker a request and its descriptors: true when it took them (it closes them); false: busy. */
bool control_worker_take(struct control_worker *w, int client_fd, int file_fd, const char *request, size_t len);
/* Cut a migration in flight and wait for the worker to finish. */
void control_worker_stop(struct control_worker *w);

/* Server (control_server.c): a thread answering requests until stopped. */
struct control_server {
	int listen_fd;
	int wake_fds[2];	/* written to stop the thread */
	pthread_t thread;
	char path[REGISTRY_SOCKET_PATH_MAX];	/* empty when the socket file is someone else's */
	const struct control_ops *ops;
	void *ctx;
	const struct sandbox *sandbox;
	struct control_worker worker;
	struct control_http http;	/* the same socket's HTTP API */
};

/* A listening control socket at path, owner-only from the moment it exists; the fd or a negative errno. */
int control_listen(const char *path);
int control_server_start(struct control_server *server, const char *path, const struct control_ops *ops, void *ctx);
/* Answer on a socket someone else made (the supervisor); stopping then leaves the socket file to them. */
int control_server_start_on(struct control_server *server, int listen_fd, const struct control_ops *ops, void *ctx,
			    const struct sandbox *sandbox);
/* Stop answering; remove the socket file when this server made it. */
void control_server_stop(struct control_server *server);

/* Client (control_client.c). Bytes with file_fd (>= 0) attached as SCM_RIGHTS; 0 or a negative errno. */
int control_send_with_fd(int fd, const char *data, size_t len, int file_fd);
/* -ENOENT/-ECONNREFUSED: nothing is listening there. */
int control_call(const char *path, enum control_command command, json_t **reply, char *err, size_t errlen);
/* Whether the server at path has stopped: its socket gone or refusing, and its supervisor pid gone. */
bool control_server_stopped(const char *path, long long pid);
/* Wait up to timeout_s for control_server_stopped(); false when it still runs. */
bool control_wait_stopped(const char *path, long long pid, unsigned int timeout_s);
/* The same with arguments and a reply timeout of timeout_s (a checkpoint writes the whole guest first). */
int control_call_request(const char *path, const struct control_request *request, int timeout_s,
			 const struct control_progress *progress, json_t **reply, char *err, size_t errlen);

#endif
