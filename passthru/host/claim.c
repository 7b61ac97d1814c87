#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passthru/host/claim.h"
#include "vmm/lib/json_file.h"
#include "vmm/lib/lock.h"
#include "vmm/lib/parse.h"
#include "vmm/lib/private_dir.h"

#define CLAIM_SUFFIX ".json"

/* RUN_DIR and RUN_DIR/devices, each made (or not) and checked by prepare. */
static int claim_store_open_with(struct claim_store *store, const char *run_dir, int (*prepare)(const char *dir))
{
	int ret;

	store->lock_fd = -1;
	if (!run_dir || !run_dir[0])
		run_dir = getenv("SHEER_RUN_DIR");
	if (!run_dir || !run_dir[0])
		run_dir = SHEER_RUN_DIR;
	ret = prepare(run_dir);
	if (ret == 0 && (size_t)snprintf(store->dir, sizeof(store->dir), "%s/devices", run_dir) >= sizeof(store->dir))
		ret = -ENAMETOOLONG;
	return ret < 0 ? ret : prepare(store->dir);
}

int claim_store_open(struct claim_store *store, const char *run_dir)
{
	return claim_store_open_with(store, run_dir, private_dir_ensure);
}

int claim_store_open_existing(struct claim_store *store, const char *run_dir)
{
	return claim_store_open_with(store, run_dir, private_dir_check_if_there);
}

void claim_store_close(struct claim_store *store)
{
	claim_store_unlock(store);
}

int claim_store_lock(struct claim_store *store)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/.lock", store->dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = lock_open_exclusive(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return fd;
	store->lock_fd = fd;
	return 0;
}

void claim_store_unlock(struct claim_store *store)
{
	if (store->lock_fd >= 0)
		close(store->lock_fd);
	store->lock_fd = -1;
}

static int claim_path(const struct claim_store *store, const char *bdf, char *out, size_t out_len)
{
	char canonical[PCI_BDF_LEN];

	/* The BDF becomes a file name: only a well-formed address may. */
	if (parse_pci_address(bdf, canonical, sizeof(canonical)) < 0)
		return -EINVAL;
	if ((size_t)snprintf(out, out_len, "%s/%s" CLAIM_SUFFIX, store->dir, canonical) >= out_len)
		return -ENAMETOOLONG;
	return 0;
}

int claim_write(const struct claim_store *store, const struct device_claim *claim)
{
	char path[PATH_MAX];
	json_t *object;
	int ret = claim_path(store, claim->bdf, path, sizeof(path));

	if (ret < 0)
		return ret;
	object = json_pack("{s:s, s:s, s:I, s:I, s:s}", "pci", claim->bdf, "holder", claim->holder, "pid",
			   (json_int_t)claim->pid, "pid_start", (json_int_t)claim->pid_start, "host_driver",
			   claim->host_driver);
	if (!object)
		return -ENOMEM;
	ret = json_file_store(path, object);
	json_decref(object);
	return ret;
}

static int claim_fields_from_json(json_t *object, struct device_claim *claim)
{
	json_t *pci = json_object_get(object, "pci"), *holder = json_object_get(object, "holder");
	json_t *pid = json_object_get(object, "pid"), *pid_start = json_object_get(object, "pid_start");
	json_t *driver = json_object_get(object, "host_driver");

	if (!json_is_string(pci) || !json_is_string(holder) || !json_is_integer(pid) || !json_is_integer(pid_start) ||
	    !json_is_string(driver) || json_integer_value(pid) <= 0 || json_integer_value(pid) > INT_MAX)
		return -EINVAL;
	if (copy_string(claim->bdf, sizeof(claim->bdf), json_string_value(pci)) < 0 ||
	    copy_string(claim->holder, sizeof(claim->holder), json_string_value(holder)) < 0 ||
	    copy_string(claim->host_driver, sizeof(claim->host_driver), json_string_value(driver)) < 0)
		return -EINVAL;
	/* A driver name is written into sysfs paths on release. */
	if (strchr(claim->host_driver, '/') || strcmp(claim->host_driver, "..") == 0)
		return -EINVAL;
	claim->pid = (pid_t)json_integer_value(pid);
	claim->pid_start = (unsigned long long)json_integer_value(pid_start);
	return 0;
}

