/*
 * vmm/virtio: the virtio 1.x PCI transport as a guest driver drives it
 * (Linux's virtio_pci_modern does the same steps), and as a hostile guest
 * or a corrupt migration stream might. No KVM: the wiring's ioctls fail on
 * vm_fd -1 and the transport must not care.
 */
#include <check.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/kvm/irq_routing.h"
#include "vmm/machine/bus.h"
#include "vmm/machine/resources.h"
#include "vmm/machine/state.h"
#include "vmm/virtio/virtio_pci.h"

struct rig {
	struct virtio_pci vp;
	struct bus mmio;
	pthread_mutex_t lock;
	struct resources res;
	struct irq_routing routing;
	int starts, stops, start_result;
};

static uint32_t rig_config_read(void *owner, unsigned int offset, unsigned int size)
{
	(void)owner;
	return offset == 0 && size == 1 ? 0x42 : 0;
}

static int rig_start(void *owner)
{
	struct rig *rig = owner;

	rig->starts++;
	return rig->start_result;
}

static void rig_stop(void *owner)
{
	((struct rig *)owner)->stops++;
}

static const struct virtio_pci_ops rig_ops = { rig_config_read, rig_start, rig_stop };

static void rig_init(struct rig *rig)
{
	memset(rig, 0, sizeof(*rig));
	pthread_mutex_init(&rig->lock, NULL);
	bus_init(&rig->mmio, "mmio", &rig->lock);
	resources_init(&rig->res, 32, IRQ_ROUTING_GSI_LIMIT);
	irq_routing_init(&rig->routing, -1, &rig->res);
	const struct virtio_pci_env env = { -1, &rig->mmio, &rig->routing, &rig->res, 1ULL << 32 };
	ck_assert_int_eq(virtio_pci_init(&rig->vp, &env, 1, 0x0200, 1ULL << 5, 2, &rig_ops, rig), 0);
}

static uint32_t cfg_read(struct rig *rig, unsigned int reg, unsigned int size)
{
	uint32_t value = 0;

	for (unsigned int i = 0; i < size; i++)
		value |= (uint32_t)rig->vp.function.config[reg + i] << (8 * i);
	return value;
}

static void cfg_write(struct rig *rig, unsigned int reg, unsigned int size, uint32_t value)
{
	struct pci_device *fn = &rig->vp.function;

	for (unsigned int i = 0; i < size; i++)
		fn->config[reg + i] = (fn->config[reg + i] & ~fn->writable[reg + i]) |
				      ((value >> (8 * i)) & fn->writable[reg + i]);
	fn->written(fn->owner, reg, size);
}

static uint64_t bar_read(struct rig *rig, uint64_t offset, unsigned int size)
{
	return virtio_pci_bar_ops.read(&rig->vp, offset, size);
}

static void bar_write(struct rig *rig, uint64_t offset, unsigned int size, uint64_t value)
{
	virtio_pci_bar_ops.write(&rig->vp, offset, size, value);
}

/* A capability of virtio type `type` in the chain, or 0. */
static unsigned int find_cap(struct rig *rig, unsigned int type)
{
	for (unsigned int at = cfg_read(rig, PCI_CAPABILITY_LIST, 1), n = 0; at && n < 48; n++) {
		if (cfg_read(rig, at, 1) == PCI_CAP_ID_VNDR && cfg_read(rig, at + 3, 1) == type)
			return at;
		at = cfg_read(rig, at + 1, 1);
	}
	return 0;
}

