/* Fault injection: spec parsing and the seeded draws. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/faults.h"

/* splitmix64: tiny, seedable with any value, good enough for test faults. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static bool happens(uint64_t *state, double probability)
{
	if (probability <= 0.0)
		return false;
	double u = (double)(next_random(state) >> 11) * (1.0 / 9007199254740992.0);
	return u < probability;
}

static bool parse_probability(const char *text, const char **end, double *out)
{
	char *stop;
	errno = 0;
	double p = strtod(text, &stop);
	if (stop == text || errno || !(p >= 0.0 && p <= 1.0))
		return false;
	*end = stop;
	*out = p;
	return true;
}

static bool parse_count(const char *text, const char **end, uint64_t *out)
{
	char *stop;
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	unsigned long long n = strtoull(text, &stop, 10);
	if (stop == text || errno)
		return false;
	*end = stop;
	*out = n;
	return true;
}

static bool parse_item(const char *key, size_t key_length, const char *value,
		       struct sim_fault_spec *spec, const char **end)
{
	struct {
		const char *name;
		double *target;
	} probabilities[] = {
		{"corrupt-in", &spec->corrupt_in}, {"corrupt-out", &spec->corrupt_out},
		{"drop-in", &spec->drop_in},       {"drop-out", &spec->drop_out},
		{"nack", &spec->nack},
	};
	for (size_t i = 0; i < sizeof(probabilities) / sizeof(probabilities[0]); i++)
		if (strlen(probabilities[i].name) == key_length &&
		    strncmp(key, probabilities[i].name, key_length) == 0)
			return parse_probability(value, end, probabilities[i].target);
	if (key_length == 5 && strncmp(key, "stall", 5) == 0) {
		uint64_t ms;
		if (!parse_probability(value, end, &spec->stall) || **end != ':' ||
		    !parse_count(*end + 1, end, &ms) || ms > 600000)
			return false;
		spec->stall_ms = (uint32_t)ms;
		return true;
	}
	if (key_length == 11 && strncmp(key, "reset-after", 11) == 0)
		return parse_count(value, end, &spec->reset_after);
	if (key_length == 12 && strncmp(key, "hangup-after", 12) == 0)
		return parse_count(value, end, &spec->hangup_after);
	if (key_length == 9 && strncmp(key, "pll-stuck", 9) == 0) {
		uint64_t on;
		if (!parse_count(value, end, &on) || on > 1)
			return false;
		spec->pll_stuck = on == 1;
		return true;
	}
	return false;
}

bool sim_faults_parse(const char *text, struct sim_fault_spec *spec, char *why, size_t why_size)
{
	memset(spec, 0, sizeof(*spec));
	const char *p = text;
	while (*p) {
		const char *equals = strchr(p, '=');
		/* ';' also separates items: a "sim:" port name splits at commas. */
		const char *comma = strpbrk(p, ",;");
		size_t item_length = comma ? (size_t)(comma - p) : strlen(p);
		const char *end = NULL;
		if (!equals || (comma && equals > comma) ||
		    !parse_item(p, (size_t)(equals - p), equals + 1, spec, &end) ||
		    end != p + item_length) {
			snprintf(why, why_size, "bad fault item '%.*s' (see --help for the syntax)",
				 (int)item_length, p);
			return false;
		}
		p = comma ? comma + 1 : p + item_length;
	}
	return true;
}

void sim_faults_init(struct sim_faults *faults, const struct sim_fault_spec *spec,
		     uint64_t seed, struct sim_fault_counts *counts)
{
	memset(faults, 0, sizeof(*faults));
	faults->spec = *spec;
	faults->counts = counts;
	for (int s = 0; s < SIM_STREAM_COUNT; s++) {
		uint64_t mix = seed ^ (0xA0761D6478BD642Full * (uint64_t)(s + 1));
		faults->rng[s] = next_random(&mix);
	}
}

struct sim_rx_fault sim_faults_on_rx(struct sim_faults *faults, uint8_t *byte)
{
	struct sim_rx_fault result = {0};
	const struct sim_fault_spec *spec = &faults->spec;
	uint64_t *rng = &faults->rng[SIM_STREAM_IN];

	faults->bytes_from_host++;
	if (happens(rng, spec->drop_in)) {
		result.drop = true;
		faults->counts->drop_in++;
	} else if (happens(rng, spec->corrupt_in)) {
		*byte ^= (uint8_t)(1u << (next_random(rng) % 8));
		faults->counts->corrupt_in++;
	}
	if (happens(rng, spec->stall)) {
		result.stall_ms = spec->stall_ms;
		faults->counts->stall++;
	}
	if (spec->reset_after && faults->bytes_from_host == spec->reset_after) {
		result.reset_chip = true;
		faults->counts->reset++;
	}
	if (spec->hangup_after && faults->bytes_from_host == spec->hangup_after) {
		result.hang_up = true;
		faults->counts->hangup++;
	}
	return result;
}

bool sim_faults_on_tx(struct sim_faults *faults, uint8_t *byte)
{
	uint64_t *rng = &faults->rng[SIM_STREAM_OUT];
	if (happens(rng, faults->spec.drop_out)) {
		faults->counts->drop_out++;
		return false;
	}
	if (happens(rng, faults->spec.corrupt_out)) {
		*byte ^= (uint8_t)(1u << (next_random(rng) % 8));
		faults->counts->corrupt_out++;
	}
	return true;
}

bool sim_faults_take_nack(struct sim_faults *faults)
{
	if (!faults || !happens(&faults->rng[SIM_STREAM_NACK], faults->spec.nack))
		return false;
	faults->counts->nack++;
	return true;
}
