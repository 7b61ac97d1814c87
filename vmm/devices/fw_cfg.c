#include <errno.h>
#include <string.h>

#include "vmm/devices/fw_cfg.h"

#define FW_CFG_STATE_TYPE	STATE_TYPE('F', 'W', 'C', '0')
#define FW_CFG_STATE_VERSION	1
#define FW_CFG_ID_TRADITIONAL	1	/* bit 1 (DMA) clear */
#define FW_CFG_DIR_ENTRY	64	/* be32 size, be16 select, be16 reserved, name[56] */
#define PORT_SELECTOR		0
#define PORT_DATA		1

void fw_cfg_set_cpus(struct fw_cfg *cfg, uint16_t cpus)
{
	cfg->cpus = cpus;
}

int fw_cfg_add_file(struct fw_cfg *cfg, const char *name, const void *data, size_t len)
{
	struct fw_cfg_file *file;

	if (strlen(name) >= FW_CFG_NAME_MAX)
		return -ENAMETOOLONG;
	for (unsigned int i = 0; i < cfg->n_files; i++)
		if (strcmp(cfg->files[i].name, name) == 0)
			return -EEXIST;
	if (cfg->n_files == FW_CFG_FILES_MAX || len > FW_CFG_DATA_MAX - cfg->used)
		return -ENOSPC;
	file = &cfg->files[cfg->n_files++];
	strcpy(file->name, name);
	file->start = cfg->used;
	file->len = len;
	memcpy(cfg->data + cfg->used, data, len);
	cfg->used += len;
	return 0;
}

static int byte_of(uint64_t value, unsigned int width, uint32_t offset, bool big_endian)
{
	if (offset >= width)
		return -1;
	return (value >> 8 * (big_endian ? width - 1 - offset : offset)) & 0xff;
}

static int file_dir_byte(const struct fw_cfg *cfg, uint32_t offset)
{
	const struct fw_cfg_file *file;
	uint32_t entry, at;

	if (offset < 4)
		return byte_of(cfg->n_files, 4, offset, true);
	entry = (offset - 4) / FW_CFG_DIR_ENTRY;
	at = (offset - 4) % FW_CFG_DIR_ENTRY;
	if (entry >= cfg->n_files)
		return -1;
	file = &cfg->files[entry];
	if (at < 4)
		return byte_of(file->len, 4, at, true);
	if (at < 6)
		return byte_of(FW_CFG_FILE_FIRST + entry, 2, at - 4, true);
	if (at < 8)
		return 0;
	return (uint8_t)file->name[at - 8];
}

/* Byte offset of the selected item, or -1 past its end (read as 0). */
static int item_byte(const struct fw_cfg *cfg, uint16_t key, uint32_t offset)
{
	switch (key) {
	case FW_CFG_SIGNATURE:
		return offset < 4 ? "QEMU"[offset] : -1;
	case FW_CFG_ID:
		return byte_of(FW_CFG_ID_TRADITIONAL, 4, offset, false);
	case FW_CFG_NOGRAPHIC:
		return byte_of(1, 2, offset, false);
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS:
		return byte_of(cfg->cpus, 2, offset, false);
	case FW_CFG_FILE_DIR:
		return file_dir_byte(cfg, offset);
	}
	if (key >= FW_CFG_FILE_FIRST && key - FW_CFG_FILE_FIRST < (int)cfg->n_files) {
		const struct fw_cfg_file *file = &cfg->files[key - FW_CFG_FILE_FIRST];

		return offset < file->len ? cfg->data[file->start + offset] : -1;
	}
	return -1;
}

static uint64_t fw_cfg_read(void *dev, uint64_t offset, unsigned int size)
{
	struct fw_cfg *cfg = dev;
	uint64_t value = 0;

	if (offset != PORT_DATA)
		return offset == PORT_SELECTOR ? cfg->s.selector : ~0ULL;
	for (unsigned int i = 0; i < size; i++) {
		int byte = item_byte(cfg, cfg->s.selector, cfg->s.offset);

		if (byte < 0)
			break;
		value |= (uint64_t)byte << 8 * i;
		cfg->s.offset++;
	}
	return value;
}

static void fw_cfg_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct fw_cfg *cfg = dev;

	/* The data port takes no writes (QEMU dropped them in 2.4): ignored. */
	if (offset != PORT_SELECTOR || size < 2)
		return;
	cfg->s.selector = value;
	cfg->s.offset = 0;
}

static void fw_cfg_reset(void *dev)
{
	struct fw_cfg *cfg = dev;

	memset(&cfg->s, 0, sizeof(cfg->s));
}

static void fw_cfg_init(void *dev, const struct machine *machine, unsigned int irq)
{
	(void)machine;
	(void)irq;
	fw_cfg_reset(dev);
}

static void fw_cfg_save(const void *dev, struct state_writer *w)
{
	const struct fw_cfg *cfg = dev;

	state_put_u16(w, cfg->s.selector);
	state_put_u32(w, cfg->s.offset);
}

static int fw_cfg_restore(void *dev, struct state_reader *r, uint16_t version)
{
	struct fw_cfg *cfg = dev;
	struct fw_cfg_state s;

	(void)version;
	s.selector = state_get_u16(r);
	s.offset = state_get_u32(r);
	if (s.offset > FW_CFG_DATA_MAX)
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	cfg->s = s;
	return 0;
}

static const struct bus_device_ops fw_cfg_ops = { fw_cfg_read, fw_cfg_write };

const struct device_desc fw_cfg_device = {
	.name = "fw_cfg",
	.io = &fw_cfg_ops,
	.init = fw_cfg_init,
	.reset = fw_cfg_reset,
	.state_type = FW_CFG_STATE_TYPE,
	.state_version = FW_CFG_STATE_VERSION,
	.save = fw_cfg_save,
	.restore = fw_cfg_restore,
};
