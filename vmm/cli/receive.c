/*
 * `sheer receive --listen ADDR [--name NAME] [--numa-node N] [--shared-cores]`:
 * wait for one server that `sheer migrate` sends, then run it in the
 * foreground exactly as `sheer run` runs one (placement, registry, control
 * socket, console, exit codes). Whatever goes wrong before the switch-over,
 * the source keeps the server; this command exits non-zero and nothing of
 * it is left here.
 *
 * With --detach the command returns once it listens, and the rest happens
 * in the background exactly as for `sheer start`: the console goes to the
 * relay (log, `sheer console`), the supervisor's pid to NAME.pid. --name is
 * needed then, since the log is named before the source says who comes.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p2v/migrate/address.h"
#include "p2v/migrate/tls.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/defined.h"
#include "vmm/cli/session.h"
#include "vmm/lib/cli.h"
#include "vmm/lib/parse.h"

enum receive_flag {
	FLAG_LISTEN = 0x100, FLAG_NAME, FLAG_NUMA_NODE, FLAG_SHARED_CORES, FLAG_TLS, FLAG_FAILOVER_POOL, FLAG_DETACH
};

/* A detached receiver no source reached within this long gives its port back. */
#define RECEIVE_DETACHED_WAIT_S 600

struct receive_args {
	const char *listen;
	const char *name;
	const char *numa_node;
	const char *tls_dir;
	const char *failover_pool;
	bool shared_cores;
	bool detach;
};

static const char receive_usage[] =
	"usage: sheer receive --listen ADDR [--name NAME] [--numa-node N] [--shared-cores] [--tls DIR] "
	"[--failover-pool BDF,...] [--detach]";

static int receive_parse(int argc, char **argv, struct receive_args *args, char *err, size_t errlen)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, FLAG_LISTEN },
		{ "name", required_argument, NULL, FLAG_NAME },
		{ "numa-node", required_argument, NULL, FLAG_NUMA_NODE },
		{ "shared-cores", no_argument, NULL, FLAG_SHARED_CORES },
		{ "tls", required_argument, NULL, FLAG_TLS },
		{ "failover-pool", required_argument, NULL, FLAG_FAILOVER_POOL },
		{ "detach", no_argument, NULL, FLAG_DETACH },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	memset(args, 0, sizeof(*args));
	optind = 0;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case FLAG_LISTEN: args->listen = optarg; break;
		case FLAG_NAME: args->name = optarg; break;
		case FLAG_NUMA_NODE: args->numa_node = optarg; break;
		case FLAG_SHARED_CORES: args->shared_cores = true; break;
		case FLAG_TLS: args->tls_dir = optarg; break;
		case FLAG_FAILOVER_POOL: args->failover_pool = optarg; break;
		case FLAG_DETACH: args->detach = true; break;
		default: return snprintf(err, errlen, "%s", receive_usage), -EINVAL;
		}
	}
	if (optind != argc || !args->listen)
		return snprintf(err, errlen, "%s", receive_usage), -EINVAL;
	if (args->detach && !args->name)
		return snprintf(err, errlen, "--detach needs --name NAME: its log is named before the source says "
				"who comes"), -EINVAL;
	if (args->name && !server_name_is_valid(args->name))
		return snprintf(err, errlen, "invalid name '%.64s'", args->name), -EINVAL;
	return 0;
}

/* --failover-pool BDF,...: the NICs this host may give a migrated server's failover pairs (default: any free one). */
static int receive_pool(const char *list, struct run_session *session, char *err, size_t errlen)
{
	char copy[1024], *save = NULL;

	if (!list)
		return 0;
	if (copy_string(copy, sizeof(copy), list) < 0)
		return snprintf(err, errlen, "--failover-pool is too long"), -EINVAL;
	for (char *bdf = strtok_r(copy, ",", &save); bdf; bdf = strtok_r(NULL, ",", &save)) {
		if (session->n_failover_pool >= SERVER_MAX_DEVICES)
			return snprintf(err, errlen, "--failover-pool: at most %d NICs", SERVER_MAX_DEVICES), -EINVAL;
		if (parse_pci_address(bdf, session->failover_pool[session->n_failover_pool],
				      sizeof(session->failover_pool[0])) < 0)
			return snprintf(err, errlen, "--failover-pool: '%.32s' is not a PCI address", bdf), -EINVAL;
		session->n_failover_pool++;
	}
	return 0;
}

/* The listening socket: plain TCP only on loopback, as for `sheer migrate`. */
static int receive_listen(const struct receive_args *args, struct migrate_address *addr, char *err, size_t errlen)
{
	int ret = migrate_address_parse(args->listen, addr, err, errlen);

	if (ret < 0)
		return ret;
	if (!args->tls_dir && !migrate_address_is_local(addr))
		return snprintf(err, errlen, "%.100s is not a loopback address: plain TCP is refused there, give --tls DIR",
				args->listen), -EINVAL;
	return migrate_listen(addr, err, errlen);
}

