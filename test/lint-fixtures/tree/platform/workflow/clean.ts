// What the pure folder may do: import its own kind, take the clock as a parameter.
import { isYes } from '../lexicon/words.js';

export function clean(now: number, text: string): { at: Date; yes: boolean } {
  return { at: new Date(now), yes: isYes(text) };
}