START_TEST(config_space_is_a_modern_virtio_net_function_with_msix)
{
	struct rig rig;
	unsigned int notify;

	rig_init(&rig);
	ck_assert_uint_eq(cfg_read(&rig, PCI_VENDOR_ID, 2), 0x1af4);
	ck_assert_uint_eq(cfg_read(&rig, PCI_DEVICE_ID, 2), 0x1041);
	ck_assert_uint_eq(cfg_read(&rig, PCI_REVISION_ID, 1), 1);
	ck_assert_uint_eq(cfg_read(&rig, PCI_INTERRUPT_PIN, 1), 0);	/* MSI-X only */
	ck_assert_uint_eq(cfg_read(&rig, find_cap(&rig, VIRTIO_PCI_CAP_COMMON_CFG) + 8, 4), VIRTIO_BAR_COMMON);
	ck_assert_uint_eq(cfg_read(&rig, find_cap(&rig, VIRTIO_PCI_CAP_DEVICE_CFG) + 8, 4), VIRTIO_BAR_DEVICE);
	notify = find_cap(&rig, VIRTIO_PCI_CAP_NOTIFY_CFG);
	ck_assert_uint_ne(notify, 0);
	ck_assert_uint_eq(cfg_read(&rig, notify + 16, 4), VIRTIO_PCI_NOTIFY_MULTIPLIER);
	ck_assert_uint_ne(find_cap(&rig, VIRTIO_PCI_CAP_ISR_CFG), 0);
	/* BAR sizing answers 32 KiB; the placement sheer chose is in the PCI window. */
	ck_assert_uint_ge(cfg_read(&rig, PCI_BASE_ADDRESS_0, 4), 0xc0000000U);
	cfg_write(&rig, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_read(&rig, PCI_BASE_ADDRESS_0, 4), 0xffff8000U);
	virtio_pci_destroy(&rig.vp);
}
END_TEST

