#ifndef STM32SIM_PTY_RATE_H
#define STM32SIM_PTY_RATE_H
/* fd's output rate in bits per second (termios2 on Linux); 0 when the OS
 * cannot say, and the caller reads its speed constant instead. */
unsigned sim_pty_rate(int fd);
#endif
