#include "stm32boot/version.h"

const char *stm32boot_version(void)
{
	return STM32BOOT_LIB_VERSION;
}
