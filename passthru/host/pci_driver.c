#include <errno.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

#include "iommu/pci_function.h"
#include "passthru/host/pci_driver.h"

extern char **environ;

static int run_modprobe(const char *module)
{
	char *argv[] = { "modprobe", (char *)module, NULL };
	int status, ret;
	pid_t pid;

	ret = posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ);
	if (ret)
		return -ret;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ENOENT;
}

int pci_driver_load_vfio_pci(const struct host_fs *fs)
{
	if (host_fs_exists(fs, "/sys/bus/pci/drivers/" VFIO_PCI_DRIVER))
		return 0;
	/* Only the real host can load modules; a fake tree says what it has. */
	if (!host_fs_is_real(fs))
		return -ENOENT;
	return run_modprobe(VFIO_PCI_DRIVER);
}

#define VFIO_TYPE1_UNSAFE_INTERRUPTS "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"

int pci_driver_allow_unsafe_interrupts(const struct host_fs *fs)
{
	if (!host_fs_exists(fs, "/sys/module/vfio_iommu_type1") && host_fs_is_real(fs)) {
		int ret = run_modprobe("vfio_iommu_type1");

		if (ret < 0)
			return ret;
	}
	return host_fs_write(fs, "Y", VFIO_TYPE1_UNSAFE_INTERRUPTS);
}

static int current_driver(const struct host_fs *fs, const char *bdf, char *driver, size_t driver_len)
{
	int ret = host_fs_link_name(fs, driver, driver_len, PCI_SYSFS "/%s/driver", bdf);

	if (ret == -ENOENT) {
		driver[0] = '\0';
		return 0;
	}
	return ret;
}

static int unbind(const struct host_fs *fs, const char *bdf)
{
	char driver[PCI_DRIVER_LEN];
	int ret = current_driver(fs, bdf, driver, sizeof(driver));

	if (ret < 0 || driver[0] == '\0')
		return ret;
	return host_fs_write(fs, bdf, PCI_SYSFS "/%s/driver/unbind", bdf);
}

static int expect_driver(const struct host_fs *fs, const char *bdf, const char *wanted)
{
	char driver[PCI_DRIVER_LEN];
	int ret = current_driver(fs, bdf, driver, sizeof(driver));

	if (ret < 0)
		return ret;
	return strcmp(driver, wanted) == 0 ? 0 : -EIO;
}

int pci_driver_bind_vfio(const struct host_fs *fs, const char *bdf)
{
	/* The override first: once unbound, nothing but vfio-pci may grab the device. */
	int ret = host_fs_write(fs, VFIO_PCI_DRIVER, PCI_SYSFS "/%s/driver_override", bdf);

	if (ret == 0)
		ret = unbind(fs, bdf);
	if (ret == 0)
		ret = host_fs_write(fs, bdf, "/sys/bus/pci/drivers_probe");
	return ret < 0 ? ret : expect_driver(fs, bdf, VFIO_PCI_DRIVER);
}

int pci_driver_restore(const struct host_fs *fs, const char *bdf, const char *host_driver)
{
	/* A newline clears driver_override; an empty write is refused by the kernel. */
	int ret = host_fs_write(fs, "\n", PCI_SYSFS "/%s/driver_override", bdf);

	if (ret == 0 && expect_driver(fs, bdf, host_driver) == 0)
		return 0;
	if (ret == 0)
		ret = unbind(fs, bdf);
	if (ret < 0)
		return ret;
	if (host_driver[0] == '\0' || host_fs_write(fs, bdf, "/sys/bus/pci/drivers/%s/bind", host_driver) < 0)
		ret = host_fs_write(fs, bdf, "/sys/bus/pci/drivers_probe");
	if (ret == 0 && host_driver[0])
		ret = expect_driver(fs, bdf, host_driver);
	return ret;
}
