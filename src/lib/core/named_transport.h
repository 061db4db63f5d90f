/* The transport of a back end that moves no bytes over it (USB DFU, an
 * ST-LINK, a flashing drive): it only names the device in messages, and
 * refuses byte I/O and GPIO sequences with the port's kind in the reason.
 * Not public; shared by the back ends so that each does not keep a copy. */
#ifndef STM32BOOT_CORE_NAMED_TRANSPORT_H
#define STM32BOOT_CORE_NAMED_TRANSPORT_H

#include "stm32boot/transport.h"

/* kind is the ops name the CLI shows ("usb", "swd", "drive"); noun says
 * what it is in a sentence ("a USB DFU port"); description is the text
 * describe gives. NULL when out of memory. Freed by stm32_transport_close. */
struct stm32_transport *core_named_transport(const char *kind, const char *noun,
					     const char *description);

#endif
