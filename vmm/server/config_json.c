#include "vmm/server/config_json.h"

static json_t *string_or_null(const char *text)
{
	return text[0] ? json_string(text) : json_null();
}

static json_t *devices_to_json(const struct server_config *cfg)
{
	json_t *devices = json_array();

	for (unsigned int i = 0; devices && i < cfg->n_devices; i++) {
		const struct server_device *d = &cfg->devices[i];

		json_array_append_new(devices, json_pack("{s:s, s:b, s:o}", "pci", d->pci, "force", d->force, "failover",
							 string_or_null(d->failover)));
	}
	return devices;
}

static json_t *nics_to_json(const struct server_config *cfg)
{
	json_t *nics = json_array();

	for (unsigned int i = 0; nics && i < cfg->n_nics; i++) {
		const struct server_nic *n = &cfg->nics[i];
		char mac[MAC_TEXT_SIZE];

		format_mac(n->mac, mac);
		json_array_append_new(nics, json_pack("{s:s, s:s, s:o, s:o, s:b}", "name", n->name, "mac", mac, "bridge",
						      string_or_null(n->bridge), "tap", string_or_null(n->tap),
						      "standby", n->standby));
	}
	return nics;
}

json_t *server_config_to_json(const struct server_config *cfg)
{
	bool disk = cfg->boot == SERVER_BOOT_DISK;

	return json_pack("{s:s, s:i, s:I, s:s, s:o, s:o, s:o, s:o, s:i, s:b, s:o, s:o}", "name", cfg->name, "cpus",
			 (int)cfg->cpus, "memory", (json_int_t)cfg->memory_bytes, "boot", disk ? "disk" : "kernel",
			 "kernel", string_or_null(disk ? "" : cfg->kernel), "initrd",
			 string_or_null(disk ? "" : cfg->initrd), "cmdline", string_or_null(disk ? "" : cfg->cmdline),
			 "firmware", disk ? json_string(cfg->firmware[0] ? cfg->firmware : SERVER_FIRMWARE_DEFAULT)
					  : json_null(),
			 "numa_node", cfg->numa_node, "allow_unsafe_interrupts", cfg->allow_unsafe_interrupts,
			 "devices", devices_to_json(cfg), "nics", nics_to_json(cfg));
}
