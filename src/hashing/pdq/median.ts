/**
 * Torben's median: bisects on value (no sorting, no copy) until the count of elements
 * below and above the guess are both at most ⌈n/2⌉. Returns the same element (or guess)
 * as the PDQ reference's implementation, which decides the bits that sit on the median.
 */
export function torbenMedian(values: Float64Array, count = values.length): number {
  const half = Math.floor((count + 1) / 2);
  let min = values[0]!;
  let max = values[0]!;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  let guess: number;
  let less: number;
  let greater: number;
  let equal: number;
  let maxBelowGuess: number;
  let minAboveGuess: number;
  for (;;) {
    guess = (min + max) / 2;
    less = 0;
    greater = 0;
    equal = 0;
    maxBelowGuess = min;
    minAboveGuess = max;
    for (let i = 0; i < count; i++) {
      const v = values[i]!;
      if (v < guess) {
        less++;
        if (v > maxBelowGuess) maxBelowGuess = v;
      } else if (v > guess) {
        greater++;
        if (v < minAboveGuess) minAboveGuess = v;
      } else {
        equal++;
      }
    }
    if (less <= half && greater <= half) break;
    if (less > greater) max = maxBelowGuess;
    else min = minAboveGuess;
  }
  if (less >= half) return maxBelowGuess;
  if (less + equal >= half) return guess;
  return minAboveGuess;
}
