/* What the build-time generators (gen_devices, gen_optbytes) share: reading
 * a TSV row and complaining with the file's line number. */
#ifndef STM32BOOT_TOOLS_TSV_H
#define STM32BOOT_TOOLS_TSV_H

#include <stdio.h>

#define TSV_MAX_COLUMNS 40

/* Where the current complaint points: set by the generator as it reads. */
extern const char *tsv_path;
extern long tsv_line;

/* "PATH:LINE: message" on stderr, then exit 1. */
void tsv_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Cut line at its tabs into fields (at most TSV_MAX_COLUMNS); the count. */
int tsv_split(char *line, char **fields);
/* A number in C notation (0x..., decimal), else tsv_die naming what. */
unsigned long tsv_number(const char *s, const char *what);
/* A hex digit's value, or -1. */
int tsv_hexval(int c);
/* s as a C string literal. */
void tsv_c_string(FILE *out, const char *s);

#endif
