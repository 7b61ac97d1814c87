#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/kvm/cpuid.h"

#define LEAF_FEATURES		0x1
#define LEAF_CACHE		0x4
#define LEAF_TOPOLOGY		0xb
#define LEAF_TOPOLOGY_V2	0x1f
#define LEAF_AMD_SIZES		0x80000008
#define LEAF_AMD_TOPOLOGY	0x8000001e
#define FEATURE_ECX_HYPERVISOR	(1U << 31)
#define FEATURE_EDX_HTT		(1U << 28)
#define TOPOLOGY_SMT		1
#define TOPOLOGY_CORE		2
#define CACHE_LEVEL(eax)	(((eax) >> 5) & 7)

struct kvm_cpuid2 *cpuid_supported(int kvm_fd, int *error)
{
	struct kvm_cpuid2 *table;

	table = calloc(1, sizeof(*table) + CPUID_MAX_ENTRIES * sizeof(table->entries[0]));
	if (!table) {
		*error = -ENOMEM;
		return NULL;
	}
	table->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, table) < 0) {
		*error = -errno;
		free(table);
		return NULL;
	}
	return table;
}

struct kvm_cpuid2 *cpuid_copy(const struct kvm_cpuid2 *table)
{
	struct kvm_cpuid2 *copy;

	if (table->nent > CPUID_MAX_ENTRIES)
		return NULL;
	copy = calloc(1, sizeof(*copy) + CPUID_MAX_ENTRIES * sizeof(copy->entries[0]));
	if (copy) {
		copy->nent = table->nent;
		memcpy(copy->entries, table->entries, table->nent * sizeof(table->entries[0]));
	}
	return copy;
}

unsigned int cpuid_core_bits(unsigned int n_cpus)
{
	unsigned int bits = 0;

	while ((1U << bits) < n_cpus)
		bits++;
	return bits;
}

static int cpuid_append(struct kvm_cpuid2 *out, const struct kvm_cpuid_entry2 *entry)
{
	if (out->nent == CPUID_MAX_ENTRIES)
		return -ENOSPC;
	out->entries[out->nent++] = *entry;
	return 0;
}

/* Leaf 0xb/0x1f: level 0 threads (one per core), level 1 cores (all vCPUs), then the end marker. */
static int cpuid_add_topology(struct kvm_cpuid2 *out, unsigned int leaf, unsigned int id, unsigned int n_cpus)
{
	const unsigned int bits = cpuid_core_bits(n_cpus);
	const struct kvm_cpuid_entry2 levels[] = {
		{ .function = leaf, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0, .ebx = 1, .ecx = TOPOLOGY_SMT << 8 | 0, .edx = id },
		{ .function = leaf, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = bits, .ebx = n_cpus, .ecx = TOPOLOGY_CORE << 8 | 1, .edx = id },
		{ .function = leaf, .index = 2, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0, .ebx = 0, .ecx = 2, .edx = id },
	};
	int ret = 0;

	for (unsigned int i = 0; i < sizeof(levels) / sizeof(levels[0]) && ret == 0; i++)
		ret = cpuid_append(out, &levels[i]);
	return ret;
}

static void cpuid_adjust(struct kvm_cpuid_entry2 *e, unsigned int id, unsigned int n_cpus)
{
	const unsigned int bits = cpuid_core_bits(n_cpus);

	switch (e->function) {
	case LEAF_FEATURES:
		e->ebx = (e->ebx & 0x0000ffff) | (1U << bits) << 16 | id << 24;
		e->ecx |= FEATURE_ECX_HYPERVISOR;
		if (n_cpus > 1)
			e->edx |= FEATURE_EDX_HTT;
		break;
	case LEAF_CACHE:
		/* cores per package - 1 in [31:26]; L3 is shared by all cores, L1/L2 by none. */
		e->eax = (e->eax & 0x3ff) | ((1U << bits) - 1) << 26 |
			 (CACHE_LEVEL(e->eax) == 3 ? n_cpus - 1 : 0) << 14;
		break;
	case LEAF_AMD_SIZES:
		e->ecx = (e->ecx & ~0xf0ffU) | bits << 12 | (n_cpus - 1);
		break;
	case LEAF_AMD_TOPOLOGY:
		e->eax = id;
		e->ebx = id & 0xff;	/* core id; one thread per core */
		e->ecx = 0;		/* node 0, one node */
		break;
	}
}

int cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int id, unsigned int n_cpus,
		   struct kvm_cpuid2 *out)
{
	bool has_v2 = false;
	int ret = 0;

	if (n_cpus == 0 || id >= n_cpus || supported->nent > CPUID_MAX_ENTRIES)
		return -EINVAL;
	out->nent = 0;
	for (unsigned int i = 0; i < supported->nent && ret == 0; i++) {
		struct kvm_cpuid_entry2 e = supported->entries[i];

		if (e.function == LEAF_TOPOLOGY || e.function == LEAF_TOPOLOGY_V2) {
			has_v2 |= e.function == LEAF_TOPOLOGY_V2;
			continue;
		}
		cpuid_adjust(&e, id, n_cpus);
		ret = cpuid_append(out, &e);
	}
	if (ret == 0)
		ret = cpuid_add_topology(out, LEAF_TOPOLOGY, id, n_cpus);
	if (ret == 0 && has_v2)
		ret = cpuid_add_topology(out, LEAF_TOPOLOGY_V2, id, n_cpus);
	return ret;
}

