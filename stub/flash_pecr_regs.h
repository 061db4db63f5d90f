/* The PECR flash controller of L0 (RM0377 §3) and L1 (RM0038 §3): the
 * registers, keys and bits that the stub's driver (flash_pecr.c) and the
 * host's register-level path over SWD (src/lib/stlink/stlink_flash_pecr.c)
 * both use, so that they cannot disagree. */
#ifndef STUB_FLASH_PECR_REGS_H
#define STUB_FLASH_PECR_REGS_H

#define L0_BASE 0x40022000u
#define L1_BASE 0x40023C00u
#define PECR    0x04u
#define PEKEYR  0x0Cu
#define PRGKEYR 0x10u
#define OPTKEYR 0x14u
#define SR      0x18u
#define PEKEY1  0x89ABCDEFu
#define PEKEY2  0x02030405u
#define PRGKEY1 0x8C9DAEBFu
#define PRGKEY2 0x13141516u
#define OPTKEY1 0xFBEAD9C8u
#define OPTKEY2 0x24252627u
#define PECR_PELOCK     (1u << 0)
#define PECR_PRGLOCK    (1u << 1)
#define PECR_OPTLOCK    (1u << 2)
#define PECR_PROG       (1u << 3)
#define PECR_ERASE      (1u << 9)
#define PECR_FPRG       (1u << 10)
#define PECR_OBL_LAUNCH (1u << 18)
#define SR_BSY        (1u << 0)
#define SR_EOP        (1u << 1)
#define SR_WRPERR     (1u << 8)
#define SR_PGAERR     (1u << 9)
#define SR_SIZERR     (1u << 10)
#define SR_OPTVERR    (1u << 11)
#define SR_RDERR      (1u << 13)
#define SR_NOTZEROERR (1u << 16) /* L0 only */
#define SR_FWWERR     (1u << 17) /* L0 only */
/* OPTVERR is not an error of ours: the option loader sets it at reset when
 * an option word and its complement disagree; it is only cleared. */
#define SR_ERRORS (SR_WRPERR | SR_PGAERR | SR_SIZERR | SR_RDERR | SR_NOTZEROERR | SR_FWWERR)
#define SR_CLEAR (SR_ERRORS | SR_EOP | SR_OPTVERR)
#define L0_HALF_PAGE 64u
#define L1_HALF_PAGE 128u

#endif
