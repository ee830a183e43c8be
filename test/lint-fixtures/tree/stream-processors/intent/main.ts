// A service's main.ts wires the real clock in.
export const clock = (): number => Date.now();
