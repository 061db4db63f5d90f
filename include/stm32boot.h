/* libstm32boot: flash STM32 microcontrollers through their ROM bootloader.
 *
 * The umbrella header. The library never prints and never exits; every call
 * that can fail returns enum stm32_status and fills a struct stm32_error.
 * Typical use: stm32_port_open -> stm32_session_connect -> stm32_format_load
 * -> stm32_plan_write -> stm32_flash_execute -> stm32_transport_close. */
#ifndef STM32BOOT_H
#define STM32BOOT_H

#include "stm32boot/version.h"
#include "stm32boot/error.h"
#include "stm32boot/device.h"
#include "stm32boot/image.h"
#include "stm32boot/format.h"
#include "stm32boot/transport.h"
#include "stm32boot/protocol.h"
#include "stm32boot/gpio.h"
#include "stm32boot/session.h"
#include "stm32boot/plan.h"
#include "stm32boot/flash.h"

#endif
