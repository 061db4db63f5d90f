#!/usr/bin/env python3
"""firmware_like.py SIZE SEED > FILE: bytes that look like a firmware image
to a compressor (issue 14's W7 kind): about 70 % code-like bytes (Thumb-ish
half-words from a small vocabulary, literal pools of flash and peripheral
addresses, strings) and 0xFF gaps between its sections. The same SIZE and
SEED give the same bytes."""
import random
import sys

size, seed = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
vocabulary = [bytes([rng.randrange(256), rng.choice([0x46, 0x68, 0x60, 0xB5, 0xBD, 0xF0, 0xE7, 0xD1, 0x4B, 0x2B])])
              for _ in range(96)]
words = ["error", "flash", "usart", "timeout", "ready", "config", "sensor", "value", "init", "\n", " ", "%d"]
out = bytearray()


def section(length):
    code = bytearray()
    while len(code) < length:
        kind = rng.random()
        if kind < 0.80:  # instructions, the common ones more often
            code += vocabulary[int(rng.paretovariate(1.2)) % len(vocabulary)]
        elif kind < 0.92:  # a literal pool word
            base = rng.choice([0x08000000, 0x20000000, 0x40010000, 0x40021000])
            code += (base + rng.randrange(0, 0x4000, 4)).to_bytes(4, "little")
        else:  # a string
            text = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 5))).encode() + b"\0"
            code += text
    return code[:length]


while len(out) < size:
    out += section(rng.randrange(6000, 14000))
    out += b"\xff" * rng.randrange(1500, 5000)
sys.stdout.buffer.write(bytes(out[:size]))
