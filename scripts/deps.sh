#!/usr/bin/env bash
# Installs the Debian packages stm32boot needs to build and test, if missing.
# Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail

STM32BOOT_BUILD_DEPS=(build-essential cmake pkg-config libelf-dev libgpiod-dev libusb-1.0-0-dev libunicorn-dev liblz4-dev)
STM32BOOT_TEST_DEPS=(libcmocka-dev stm32flash jq socat ser2net clang valgrind gcc-arm-none-eabi libnewlib-arm-none-eabi umockdev libumockdev-dev dfu-util python3-intelhex stlink-tools openocd)

stm32boot_install_deps() {
	local wanted=("$@") missing=()
	for pkg in "${wanted[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "Installing: ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -ne 0 ] && sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