/* The server the source announced, renamed or placed as the flags say. */
static int receive_spec(const struct receive_args *args, struct run_session *session, char *err, size_t errlen)
{
	struct server_spec *spec = &session->spec;
	int ret;

	spec_init(spec);
	spec->cfg = session->hello.info.cfg;
	if (args->name && (ret = spec_set(spec, SPEC_SECTION_SERVER, "name", args->name, NULL, err, errlen)) < 0)
		return ret;
	if (args->numa_node &&
	    (ret = spec_set(spec, SPEC_SECTION_SERVER, "numa_node", args->numa_node, NULL, err, errlen)) < 0)
		return ret;
	if (args->shared_cores)
		spec->dedicated_cores = false;
	return spec_check(spec, err, errlen);
}

/* The source's connection; in the background only within RECEIVE_DETACHED_WAIT_S, in the foreground the operator's wait. */
static int receive_wait(int listen_fd, bool detached)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	int ready = detached ? poll(&pfd, 1, RECEIVE_DETACHED_WAIT_S * 1000) : 1;

	if (ready == 0)
		errno = ETIMEDOUT;
	return ready > 0 ? accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC) : -1;
}

/* One connection (with --tls, through a relay once both ends proved themselves), and the source's hello. */
static int receive_accept(int listen_fd, const struct receive_args *args, struct run_session *session, char *err,
			  size_t errlen)
{
	const char *tls_dir = args->tls_dir;
	char why[ERR_MAX / 2];
	pid_t relay;
	int fd = receive_wait(listen_fd, args->detach), ret;

	if (fd < 0 && errno == ETIMEDOUT)
		return snprintf(err, errlen, "no source came within %d s", RECEIVE_DETACHED_WAIT_S), -ETIMEDOUT;
	if (fd < 0)
		return snprintf(err, errlen, "accepting: %s", strerror(errno)), -errno;
	if (tls_dir && (fd = migrate_tls_wrap(fd, tls_dir, true, &relay, why, sizeof(why))) < 0)
		return snprintf(err, errlen, "from the source: %s", why), fd;
	ret = migrate_receive_hello(fd, &session->hello, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, errlen, "from the source: %s", why);
		migrate_refuse(fd, why);
		close(fd);
		return ret;
	}
	session->receive_fd = fd;
	return 0;
}

/*
 * The caller's part of --detach: the rest goes on in a child of its own
 * session, its output in the server's log until the console relay takes it.
 * The caller's exit status, or -1 in the child (which goes on receiving).
 */
static int receive_detach(const struct receive_args *args, int listen_fd)
{
	char log_path[PATH_MAX], err[ERR_MAX];
	int log_fd, running = defined_is_running(args->name);
	pid_t child;

	if (running != 0) {
		if (running > 0)
			cli_error("receive: %s: a server with this name is already running", args->name);
		return running > 0 ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	log_fd = console_relay_log_open(args->name, log_path, sizeof(log_path), err, sizeof(err));
	if (log_fd < 0) {
		cli_error("receive: %s: %s", args->name, err);
		return SHEER_EXIT_FAILURE;
	}
	fflush(NULL);
	child = fork();
	if (child == 0 && session_detach() == 0) {
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
		close(log_fd);
		return -1;
	}
	if (child == 0)
		_exit(SHEER_EXIT_FAILURE);
	close(log_fd);
	close(listen_fd);
	if (child < 0) {
		cli_error("receive: %s: cannot go to the background: %s", args->name, strerror(errno));
		return SHEER_EXIT_FAILURE;
	}
	printf("%s: waiting for the source on %s in the background (pid %d, log: %s)\n", args->name, args->listen,
	       (int)child, log_path);
	return SHEER_EXIT_OK;
}

int cmd_receive(int argc, char **argv)
{
	struct run_session session;
	struct migrate_address addr;
	struct receive_args args;
	char err[ERR_MAX] = "";
	int listen_fd, ret;

	session_init(&session);
	ret = receive_parse(argc, argv, &args, err, sizeof(err));
	if (ret == 0)
		ret = receive_pool(args.failover_pool, &session, err, sizeof(err));
	listen_fd = ret < 0 ? ret : receive_listen(&args, &addr, err, sizeof(err));
	if (listen_fd < 0) {
		cli_error("receive: %s", err);
		return listen_fd == -EINVAL ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	if (args.detach && (ret = receive_detach(&args, listen_fd)) >= 0)
		return ret;
	fprintf(stderr, "sheer: waiting for a server on %s\n", args.listen);
	session.receive_from = args.listen;
	ret = receive_accept(listen_fd, &args, &session, err, sizeof(err));
	close(listen_fd);
	/* One server per receive: nobody else may connect to this one. */
	if (addr.transport == MIGRATE_UNIX)
		unlink(addr.path);
	if (ret == 0 && (ret = receive_spec(&args, &session, err, sizeof(err))) < 0)
		migrate_refuse(session.receive_fd, err);
	if (ret < 0) {
		cli_error("receive: %s", err);
		migrate_hello_free(&session.hello);
		return SHEER_EXIT_FAILURE;
	}
	session.detached = args.detach;
	ret = session_main(&session);
	migrate_hello_free(&session.hello);
	return ret;
}
