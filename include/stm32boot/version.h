#ifndef STM32BOOT_VERSION_H
#define STM32BOOT_VERSION_H
#ifdef __cplusplus
extern "C" {
#endif
/* The library's version string, e.g. "0.1.0". */
const char *stm32boot_version(void);
#ifdef __cplusplus
}
#endif
#endif
