/*
 * `sheer receive --listen ADDR [--name NAME] [--numa-node N] [--shared-cores]`:
 * wait for one server that `sheer migrate` sends, then run it in the
 * foreground exactly as `sheer run` runs one (placement, registry, control
 * socket, console, exit codes). Whatever goes wrong before the switch-over,
 * the source keeps the server; this command exits non-zero and nothing of
 * it is left here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p2v/migrate/address.h"
#include "p2v/migrate/tls.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/session.h"
#include "vmm/lib/cli.h"

enum receive_flag { FLAG_LISTEN = 0x100, FLAG_NAME, FLAG_NUMA_NODE, FLAG_SHARED_CORES, FLAG_TLS, FLAG_HELP };

struct receive_args {
	const char *listen;
	const char *name;
	const char *numa_node;
	const char *tls_dir;
	bool shared_cores;
};

static const char receive_usage[] =
	"usage: sheer receive --listen ADDR [--name NAME] [--numa-node N] [--shared-cores] [--tls DIR]";

static int receive_parse(int argc, char **argv, struct receive_args *args, char *err, size_t errlen)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, FLAG_LISTEN },
		{ "name", required_argument, NULL, FLAG_NAME },
		{ "numa-node", required_argument, NULL, FLAG_NUMA_NODE },
		{ "shared-cores", no_argument, NULL, FLAG_SHARED_CORES },
		{ "tls", required_argument, NULL, FLAG_TLS },
		{ "help", no_argument, NULL, FLAG_HELP },
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
		case FLAG_HELP: return 1;
		default: return snprintf(err, errlen, "%s", receive_usage), -EINVAL;
		}
	}
	if (optind != argc || !args->listen)
		return snprintf(err, errlen, "%s", receive_usage), -EINVAL;
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

/* One connection (with --tls, through a relay once both ends proved themselves), and the source's hello. */
static int receive_accept(int listen_fd, const char *tls_dir, struct run_session *session, char *err, size_t errlen)
{
	char why[ERR_MAX / 2];
	pid_t relay;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC), ret;

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

int cmd_receive(int argc, char **argv)
{
	struct run_session session;
	struct migrate_address addr;
	struct receive_args args;
	char err[ERR_MAX] = "";
	int listen_fd, ret;

	session_init(&session);
	ret = receive_parse(argc, argv, &args, err, sizeof(err));
	if (ret > 0) {
		printf("%s\n", receive_usage);
		return SHEER_EXIT_OK;
	}
	listen_fd = ret < 0 ? ret : receive_listen(&args, &addr, err, sizeof(err));
	if (listen_fd < 0) {
		cli_error("receive: %s", err);
		return listen_fd == -EINVAL ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	fprintf(stderr, "sheer: waiting for a server on %s\n", args.listen);
	session.receive_from = args.listen;
	ret = receive_accept(listen_fd, args.tls_dir, &session, err, sizeof(err));
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
	ret = session_main(&session);
	migrate_hello_free(&session.hello);
	return ret;
}
