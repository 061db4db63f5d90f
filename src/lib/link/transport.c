/* What every link shares, below the port dispatcher and the backends. */
#include "stm32boot/transport.h"

void stm32_transport_close(struct stm32_transport *t)
{
	if (t)
		t->ops->close(t);
}