void cpuid_save(const struct kvm_cpuid2 *table, struct state_writer *w)
{
	state_put_u32(w, table->nent);
	for (unsigned int i = 0; i < table->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &table->entries[i];

		state_put_u32(w, e->function);
		state_put_u32(w, e->index);
		state_put_u32(w, e->flags);
		state_put_u32(w, e->eax);
		state_put_u32(w, e->ebx);
		state_put_u32(w, e->ecx);
		state_put_u32(w, e->edx);
	}
}

struct kvm_cpuid2 *cpuid_load(const void *payload, size_t len, int *error)
{
	struct kvm_cpuid2 *table = calloc(1, sizeof(*table) + CPUID_MAX_ENTRIES * sizeof(table->entries[0]));
	struct state_reader r;

	if (!table) {
		*error = -ENOMEM;
		return NULL;
	}
	state_reader_init(&r, payload, len);
	table->nent = state_get_u32(&r);
	if (table->nent > CPUID_MAX_ENTRIES)
		state_reader_reject(&r);
	for (unsigned int i = 0; i < table->nent && !r.error; i++) {
		struct kvm_cpuid_entry2 *e = &table->entries[i];

		e->function = state_get_u32(&r);
		e->index = state_get_u32(&r);
		e->flags = state_get_u32(&r);
		e->eax = state_get_u32(&r);
		e->ebx = state_get_u32(&r);
		e->ecx = state_get_u32(&r);
		e->edx = state_get_u32(&r);
	}
	if (state_reader_finish(&r) < 0) {
		free(table);
		*error = -EBADMSG;
		return NULL;
	}
	return table;
}

static const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *table, uint32_t function, uint32_t index)
{
	for (unsigned int i = 0; i < table->nent; i++)
		if (table->entries[i].function == function && table->entries[i].index == index)
			return &table->entries[i];
	return NULL;
}

void cpuid_vendor(const struct kvm_cpuid2 *table, char out[13])
{
	const struct kvm_cpuid_entry2 *leaf0 = cpuid_find(table, 0, 0);

	out[0] = '\0';
	if (!leaf0)
		return;
	memcpy(out, &leaf0->ebx, 4);
	memcpy(out + 4, &leaf0->edx, 4);
	memcpy(out + 8, &leaf0->ecx, 4);
	out[12] = '\0';
}

/* The feature words a guest may rely on: every bit it saw must be there on the new host. */
static const struct { uint32_t function, index; int reg; } cpuid_feature_words[] = {
	{ 0x1, 0, 2 }, { 0x1, 0, 3 }, { 0x7, 0, 1 }, { 0x7, 0, 2 }, { 0x7, 0, 3 }, { 0x7, 1, 0 },
	{ 0xd, 1, 0 }, { 0x80000001, 0, 2 }, { 0x80000001, 0, 3 },
};

static uint32_t cpuid_reg(const struct kvm_cpuid_entry2 *e, int reg)
{
	const uint32_t regs[4] = { e->eax, e->ebx, e->ecx, e->edx };

	return regs[reg];
}

int cpuid_check_host(const struct kvm_cpuid2 *guest, const struct kvm_cpuid2 *host, char *err, size_t errlen)
{
	static const char *reg_names[] = { "eax", "ebx", "ecx", "edx" };
	char guest_vendor[13], host_vendor[13];

	cpuid_vendor(guest, guest_vendor);
	cpuid_vendor(host, host_vendor);
	if (strcmp(guest_vendor, host_vendor) != 0) {
		snprintf(err, errlen, "saved on a %s CPU, this host is %s", guest_vendor, host_vendor);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(cpuid_feature_words) / sizeof(cpuid_feature_words[0]); i++) {
		const struct kvm_cpuid_entry2 *g = cpuid_find(guest, cpuid_feature_words[i].function,
							      cpuid_feature_words[i].index);
		const struct kvm_cpuid_entry2 *h = cpuid_find(host, cpuid_feature_words[i].function,
							      cpuid_feature_words[i].index);
		int reg = cpuid_feature_words[i].reg;
		uint32_t missing;

		if (!g)
			continue;
		missing = cpuid_reg(g, reg) & ~(h ? cpuid_reg(h, reg) : 0);
		/* The hypervisor bit is sheer's own, not the host's. */
		if (cpuid_feature_words[i].function == LEAF_FEATURES && reg == 2)
			missing &= ~FEATURE_ECX_HYPERVISOR;
		if (missing) {
			snprintf(err, errlen, "this host's KVM lacks CPU feature leaf 0x%x.%u %s bit %d",
				 cpuid_feature_words[i].function, cpuid_feature_words[i].index, reg_names[reg],
				 __builtin_ctz(missing));
			return -ENOTSUP;
		}
	}
	return 0;
}
