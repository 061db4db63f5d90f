/* DBGMCU: IDCODE is REV_ID << 16 | DEV_ID; DEV_ID is the PID the
 * bootloader's Get ID reports (data/devices.tsv). REV_ID is a fixed 0x1000
 * (revision not modelled). CR and the freeze registers are storage. */
#include "cpu/periph.h"

#define DBG_IDCODE 0x0u
#define DBG_CR     0x4u
#define DBG_APB1FZ 0x8u
#define DBG_APB2FZ 0xCu

void sim_dbgmcu_reset(struct sim_dbgmcu *dbg, uint16_t pid)
{
	*dbg = (struct sim_dbgmcu){.idcode = 0x1000u << 16 | (pid & 0xFFFu)};
}

uint32_t sim_dbgmcu_read(void *ctx, uint32_t offset)
{
	struct sim_dbgmcu *dbg = ctx;
	switch (offset) {
	case DBG_IDCODE: return dbg->idcode;
	case DBG_CR: return dbg->cr;
	case DBG_APB1FZ: return dbg->apb1fz;
	case DBG_APB2FZ: return dbg->apb2fz;
	}
	return 0;
}

void sim_dbgmcu_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_dbgmcu *dbg = ctx;
	switch (offset) {
	case DBG_CR: dbg->cr = sim_merge(dbg->cr, value, mask); break;
	case DBG_APB1FZ: dbg->apb1fz = sim_merge(dbg->apb1fz, value, mask); break;
	case DBG_APB2FZ: dbg->apb2fz = sim_merge(dbg->apb2fz, value, mask); break;
	default: break; /* IDCODE is read-only */
	}
}
