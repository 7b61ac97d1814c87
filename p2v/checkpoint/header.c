#include <errno.h>
#include <string.h>

#include "p2v/checkpoint/header.h"
#include "vmm/lib/parse.h"

static void put_text(struct state_writer *w, const char *text, size_t max)
{
	size_t len = strnlen(text, max - 1);

	state_put_u16(w, len);
	state_put_bytes(w, text, len);
}

/* A string of at most max - 1 bytes without NULs, into out[max]. */
static void get_text(struct state_reader *r, char *out, size_t max)
{
	size_t len = state_get_u16(r);

	if (len >= max) {
		state_reader_reject(r);
		len = 0;
	}
	state_get_bytes(r, out, len);
	out[len] = '\0';
	if (strlen(out) != len)
		state_reader_reject(r);
}

/* The NICs, so that the server gets the same ones (MAC, bridge or tap) wherever it is restored. */
static void checkpoint_nics_encode(const struct server_config *cfg, struct state_writer *w)
{
	state_put_u8(w, cfg->n_nics);
	for (unsigned int i = 0; i < cfg->n_nics; i++) {
		const struct server_nic *nic = &cfg->nics[i];

		put_text(w, nic->name, sizeof(nic->name));
		put_text(w, nic->bridge, sizeof(nic->bridge));
		put_text(w, nic->tap, sizeof(nic->tap));
		state_put_bytes(w, nic->mac, 6);
		state_put_u8(w, nic->standby);
		state_put_u16(w, nic->primary_vendor);
		state_put_u16(w, nic->primary_device);
	}
}

static void checkpoint_nics_decode(struct state_reader *r, struct server_config *cfg)
{
	cfg->n_nics = state_get_u8(r);
	if (cfg->n_nics > SERVER_MAX_NICS) {
		state_reader_reject(r);
		cfg->n_nics = 0;
	}
	for (unsigned int i = 0; i < cfg->n_nics; i++) {
		struct server_nic *nic = &cfg->nics[i];
		char text[SERVER_NIC_NAME_MAX];
		uint8_t standby;

		get_text(r, text, sizeof(text));
		if (parse_interface_name(text, nic->name, sizeof(nic->name)) < 0)
			state_reader_reject(r);
		get_text(r, nic->bridge, sizeof(nic->bridge));
		get_text(r, nic->tap, sizeof(nic->tap));
		state_get_bytes(r, nic->mac, 6);
		standby = state_get_u8(r);
		nic->primary_vendor = state_get_u16(r);
		nic->primary_device = state_get_u16(r);
		/* Names the host will act on: an interface name each, exactly one of bridge and tap. */
		if ((nic->bridge[0] && parse_interface_name(nic->bridge, text, sizeof(text)) < 0) ||
		    (nic->tap[0] && parse_interface_name(nic->tap, text, sizeof(text)) < 0) ||
		    !nic->bridge[0] == !nic->tap[0] || standby > 1 || (nic->mac[0] & 1))
			state_reader_reject(r);
		nic->standby = standby;
	}
}

void checkpoint_header_encode(const struct checkpoint_info *info, struct state_writer *w)
{
	const struct server_config *cfg = &info->cfg;

	state_put_u32(w, info->format_version);
	put_text(w, info->sheer_version, sizeof(info->sheer_version));
	put_text(w, info->cpu_vendor, sizeof(info->cpu_vendor));
	for (int i = 0; i < 5; i++)
		state_put_u32(w, info->cpu_features[i]);
	state_put_u64(w, info->created_unix);
	put_text(w, cfg->name, sizeof(cfg->name));
	state_put_u32(w, cfg->cpus);
	state_put_u64(w, cfg->memory_bytes);
	put_text(w, cfg->kernel, sizeof(cfg->kernel));
	put_text(w, cfg->initrd, sizeof(cfg->initrd));
	put_text(w, cfg->cmdline, sizeof(cfg->cmdline));
	checkpoint_nics_encode(cfg, w);
}

int checkpoint_header_decode(const void *payload, size_t len, struct checkpoint_info *info)
{
	struct server_config *cfg = &info->cfg;
	struct state_reader r;

	memset(info, 0, sizeof(*info));
	state_reader_init(&r, payload, len);
	info->format_version = state_get_u32(&r);
	get_text(&r, info->sheer_version, sizeof(info->sheer_version));
	get_text(&r, info->cpu_vendor, sizeof(info->cpu_vendor));
	for (int i = 0; i < 5; i++)
		info->cpu_features[i] = state_get_u32(&r);
	info->created_unix = state_get_u64(&r);
	get_text(&r, cfg->name, sizeof(cfg->name));
	cfg->cpus = state_get_u32(&r);
	cfg->memory_bytes = state_get_u64(&r);
	get_text(&r, cfg->kernel, sizeof(cfg->kernel));
	get_text(&r, cfg->initrd, sizeof(cfg->initrd));
	get_text(&r, cfg->cmdline, sizeof(cfg->cmdline));
	checkpoint_nics_decode(&r, cfg);
	if (!r.error && (!server_name_is_valid(cfg->name) || cfg->cpus == 0 || cfg->cpus > SERVER_MAX_CPUS ||
			 !server_memory_is_valid(cfg->memory_bytes)))
		state_reader_reject(&r);
	cfg->numa_node = -1;
	for (int i = 0; i < SERVER_MAX_CPUS; i++)
		cfg->host_cpu[i] = -1;
	return state_reader_finish(&r);
}

void checkpoint_end_encode(const struct checkpoint_end *end, struct state_writer *w)
{
	state_put_u64(w, end->sections);
	state_put_u64(w, end->bytes);
}

int checkpoint_end_decode(const void *payload, size_t len, struct checkpoint_end *end)
{
	struct state_reader r;

	state_reader_init(&r, payload, len);
	end->sections = state_get_u64(&r);
	end->bytes = state_get_u64(&r);
	return state_reader_finish(&r);
}
