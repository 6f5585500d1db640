/**
 * Cosine rounded correctly to the nearest double.
 *
 * The PDQ reference builds its DCT matrix with the C library's `cos`, which on common
 * platforms returns the correctly rounded result; V8's `Math.cos` is off by one ulp on
 * about 3% of the matrix entries, enough to move a coefficient across the median. So the
 * matrix is computed here in BigInt fixed point (far beyond double precision) and rounded
 * once. It runs once per isolate, on 1024 arguments.
 */

/** Fractional bits of the fixed-point numbers: ~2^-200 absolute error, versus 2^-53 needed. */
const FRACTION_BITS = 256n;
const ONE = 1n << FRACTION_BITS;

/** atan(1/n) in fixed point, by its Taylor series (converges fast for n >= 5). */
function arctanOfInverse(n: bigint): bigint {
  const nSquared = n * n;
  let power = ONE / n; // (1/n)^(2k+1)
  let sum = 0n;
  for (let k = 0n; power !== 0n; k++) {
    const term = power / (2n * k + 1n);
    sum += k % 2n === 0n ? term : -term;
    power /= nSquared;
  }
  return sum;
}

let halfPi: bigint | undefined;

/** π/2 by Machin's formula: π/4 = 4·atan(1/5) − atan(1/239). */
function fixedHalfPi(): bigint {
  halfPi ??= 2n * (4n * arctanOfInverse(5n) - arctanOfInverse(239n));
  return halfPi;
}

/** The exact value of a finite double as a fixed-point BigInt (exact for |x| >= 2^-200). */
function toFixed(x: number): bigint {
  let scaled = x;
  let shift = 0n;
  while (!Number.isInteger(scaled)) {
    scaled *= 2; // exact: only the exponent changes
    shift++;
  }
  return (BigInt(scaled) << FRACTION_BITS) >> shift;
}

/** Taylor series of cos (sin when `odd`) for |r| <= π/4, in fixed point. */
function series(r: bigint, odd: boolean): bigint {
  const rSquared = (r * r) >> FRACTION_BITS;
  let term = odd ? r : ONE;
  let sum = term;
  for (let n = odd ? 2n : 1n; term !== 0n; n += 2n) {
    term = -((term * rSquared) >> FRACTION_BITS) / (n * (n + 1n));
    sum += term;
  }
  return sum;
}

/** cos(x) for a finite double x, rounded to nearest (ties to even, as BigInt → Number does). */
export function correctlyRoundedCos(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  const fixedX = toFixed(Math.abs(x));
  const quarter = fixedHalfPi();
  // x = q·π/2 + r with |r| <= π/4.
  let q = (fixedX + quarter / 2n) / quarter;
  const r = fixedX - q * quarter;
  q %= 4n;
  let value: bigint;
  if (q === 0n) value = series(r, false);
  else if (q === 1n) value = -series(r, true);
  else if (q === 2n) value = -series(r, false);
  else value = series(r, true);
  // BigInt → Number rounds to nearest; dividing by a power of two is then exact.
  return Number(value) / 2 ** Number(FRACTION_BITS);
}
