// Service logic reading the clock instead of taking `now`.
export function decide(deadline: number): boolean {
  return Date.now() > deadline; // lint-expect: no-restricted-syntax
}
