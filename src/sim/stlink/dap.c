/* The DP and AP 0 registers (dap.h). Bit positions: ADIv5 (ARM IHI 0031):
 * CTRL/STAT CSYSPWRUPACK 31, CSYSPWRUPREQ 30, CDBGPWRUPACK 29,
 * CDBGPWRUPREQ 28, STICKYERR 5; ABORT STKERRCLR 2; MEM-AP CSW Size 2:0,
 * AddrInc 5:4, DeviceEn 6; BDn at TAR[31:4] + 4n. */
#include "stlink/dap.h"

#define DP_IDCODE 0x0u /* read: IDCODE (DPIDR), write: ABORT */
#define DP_CTRL_STAT 0x4u
#define DP_SELECT 0x8u
#define DP_RDBUFF 0xCu
#define AP_CSW 0x00u
#define AP_TAR 0x04u
#define AP_DRW 0x0Cu
#define AP_BD0 0x10u
#define AP_BD3 0x1Cu
#define AP_BASE 0xF8u
#define AP_IDR 0xFCu
#define CTRL_CDBGPWRUPREQ (1u << 28)
#define CTRL_CSYSPWRUPREQ (1u << 30)
#define CTRL_STICKYERR (1u << 5)
#define CTRL_WRITABLE (CTRL_CDBGPWRUPREQ | CTRL_CSYSPWRUPREQ | 0x0F000F00u /* MASKLANE, TRNCNT */)
#define ABORT_STKERRCLR (1u << 2)
#define CSW_SIZE 0x7u
#define CSW_ADDRINC_SINGLE (1u << 4)
#define CSW_ADDRINC 0x30u
#define CSW_DEVICEEN (1u << 6)
#define CSW_DEFAULT 0x23000052u /* what the probe leaves: word, single increment */
/* The Cortex-M ROM table at 0xE00FF000, present. */
#define AP_BASE_VALUE 0xE00FF003u

void sim_dap_reset(struct sim_dap *dap)
{
	dap->ctrl_stat = 0;
	dap->select = 0;
	dap->csw = CSW_DEFAULT;
	dap->tar = 0;
	dap->rdbuff = 0;
}

/* The MEM-AP's IDR by core, from the DP IDCODE the target reports (the
 * AHB-AP of each Cortex-M; as remembered, not from the TRMs here). */
static uint32_t ap_idr(const struct sim_swd_target *t)
{
	switch (t->dp_idcode) {
	case 0x0BB11477u: return 0x04770021u; /* Cortex-M0 */
	case 0x0BC11477u: return 0x04770031u; /* Cortex-M0+ */
	case 0x5BA02477u: case 0x6BA02477u: return 0x74770001u; /* Cortex-M7 (F7, H7) */
	case 0x0BE12477u: return 0x84770001u; /* Cortex-M33: AHB5-AP */
	default: return 0x24770011u; /* Cortex-M3, M4 */
	}
}

/* Bytes CSW.Size names (8, 16 or 32 bits; others are not modelled). */
static unsigned access_bytes(const struct sim_dap *dap)
{
	unsigned size = dap->csw & CSW_SIZE;
	return size == 0 ? 1u : size == 1 ? 2u : 4u;
}

/* A DRW access: the byte lanes of TAR's address within the word. */
static bool data_access(struct sim_dap *dap, struct sim_swd_target *t, uint32_t address,
			bool write, uint32_t *value)
{
	unsigned bytes = access_bytes(dap);
	unsigned lane = (address & 3u) * 8u;
	bool ok;
	if (address % bytes) {
		ok = false;
	} else if (write) {
		ok = sim_swd_write(t, address, bytes, bytes == 4 ? *value : *value >> lane);
	} else {
		uint32_t v = 0;
		ok = sim_swd_read(t, address, bytes, &v);
		*value = bytes == 4 ? v : v << lane;
	}
	if (!ok)
		dap->ctrl_stat |= CTRL_STICKYERR;
	return ok;
}

static void increment(struct sim_dap *dap)
{
	if ((dap->csw & CSW_ADDRINC) == CSW_ADDRINC_SINGLE)
		dap->tar += access_bytes(dap);
}

static uint32_t ctrl_stat(const struct sim_dap *dap)
{
	/* Each power-up request is acknowledged at once (ACK = REQ << 1). */
	uint32_t v = dap->ctrl_stat;
	return v | (v & (CTRL_CDBGPWRUPREQ | CTRL_CSYSPWRUPREQ)) << 1;
}

bool sim_dap_read(struct sim_dap *dap, struct sim_swd_target *t, uint16_t port, uint16_t addr,
		  uint32_t *value)
{
	*value = 0;
	if (port == SIM_DAP_DP_PORT) {
		switch (addr) {
		case DP_IDCODE: *value = t->dp_idcode; return true;
		case DP_CTRL_STAT: *value = ctrl_stat(dap); return true;
		case DP_SELECT: *value = dap->select; return true;
		case DP_RDBUFF: *value = dap->rdbuff; return true;
		default: return false;
		}
	}
	if (port != 0)
		return false;
	bool ok = true;
	switch (addr) {
	case AP_CSW: *value = dap->csw | CSW_DEVICEEN; break;
	case AP_TAR: *value = dap->tar; break;
	case AP_DRW:
		ok = data_access(dap, t, dap->tar, false, value);
		increment(dap);
		break;
	case AP_BASE: *value = AP_BASE_VALUE; break;
	case AP_IDR: *value = ap_idr(t); break;
	default:
		if (addr >= AP_BD0 && addr <= AP_BD3 && addr % 4 == 0) {
			uint32_t saved = dap->csw;
			dap->csw = (dap->csw & ~CSW_SIZE) | 2u; /* banked data: words */
			ok = data_access(dap, t, (dap->tar & ~0xFu) + (addr - AP_BD0), false, value);
			dap->csw = saved;
		}
		break;
	}
	dap->rdbuff = *value;
	return ok;
}

bool sim_dap_write(struct sim_dap *dap, struct sim_swd_target *t, uint16_t port, uint16_t addr,
		   uint32_t value)
{
	if (port == SIM_DAP_DP_PORT) {
		switch (addr) {
		case DP_IDCODE: /* ABORT */
			if (value & ABORT_STKERRCLR)
				dap->ctrl_stat &= ~CTRL_STICKYERR;
			return true;
		case DP_CTRL_STAT:
			dap->ctrl_stat = (dap->ctrl_stat & CTRL_STICKYERR) | (value & CTRL_WRITABLE);
			return true;
		case DP_SELECT: dap->select = value; return true;
		default: return false;
		}
	}
	if (port != 0)
		return false;
	switch (addr) {
	case AP_CSW: dap->csw = value & ~CSW_DEVICEEN; return true;
	case AP_TAR: dap->tar = value; return true;
	case AP_DRW: {
		bool ok = data_access(dap, t, dap->tar, true, &value);
		increment(dap);
		return ok;
	}
	default:
		if (addr >= AP_BD0 && addr <= AP_BD3 && addr % 4 == 0) {
			uint32_t saved = dap->csw;
			dap->csw = (dap->csw & ~CSW_SIZE) | 2u;
			bool ok = data_access(dap, t, (dap->tar & ~0xFu) + (addr - AP_BD0), true, &value);
			dap->csw = saved;
			return ok;
		}
		return false; /* IDR, BASE: read-only */
	}
}
