/* libstm32boot: get firmware into STM32 microcontrollers.
 *
 * The umbrella header. The library never prints and never exits; every call
 * that can fail returns enum stm32_status and fills a struct stm32_error.
 * Typical use: stm32_port_open -> stm32_rom_open (a struct stm32_target) ->
 * stm32_format_load -> stm32_plan_write (from target->desc) ->
 * stm32_flash_execute -> stm32_target_close -> stm32_transport_close. */
#ifndef STM32BOOT_H
#define STM32BOOT_H

#include "stm32boot/version.h"
#include "stm32boot/error.h"
#include "stm32boot/crc.h"
#include "stm32boot/device.h"
#include "stm32boot/image.h"
#include "stm32boot/option_bytes.h"
#include "stm32boot/format.h"
#include "stm32boot/transport.h"
#include "stm32boot/gpio.h"
#include "stm32boot/target.h"
#include "stm32boot/rom.h"
#include "stm32boot/plan.h"
#include "stm32boot/flash.h"
#include "stm32boot/dfu.h"
#include "stm32boot/drive.h"
#include "stm32boot/stlink.h"
#include "stm32boot/stub.h"

#endif