static bool claim_names_device(const struct device_claim *claim, const char *bdf)
{
	char mine[PCI_BDF_LEN], wanted[PCI_BDF_LEN];

	return parse_pci_address(claim->bdf, mine, sizeof(mine)) == 0 &&
	       parse_pci_address(bdf, wanted, sizeof(wanted)) == 0 && strcmp(mine, wanted) == 0;
}

int claim_from_json(json_t *object, const char *bdf, struct device_claim *claim)
{
	int ret = claim_fields_from_json(object, claim);

	/* The file's name says which device it claims: a record naming another one would make recovery
	   unbind that one (the host's own NVMe). */
	if (ret == 0 && !claim_names_device(claim, bdf))
		ret = -EINVAL;
	return ret;
}

int claim_read(const struct claim_store *store, const char *bdf, struct device_claim *claim)
{
	char path[PATH_MAX];
	json_t *object;
	int ret = claim_path(store, bdf, path, sizeof(path));

	if (ret < 0)
		return ret;
	ret = json_file_load(path, &object);
	if (ret < 0)
		return ret;
	ret = claim_from_json(object, bdf, claim);
	json_decref(object);
	return ret;
}

int claim_remove(const struct claim_store *store, const char *bdf)
{
	char path[PATH_MAX];
	int ret = claim_path(store, bdf, path, sizeof(path));

	if (ret == 0 && unlink(path) < 0 && errno != ENOENT)
		ret = -errno;
	return ret;
}

int claim_list(const struct claim_store *store, struct name_list *bdfs)
{
	struct host_fs direct;
	struct name_list files;
	int ret;

	bdfs->count = 0;
	bdfs->names = NULL;
	host_fs_init(&direct, NULL);
	ret = host_fs_list(&direct, &files, "%s", store->dir);
	if (ret < 0)
		return ret;
	/* Keep "BDF.json" entries and drop the rest in place. */
	for (unsigned int i = 0; i < files.count; i++) {
		char *suffix = strstr(files.names[i], CLAIM_SUFFIX);
		char canonical[PCI_BDF_LEN];

		if (!suffix || strcmp(suffix, CLAIM_SUFFIX) != 0)
			continue;
		*suffix = '\0';
		if (parse_pci_address(files.names[i], canonical, sizeof(canonical)) == 0)
			strcpy(files.names[bdfs->count++], canonical);
	}
	bdfs->names = files.names;
	if (bdfs->count == 0)
		name_list_free(bdfs);
	return 0;
}

/* Field 22 of /proc/PID/stat, after the parenthesised command that may hold spaces. */
static int process_start_time(const struct host_fs *fs, pid_t pid, unsigned long long *start)
{
	char stat[1024];
	const char *after_comm;
	int ret = host_fs_read(fs, stat, sizeof(stat), "/proc/%d/stat", (int)pid);

	if (ret < 0)
		return ret;
	after_comm = strrchr(stat, ')');
	if (!after_comm || sscanf(after_comm + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
					  "%*d %*d %llu", start) != 1)
		return -EINVAL;
	return 0;
}

int claim_set_holder(const struct host_fs *fs, struct device_claim *claim, const char *holder, pid_t pid)
{
	int ret = copy_string(claim->holder, sizeof(claim->holder), holder);

	if (ret < 0)
		return ret;
	claim->pid = pid;
	if (process_start_time(fs, pid, &claim->pid_start) < 0)
		claim->pid_start = 0;	/* unknown: liveness falls back to the pid alone */
	return 0;
}

bool claim_is_live(const struct host_fs *fs, const struct device_claim *claim)
{
	unsigned long long start;

	if (kill(claim->pid, 0) < 0 && errno == ESRCH)
		return false;
	if (claim->pid_start == 0 || process_start_time(fs, claim->pid, &start) < 0)
		return true;	/* cannot tell: never take a device from a process that may hold it */
	return start == claim->pid_start;
}
