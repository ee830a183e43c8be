// Pure code reading the wall clock instead of the injected `now`.
export function stamps(now: number): Date[] {
  const a = Date.now(); // lint-expect: no-restricted-syntax
  const b = new Date(); // lint-expect: no-restricted-syntax
  const c = Date(); // lint-expect: no-restricted-syntax
  return [new Date(now), new Date(a), b, new Date(c)];
}
