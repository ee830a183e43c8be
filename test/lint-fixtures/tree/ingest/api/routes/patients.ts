import { principalOf } from '../app.js'; // lint-expect: import-x/no-cycle

export function registerPatientRoutes(): string[] {
  return [principalOf({ principal: null })];
}
