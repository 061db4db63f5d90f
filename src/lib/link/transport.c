/* What every link shares, below the port dispatcher and the backends. */
#include "stm32boot/transport.h"

void stm32_transport_close(struct stm32_transport *t)
{
	if (t)
		t->ops->close(t);
}

enum stm32_status stm32_transport_reconfigure(struct stm32_transport *t,
					      const struct stm32_uart_config *cfg,
					      struct stm32_error *err)
{
	if (!t->ops->reconfigure)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "a %s link cannot change its rate once open", t->ops->name);
	return t->ops->reconfigure(t, cfg, err);
}
