/* Runs the fuzz target over files named on the command line, so the seed
 * and bad-input corpora are exercised (under the sanitizers when the build
 * has them) without clang or libFuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t capacity = 4096, length = 0;
	uint8_t *data = malloc(capacity);
	size_t got;
	while (data && (got = fread(data + length, 1, capacity - length, f)) > 0) {
		length += got;
		if (length == capacity) {
			uint8_t *bigger = realloc(data, capacity *= 2);
			if (!bigger)
				free(data);
			data = bigger;
		}
	}
	fclose(f);
	if (!data) {
		fprintf(stderr, "%s: out of memory\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput(data, length);
	/* every prefix too: truncation is the commonest damage */
	for (size_t cut = 0; cut < length && cut < 4096; cut++)
		LLVMFuzzerTestOneInput(data, cut);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int failures = 0;
	for (int i = 1; i < argc; i++)
		failures += replay(argv[i]);
	printf("%d passed, %d failed\n", argc - 1 - failures, failures);
	return failures != 0;
}
