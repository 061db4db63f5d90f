/* A libstm32boot built without libusb-1.0: stlink: ports are named and
 * refused at the USB seam. */
#include "stlink/stlink_usb.h"

enum stm32_status stlink_usb_open(const char *serial, struct stlink_usb **out,
				  struct stlink_usb_info *info, struct stm32_error *err)
{
	(void)serial;
	(void)info;
	*out = NULL;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "this libstm32boot was built without libusb-1.0 (no ST-LINK)");
}

enum stm32_status stlink_usb_command(struct stlink_usb *usb, const uint8_t *command,
				     const uint8_t *out, size_t out_length, uint8_t *in,
				     size_t in_length, size_t *got, unsigned timeout_ms,
				     struct stm32_error *err)
{
	(void)usb, (void)command, (void)out, (void)out_length, (void)in, (void)in_length;
	(void)timeout_ms;
	if (got)
		*got = 0;
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "no ST-LINK without libusb-1.0");
}

void stlink_usb_close(struct stlink_usb *usb)
{
	(void)usb;
}

size_t stlink_usb_list(struct stlink_usb_info *out, size_t max)
{
	(void)out, (void)max;
	return 0;
}
