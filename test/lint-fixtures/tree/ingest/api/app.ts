// The cycle found in review: the app registers the routes, the routes import a helper from the app.
import { registerPatientRoutes } from './routes/patients.js'; // lint-expect: import-x/no-cycle

export function principalOf(req: { principal: string | null }): string {
  return req.principal ?? 'anonymous';
}

export function buildApp(): string[] {
  return registerPatientRoutes();
}
