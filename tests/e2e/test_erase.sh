# -o: the whole flash, a -S range, -s/-e pages, -e 0.

t_erase_whole_flash() {
	seed_chip
	run_ok -o "$(port)"
	stat_is .mass_erases 1
	stat_is .program_operations 0
	extract_flash "$WORK/now.flash"
	erased_file "$WORK/erased.bin" "$(flash_size)"
	same_bytes "$WORK/now.flash" "$WORK/erased.bin"
}

t_erase_range() {
	seed_chip
	run_ok -o -S 0x08000800:0x800 "$(port)"
	stat_is '.erased_pages | keys | sort_by(tonumber)' '["2","3"]'
	stat_is .mass_erases 0
	extract_flash "$WORK/now.flash"
	cmp -s -n 2048 "$WORK/now.flash" "$WORK/seeded.flash" || fail "pages 0-1 changed"
	flash_slice "$WORK/got.bin" 2048 2048
	erased_file "$WORK/erased.bin" 2048
	same_bytes "$WORK/got.bin" "$WORK/erased.bin"
}

t_erase_pages() {
	seed_chip
	run_ok -o -s 4 -e 2 "$(port)"
	stat_is '.erased_pages | keys | sort_by(tonumber)' '["4","5"]'
	out_has "Erased 2 pages"
}

t_erase_count_from_zero() {
	seed_chip
	run_ok -o -e 3 "$(port)"
	stat_is '.erased_pages | keys | sort_by(tonumber)' '["0","1","2"]'
}

t_erase_zero_pages_does_nothing() {
	seed_chip
	run_ok -o -e 0 "$(port)"
	nothing_written
	flash_unchanged
}

t_erase_unaligned_range_refused() {
	seed_chip
	run_fail -o -S 0x08000100:0x400 "$(port)"
	nothing_written
	flash_unchanged
}
