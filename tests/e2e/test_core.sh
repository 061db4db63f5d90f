# The host's reset stubs (-R) run on the emulator's Cortex-M core: each
# reset is caused by what the stub's code does, counted by cause.
# (Needs the core: skipped when the emulator was built without unicorn,
# i.e. does not link it.)

needs_core() {
	# grep without -q reads all of ldd's output: with pipefail, an early exit
	# would make ldd die of SIGPIPE and the test skip for no reason.
	ldd "$STM32BOOT_SIM_PROGRAM" | grep libunicorn >/dev/null ||
		{ echo "SKIP: emulator built without the core (libunicorn)"; exit 77; }
}

t_reset_stub_of_a_blank_f030xc_runs_obl_launch() {
	DEVICE=stm32f030xc
	needs_core
	local boot0_low=boot0=dtr,invert-boot0
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -R "$(port "$boot0_low")"
	stat_is '.core.resets' '{"sysresetreq":0,"iwdg":0,"obl_launch":1}'
	stat_is '.core.instructions > 0' true
	stat_is .state '"application"'
}

t_reset_stub_of_a_blank_l45x_clears_pempty_then_sysresetreq() {
	DEVICE=stm32l45x
	needs_core
	local boot0_low=boot0=dtr,invert-boot0
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -R "$(port "$boot0_low")"
	stat_is '.core.resets' '{"sysresetreq":1,"iwdg":0,"obl_launch":0}'
	stat_is '.core.peripherals.FLASH.writes >= 1' true
	stat_is .state '"application"'
}

# A G0 whose flash was blank at power-on latched FLASH_ACR.EMPTY and would
# boot its bootloader again after a plain system reset (its factory
# options ignore the BOOT0 pin): the stub clears EMPTY first.
t_reset_stub_of_a_blank_g0_clears_acr_empty_then_sysresetreq() {
	DEVICE=stm32g071rb
	needs_core
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -R "$(port)"
	stat_is '.core.resets' '{"sysresetreq":1,"iwdg":0,"obl_launch":0}'
	stat_is .state '"application"'
}

t_reset_stub_of_an_f103_is_a_sysresetreq() {
	needs_core
	run_ok -R "$(port)"
	stat_is '.core.resets.sysresetreq' 1
	stat_is .state '"bootloader"'
}

# The banner example through stm32boot: written, verified and started; the
# program runs (its bytes went out on USART1) and did not fault.
t_go_runs_the_example_firmware() {
	needs_core
	run_ok -w "$E2E_EXAMPLES/firmware/f103_banner.bin" -v -g 0x08000000 "$(port)"
	stat_is '.core.usart_tx_bytes' 51
	stat_is '.core.faults' 0
}

# usart=N (--usart): the USART the bootloader talked on, one AN2606 lists
# for the device; the stats name the wired one and count every modelled one.
t_usart_option_picks_a_bootloader_usart() {
	needs_core
	DEVICE=stm32f407xg
	run_ok "$(port usart=3)"
	stat_is .core.usart_wired '"USART3"'
	stat_is '.core.usarts | keys' '["USART1","USART3"]'
	run_fail "$(port usart=2)"
	err_has "the stm32f407xg bootloader has only USART1, USART3"
	DEVICE=stm32l031 # its ROM has USART2 only: the default
	IMG=$WORK/l031.img
	run_ok "$(port)"
	stat_is .core.usart_wired '"USART2"'
}
