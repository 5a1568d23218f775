/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32), so the
 * benchmark database is the same bytes on every machine and every run.
 * https://prng.di.unimi.it/xoshiro128starstar.c
 */
export interface Prng {
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
  /** Uniform double in [0, 1) with the full 53 bits of mantissa. */
  float(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** True with the given probability. */
  chance(p: number): boolean;
}

export function createPrng(seed: number): Prng {
  let sm = seed >>> 0;
  const splitmix32 = (): number => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix32();
  let s1 = splitmix32();
  let s2 = splitmix32();
  let s3 = splitmix32();

  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };

  const float = (): number => {
    // 21 high bits + 32 low bits = 53 bits, the whole double mantissa.
    const hi = u32() >>> 11;
    const lo = u32();
    return (hi * 4294967296 + lo) / 9007199254740992;
  };

  return {
    u32,
    float,
    int: (min, max) => min + Math.floor(float() * (max - min + 1)),
    pick: (items) => items[Math.floor(float() * items.length)] as (typeof items)[number],
    chance: (p) => float() < p,
  };
}