/* What Linux's driver does at probe: features, FEATURES_OK, queues, DRIVER_OK. */
static void driver_setup(struct rig *rig)
{
	bar_write(rig, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	bar_write(rig, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	bar_write(rig, VIRTIO_PCI_COMMON_GF, 4, 1);		/* VERSION_1 */
	bar_write(rig, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	bar_write(rig, VIRTIO_PCI_COMMON_GF, 4, 1U << 5);
	bar_write(rig, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
						     VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int q = 0; q < 2; q++) {
		bar_write(rig, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		bar_write(rig, VIRTIO_PCI_COMMON_Q_MSIX, 2, q + 1);
		bar_write(rig, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x10000 * (q + 1));
		bar_write(rig, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
		bar_write(rig, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	}
	bar_write(rig, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
						     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

START_TEST(driver_setup_starts_the_backend_and_reset_stops_it)
{
	struct rig rig;

	rig_init(&rig);
	bar_write(&rig, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_DF, 4) & 1, 1);	/* VERSION_1 */
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_BAR_DEVICE, 1), 0x42);
	driver_setup(&rig);
	ck_assert_int_eq(rig.starts, 1);
	ck_assert(virtio_pci_driver_ok(&rig.vp));
	ck_assert_uint_eq(rig.vp.regs.queues[1].desc, 0x20000);
	ck_assert_int_eq(virtio_pci_queue_call_fd(&rig.vp, 1), rig.vp.vectors[2].eventfd);
	/* Once running, the queues are the backend's: the guest cannot move them under it. */
	bar_write(&rig, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	bar_write(&rig, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0xdead000);
	ck_assert_uint_eq(rig.vp.regs.queues[0].desc, 0x10000);
	bar_write(&rig, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	ck_assert_int_eq(rig.stops, 1);
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	ck_assert_uint_eq(rig.vp.regs.queues[0].desc, 0);
	virtio_pci_destroy(&rig.vp);
}
END_TEST

START_TEST(features_not_offered_are_refused_and_a_failed_start_needs_reset)
{
	struct rig rig;

	rig_init(&rig);
	bar_write(&rig, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	bar_write(&rig, VIRTIO_PCI_COMMON_GF, 4, 1U << 6 | 1U << 5);	/* 6 never offered */
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_GF, 4), 1U << 5);
	/* Without VERSION_1 (a legacy driver) FEATURES_OK does not stick. */
	bar_write(&rig, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	/* DRIVER_OK before the features were agreed starts nothing and asks for a reset. */
	bar_write(&rig, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert_int_eq(rig.starts, 0);
	ck_assert_uint_ne(bar_read(&rig, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	bar_write(&rig, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	rig.start_result = -14;
	driver_setup(&rig);
	ck_assert_uint_ne(bar_read(&rig, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	virtio_pci_destroy(&rig.vp);
}
END_TEST

START_TEST(hostile_accesses_change_nothing_they_should_not)
{
	struct rig rig;

	rig_init(&rig);
	bar_write(&rig, VIRTIO_PCI_COMMON_Q_SELECT, 2, 9);	/* no such queue */
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	bar_write(&rig, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x1234);
	bar_write(&rig, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	bar_write(&rig, VIRTIO_PCI_COMMON_Q_SIZE, 2, 100);	/* not a power of two */
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_Q_SIZE, 2), 256);
	bar_write(&rig, VIRTIO_PCI_COMMON_Q_MSIX, 2, 77);	/* no such vector */
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_PCI_NO_VECTOR);
	bar_write(&rig, VIRTIO_PCI_COMMON_STATUS, 4, 0xff);	/* wrong width: ignored */
	ck_assert_uint_eq(bar_read(&rig, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	bar_write(&rig, VIRTIO_BAR_MSIX_TABLE + 16 * 50, 4, 1);	/* past the table */
	bar_write(&rig, VIRTIO_BAR_NOTIFY + 4 * 7, 2, 0);	/* past the queues */
	ck_assert_uint_eq(bar_read(&rig, 0x7ffc, 4), 0);
	ck_assert_int_eq(rig.starts, 0);
	virtio_pci_destroy(&rig.vp);
}
END_TEST

START_TEST(state_round_trips_and_a_corrupt_one_changes_nothing)
{
	struct rig a, b;
	struct state_writer w;
	struct state_reader r;
	uint8_t *bad;

	rig_init(&a);
	rig_init(&b);
	driver_setup(&a);
	a.vp.regs.queues[0].last_avail = 1234;
	state_writer_init(&w);
	virtio_pci_save(&a.vp, &w);
	state_reader_init(&r, w.buf, w.len);
	ck_assert_int_eq(virtio_pci_restore(&b.vp, &r), 0);
	ck_assert_mem_eq(&a.vp.regs, &b.vp.regs, sizeof(a.vp.regs));
	ck_assert_int_eq(virtio_pci_resync(&b.vp), 0);
	ck_assert_int_eq(b.starts, 1);	/* DRIVER_OK was saved: the backend goes on */

	/* Features the device never offered. */
	bad = malloc(w.len);
	memcpy(bad, w.buf, w.len);
	bad[8 + 7] |= 0x80;	/* driver_features bit 63 */
	bar_write(&b, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	state_reader_init(&r, bad, w.len);
	ck_assert_int_eq(virtio_pci_restore(&b.vp, &r), -EBADMSG);
	ck_assert_uint_eq(b.vp.regs.status, 0);
	/* Cut short. */
	state_reader_init(&r, w.buf, w.len - 1);
	ck_assert_int_eq(virtio_pci_restore(&b.vp, &r), -EBADMSG);
	ck_assert_uint_eq(b.vp.regs.status, 0);
	free(bad);
	state_writer_free(&w);
	virtio_pci_destroy(&a.vp);
	virtio_pci_destroy(&b.vp);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtio");
	TCase *tc = tcase_create("pci transport");

	tcase_add_test(tc, config_space_is_a_modern_virtio_net_function_with_msix);
	tcase_add_test(tc, driver_setup_starts_the_backend_and_reset_stops_it);
	tcase_add_test(tc, features_not_offered_are_refused_and_a_failed_start_needs_reset);
	tcase_add_test(tc, hostile_accesses_change_nothing_they_should_not);
	tcase_add_test(tc, state_round_trips_and_a_corrupt_one_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}
